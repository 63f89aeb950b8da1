//! Asynchronous I/O: the traits, their extensions, and readiness for any file
//! descriptor ([`unix::AsyncFd`]).
//!
//! The traits are `futures-io`'s and the extension methods `futures-util`'s,
//! re-exported: code written against them works on any runtime, and ours implement
//! them. The sockets themselves are in [`crate::net`]. The reactor behind them is
//! described in `io/README.md`.
//!
//! ```
//! use runtime::io::{AsyncReadExt, AsyncWriteExt};
//! use runtime::net::{TcpListener, TcpStream};
//!
//! runtime::Runtime::new()?.block_on(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await?;
//!     let addr = listener.local_addr()?;
//!     // The server is a hot task: it is accepting before `connect` is called.
//!     let server = runtime::spawn(async move {
//!         let (mut stream, _) = listener.accept().await?;
//!         let mut buf = [0; 5];
//!         stream.read_exact(&mut buf).await?;
//!         stream.write_all(&buf).await?;
//!         std::io::Result::Ok(())
//!     });
//!     let mut client = TcpStream::connect(addr).await?;
//!     client.write_all(b"hello").await?;
//!     let mut back = [0; 5];
//!     client.read_exact(&mut back).await?;
//!     assert_eq!(&back, b"hello");
//!     server.await.expect("the server task finished")
//! })?;
//! # Ok::<(), std::io::Error>(())
//! ```

pub use futures_io::{AsyncBufRead, AsyncRead, AsyncSeek, AsyncWrite};
pub use futures_util::io::{
    AsyncBufReadExt, AsyncReadExt, AsyncSeekExt, AsyncWriteExt, ReadHalf, WriteHalf,
};

pub(crate) mod driver;
mod ready;
pub(crate) mod registration;
pub(crate) mod scheduled_io;
pub(crate) mod slab;
pub(crate) mod sys;

pub use self::ready::{Interest, Ready};
#[cfg(not(loom))]
pub(crate) use self::registration::PollEvented;
pub(crate) use self::registration::ReadyEvent;
#[cfg(not(loom))]
pub(crate) use self::registration::Registration;

/// Unix-specific I/O: readiness for a file descriptor the caller owns.
#[cfg(not(loom))]
pub mod unix {
    pub use super::async_fd::{AsyncFd, AsyncFdReadyGuard, AsyncFdReadyMutGuard, TryIoError};
}
#[cfg(not(loom))]
mod async_fd;

#[cfg(all(test, not(loom)))]
mod tests;
