//! `UdpSocket`: a UDP socket on the runtime's reactor.

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::task::{Context, Poll};

use crate::io::registration::Direction;
use crate::io::{Interest, PollEvented, Ready};
use crate::net::addr::{each_addr, no_addresses, resolve, ToSocketAddrs};

/// A UDP socket, driven by the runtime's reactor.
///
/// Unconnected, it sends to and receives from anyone ([`send_to`](Self::send_to),
/// [`recv_from`](Self::recv_from)); after [`connect`](Self::connect) it has a default
/// peer ([`send`](Self::send), [`recv`](Self::recv)) and receives only from it. All
/// methods take `&self`: share the socket between tasks with an `Arc`.
///
/// # Examples
///
/// ```
/// use runtime::net::UdpSocket;
///
/// runtime::Runtime::new()?.block_on(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await?;
///     let b = UdpSocket::bind("127.0.0.1:0").await?;
///     a.send_to(b"hello", b.local_addr()?).await?;
///
///     let mut buf = [0; 16];
///     let (n, from) = b.recv_from(&mut buf).await?;
///     assert_eq!(&buf[..n], b"hello");
///     assert_eq!(from, a.local_addr()?);
///
///     // Connected: a default peer.
///     b.connect(from).await?;
///     b.send(b"back").await?;
///     let n = a.recv(&mut buf).await?;
///     assert_eq!(&buf[..n], b"back");
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct UdpSocket {
    io: PollEvented<mio::net::UdpSocket>,
}

impl UdpSocket {
    /// Binds a socket to `addr`; every address `addr` resolves to is tried in order.
    ///
    /// # Errors
    ///
    /// The OS's error ([`AddrInUse`](io::ErrorKind::AddrInUse), ...), a resolver error,
    /// or `Other` if the runtime has shut down.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime.
    pub async fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        each_addr(&addr, |addr| async move {
            UdpSocket::new(mio::net::UdpSocket::bind(addr)?, "UdpSocket::bind")
        })
        .await
    }

    fn new(sys: mio::net::UdpSocket, what: &'static str) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            io: PollEvented::new(sys, what)?,
        })
    }

    /// Wraps a bound std socket, putting it into non-blocking mode.
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
    /// use runtime::net::UdpSocket;
    ///
    /// let std_socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// runtime::Runtime::new()?.block_on(async {
    ///     let socket = UdpSocket::from_std(std_socket)?;
    ///     let addr = socket.local_addr()?;
    ///     let back: std::net::UdpSocket = socket.into_std()?;
    ///     assert_eq!(back.local_addr()?, addr);
    ///     Ok::<(), std::io::Error>(())
    /// })?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        UdpSocket::new(mio::net::UdpSocket::from_std(socket), "UdpSocket::from_std")
    }

    /// Deregisters the socket and returns it as a std socket in blocking mode.
    ///
    /// # Errors
    ///
    /// If the mode cannot be set.
    pub fn into_std(self) -> io::Result<std::net::UdpSocket> {
        let std: std::net::UdpSocket = self.io.into_inner()?.into();
        std.set_nonblocking(false)?;
        Ok(std)
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().local_addr()
    }

    /// The default peer set by [`connect`](Self::connect).
    ///
    /// # Errors
    ///
    /// `NotConnected` if the socket is not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.get_ref().peer_addr()
    }

    /// Sets the default peer: [`send`](Self::send) goes there, and only its datagrams
    /// are received. Every address `addr` resolves to is tried in order.
    ///
    /// # Errors
    ///
    /// The OS's error, or a resolver error.
    pub async fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        let sys = self.io.get_ref();
        each_addr(&addr, |addr| async move { sys.connect(addr) }).await
    }

    /// Waits until a datagram may be received (see [`ready`](Self::ready)).
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    pub async fn readable(&self) -> io::Result<()> {
        self.ready(Interest::READABLE).await.map(drop)
    }

    /// Waits until a datagram may be sent (see [`ready`](Self::ready)).
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    pub async fn writable(&self) -> io::Result<()> {
        self.ready(Interest::WRITABLE).await.map(drop)
    }

    /// Waits until the socket is ready for any of `interest`: completes once the
    /// reactor has reported readiness since the last `WouldBlock`. Every waiting task
    /// is woken. Cancel-safe.
    ///
    /// # Errors
    ///
    /// `Other` if the runtime has shut down.
    pub async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        self.io.ready(interest).await
    }

    /// Sends `buf` to the connected peer; returns the number of bytes sent.
    ///
    /// # Errors
    ///
    /// The OS's error (`NotConnected` if [`connect`](Self::connect) was not called,
    /// `ConnectionRefused` after an ICMP port-unreachable), `Other` if the runtime
    /// has shut down.
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

    /// Polls to send `buf` to the connected peer. Only the task that polled last is
    /// woken.
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Write, |sys| sys.send(buf))
    }

    /// Receives one datagram from the connected peer into `buf`; the rest of a
    /// datagram longer than `buf` is discarded.
    ///
    /// # Errors
    ///
    /// The OS's error, `Other` if the runtime has shut down.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io
            .async_io(Interest::READABLE, |sys| sys.recv(buf))
            .await
    }

    /// Receives one datagram from the connected peer if one is waiting.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if none is; the OS's error otherwise.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io.try_io(Interest::READABLE, |sys| sys.recv(buf))
    }

    /// Polls to receive one datagram from the connected peer. Only the task that
    /// polled last is woken.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_io(cx, Direction::Read, |sys| sys.recv(buf))
    }

    /// Sends `buf` to `target` (the first address it resolves to).
    ///
    /// # Errors
    ///
    /// The OS's error, a resolver error, `InvalidInput` if `target` names no address,
    /// `Other` if the runtime has shut down.
    pub async fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], target: A) -> io::Result<usize> {
        let target = resolve(&target)
            .await?
            .into_iter()
            .next()
            .ok_or_else(no_addresses)?;
        self.io
            .async_io(Interest::WRITABLE, |sys| sys.send_to(buf, target))
            .await
    }

    /// Sends `buf` to `target` if the socket can take it now.
    ///
    /// # Errors
    ///
    /// `WouldBlock` if it cannot; the OS's error otherwise.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.io
            .try_io(Interest::WRITABLE, |sys| sys.send_to(buf, target))
    }

    /// Receives one datagram and the address it came from.
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

    /// Copies the next datagram and its sender into `buf` without removing it.
    ///
    /// # Errors
    ///
    /// The OS's error, `Other` if the runtime has shut down.
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.io
            .async_io(Interest::READABLE, |sys| sys.peek_from(buf))
            .await
    }

    /// Sets `SO_BROADCAST`.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_broadcast(on)
    }

    /// Whether `SO_BROADCAST` is set.
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.get_ref().broadcast()
    }

    /// Sets the IP time-to-live of outgoing datagrams.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_ttl(ttl)
    }

    /// The IP time-to-live of outgoing datagrams.
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.get_ref().ttl()
    }

    /// Sets `IP_MULTICAST_LOOP`.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v4(on)
    }

    /// Whether `IP_MULTICAST_LOOP` is set.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v4()
    }

    /// Sets `IP_MULTICAST_TTL`.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.io.get_ref().set_multicast_ttl_v4(ttl)
    }

    /// `IP_MULTICAST_TTL`.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.io.get_ref().multicast_ttl_v4()
    }

    /// Sets `IPV6_MULTICAST_LOOP`.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.io.get_ref().set_multicast_loop_v6(on)
    }

    /// Whether `IPV6_MULTICAST_LOOP` is set.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.io.get_ref().multicast_loop_v6()
    }

    /// Joins an IPv4 multicast group on `interface`.
    pub fn join_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().join_multicast_v4(&multiaddr, &interface)
    }

    /// Joins an IPv6 multicast group on the interface with index `interface`.
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv4 multicast group.
    pub fn leave_multicast_v4(&self, multiaddr: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v4(&multiaddr, &interface)
    }

    /// Leaves an IPv6 multicast group.
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.io.get_ref().leave_multicast_v6(multiaddr, interface)
    }

    /// Takes the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.get_ref().take_error()
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.io.get_ref().as_raw_fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.io.get_ref().as_fd()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .field("fd", &self.as_raw_fd())
            .finish()
    }
}
