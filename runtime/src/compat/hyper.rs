//! Feature `hyper`: hyper 1.x's runtime traits, so a hyper server or client runs on
//! this runtime with no adapter crate.
//!
//! - [`Handle`] is a `hyper::rt::Executor` (spawns; the `JoinHandle` is dropped);
//! - [`Timer`] is a `hyper::rt::Timer` on our [`Sleep`]; `reset` re-arms the sleep in
//!   place;
//! - `TcpStream`, `UnixStream` and their owned halves implement `hyper::rt::Read` and
//!   `hyper::rt::Write` (the read half reads, the write half writes), written against
//!   the stream's registration like the `futures-io` impls.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::{Read, ReadBufCursor, Write};

use super::stream_io::{self, stream_write};
use crate::net::stream_io::StreamIo;
use crate::net::{tcp, unix, TcpStream, UnixStream};
use crate::time::{sleep, sleep_until, Sleep};
use crate::Handle;

impl<F> hyper::rt::Executor<F> for Handle
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    /// Spawns `future` as a detached task on this runtime.
    fn execute(&self, future: F) {
        drop(self.spawn(future));
    }
}

/// The runtime's timer as a [`hyper::rt::Timer`] (feature `hyper`): hand it to a hyper
/// builder's `timer` method and hyper's timeouts (header read timeout, keep-alive
/// pings) sleep on the runtime's [`Sleep`].
///
/// `Timer::reset` re-arms the existing sleep in place ([`Sleep::reset`]): no new
/// allocation when hyper moves a deadline, as it does for every request on a kept-alive
/// connection.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use hyper::rt::Timer as _;
/// use runtime::time::{Instant, Timer};
///
/// runtime::Runtime::new()?.block_on(async {
///     let start = Instant::now();
///     let mut s = Timer.sleep(Duration::from_secs(3600));
///     // Moved to 5 ms from now, in place.
///     Timer.reset(&mut s, start + Duration::from_millis(5));
///     s.await;
///     let waited = start.elapsed();
///     assert!(waited >= Duration::from_millis(5) && waited < Duration::from_secs(3600));
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// A hyper server connection with a header read timeout on this timer:
///
/// ```
/// use hyper::server::conn::http1;
/// use runtime::time::Timer;
///
/// let mut builder = http1::Builder::new();
/// builder.timer(Timer).header_read_timeout(std::time::Duration::from_secs(5));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Timer;

/// Our [`Sleep`] as a `hyper::rt::Sleep`: the type `Timer::reset` downcasts to.
struct HyperSleep {
    inner: Sleep,
}

impl Future for HyperSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.get_mut().inner).poll(cx)
    }
}

impl hyper::rt::Sleep for HyperSleep {}

impl hyper::rt::Timer for Timer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep {
            inner: sleep(duration),
        })
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep {
            inner: sleep_until(deadline),
        })
    }

    /// Re-arms our sleep in place; a sleep from another timer is replaced.
    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<HyperSleep>() {
            Some(ours) => Pin::new(&mut ours.get_mut().inner).reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// `hyper::rt::Read` for a stream type: reads straight into hyper's (possibly
/// uninitialised) buffer.
macro_rules! hyper_read {
    ($($ty:ty),*) => {$(
        impl Read for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: ReadBufCursor<'_>,
            ) -> Poll<io::Result<()>> {
                poll_read_cursor(&*self, cx, buf)
            }
        }
    )*};
}

hyper_read!(
    TcpStream,
    tcp::OwnedReadHalf,
    UnixStream,
    unix::OwnedReadHalf
);
stream_write!(
    Write for TcpStream,
    tcp::OwnedWriteHalf,
    UnixStream,
    unix::OwnedWriteHalf
);

/// Reads into the unfilled part of hyper's buffer and advances it by what was read.
fn poll_read_cursor<S: StreamIo>(
    stream: &S,
    cx: &mut Context<'_>,
    mut buf: ReadBufCursor<'_>,
) -> Poll<io::Result<()>>
where
    S::Source: std::os::fd::AsRawFd,
{
    // SAFETY: `ReadBufCursor::as_mut` requires that no initialised byte of the slice be
    // de-initialised; `poll_read_uninit` only ever stores initialised bytes (what the
    // socket read).
    let unfilled = unsafe { buf.as_mut() };
    let n = ready!(stream_io::poll_read_uninit(stream, cx, unfilled))?;
    // SAFETY: `advance(n)` requires the first `n` unfilled bytes to be initialised:
    // `poll_read_uninit` returned `n`, the number of bytes `recv` stored at the
    // slice's start (`n <= unfilled.len()`).
    unsafe { buf.advance(n) };
    Poll::Ready(Ok(()))
}
