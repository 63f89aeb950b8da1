//! Unix-domain sockets: [`UnixListener`](crate::net::UnixListener),
//! [`UnixStream`](crate::net::UnixStream), [`UnixDatagram`](crate::net::UnixDatagram),
//! the owned halves of [`UnixStream::into_split`](crate::net::UnixStream::into_split),
//! and the address type (std's).

pub(crate) mod datagram;
pub(crate) mod listener;
mod split;
pub(crate) mod stream;

pub use self::split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
/// The address of a Unix-domain socket: a path, unnamed, or (on Linux) abstract.
/// This is std's type.
pub use std::os::unix::net::SocketAddr;
