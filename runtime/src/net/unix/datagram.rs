//! `UnixDatagram`: a Unix-domain datagram socket on the runtime's reactor.

use std::fmt;
use std::io;
use std::net::Shutdown;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;

use crate::io::{Interest, PollEvented, Ready};

/// A Unix-domain datagram socket, driven by the runtime's reactor.
///
/// Bound to a path ([`bind`](Self::bind)), unbound ([`unbound`](Self::unbound)), or
/// one of a connected pair ([`pair`](Self::pair)). All methods take `&self`.
///
/// # Examples
///
/// ```
/// use runtime::net::UnixDatagram;
///
/// runtime::Runtime::new()?.block_on(async {
///     let (a, b) = UnixDatagram::pair()?;
///     a.send(b"one").await?;
///     a.send(b"two").await?;
///     let mut buf = [0; 8];
///     let n = b.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"one"); // datagrams keep their boundaries
///     let n = b.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"two");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UnixDatagram {
    io: PollEvented<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    fn new(sys: mio::net::UnixDatagram, what: &'static str) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: PollEvented::new(sys, what)?,
        })
    }

    /// Creates a socket bound to the (new) socket file at `path`.
    ///
    /// # Errors
    ///
    /// The OS's error (`AddrInUse` if the file exists), `InvalidInput` for a path with
    /// a NUL byte or longer than the OS allows, `Other` if the runtime has shut down.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::net::UnixDatagram;
    ///
    /// let dir = std::env::temp_dir().join(format!("runtime-doc-udgram-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir)?;
    /// let path = dir.join("server");
    /// # let _ = std::fs::remove_file(&path);
    /// runtime::Runtime::new()?.block_on(async {
    ///     let server = UnixDatagram::bind(&path)?;
    ///     let client = UnixDatagram::unbound()?;
    ///     client.send_to(b"hi", &path).await?;
    ///     let mut buf = [0; 4];
    ///     let (n, from) = server.recv_from(&mut buf).await?;
    ///     assert_eq!(&buf[..n], b"hi");
    ///     assert!(from.is_unnamed());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        UnixDatagram::new(mio::net::UnixDatagram::bind(path)?, "UnixDatagram::bind")
    }

    /// A pair of connected, unnamed sockets (`socketpair(2)`).
    ///
    /// # Errors
    ///
    /// The OS's error, or `Other` if the runtime has shut down.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime.
    #[track_caller]
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((
            UnixDatagram::new(a, "UnixDatagram::pair")?,
            UnixDatagram::new(b, "UnixDatagram::pair")?,
        ))
    }

    /// A socket bound to no address: it can send (to a path, or after
    /// [`connect`](Self::connect)) but nobody can address it.
    ///
    /// # Errors
    ///
    /// The OS's error, or `Other` if the runtime has shut down.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime.
    #[track_caller]
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::new(mio::net::UnixDatagram::unbound()?, "UnixDatagram::unbound")
    }

    /// Wraps a std socket, putting it into non-blocking mode.
    ///
    /// # Errors
    ///
    /// If the mode cannot be set, or `Other` if the runtime has shut down.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime.
    #[track_caller]
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        UnixDatagram::new(
            mio::net::UnixDatagram::from_std(socket),
            "UnixDatagram::from_std",
        )
    }

    /// Deregisters the socket and returns it as a std socket in blocking mode.
    ///
    /// # Errors
    ///
    /// If the mode cannot be set.
    pub fn into_std(self) -> io::Result<std::os::unix::net::UnixDatagram> {
        let std: std::os::unix::net::UnixDatagram = self.io.into_inner()?.into();
        std.set_nonblocking(false)?;
        Ok(std)
    }

    /// Sets the default peer: [`send`](Self::send) goes to the socket bound at `path`,
    /// and only its datagrams are received. Does not wait.
    ///
    /// # Errors
    ///
    /// The OS's error (`NotFound`, `ConnectionRefused`), `InvalidInput` for a bad path.
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.io.get_ref().connect(path)
    }

    /// The local address (unnamed for `unbound` and `pair` sockets).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` if the socket is not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Waits until a datagram may be received.
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Waits until a datagram may be sent.
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Waits until the socket is ready for any of `interest`. Every waiting task is
    /// woken. Cancel-safe.
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready(interest).await
    }

    /// Sends `buf` to the connected peer.
    ///
    /// # Errors
    ///
    /// The OS's error (`NotConnected` if not connected), `Other` if the runtime has
    /// shut down.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io
            .async_io(Interest::WRITABLE, |sys| sys.send(buf))
            .await
    }

    /// Sends to the connected peer if the socket can take the datagram now.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if it cannot; the OS's error otherwise.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_io(Interest::WRITABLE, |sys| sys.send(buf))
    }

    /// Receives one datagram from the connected peer.
    ///
    /// # Errors
    ///
    /// The OS's error, `Other` if the runtime has shut down.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .async_io(Interest::READABLE, |sys| sys.recv(buf))
            .await
    }

    /// Receives one datagram if one is waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if none is; the OS's error otherwise.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Interest::READABLE, |sys| sys.recv(buf))
    }

    /// Sends `buf` to the socket bound at `path`.
    ///
    /// # Errors
    ///
    /// The OS's error (`NotFound`, `ConnectionRefused`), `InvalidInput` for a bad path,
    /// `Other` if the runtime has shut down.
    pub async fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        let path = path.as_ref();
        self.io
            .async_io(Interest::WRITABLE, |sys| sys.send_to(buf, path))
            .await
    }

    /// Sends `buf` to `path` if the socket can take it now.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if it cannot; the OS's error otherwise.
    pub fn try_send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        self.io
            .try_io(Interest::WRITABLE, |sys| sys.send_to(buf, path))
    }

    /// Receives one datagram and its sender's address.
    ///
    /// # Errors
    ///
    /// The OS's error, `Other` if the runtime has shut down.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .async_io(Interest::READABLE, |sys| sys.recv_from(buf))
            .await
    }

    /// Receives one datagram and its sender if one is waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if none is; the OS's error otherwise.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io.try_io(Interest::READABLE, |sys| sys.recv_from(buf))
    }

    /// Shuts down the read side, the write side, or both.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }
}

impl AsRawFd for UnixDatagram {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
