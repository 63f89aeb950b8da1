//! Asynchronous signal handling: [`ctrl_c`] and Unix signals as streams of deliveries.
//!
//! [`unix::signal`] makes a listener ([`unix::Signal`]) for one signal; its
//! [`recv`](unix::Signal::recv) completes once per delivery (several deliveries that
//! arrive between two `recv`s may be seen as one, see below). Every listener sees every
//! delivery: two listeners for `SIGTERM` both complete.
//!
//! # How it works
//!
//! Each listener owns a self-pipe: a non-blocking Unix socket pair. Its signal action,
//! registered through [`signal-hook-registry`](https://docs.rs/signal-hook-registry)
//! (the process-wide registry tokio uses, which chains the actions of every listener
//! and every other library), writes one byte to the write end; that is all it does, as
//! a signal handler may only do async-signal-safe things. The read end is registered
//! with the reactor of the runtime current when the listener was made, so `recv` waits
//! like any socket read and drains every byte when it wakes.
//!
//! - **Nothing is lost** while nobody awaits: the byte stays in the socket until the
//!   next `recv`.
//! - **Deliveries coalesce**: all bytes present when `recv` wakes count as one
//!   delivery, and when the socket buffer is full further writes are dropped (a byte is
//!   already waiting). The OS itself also merges a standard signal that arrives while
//!   the same signal is pending. So `recv` means "at least one delivery since the last
//!   `recv`", as with tokio.
//! - **Dropping a listener** unregisters its action and closes both ends of its pipe.
//!
//! Once any listener for a signal has been made, the signal's default disposition is
//! gone for the rest of the process, even after every listener is dropped (a
//! limitation of signal-hook-registry, shared by tokio): a `SIGINT` with no listener
//! is then ignored instead of ending the process.
//!
//! # Examples
//!
//! Graceful shutdown on Ctrl-C (this waits for a real Ctrl-C, so it is not run here):
//!
//! ```no_run
//! runtime::Runtime::new()?.block_on(async {
//!     runtime::signal::ctrl_c().await?;
//!     println!("ctrl-c received, shutting down");
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod pipe;
pub mod unix;

use std::io;

/// Completes when the process receives a `SIGINT` (Ctrl-C in a terminal).
///
/// Each call makes its own listener, registered when the future is first polled; a
/// `SIGINT` that arrives before that is not seen by it. To never miss one, make a
/// [`unix::signal`]`(`[`SignalKind::interrupt`](unix::SignalKind::interrupt)`())`
/// listener early and `recv` on it.
///
/// # Errors
///
/// If the listener cannot be made (the OS's error), or `Other` if the runtime shut down
/// before a `SIGINT` arrived.
///
/// # Panics
///
/// Panics, when first polled, outside a runtime.
///
/// # Examples
///
/// Waits for one Ctrl-C. Here the example stands in for the user and sends the
/// `SIGINT` itself, with the `kill` command:
///
/// ```
/// use runtime::signal::unix::{signal, SignalKind};
///
/// runtime::Runtime::new()?.block_on(async {
///     let waiter = runtime::spawn(runtime::signal::ctrl_c());
///     // `ctrl_c` registers when first polled, so send until it has seen one;
///     // `guard` keeps a SIGINT from ending the process in the meantime.
///     let mut guard = signal(SignalKind::interrupt())?;
///     let pid = std::process::id().to_string();
///     while !waiter.is_finished() {
///         std::process::Command::new("kill").args(["-INT", &pid]).status()?;
///         guard.recv().await;
///     }
///     waiter.await.expect("the task ran")?;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut sigint = unix::signal(unix::SignalKind::interrupt())?;
    match sigint.recv().await {
        Some(()) => Ok(()),
        None => Err(crate::io::registration::shutdown_error()),
    }
}
