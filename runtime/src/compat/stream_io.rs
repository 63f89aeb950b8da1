//! The read and write paths shared by the `hyper` and `tokio-io` impls: every stream
//! type (TCP, Unix, and the owned halves) reaches its `PollEvented` through
//! [`StreamIo`] (net/stream_io.rs, as for the `futures-io` impls), and the impls are
//! written once against it.

#[cfg(feature = "tokio-io")]
use std::io::Read;
use std::io::{self, IoSlice, Write};
#[cfg(feature = "hyper")]
use std::mem::MaybeUninit;
use std::task::{Context, Poll};

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

#[cfg(feature = "tokio-io")]
/// Reads into an initialised `buf` (the `futures-io` path, shared).
pub(super) fn poll_read<S: StreamIo + ?Sized>(
    stream: &S,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>>
where
    for<'a> &'a S::Source: Read,
{
    stream.poll_evented().poll_read(cx, buf)
}

pub(super) fn poll_write<S: StreamIo + ?Sized>(
    stream: &S,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>>
where
    for<'a> &'a S::Source: Write,
{
    stream.poll_evented().poll_write(cx, buf)
}

pub(super) fn poll_write_vectored<S: StreamIo + ?Sized>(
    stream: &S,
    cx: &mut Context<'_>,
    bufs: &[IoSlice<'_>],
) -> Poll<io::Result<usize>>
where
    for<'a> &'a S::Source: Write,
{
    stream.poll_evented().poll_write_vectored(cx, bufs)
}
