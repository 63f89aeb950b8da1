//! What the stream types (`TcpStream`, `UnixStream` and their owned halves) share for
//! the I/O trait impls: [`StreamIo`], the way from any of them to the stream's
//! `PollEvented`, and the `futures-io` `AsyncRead`/`AsyncWrite` impls, written once
//! against it. The `hyper` and `tokio-io` impls (compat/) are written against it too.

use std::io::{self, IoSlice, IoSliceMut};
use std::net::Shutdown;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use crate::io::PollEvented;
use crate::net::{tcp, unix, TcpStream, UnixStream};

/// A stream socket seen through its registration: the `PollEvented` of a
/// `TcpStream` or `UnixStream` (for an owned half or a `&` reference, the one of the
/// stream it belongs to), and how to shut down its write side.
pub(crate) trait StreamIo {
    /// The mio stream (`&Source` reads and writes).
    type Source: mio::event::Source;

    fn poll_evented(&self) -> &PollEvented<Self::Source>;

    /// The stream's `shutdown`.
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;

    /// `poll_close` (`poll_shutdown`): shuts down the write side. A stream that is no
    /// longer connected (the peer reset it) has no write side left to close, so that
    /// is `Ok` too.
    fn shutdown_write(&self) -> io::Result<()> {
        match self.shutdown(Shutdown::Write) {
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            r => r,
        }
    }
}

/// `&TcpStream` and `&UnixStream` read and write too.
impl<S: StreamIo + ?Sized> StreamIo for &S {
    type Source = S::Source;

    fn poll_evented(&self) -> &PollEvented<S::Source> {
        (**self).poll_evented()
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        (**self).shutdown(how)
    }
}

/// Implements `futures_io::AsyncRead` for each `$ty` (a [`StreamIo`]).
macro_rules! futures_read {
    ($($ty:ty),* $(,)?) => {$(
        impl AsyncRead for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &mut [u8],
            ) -> Poll<io::Result<usize>> {
                StreamIo::poll_evented(&*self).poll_read(cx, buf)
            }

            fn poll_read_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &mut [IoSliceMut<'_>],
            ) -> Poll<io::Result<usize>> {
                StreamIo::poll_evented(&*self).poll_read_vectored(cx, bufs)
            }
        }
    )*};
}

/// Implements `futures_io::AsyncWrite` for each `$ty` (a [`StreamIo`]).
macro_rules! futures_write {
    ($($ty:ty),* $(,)?) => {$(
        impl AsyncWrite for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                StreamIo::poll_evented(&*self).poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                bufs: &[IoSlice<'_>],
            ) -> Poll<io::Result<usize>> {
                StreamIo::poll_evented(&*self).poll_write_vectored(cx, bufs)
            }

            /// Nothing to flush: writes go straight to the socket.
            fn poll_flush(
                self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
            ) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            /// Shuts down the write side; the peer reads end of stream.
            fn poll_close(
                self: Pin<&mut Self>,
                _cx: &mut Context<'_>,
            ) -> Poll<io::Result<()>> {
                Poll::Ready(StreamIo::shutdown_write(&*self))
            }
        }
    )*};
}

futures_read!(
    TcpStream,
    &TcpStream,
    tcp::OwnedReadHalf,
    UnixStream,
    &UnixStream,
    unix::OwnedReadHalf,
);
futures_write!(
    TcpStream,
    &TcpStream,
    tcp::OwnedWriteHalf,
    UnixStream,
    &UnixStream,
    unix::OwnedWriteHalf,
);
