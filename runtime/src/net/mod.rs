//! Networking on the runtime's reactor: TCP, UDP and Unix-domain sockets, and host
//! name lookup.
//!
//! Every type here is `Send + Sync + Unpin`, and every future its methods return is
//! `Send`. Creating a socket outside a runtime panics; after its runtime has shut
//! down, every operation on a socket fails with an `io::Error` of kind `Other`.
//!
//! Addresses are given as anything [`ToSocketAddrs`]: a literal resolves on the spot,
//! a host name on the blocking pool ([`lookup_host`]).
//!
//! # Examples
//!
//! ```
//! use runtime::io::{AsyncReadExt, AsyncWriteExt};
//! use runtime::net::{TcpListener, TcpStream};
//!
//! runtime::Runtime::new()?.block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let mut client = TcpStream::connect(listener.local_addr()?).await?;
//!     let (mut server, _) = listener.accept().await?;
//!     client.write_all(b"ping").await?;
//!     let mut buf = [0; 4];
//!     server.read_exact(&mut buf).await?;
//!     assert_eq!(&buf, b"ping");
//!     Ok::<(), std::io::Error>(())
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

mod addr;
mod split;
pub(crate) mod stream_io;
pub mod tcp;
mod udp;
pub mod unix;

pub use self::addr::{lookup_host, ToSocketAddrs};
pub use self::tcp::listener::TcpListener;
pub use self::tcp::stream::TcpStream;
pub use self::udp::UdpSocket;
pub use self::unix::datagram::UnixDatagram;
pub use self::unix::listener::UnixListener;
pub use self::unix::stream::UnixStream;
