//! Feature `tokio-io`: tokio's `AsyncRead` and `AsyncWrite` (tokio with no runtime
//! features) on `TcpStream`, `UnixStream` and their owned halves, for crates written
//! against tokio's I/O traits (tokio-util codecs, hyper-util's `TokioIo`,
//! tokio-rustls). Written against the stream's registration, like the `futures-io`
//! impls; no `unsafe`: tokio's `ReadBuf` initialises its unfilled part once and
//! remembers it.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::stream_io;
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

macro_rules! tokio_write {
    ($($ty:ty),*) => {$(
        impl AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                stream_io::poll_write(&*self, cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                stream_io::poll_write_vectored(&*self, cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            /// Nothing to flush: writes go straight to the socket.
            fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            /// Shuts down the write side; the peer reads end of stream.
            fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.shutdown_write())
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
tokio_write!(
    TcpStream,
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
    let n = ready!(stream_io::poll_read(stream, cx, buf.initialize_unfilled()))?;
    buf.advance(n);
    Poll::Ready(Ok(()))
}
