//! Feature `tokio-io`: tokio's `AsyncRead` and `AsyncWrite` (tokio with no runtime
//! features) on `TcpStream`, `UnixStream` and their owned halves, for crates written
//! against tokio's I/O traits (tokio-util codecs, hyper-util's `TokioIo`,
//! tokio-rustls). Written against the stream's registration, like the `futures-io`
//! impls; no `unsafe`: tokio's `ReadBuf` initialises its unfilled part once and
//! remembers it.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::stream_io::stream_write;
use crate::net::stream_io::StreamIo;
use crate::net::{tcp, unix, TcpStream, UnixStream};

macro_rules! tokio_read {
    ($($ty:ty),*) => {$(
        impl AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut ReadBuf<'_>,
            ) -> Poll<io::Result<()>> {
                poll_read_buf(&*self, cx, buf)
            }
        }
    )*};
}

tokio_read!(
    TcpStream,
    tcp::OwnedReadHalf,
    UnixStream,
    unix::OwnedReadHalf
);
stream_write!(
    AsyncWrite for TcpStream,
    tcp::OwnedWriteHalf,
    UnixStream,
    unix::OwnedWriteHalf
);

/// Reads into `buf`'s unfilled part (initialised by `ReadBuf` once, safely) and
/// advances it.
fn poll_read_buf<S: StreamIo>(
    stream: &S,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
) -> Poll<io::Result<()>>
where
    for<'a> &'a S::Source: io::Read,
{
    let io = stream.poll_evented();
    let n = ready!(io.poll_read(cx, buf.initialize_unfilled()))?;
    buf.advance(n);
    Poll::Ready(Ok(()))
}
