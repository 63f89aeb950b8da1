//! Asynchronous I/O: the traits, their extensions, and readiness for any file
//! descriptor ([`unix::AsyncFd`]).
//!
//! The traits are `futures-io`'s and the extension methods `futures-util`'s,
//! re-exported: code written against them works on any runtime, and ours implement
//! them. The sockets themselves are in [`crate::net`]. The reactor behind them is
//! described in `io/README.md`.

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
