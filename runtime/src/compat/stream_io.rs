//! The read and write paths shared by the `hyper` and `tokio-io` impls: every stream
//! type (TCP, Unix, and the owned halves) reaches its `PollEvented` through
//! `StreamIo` (net/stream_io.rs), as the `futures-io` impls do. hyper's `rt::Write`
//! and tokio's `AsyncWrite` have the same methods, so [`stream_write!`] stamps both.

#[cfg(feature = "hyper")]
use std::io;
#[cfg(feature = "hyper")]
use std::mem::MaybeUninit;
#[cfg(feature = "hyper")]
use std::task::{Context, Poll};

#[cfg(feature = "hyper")]
use crate::net::stream_io::StreamIo;

#[cfg(feature = "hyper")]
/// Reads into `buf`, which may be uninitialised, with `recv(2)` on the socket's
/// descriptor: the kernel writes the bytes it returns and reads none, so nothing has
/// to be zeroed first. (Through `std::io::Read`, which takes `&mut [u8]`, hyper's
/// whole unfilled buffer, 8 KiB or more, was zeroed before every read: 1.5 % of the
/// workers' time serving small requests.) Returns how many bytes were read; exactly
/// the first that many elements of `buf` hold them and are initialised.
pub(super) fn poll_read_uninit<S: StreamIo + ?Sized>(
    stream: &S,
    cx: &mut Context<'_>,
    buf: &mut [MaybeUninit<u8>],
) -> Poll<io::Result<usize>>
where
    S::Source: std::os::fd::AsRawFd,
{
    let io = stream.poll_evented();
    let fd = std::os::fd::AsRawFd::as_raw_fd(io.get_ref());
    let len = buf.len();
    io.registration()
        .poll_io_clearing(cx, crate::io::registration::Direction::Read, len, || {
            // Why this is sound: `buf` is a live, exclusively borrowed slice of `len`
            // bytes, so the kernel may write up to `len` bytes at its start; `recv`
            // only writes (uninitialised bytes are never read), and `fd` is the open
            // socket that `io` owns for the whole call.
            // SAFETY: `buf` is writable for `len` bytes and `fd` is open (just above).
            let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), len, 0) };
            if n < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        })
}

/// Implements `$trait` (`hyper::rt::Write` or `tokio::io::AsyncWrite`) for each `$ty`,
/// a `StreamIo`. Writes go straight to the socket: nothing to flush; `poll_shutdown`
/// shuts down the write side.
macro_rules! stream_write {
    ($trait:ident for $($ty:ty),* $(,)?) => {$(
        impl $trait for $ty {
            fn poll_write(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                buf: &[u8],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::stream_io::StreamIo::poll_evented(&*self).poll_write(cx, buf)
            }

            fn poll_write_vectored(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
                bufs: &[std::io::IoSlice<'_>],
            ) -> std::task::Poll<std::io::Result<usize>> {
                $crate::net::stream_io::StreamIo::poll_evented(&*self)
                    .poll_write_vectored(cx, bufs)
            }

            fn is_write_vectored(&self) -> bool {
                true
            }

            /// Nothing to flush: writes go straight to the socket.
            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready(Ok(()))
            }

            /// Shuts down the write side; the peer reads end of stream.
            fn poll_shutdown(
                self: std::pin::Pin<&mut Self>,
                _cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<std::io::Result<()>> {
                std::task::Poll::Ready($crate::net::stream_io::StreamIo::shutdown_write(&*self))
            }
        }
    )*};
}

pub(super) use stream_write;
