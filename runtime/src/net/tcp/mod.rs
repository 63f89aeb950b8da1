//! TCP: [`TcpListener`](crate::net::TcpListener), [`TcpStream`](crate::net::TcpStream),
//! and the owned halves of [`TcpStream::into_split`](crate::net::TcpStream::into_split).

pub(crate) mod listener;
mod split;
pub(crate) mod stream;

pub use self::split::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
