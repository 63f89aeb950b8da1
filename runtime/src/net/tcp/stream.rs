//! `TcpStream`: a connected TCP socket on the runtime's reactor.

use std::fmt;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll};

use super::split::{self, OwnedReadHalf, OwnedWriteHalf};
use crate::io::registration::Direction;
use crate::io::{Interest, PollEvented, Ready};
use crate::net::addr::{each_addr, ToSocketAddrs};
use crate::net::stream_io::StreamIo;

/// A TCP connection, driven by the runtime's reactor.
///
/// Made by [`TcpStream::connect`] or [`TcpListener::accept`](crate::net::TcpListener::accept).
/// Reading and writing go through [`AsyncRead`](crate::io::AsyncRead) and [`AsyncWrite`](crate::io::AsyncWrite) (use
/// [`AsyncReadExt`](crate::io::AsyncReadExt) and [`AsyncWriteExt`](crate::io::AsyncWriteExt)),
/// which are implemented for `TcpStream` and for `&TcpStream`, or through the
/// readiness methods ([`readable`](Self::readable) then [`try_read`](Self::try_read)),
/// which take `&self` so that many tasks can share one stream in an `Arc`.
///
/// Through `AsyncRead`/`AsyncWrite`, one task at a time waits to read and one to
/// write: if two tasks poll reads on the same stream, the last one to poll is the
/// one woken. [`readable`](Self::readable) and [`writable`](Self::writable) have no
/// such limit: every waiting task is woken.
///
/// To read and write at once in one task without splitting, use two shared
/// references: `let (mut r, mut w) = (&stream, &stream);` — each implements
/// `AsyncRead` and `AsyncWrite`.
///
/// Dropping the stream deregisters it and closes the socket. [`into_split`](Self::into_split)
/// gives two owned halves that can move to different tasks.
///
/// # Examples
///
/// An echo round trip:
///
/// ```
/// use runtime::io::{AsyncReadExt, AsyncWriteExt};
/// use runtime::net::{TcpListener, TcpStream};
///
/// runtime::Runtime::new()?.block_on(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await?;
///     let addr = listener.local_addr()?;
///     let server = runtime::spawn(async move {
///         let (mut socket, _peer) = listener.accept().await?;
///         let mut buf = [0; 4];
///         socket.read_exact(&mut buf).await?;
///         socket.write_all(&buf).await?;
///         Ok::<(), std::io::Error>(())
///     });
///
///     let mut stream = TcpStream::connect(addr).await?;
///     stream.write_all(b"ping").await?;
///     let mut reply = [0; 4];
///     stream.read_exact(&mut reply).await?;
///     assert_eq!(&reply, b"ping");
///     server.await.unwrap()?;
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TcpStream {
    io: PollEvented<mio::net::TcpStream>,
}

impl TcpStream {
    /// Registers a connected (or connecting) mio stream; `what` names the entry point
    /// for the outside-a-runtime panic.
    pub(crate) fn new(sys: mio::net::TcpStream, what: &'static str) -> io::Result<TcpStream> {
        Ok(TcpStream {
            io: PollEvented::new(sys, what)?,
        })
    }

    /// Opens a TCP connection to `addr`.
    ///
    /// Every address `addr` resolves to is tried in order; the first connection that
    /// succeeds is returned, else the last address's error.
    ///
    /// # Errors
    ///
    /// The OS's error: [`ConnectionRefused`](io::ErrorKind::ConnectionRefused) when
    /// nothing listens there, a resolver error for an unknown host, `InvalidInput` if
    /// `addr` names no address, `Other` if the runtime has shut down.
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
    /// runtime::Runtime::new()?.block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        each_addr(&addr, connect_addr).await
    }

    /// Wraps a connected std stream, putting it into non-blocking mode.
    ///
    /// # Errors
    ///
    /// If the mode cannot be set, or the runtime has shut down (`Other`).
    ///
    /// # Panics
    ///
    /// Panics outside a runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::net::TcpStream;
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// runtime::Runtime::new()?.block_on(async {
    ///     let stream = TcpStream::from_std(std_stream)?;
    ///     assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::new(mio::net::TcpStream::from_std(stream), "TcpStream::from_std")
    }

    /// Deregisters the stream and returns it as a std stream in blocking mode.
    ///
    /// # Errors
    ///
    /// If the mode cannot be set.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use runtime::net::{TcpListener, TcpStream};
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (peer, _) = listener.accept().await?;
    ///     let mut std_stream = stream.into_std()?;
    ///     std_stream.write_all(b"hi")?;
    ///     let mut std_peer = peer.into_std()?;
    ///     let mut buf = [0; 2];
    ///     std_peer.read_exact(&mut buf)?; // blocking mode: waits for the bytes
    ///     assert_eq!(&buf, b"hi");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_std(self) -> io::Result<std::net::TcpStream> {
        let std: std::net::TcpStream = self.io.into_inner()?.into();
        std.set_nonblocking(false)?;
        Ok(std)
    }

    /// The local address of this end.
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::net::{TcpListener, TcpStream};
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (peer, _) = listener.accept().await?;
    ///     assert_eq!(stream.local_addr()?, peer.peer_addr()?);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The address of the remote end (see [`local_addr`](Self::local_addr) for an
    /// example).
    ///
    /// # Errors
    ///
    /// `NotConnected` once the connection is gone.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }

    /// Waits until the stream may be readable: data, end of stream or an error.
    ///
    /// Completes only once the reactor has reported readiness since the last
    /// `WouldBlock`; a [`try_read`](Self::try_read) may still say `WouldBlock` (a
    /// spurious report), so loop. Any number of tasks may wait at once; each is woken.
    /// Cancel-safe.
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io;
    /// use runtime::net::{TcpListener, TcpStream};
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (peer, _) = listener.accept().await?;
    ///     peer.writable().await?;
    ///     peer.try_write(b"hello")?;
    ///
    ///     let mut buf = [0; 16];
    ///     let n = loop {
    ///         stream.readable().await?;
    ///         match stream.try_read(&mut buf) {
    ///             Ok(n) => break n,
    ///             Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
    ///             Err(e) => return Err(e),
    ///         }
    ///     };
    ///     assert_eq!(&buf[..n], b"hello");
    ///     Ok(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Waits until the stream may be writable (see [`readable`](Self::readable)).
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Waits until the stream is ready for any of `interest`, and says what it is
    /// ready for.
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::io::Interest;
    /// use runtime::net::{TcpListener, TcpStream};
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let ready = stream.ready(Interest::READABLE | Interest::WRITABLE).await?;
    ///     assert!(ready.is_writable());
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready(interest).await
    }

    /// Polls for read readiness: `Ready(Ok(()))` once the reactor has reported the
    /// stream readable since the last `WouldBlock`. Only the task that polled last is
    /// woken (the same slot as `AsyncRead`).
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Read)
    }

    /// Polls for write readiness (see [`poll_read_ready`](Self::poll_read_ready)).
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.io.poll_ready(cx, Direction::Write)
    }

    /// Reads what is available now, without waiting.
    ///
    /// `Ok(0)` means the peer closed its write side (or `buf` is empty).
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if nothing is available (wait with
    /// [`readable`](Self::readable)); the OS's error otherwise.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_read(buf)
    }

    /// [`try_read`](Self::try_read) into several buffers.
    ///
    /// # Errors
    ///
    /// As for [`try_read`](Self::try_read).
    pub fn try_read_vectored(&self, bufs: &mut [IoSliceMut<'_>]) -> io::Result<usize> {
        self.io.try_read_vectored(bufs)
    }

    /// Writes what fits now, without waiting; returns how many bytes were written.
    ///
    /// # Errors
    ///
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) if the send buffer is full (wait with
    /// [`writable`](Self::writable)); the OS's error otherwise (`BrokenPipe`,
    /// `ConnectionReset`, ...).
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io.try_write(buf)
    }

    /// [`try_write`](Self::try_write) from several buffers.
    ///
    /// # Errors
    ///
    /// As for [`try_write`](Self::try_write).
    pub fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.io.try_write_vectored(bufs)
    }

    /// Waits for data and copies it into `buf` without removing it from the socket.
    ///
    /// # Errors
    ///
    /// The OS's error; `Other` if the runtime has shut down.
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::io::{AsyncReadExt, AsyncWriteExt};
    /// use runtime::net::{TcpListener, TcpStream};
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let mut stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut peer, _) = listener.accept().await?;
    ///     peer.write_all(b"abc").await?;
    ///     let mut buf = [0; 3];
    ///     let n = stream.peek(&mut buf).await?;
    ///     assert_eq!(&buf[..n], &b"abc"[..n]);
    ///     stream.read_exact(&mut buf).await?; // still there
    ///     assert_eq!(&buf, b"abc");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .async_io(Interest::READABLE, |io| io.peek(buf))
            .await
    }

    /// Shuts down the read side, the write side, or both.
    ///
    /// After `Shutdown::Write` the peer reads end-of-stream (0) once it has read
    /// everything sent before, and may still write back.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::net::Shutdown;
    /// use runtime::io::AsyncReadExt;
    /// use runtime::net::{TcpListener, TcpStream};
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut peer, _) = listener.accept().await?;
    ///     stream.shutdown(Shutdown::Write)?;
    ///     let mut rest = Vec::new();
    ///     assert_eq!(peer.read_to_end(&mut rest).await?, 0);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }

    /// Sets `TCP_NODELAY` (disables Nagle's algorithm when `true`).
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::net::{TcpListener, TcpStream};
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     stream.set_nodelay(true)?;
    ///     assert!(stream.nodelay()?);
    ///     stream.set_ttl(42)?;
    ///     assert_eq!(stream.ttl()?, 42);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.io.get_ref().set_nodelay(nodelay)
    }

    /// Whether `TCP_NODELAY` is set.
    pub fn nodelay(&self) -> io::Result<bool> {
        self.io.get_ref().nodelay()
    }

    /// Sets the IP time-to-live of outgoing packets.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live of outgoing packets.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Splits the stream into an owned read half and an owned write half, which can
    /// move to different tasks; [`OwnedReadHalf::reunite`] puts them back together.
    ///
    /// Dropping the write half shuts down the write side (the peer reads end of
    /// stream), as `poll_close` does; [`OwnedWriteHalf::forget`] drops it without.
    /// The socket closes when both halves are dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::io::{AsyncReadExt, AsyncWriteExt};
    /// use runtime::net::{TcpListener, TcpStream};
    ///
    /// runtime::Runtime::new()?.block_on(async {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await?;
    ///     let stream = TcpStream::connect(listener.local_addr()?).await?;
    ///     let (mut peer, _) = listener.accept().await?;
    ///     let (mut read, mut write) = stream.into_split();
    ///     let writer = runtime::spawn(async move { write.write_all(b"hi").await.map(|()| write) });
    ///     let mut buf = [0; 2];
    ///     peer.read_exact(&mut buf).await?;
    ///     peer.write_all(&buf).await?;
    ///     read.read_exact(&mut buf).await?;
    ///     assert_eq!(&buf, b"hi");
    ///     let write = writer.await.unwrap()?;
    ///     let _stream: TcpStream = read.reunite(write).expect("halves of one stream");
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split::split(self)
    }
}

/// Connects to one address: start the non-blocking connect, wait until the socket is
/// writable, then ask the OS how it went (`SO_ERROR`, then whether it has a peer).
async fn connect_addr(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::new(mio::net::TcpStream::connect(addr)?, "TcpStream::connect")?;
    let registration = stream.io.registration();
    loop {
        let ev = registration.readiness(Interest::WRITABLE).await?;
        if let Some(e) = stream.take_error()? {
            return Err(e);
        }
        match stream.peer_addr() {
            Ok(_) => return Ok(stream),
            // Still connecting: a spurious wake-up. But an error or hang-up with no
            // `SO_ERROR` left means the attempt is over; do not wait for more events.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                if ev.ready.is_error() || ev.ready.is_write_closed() {
                    return Err(e);
                }
                registration.clear_readiness(ev);
            }
            Err(e) => return Err(e),
        }
    }
}

impl StreamIo for TcpStream {
    type Source = mio::net::TcpStream;

    fn poll_evented(&self) -> &PollEvented<mio::net::TcpStream> {
        &self.io
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.io.get_ref().shutdown(how)
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
