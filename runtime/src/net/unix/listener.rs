//! `UnixListener`: a listening Unix-domain socket on the runtime's reactor.

use std::fmt;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use super::stream::UnixStream;
use crate::io::registration::Direction;
use crate::io::{Interest, PollEvented};

/// A Unix-domain socket listening for connections, driven by the runtime's reactor.
///
/// The socket file that [`bind`](Self::bind) creates is not removed when the
/// listener is dropped (as with std); remove it yourself.
///
/// # Examples
///
/// ```
/// use runtime::io::{AsyncReadExt, AsyncWriteExt};
/// use runtime::net::{UnixListener, UnixStream};
///
/// let dir = std::env::temp_dir().join(format!("runtime-doc-ulistener-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("sock");
/// # let _ = std::fs::remove_file(&path);
/// runtime::Runtime::new()?.block_on(async {
///     let listener = UnixListener::bind(&path)?;
///     let server = runtime::spawn(async move {
///         let (mut socket, _addr) = listener.accept().await?;
///         socket.write_all(b"hello").await
///     });
///     let mut client = UnixStream::connect(&path).await?;
///     let mut greeting = String::new();
///     client.read_to_string(&mut greeting).await?;
///     assert_eq!(greeting, "hello");
///     server.await.unwrap()
/// })?;
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixListener {
    io: PollEvented<mio::net::UnixListener>,
}

impl UnixListener {
    fn new(sys: mio::net::UnixListener, what: &'static str) -> io::Result<UnixListener> {
        Ok(UnixListener {
            io: PollEvented::new_with_interest(sys, Interest::READABLE, what)?,
        })
    }

    /// Creates the socket file at `path`, binds to it and listens.
    ///
    /// # Errors
    ///
    /// The OS's error (`AddrInUse` if the file exists, `NotFound` if the directory
    /// does not), `InvalidInput` for a path with a NUL byte or longer than the OS
    /// allows (108 bytes on Linux), `Other` if the runtime has shut down.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime.
    #[track_caller]
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        UnixListener::new(mio::net::UnixListener::bind(path)?, "UnixListener::bind")
    }

    /// Wraps a listening std listener, putting it into non-blocking mode.
    ///
    /// # Errors
    ///
    /// If the mode cannot be set, or `Other` if the runtime has shut down.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime.
    #[track_caller]
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        UnixListener::new(
            mio::net::UnixListener::from_std(listener),
            "UnixListener::from_std",
        )
    }

    /// Deregisters the listener and returns it as a std listener in blocking mode.
    ///
    /// # Errors
    ///
    /// If the mode cannot be set.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixListener> {
        let std: std::os::unix::net::UnixListener = self.io.into_inner()?.into();
        std.set_nonblocking(false)?;
        Ok(std)
    }

    /// Waits for the next connection; returns it with the peer's address (usually
    /// unnamed). Cancel-safe.
    ///
    /// # Errors
    ///
    /// The OS's error, or `Other` if the runtime has shut down.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (sys, addr) = self
            .io
            .async_io(Interest::READABLE, |sys| sys.accept())
            .await?;
        Ok((UnixStream::new(sys, "UnixListener::accept")?, addr))
    }

    /// Polls for the next connection; only the task that polled last is woken.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        match self.io.poll_io(cx, Direction::Read, |sys| sys.accept()) {
            Poll::Ready(Ok((sys, addr))) => {
                Poll::Ready(UnixStream::new(sys, "UnixListener::accept").map(|s| (s, addr)))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("local", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
