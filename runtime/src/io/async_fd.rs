//! `AsyncFd`: reactor readiness for any file descriptor the caller owns.

use std::error::Error;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, RawFd};

use mio::unix::SourceFd;

use super::{Interest, Ready, ReadyEvent, Registration};

/// Readiness for a file descriptor the caller owns: a pipe, a device, a socket from
/// another library, anything `epoll` accepts.
///
/// `AsyncFd` registers `inner.as_raw_fd()` with the runtime's reactor and reports
/// when it may be readable or writable; the I/O itself is the caller's, done through
/// [`get_ref`](Self::get_ref) inside a guard's [`try_io`](AsyncFdReadyGuard::try_io).
/// The fd must be in non-blocking mode (set it yourself) and stay open as long as the
/// `AsyncFd` lives.
///
/// `AsyncFd` never closes the fd: dropping it deregisters the fd, then drops `inner`,
/// which closes the fd only if `T` owns it. [`into_inner`](Self::into_inner)
/// deregisters and hands `inner` back.
///
/// # Examples
///
/// One end of a std socket pair used as a pipe:
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use runtime::io::unix::AsyncFd;
///
/// let (reader, mut writer) = UnixStream::pair()?;
/// reader.set_nonblocking(true)?;
/// runtime::Runtime::new()?.block_on(async {
///     let fd = AsyncFd::new(reader)?;
///     writer.write_all(b"through the pipe")?;
///
///     let mut buf = [0; 32];
///     let n = loop {
///         let mut guard = fd.readable().await?;
///         match guard.try_io(|inner| inner.get_ref().read(&mut buf)) {
///             Ok(result) => break result?,
///             Err(_would_block) => continue, // readiness cleared; wait again
///         }
///     };
///     assert_eq!(&buf[..n], b"through the pipe");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct AsyncFd<T: AsRawFd> {
    registration: Registration,
    /// `Some` until `into_inner`.
    inner: Option<T>,
}

impl<T: AsRawFd> AsyncFd<T> {
    /// Registers `inner`'s fd for reading and writing.
    ///
    /// # Errors
    ///
    /// The OS's error (say `EPERM` for a regular file, which `epoll` refuses), or
    /// `Other` if the runtime has shut down. `inner` is dropped on error.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime.
    #[track_caller]
    pub fn new(inner: T) -> io::Result<AsyncFd<T>> {
        AsyncFd::register(
            inner,
            Interest::READABLE | Interest::WRITABLE,
            "AsyncFd::new",
        )
    }

    /// Registers `inner`'s fd for `interest` only.
    ///
    /// # Errors
    ///
    /// As for [`new`](Self::new).
    ///
    /// # Panics
    ///
    /// Panics outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use runtime::io::{unix::AsyncFd, Interest};
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// runtime::Runtime::new()?.block_on(async {
    ///     let fd = AsyncFd::with_interest(a, Interest::WRITABLE)?;
    ///     let guard = fd.writable().await?;
    ///     assert!(guard.ready().is_writable());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn with_interest(inner: T, interest: Interest) -> io::Result<AsyncFd<T>> {
        AsyncFd::register(inner, interest, "AsyncFd::with_interest")
    }

    /// Registers `inner`'s fd; `what` names the entry point for the panic outside a
    /// runtime.
    #[track_caller]
    fn register(inner: T, interest: Interest, what: &'static str) -> io::Result<AsyncFd<T>> {
        let fd = inner.as_raw_fd();
        let registration = Registration::new(&mut SourceFd(&fd), interest, what)?;
        Ok(AsyncFd {
            registration,
            inner: Some(inner),
        })
    }

    /// The wrapped value.
    pub fn get_ref(&self) -> &T {
        self.inner.as_ref().expect("present until into_inner")
    }

    /// The wrapped value, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.as_mut().expect("present until into_inner")
    }

    /// Deregisters the fd and returns the wrapped value (the fd stays open).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::os::unix::net::UnixStream;
    /// use runtime::io::unix::AsyncFd;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// a.set_nonblocking(true)?;
    /// runtime::Runtime::new()?.block_on(async {
    ///     let fd = AsyncFd::new(a)?;
    ///     let a: UnixStream = fd.into_inner();
    ///     a.set_nonblocking(false)?; // still a working socket
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_inner(mut self) -> T {
        self.take_inner().expect("present until into_inner")
    }

    /// Deregisters and takes `inner` (for `into_inner` and `Drop`).
    fn take_inner(&mut self) -> Option<T> {
        let inner = self.inner.take()?;
        let fd = inner.as_raw_fd();
        // An error (the runtime is gone) leaves nothing to undo: the registration is
        // marked closed either way, and epoll forgets the fd when it is closed.
        let _ = self.registration.deregister(&mut SourceFd(&fd));
        Some(inner)
    }

    /// Waits until the fd may be readable; the guard says what was reported and
    /// clears it when an operation says `WouldBlock`.
    ///
    /// Any number of tasks may wait at once; each is woken. Cancel-safe.
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    pub async fn readable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::READABLE).await
    }

    /// Waits until the fd may be writable (see [`readable`](Self::readable)).
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    pub async fn writable(&self) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        self.ready(Interest::WRITABLE).await
    }

    /// Waits until the fd is ready for any of `interest`.
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    pub async fn ready(&self, interest: Interest) -> io::Result<AsyncFdReadyGuard<'_, T>> {
        let event = self.registration.readiness(interest).await?;
        Ok(AsyncFdReadyGuard {
            fd: self,
            event: Some(event),
        })
    }

    /// [`readable`](Self::readable) with a guard that gives `&mut` access.
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    pub async fn readable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::READABLE).await
    }

    /// [`writable`](Self::writable) with a guard that gives `&mut` access.
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    pub async fn writable_mut(&mut self) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        self.ready_mut(Interest::WRITABLE).await
    }

    /// [`ready`](Self::ready) with a guard that gives `&mut` access.
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    pub async fn ready_mut(
        &mut self,
        interest: Interest,
    ) -> io::Result<AsyncFdReadyMutGuard<'_, T>> {
        let event = self.registration.readiness(interest).await?;
        Ok(AsyncFdReadyMutGuard {
            fd: self,
            event: Some(event),
        })
    }
}

impl<T: AsRawFd> AsRawFd for AsyncFd<T> {
    fn as_raw_fd(&self) -> RawFd {
        self.get_ref().as_raw_fd()
    }
}

impl<T: AsRawFd> Drop for AsyncFd<T> {
    fn drop(&mut self) {
        drop(self.take_inner());
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFd<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFd")
            .field("inner", &self.inner)
            .finish()
    }
}

/// A readiness reported for an [`AsyncFd`], from [`AsyncFd::readable`],
/// [`writable`](AsyncFd::writable) or [`ready`](AsyncFd::ready).
///
/// Do the I/O through [`try_io`](Self::try_io): a `WouldBlock` clears the readiness,
/// so the next wait waits for a new event. Dropping the guard without either keeps
/// the readiness (the next wait completes at once).
///
/// # Examples
///
/// See [`AsyncFd`].
pub struct AsyncFdReadyGuard<'a, T: AsRawFd> {
    fd: &'a AsyncFd<T>,
    /// `None` once cleared or retained.
    event: Option<ReadyEvent>,
}

impl<'a, T: AsRawFd> AsyncFdReadyGuard<'a, T> {
    /// Clears the readiness this guard saw (unless a newer event has arrived since):
    /// the next wait waits for the reactor. Call it after the fd said `WouldBlock`.
    pub fn clear_ready(&mut self) {
        if let Some(event) = self.event.take() {
            self.fd.registration.clear_readiness(event);
        }
    }

    /// Keeps the readiness: the next wait completes at once. What dropping the guard
    /// does too.
    pub fn retain_ready(&mut self) {
        self.event = None;
    }

    /// What the reactor reported (within the interest waited for).
    pub fn ready(&self) -> Ready {
        self.event.map_or(Ready::EMPTY, |e| e.ready)
    }

    /// Runs `f`; if it says `WouldBlock`, clears the readiness and returns
    /// `Err(TryIoError)` (wait again), else `Ok` with its result.
    ///
    /// # Errors
    ///
    /// [`TryIoError`] when `f` returned `WouldBlock`.
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&'a AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match f(self.fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError(()))
            }
            r => Ok(r),
        }
    }

    /// The `AsyncFd` this guard is for.
    pub fn get_ref(&self) -> &'a AsyncFd<T> {
        self.fd
    }

    /// The wrapped value.
    pub fn get_inner(&self) -> &'a T {
        self.fd.get_ref()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyGuard")
            .field("fd", self.fd)
            .field("ready", &self.ready())
            .finish()
    }
}

/// [`AsyncFdReadyGuard`] with `&mut` access to the [`AsyncFd`], from
/// [`AsyncFd::readable_mut`], [`writable_mut`](AsyncFd::writable_mut) or
/// [`ready_mut`](AsyncFd::ready_mut).
///
/// # Examples
///
/// ```
/// use std::io::{Read, Write};
/// use std::os::unix::net::UnixStream;
/// use runtime::io::unix::AsyncFd;
///
/// let (reader, mut writer) = UnixStream::pair()?;
/// reader.set_nonblocking(true)?;
/// runtime::Runtime::new()?.block_on(async {
///     let mut fd = AsyncFd::new(reader)?;
///     writer.write_all(b"x")?;
///     let mut buf = [0; 1];
///     loop {
///         let mut guard = fd.readable_mut().await?;
///         if let Ok(n) = guard.try_io(|inner| inner.get_mut().read(&mut buf)) {
///             assert_eq!(n?, 1);
///             break;
///         }
///     }
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct AsyncFdReadyMutGuard<'a, T: AsRawFd> {
    fd: &'a mut AsyncFd<T>,
    event: Option<ReadyEvent>,
}

impl<T: AsRawFd> AsyncFdReadyMutGuard<'_, T> {
    /// Clears the readiness this guard saw (see [`AsyncFdReadyGuard::clear_ready`]).
    pub fn clear_ready(&mut self) {
        if let Some(event) = self.event.take() {
            self.fd.registration.clear_readiness(event);
        }
    }

    /// Keeps the readiness (see [`AsyncFdReadyGuard::retain_ready`]).
    pub fn retain_ready(&mut self) {
        self.event = None;
    }

    /// What the reactor reported (within the interest waited for).
    pub fn ready(&self) -> Ready {
        self.event.map_or(Ready::EMPTY, |e| e.ready)
    }

    /// Runs `f`; if it says `WouldBlock`, clears the readiness and returns
    /// `Err(TryIoError)`, else `Ok` with its result.
    ///
    /// # Errors
    ///
    /// [`TryIoError`] when `f` returned `WouldBlock`.
    pub fn try_io<R>(
        &mut self,
        f: impl FnOnce(&mut AsyncFd<T>) -> io::Result<R>,
    ) -> Result<io::Result<R>, TryIoError> {
        match f(self.fd) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                self.clear_ready();
                Err(TryIoError(()))
            }
            r => Ok(r),
        }
    }

    /// The `AsyncFd` this guard is for.
    pub fn get_ref(&self) -> &AsyncFd<T> {
        self.fd
    }

    /// The `AsyncFd` this guard is for, mutably.
    pub fn get_mut(&mut self) -> &mut AsyncFd<T> {
        self.fd
    }

    /// The wrapped value.
    pub fn get_inner(&self) -> &T {
        self.fd.get_ref()
    }

    /// The wrapped value, mutably.
    pub fn get_inner_mut(&mut self) -> &mut T {
        self.fd.get_mut()
    }
}

impl<T: AsRawFd + fmt::Debug> fmt::Debug for AsyncFdReadyMutGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncFdReadyMutGuard")
            .field("fd", &self.fd)
            .field("ready", &self.ready())
            .finish()
    }
}

/// The error of a guard's `try_io`: the operation said `WouldBlock`, the readiness
/// was cleared, wait again.
///
/// # Examples
///
/// ```
/// use std::io::Read;
/// use std::os::unix::net::UnixStream;
/// use runtime::io::unix::AsyncFd;
///
/// let (a, _b) = UnixStream::pair()?;
/// a.set_nonblocking(true)?;
/// runtime::Runtime::new()?.block_on(async {
///     let fd = AsyncFd::new(a)?;
///     let mut guard = fd.ready(runtime::io::Interest::WRITABLE).await?;
///     // Nothing to read: the read says WouldBlock.
///     let mut buf = [0; 1];
///     assert!(guard.try_io(|inner| inner.get_ref().read(&mut buf)).is_err());
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TryIoError(());

const TRY_IO_MESSAGE: &str = "the operation would block; readiness was cleared";

impl fmt::Debug for TryIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TryIoError")
    }
}

impl fmt::Display for TryIoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(TRY_IO_MESSAGE)
    }
}

impl Error for TryIoError {}
