//! Unix signals: [`signal`] makes a [`Signal`] listener for a [`SignalKind`].
//!
//! See the [module docs](super) for how deliveries are counted (they may coalesce) and
//! what making a listener does to the signal's default disposition.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::task::{Context, Poll};

use super::pipe::Pipe;

/// A Unix signal number, with constructors for the common ones.
///
/// # Examples
///
/// ```
/// use runtime::signal::unix::SignalKind;
///
/// assert_eq!(SignalKind::terminate(), SignalKind::from_raw(SignalKind::terminate().as_raw_value()));
/// assert_ne!(SignalKind::user_defined1(), SignalKind::user_defined2());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SignalKind(i32);

impl SignalKind {
    /// Any signal, by its number (`libc::SIGUSR1` and the like).
    pub const fn from_raw(signum: i32) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal's number.
    pub const fn as_raw_value(&self) -> i32 {
        self.0
    }

    /// `SIGINT`: an interrupt from the terminal (Ctrl-C). Ends the process by default.
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// `SIGTERM`: a polite request to terminate (what `kill` and service managers send).
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// `SIGHUP`: the terminal hung up; daemons often take it as "reload configuration".
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// `SIGQUIT`: quit from the terminal (Ctrl-\\).
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// `SIGUSR1`: user-defined.
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// `SIGUSR2`: user-defined.
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// `SIGCHLD`: a child process stopped or ended.
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// `SIGPIPE`: a write to a pipe or socket with no reader.
    pub const fn pipe() -> SignalKind {
        SignalKind(libc::SIGPIPE)
    }

    /// `SIGALRM`: a timer set with `alarm(2)` expired.
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// `SIGWINCH`: the terminal window changed size.
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }
}

impl From<i32> for SignalKind {
    fn from(signum: i32) -> SignalKind {
        SignalKind::from_raw(signum)
    }
}

impl From<SignalKind> for i32 {
    fn from(kind: SignalKind) -> i32 {
        kind.as_raw_value()
    }
}

/// Signals no listener may be made for: those that cannot be caught (`SIGKILL`,
/// `SIGSTOP`) and those raised by a fault in the thread itself, after which returning
/// from a handler re-runs the faulting instruction (signal-hook-registry's `FORBIDDEN`
/// list, plus `SIGBUS`).
const FORBIDDEN: [i32; 6] = [
    libc::SIGKILL,
    libc::SIGSTOP,
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGILL,
    libc::SIGFPE,
];

/// Makes a listener for `kind`: a stream of its deliveries.
///
/// From the moment this returns, deliveries are recorded for the listener, whether or
/// not anyone awaits [`Signal::recv`]. Every listener sees every delivery.
///
/// # Errors
///
/// `InvalidInput` for a signal that cannot be listened for (`SIGKILL`, `SIGSTOP`,
/// `SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`) or that does not exist; the OS's error if
/// the self-pipe cannot be made; `Other` if the current runtime has shut down.
///
/// # Panics
///
/// Panics outside a runtime (for a signal that may be listened for).
///
/// # Examples
///
/// ```
/// use runtime::signal::unix::{signal, SignalKind};
///
/// runtime::Runtime::new()?.block_on(async {
///     let mut usr1 = signal(SignalKind::user_defined1())?;
///     // Send ourselves a SIGUSR1; the delivery waits in the listener until `recv`.
///     let pid = std::process::id().to_string();
///     std::process::Command::new("kill").args(["-USR1", &pid]).status()?;
///     assert_eq!(usr1.recv().await, Some(()));
///
///     let forbidden = signal(SignalKind::from_raw(9)).unwrap_err(); // SIGKILL
///     assert_eq!(forbidden.kind(), std::io::ErrorKind::InvalidInput);
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let signum = kind.as_raw_value();
    if signum <= 0 || FORBIDDEN.contains(&signum) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("signal {signum} cannot be listened for"),
        ));
    }
    // Ours is a superset of signal-hook-registry's list, on whose members `register`
    // panics; a listener never gets that far for them.
    debug_assert!(signal_hook_registry::FORBIDDEN
        .iter()
        .all(|s| FORBIDDEN.contains(s)));
    Ok(Signal {
        kind,
        pipe: Pipe::new(signum, "runtime::signal::unix::signal")?,
    })
}

/// A listener for one signal, made by [`signal`]: each [`recv`](Self::recv) completes
/// once per delivery (deliveries between two `recv`s may coalesce into one).
///
/// It belongs to the runtime current when it was made (its reactor wakes it); it is
/// `Send + Sync + Unpin`. Dropping it unregisters its signal action and closes its
/// self-pipe.
pub struct Signal {
    kind: SignalKind,
    pipe: Pipe,
}

impl Signal {
    /// Waits for the next delivery: `Some(())`, or `None` once the listener's runtime
    /// has shut down. Cancel-safe: a delivery is never consumed by a `recv` that is
    /// dropped before completing.
    ///
    /// # Examples
    ///
    /// Two listeners both see one delivery:
    ///
    /// ```
    /// use runtime::signal::unix::{signal, SignalKind};
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let mut a = signal(SignalKind::user_defined2())?;
    ///     let mut b = signal(SignalKind::user_defined2())?;
    ///     let pid = std::process::id().to_string();
    ///     std::process::Command::new("kill").args(["-USR2", &pid]).status()?;
    ///     assert_eq!(a.recv().await, Some(()));
    ///     assert_eq!(b.recv().await, Some(()));
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Polls for the next delivery, like [`recv`](Self::recv); on `Pending`, `cx`'s
    /// waker is woken at the next delivery (only the last task to poll is woken).
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.pipe.poll_recv(cx)
    }

    /// The signal this listener listens for.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal").field("kind", &self.kind).finish()
    }
}
