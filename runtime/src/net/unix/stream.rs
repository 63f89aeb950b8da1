//! `UnixStream`: a connected Unix-domain stream socket on the runtime's reactor.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use super::split::{self, OwnedReadHalf, OwnedWriteHalf};
use crate::io::registration::Direction;
use crate::io::{Interest, PollEvented, Ready};
use crate::net::stream_io::StreamIo;

/// A Unix-domain stream connection, driven by the runtime's reactor.
///
/// Made by [`connect`](Self::connect), [`pair`](Self::pair) or
/// [`UnixListener::accept`](crate::net::UnixListener::accept). Like
/// [`TcpStream`](crate::net::TcpStream), it implements [`AsyncRead`](crate::io::AsyncRead) and
/// [`AsyncWrite`](crate::io::AsyncWrite) for `UnixStream` and `&UnixStream`, has `&self` readiness methods
/// ([`readable`](Self::readable), [`try_read`](Self::try_read), ...), and splits into
/// owned halves with [`into_split`](Self::into_split).
///
/// # Examples
///
/// ```
/// use runtime::io::{AsyncReadExt, AsyncWriteExt};
/// use runtime::net::UnixStream;
///
/// runtime::Runtime::new()?.block_on(async {
///     let (mut a, mut b) = UnixStream::pair()?;
///     a.write_all(b"ping").await?;
///     let mut buf = [0; 4];
///     b.read_exact(&mut buf).await?;
///     assert_eq!(&buf, b"ping");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixStream {
    io: PollEvented<mio::net::UnixStream>,
}

impl UnixStream {
    pub(crate) fn new(sys: mio::net::UnixStream, what: &'static str) -> io::Result<UnixStream> {
        Ok(UnixStream {
            io: PollEvented::new(sys, what)?,
        })
    }

    /// Connects to the socket bound at `path`.
    ///
    /// # Errors
    ///
    /// The OS's error (`NotFound` if nothing is bound there, `ConnectionRefused` if
    /// nobody listens, `WouldBlock` if the listener's backlog is full), `InvalidInput`
    /// for a path with a NUL byte or longer than the OS allows, `Other` if the runtime
    /// has shut down.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::net::{UnixListener, UnixStream};
    ///
    /// let dir = std::env::temp_dir().join(format!("runtime-doc-connect-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("sock");
    /// # let _ = std::fs::remove_file(&path);
    /// runtime::Runtime::new()?.block_on(async {
    ///     let listener = UnixListener::bind(&path)?;
    ///     let client = UnixStream::connect(&path).await?;
    ///     let (server, _) = listener.accept().await?;
    ///     assert_eq!(client.peer_addr()?.as_pathname(), Some(path.as_path()));
    ///     assert!(server.peer_addr()?.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let stream = UnixStream::new(mio::net::UnixStream::connect(path)?, "UnixStream::connect")?;
        // A Unix connect completes at once or fails; writability confirms it, and
        // `SO_ERROR` says which.
        stream.io.ready(Interest::WRITABLE).await?;
        if let Some(e) = stream.take_error()? {
            return Err(e);
        }
        Ok(stream)
    }

    /// A pair of connected streams (`socketpair(2)`).
    ///
    /// # Errors
    ///
    /// The OS's error, or `Other` if the runtime has shut down.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((
            UnixStream::new(a, "UnixStream::pair")?,
            UnixStream::new(b, "UnixStream::pair")?,
        ))
    }

    /// Wraps a connected std stream, putting it into non-blocking mode.
    ///
    /// # Errors
    ///
    /// If the mode cannot be set, or `Other` if the runtime has shut down.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::net::UnixStream;
    ///
    /// let (a, b) = std::os::unix::net::UnixStream::pair()?;
    /// runtime::Runtime::new()?.block_on(async {
    ///     let a = UnixStream::from_std(a)?;
    ///     let b = UnixStream::from_std(b)?;
    ///     a.writable().await?; // try_* need a reported readiness first
    ///     a.try_write(b"x")?;
    ///     b.readable().await?;
    ///     let mut buf = [0; 1];
    ///     assert_eq!(b.try_read(&mut buf)?, 1);
    ///     let _blocking_again: std::os::unix::net::UnixStream = a.into_std()?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::new(
            mio::net::UnixStream::from_std(stream),
            "UnixStream::from_std",
        )
    }

    /// Deregisters the stream and returns it as a std stream in blocking mode.
    ///
    /// # Errors
    ///
    /// If the mode cannot be set.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixStream> {
        let std: std::os::unix::net::UnixStream = self.io.into_inner()?.into();
        std.set_nonblocking(false)?;
        Ok(std)
    }

    /// The local address (unnamed for a stream from `connect` or `pair`).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address of the remote end (unnamed for a client or a `pair`).
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Waits until the stream may be readable (see
    /// [`TcpStream::readable`](crate::net::TcpStream::readable)).
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Waits until the stream may be writable.
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Waits until the stream is ready for any of `interest`, and says what it is
    /// ready for. Every waiting task is woken. Cancel-safe.
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready(interest).await
    }

    /// Polls for read readiness; only the task that polled last is woken.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Read)
    }

    /// Polls for write readiness; only the task that polled last is woken.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Write)
    }

    /// Reads what is available now, without waiting (`Ok(0)`: end of stream).
    ///
    /// # Errors
    ///
    /// `WouldBlock` if nothing is available; the OS's error otherwise.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_read(buf)
    }

    /// [`try_read`](Self::try_read) into several buffers.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if nothing is available; the OS's error otherwise.
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.io.try_read_vectored(bufs)
    }

    /// Writes what fits now, without waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if the send buffer is full; the OS's error otherwise.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_write(buf)
    }

    /// [`try_write`](Self::try_write) from several buffers.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if the send buffer is full; the OS's error otherwise.
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.io.try_write_vectored(bufs)
    }

    /// Shuts down the read side, the write side, or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Splits the stream into owned halves (see
    /// [`TcpStream::into_split`](crate::net::TcpStream::into_split); the same rules
    /// hold: dropping the write half shuts down the write side).
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split::split(self)
    }
}

impl StreamIo for UnixStream {
    type Source = mio::net::UnixStream;

    fn poll_evented(&self) -> &PollEvented<mio::net::UnixStream> {
        &self.io
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
