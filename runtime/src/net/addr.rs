//! `ToSocketAddrs` (what `bind`, `connect` and `send_to` accept) and `lookup_host`.
//!
//! A literal address (`"127.0.0.1:80"`, `(Ipv4Addr::LOCALHOST, 80)`, a `SocketAddr`)
//! is parsed on the spot and never blocks. A host name goes to std's resolver
//! (`getaddrinfo`, which blocks) on the runtime's blocking pool.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::io::registration::shutdown_error;
use crate::JoinHandle;

/// Types that name one or more socket addresses: what [`TcpListener::bind`],
/// [`TcpStream::connect`], [`UdpSocket::bind`] and [`lookup_host`] accept.
///
/// Implemented for [`SocketAddr`], [`SocketAddrV4`], [`SocketAddrV6`], `(IpAddr, u16)`,
/// `(Ipv4Addr, u16)`, `(Ipv6Addr, u16)`, `(&str, u16)`, `(String, u16)`, `str` and
/// `String` (`"host:port"`), `[SocketAddr]`, `Vec<SocketAddr>`, and references to
/// any of these. The trait is sealed: its method is not public API.
///
/// Literal addresses resolve without blocking; a host name is looked up with std's
/// resolver on the runtime's blocking pool (see [`spawn_blocking`]).
///
/// [`TcpListener::bind`]: crate::net::TcpListener::bind
/// [`TcpStream::connect`]: crate::net::TcpStream::connect
/// [`UdpSocket::bind`]: crate::net::UdpSocket::bind
/// [`spawn_blocking`]: crate::spawn_blocking
///
/// # Examples
///
/// ```
/// use std::net::{Ipv4Addr, SocketAddr};
/// use runtime::net::TcpListener;
///
/// runtime::Runtime::new()?.block_on(async {
///     let a = TcpListener::bind("127.0.0.1:0").await?;
///     let b = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
///     let c = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
///     for l in [a, b, c] {
///         assert!(l.local_addr()?.ip().is_loopback());
///     }
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait ToSocketAddrs: sealed::ToSocketAddrsPriv {}

pub(crate) mod sealed {
    //! The sealed half of `ToSocketAddrs` (not public API).
    #![allow(unreachable_pub)]

    use super::Resolve;

    /// Not public API: how an address argument turns into socket addresses.
    pub trait ToSocketAddrsPriv {
        /// Starts resolving: ready at once for a literal, on the blocking pool for a
        /// host name.
        #[doc(hidden)]
        fn to_socket_addrs(&self, _: Private) -> Resolve;
    }

    /// A token only this crate can make, so nobody else can call the method.
    #[derive(Debug, Clone, Copy)]
    pub struct Private(pub(crate) ());
}

/// Not public API: a resolution under way.
#[doc(hidden)]
#[derive(Debug)]
pub enum Resolve {
    /// Resolved already (a literal, or an error).
    Ready(Option<io::Result<Vec<SocketAddr>>>),
    /// A host name being looked up on the blocking pool.
    Blocking(JoinHandle<io::Result<Vec<SocketAddr>>>),
}

impl Future for Resolve {
    type Output = io::Result<Vec<SocketAddr>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut *self {
            Resolve::Ready(out) => {
                Poll::Ready(out.take().expect("Resolve polled after completion"))
            }
            Resolve::Blocking(join) => Pin::new(join).poll(cx).map(|r| match r {
                Ok(out) => out,
                // The only way the lookup does not finish: its runtime shut down
                // before it ran.
                Err(e) if e.is_cancelled() => Err(shutdown_error()),
                Err(e) => Err(io::Error::other(format!(
                    "the host name lookup panicked: {e}"
                ))),
            }),
        }
    }
}

/// Resolves `addr` (without blocking for a literal).
pub(crate) fn resolve<A: ToSocketAddrs + ?Sized>(addr: &A) -> Resolve {
    addr.to_socket_addrs(sealed::Private(()))
}

/// Resolves `addr` and runs `f` on each address in turn until one succeeds;
/// returns the last error if none does.
pub(crate) async fn each_addr<A, R, F, Fut>(addr: &A, mut f: F) -> io::Result<R>
where
    A: ToSocketAddrs + ?Sized,
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<R>>,
{
    let addrs = resolve(addr).await?;
    let mut last = None;
    for addr in addrs {
        match f(addr).await {
            Ok(r) => return Ok(r),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(no_addresses))
}

/// The error for an address argument that named no address at all.
pub(crate) fn no_addresses() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "could not resolve to any address",
    )
}

fn ready(addrs: Vec<SocketAddr>) -> Resolve {
    Resolve::Ready(Some(Ok(addrs)))
}

/// Looks `host` up on the blocking pool; `host` is `"name:port"` or `("name", port)`.
fn blocking<H>(host: H) -> Resolve
where
    H: std::net::ToSocketAddrs + Send + 'static,
{
    Resolve::Blocking(crate::spawn_blocking(move || {
        std::net::ToSocketAddrs::to_socket_addrs(&host).map(Iterator::collect)
    }))
}

/// Resolves a host name (or a literal) to its socket addresses. A literal needs no
/// lookup; a name is resolved by std's resolver on the runtime's blocking pool.
///
/// # Errors
///
/// The resolver's error (for instance an unknown host name), or an `Other` error if
/// the runtime shut down before the lookup ran.
///
/// # Panics
///
/// Looking up a host name outside a runtime panics (it needs the blocking pool).
///
/// # Examples
///
/// ```
/// use runtime::net::lookup_host;
///
/// runtime::Runtime::new()?.block_on(async {
///     let mut addrs = lookup_host("127.0.0.1:8080").await?;
///     assert_eq!(addrs.next(), Some("127.0.0.1:8080".parse().unwrap()));
///     // A name goes through the system's resolver, off the workers.
///     let localhost: Vec<_> = lookup_host(("localhost", 80)).await?.collect();
///     assert!(localhost.iter().all(|a| a.ip().is_loopback() && a.port() == 80));
///     Ok::<(), std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn lookup_host<T: ToSocketAddrs>(
    host: T,
) -> io::Result<impl Iterator<Item = SocketAddr>> {
    Ok(resolve(&host).await?.into_iter())
}

macro_rules! literal {
    ($($ty:ty => |$s:ident| $body:expr;)*) => {$(
        impl ToSocketAddrs for $ty {}
        impl sealed::ToSocketAddrsPriv for $ty {
            fn to_socket_addrs(&self, _: sealed::Private) -> Resolve {
                let $s = self;
                ready($body)
            }
        }
    )*};
}

literal! {
    SocketAddr => |s| vec![*s];
    SocketAddrV4 => |s| vec![SocketAddr::V4(*s)];
    SocketAddrV6 => |s| vec![SocketAddr::V6(*s)];
    (IpAddr, u16) => |s| vec![SocketAddr::new(s.0, s.1)];
    (Ipv4Addr, u16) => |s| vec![SocketAddr::new(IpAddr::V4(s.0), s.1)];
    (Ipv6Addr, u16) => |s| vec![SocketAddr::new(IpAddr::V6(s.0), s.1)];
    [SocketAddr] => |s| s.to_vec();
    Vec<SocketAddr> => |s| s.clone();
}

impl<const N: usize> ToSocketAddrs for [SocketAddr; N] {}
impl<const N: usize> sealed::ToSocketAddrsPriv for [SocketAddr; N] {
    fn to_socket_addrs(&self, _: sealed::Private) -> Resolve {
        ready(self.to_vec())
    }
}

impl ToSocketAddrs for str {}
impl sealed::ToSocketAddrsPriv for str {
    fn to_socket_addrs(&self, _: sealed::Private) -> Resolve {
        match self.parse::<SocketAddr>() {
            Ok(addr) => ready(vec![addr]),
            Err(_) => blocking(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {}
impl sealed::ToSocketAddrsPriv for String {
    fn to_socket_addrs(&self, p: sealed::Private) -> Resolve {
        self.as_str().to_socket_addrs(p)
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl sealed::ToSocketAddrsPriv for (&str, u16) {
    fn to_socket_addrs(&self, _: sealed::Private) -> Resolve {
        let (host, port) = *self;
        match host.parse::<IpAddr>() {
            Ok(ip) => ready(vec![SocketAddr::new(ip, port)]),
            Err(_) => blocking((host.to_owned(), port)),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl sealed::ToSocketAddrsPriv for (String, u16) {
    fn to_socket_addrs(&self, p: sealed::Private) -> Resolve {
        (self.0.as_str(), self.1).to_socket_addrs(p)
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrs + ?Sized> sealed::ToSocketAddrsPriv for &T {
    fn to_socket_addrs(&self, p: sealed::Private) -> Resolve {
        (**self).to_socket_addrs(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now<A: ToSocketAddrs + ?Sized>(a: &A) -> io::Result<Vec<SocketAddr>> {
        match resolve(a) {
            Resolve::Ready(Some(r)) => r,
            other => panic!("a literal needed a lookup: {other:?}"),
        }
    }

    #[test]
    fn literals_resolve_without_a_runtime() {
        let v4: SocketAddr = "127.0.0.1:80".parse().unwrap();
        let v6: SocketAddr = "[::1]:443".parse().unwrap();
        assert_eq!(now("127.0.0.1:80").unwrap(), [v4]);
        assert_eq!(now(&String::from("[::1]:443")).unwrap(), [v6]);
        assert_eq!(now(&("127.0.0.1", 80)).unwrap(), [v4]);
        assert_eq!(now(&("::1".to_owned(), 443)).unwrap(), [v6]);
        assert_eq!(now(&(Ipv4Addr::LOCALHOST, 80)).unwrap(), [v4]);
        assert_eq!(
            now(&(IpAddr::from(Ipv6Addr::LOCALHOST), 443)).unwrap(),
            [v6]
        );
        assert_eq!(now(&[v4, v6][..]).unwrap(), [v4, v6]);
        assert_eq!(now(&[v4, v6]).unwrap(), [v4, v6]);
        assert_eq!(now(&&v4).unwrap(), [v4]);
        assert!(now(&[][..]).unwrap().is_empty());
    }
}
