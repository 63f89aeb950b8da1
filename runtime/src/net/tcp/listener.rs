//! `TcpListener`: a listening TCP socket on the runtime's reactor.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll};

use super::stream::TcpStream;
use crate::io::registration::Direction;
use crate::io::{Interest, PollEvented};
use crate::net::addr::{each_addr, ToSocketAddrs};

/// A TCP socket listening for connections, driven by the runtime's reactor.
///
/// [`bind`](Self::bind) sets `SO_REUSEADDR` and listens with a backlog of 128 (as
/// std does); [`accept`](Self::accept) waits for the next connection. Dropping the
/// listener deregisters it and closes the socket.
///
/// # Examples
///
/// A server that greets each client:
///
/// ```
/// use runtime::io::{AsyncReadExt, AsyncWriteExt};
/// use runtime::net::{TcpListener, TcpStream};
///
/// runtime::Runtime::new()?.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     runtime::spawn(async move {
///         loop {
///             let Ok((mut socket, _)) = listener.accept().await else { break };
///             runtime::spawn(async move { socket.write_all(b"hello").await });
///         }
///     });
///
///     for _ in 0..3 {
///         let mut client = TcpStream::connect(addr).await?;
///         let mut greeting = String::new();
///         client.read_to_string(&mut greeting).await?;
///         assert_eq!(greeting, "hello");
///     }
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpListener {
    io: PollEvented<mio::net::TcpListener>,
}

impl TcpListener {
    /// Binds a listener to `addr`. Every address `addr` resolves to is tried in order;
    /// the first that binds is used, else the last error is returned.
    ///
    /// Port 0 asks the OS for a free port; see [`local_addr`](Self::local_addr).
    ///
    /// # Errors
    ///
    /// The OS's error ([`AddrInUse`](io::ErrorKind::AddrInUse),
    /// `AddrNotAvailable`, `PermissionDenied`, ...), a resolver error, or `Other` if the
    /// runtime has shut down.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// use runtime::net::TcpListener;
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let first = TcpListener::bind("127.0.0.1:0").await?;
    ///     let taken = first.local_addr()?;
    ///     let err = TcpListener::bind(taken).await.unwrap_err();
    ///     assert_eq!(err.kind(), ErrorKind::AddrInUse);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        each_addr(&addr, |addr| async move {
            let sys = mio::net::TcpListener::bind(addr)?;
            TcpListener::new(sys, "TcpListener::bind")
        })
        .await
    }

    fn new(sys: mio::net::TcpListener, what: &'static str) -> io::Result<TcpListener> {
        Ok(TcpListener {
            io: PollEvented::new_with_interest(sys, Interest::READABLE, what)?,
        })
    }

    /// Waits for the next connection; returns it with the peer's address.
    ///
    /// Cancel-safe: a connection is taken from the OS only in the poll that returns it.
    ///
    /// # Errors
    ///
    /// The OS's error (`accept(2)` may fail for one connection, say on too many open
    /// files, and succeed for the next), or `Other` if the runtime has shut down.
    ///
    /// # Examples
    ///
    /// See [`TcpListener`].
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (sys, peer) = self
            .io
            .async_io(Interest::READABLE, |sys| sys.accept())
            .await?;
        Ok((TcpStream::new(sys, "TcpListener::accept")?, peer))
    }

    /// Polls for the next connection: the form of [`accept`](Self::accept) for code
    /// that implements `Future` or `Stream` by hand. Only the task that polled last is
    /// woken.
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        match self.io.poll_io(cx, Direction::Read, |sys| sys.accept()) {
            Poll::Ready(Ok((sys, peer))) => {
                Poll::Ready(TcpStream::new(sys, "TcpListener::accept").map(|s| (s, peer)))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Wraps a bound and listening std listener, putting it into non-blocking mode.
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
    /// use runtime::net::{TcpListener, TcpStream};
    ///
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// runtime::Runtime::new()?.block_on(async {
    ///     let listener = TcpListener::from_std(std_listener)?;
    ///     let _client = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (_server, _) = listener.accept().await?;
    ///     // And back: a blocking std listener again.
    ///     let _std_listener: std::net::TcpListener = listener.into_std()?;
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::new(
            mio::net::TcpListener::from_std(listener),
            "TcpListener::from_std",
        )
    }

    /// Deregisters the listener and returns it as a std listener in blocking mode.
    ///
    /// # Errors
    ///
    /// If the mode cannot be set.
    pub fn into_std(self) -> io::Result<std::net::TcpListener> {
        let std: std::net::TcpListener = self.io.into_inner()?.into();
        std.set_nonblocking(false)?;
        Ok(std)
    }

    /// The address the listener is bound to.
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::net::TcpListener;
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let addr = listener.local_addr()?;
    ///     assert!(addr.ip().is_loopback());
    ///     assert_ne!(addr.port(), 0, "the OS picked a port");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// Sets the IP time-to-live of the connections this listener accepts.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live of the connections this listener accepts.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local", &self.local_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
