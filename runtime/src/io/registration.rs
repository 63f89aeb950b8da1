//! `Registration`: one I/O resource's place in the reactor, and the readiness
//! protocol every socket type is written against. `PollEvented<E>`: a mio source
//! together with its registration, deregistered on drop.
//!
//! The contract for the socket types (net/, io/async_fd.rs):
//!
//! - An operation first waits for readiness (`poll_ready` / `readiness`), then tries
//!   the non-blocking syscall. On `WouldBlock` it calls `clear_readiness` with the
//!   event it waited for, and waits again; `poll_io`, `try_io` and `async_io` do
//!   exactly this loop, so socket code rarely calls the parts itself.
//! - `clear_readiness(ev)` clears only if no event arrived since `ev` was read (the
//!   tick in the readiness word), so a wake-up between the read and the clear is
//!   never lost.
//! - After the runtime shut down, or once the registration is deregistered, every
//!   wait completes with `Err(shutdown_error())` (kind `Other`).

use std::future::Future;
use std::io;
use std::task::{Context, Poll};

use super::driver::Reactor;
use super::ready::{Interest, Ready};
use super::scheduled_io::ScheduledIo;
use super::slab::Key;
use crate::sync::Arc;

/// Which of the two single-waiter slots `poll_ready` uses: the one task that reads
/// (`AsyncRead::poll_read`) and the one that writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    pub(crate) fn interest(self) -> Interest {
        match self {
            Direction::Read => Interest::READABLE,
            Direction::Write => Interest::WRITABLE,
        }
    }
}

/// A readiness observed by a waiter: the bits (restricted to its interest) and the
/// tick they were read at, for `clear_readiness`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadyEvent {
    pub(crate) ready: Ready,
    pub(crate) tick: u32,
}

/// The error every I/O operation of a shut-down runtime completes with.
pub(crate) fn shutdown_error() -> io::Error {
    io::Error::other("the runtime this I/O resource belongs to has shut down")
}

/// One I/O resource registered with the reactor of the runtime current when it was
/// created.
pub(crate) struct Registration {
    reactor: Arc<Reactor>,
    key: Key,
    io: Arc<ScheduledIo>,
}

/// The reactor of the current runtime, for `what` (panics outside a runtime).
pub(crate) fn current_reactor(what: &'static str) -> io::Result<Arc<Reactor>> {
    let handle = match crate::Handle::try_current() {
        Ok(handle) => handle,
        Err(e) => panic!("`{what}` called outside a runtime: {e}"),
    };
    match handle.shared.io() {
        Some(reactor) => Ok(reactor.clone()),
        None => Err(io::Error::other("this runtime was built without a reactor")),
    }
}

impl Registration {
    /// Registers `source` with the reactor of the current runtime, for `interest`.
    /// Panics outside a runtime with a message that names `what` (say
    /// `"TcpStream::connect"`) and the fix; returns `Err(shutdown_error())` if that
    /// runtime has shut down.
    #[cfg(not(loom))]
    pub(crate) fn new(
        source: &mut impl mio::event::Source,
        interest: Interest,
        what: &'static str,
    ) -> io::Result<Registration> {
        let reactor = current_reactor(what)?;
        let (key, io) = reactor.register(source, interest)?;
        Ok(Registration { reactor, key, io })
    }

    /// Removes `source` from the reactor; every waiter completes with an error.
    #[cfg(not(loom))]
    pub(crate) fn deregister(&self, source: &mut impl mio::event::Source) -> io::Result<()> {
        let r = self.reactor.deregister(source, self.key);
        self.io.shutdown();
        r
    }

    /// Polls for readiness in `dir` with the single waiter slot of that direction
    /// (the last task to poll it is the one woken).
    pub(crate) fn poll_ready(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
    ) -> Poll<io::Result<ReadyEvent>> {
        // The cooperative budget (task/coop.rs): a socket whose peer always has data
        // is ready at once.
        let spent = std::task::ready!(crate::task::coop::poll_proceed(cx));
        let r = self.io.poll_ready(cx, dir);
        if r.is_ready() {
            spent.made_progress();
        }
        r.map(|r| r.map_err(|()| shutdown_error()))
    }

    /// Clears `ev`'s bits unless a newer event arrived since it was read.
    pub(crate) fn clear_readiness(&self, ev: ReadyEvent) {
        self.io.clear_readiness(ev);
    }

    /// Waits until the resource is ready for `interest`; any number of tasks may wait
    /// at once (each is woken). `Send`; cancel-safe.
    pub(crate) fn readiness(
        &self,
        interest: Interest,
    ) -> impl Future<Output = io::Result<ReadyEvent>> + Send + '_ {
        Readiness {
            io: &self.io,
            interest,
            slot: None,
        }
    }

    /// The non-blocking readiness now, restricted to `interest` (`None` if not ready).
    pub(crate) fn ready_now(&self, interest: Interest) -> io::Result<Option<ReadyEvent>> {
        self.io.ready_now(interest).map_err(|()| shutdown_error())
    }

    /// `poll_ready`, then `f`; on `WouldBlock` clears and polls again.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        loop {
            let ev = match self.poll_ready(cx, dir) {
                Poll::Ready(Ok(ev)) => ev,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            match f() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(ev),
                r => return Poll::Ready(r),
            }
        }
    }

    /// `poll_io` for a stream's read or write of `len` bytes: a result short of `len`
    /// (and not 0) also clears the readiness it used (see `PollEvented::poll_read`).
    pub(crate) fn poll_io_clearing(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        len: usize,
        mut f: impl FnMut() -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            let ev = match self.poll_ready(cx, dir) {
                Poll::Ready(Ok(ev)) => ev,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            };
            match f() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(ev),
                Ok(n) if n > 0 && n < len => {
                    self.clear_readiness(ev);
                    return Poll::Ready(Ok(n));
                }
                r => return Poll::Ready(r),
            }
        }
    }

    /// `f` if the resource is ready for `interest` now, else `WouldBlock`; a
    /// `WouldBlock` from `f` clears the readiness it saw.
    pub(crate) fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce() -> io::Result<R>,
    ) -> io::Result<R> {
        let Some(ev) = self.ready_now(interest)? else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        let r = f();
        if matches!(&r, Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
            self.clear_readiness(ev);
        }
        r
    }

    /// Waits for `interest`, runs `f`, and repeats while `f` says `WouldBlock`.
    pub(crate) async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut() -> io::Result<R>,
    ) -> io::Result<R> {
        loop {
            let ev = self.readiness(interest).await?;
            match f() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(ev),
                r => return r,
            }
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Idempotent after `deregister`. A registration dropped without it (its
        // source closed by its owner) leaves no entry behind: the kernel drops a
        // closed fd from the epoll set, and a stale event already collected finds no
        // entry for its token.
        self.reactor.remove(self.key);
        self.io.shutdown();
    }
}

/// The future of [`Registration::readiness`]: a slot in the registration's waiter
/// list from its first `Pending` poll until it completes or is dropped.
struct Readiness<'a> {
    io: &'a ScheduledIo,
    interest: Interest,
    slot: Option<usize>,
}

impl Future for Readiness<'_> {
    type Output = io::Result<ReadyEvent>;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let spent = std::task::ready!(crate::task::coop::poll_proceed(cx));
        match this.io.poll_waiter(cx, this.interest, &mut this.slot) {
            Poll::Ready(r) => {
                spent.made_progress();
                this.io.drop_waiter(&mut this.slot);
                Poll::Ready(r.map_err(|()| shutdown_error()))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Readiness<'_> {
    fn drop(&mut self) {
        self.io.drop_waiter(&mut self.slot);
    }
}

/// A mio source with its registration. Dropping it deregisters the source (waking
/// whatever waits on it with an error), then drops (closes) the source.
#[cfg(not(loom))]
pub(crate) struct PollEvented<E: mio::event::Source> {
    io: Option<E>,
    registration: Registration,
}

#[cfg(not(loom))]
impl<E: mio::event::Source> PollEvented<E> {
    /// Registers `io` for reading and writing. Panics outside a runtime (naming `what`).
    pub(crate) fn new(io: E, what: &'static str) -> io::Result<Self> {
        Self::new_with_interest(io, Interest::READABLE | Interest::WRITABLE, what)
    }

    /// Registers `io` for `interest`. Panics outside a runtime (naming `what`).
    pub(crate) fn new_with_interest(
        mut io: E,
        interest: Interest,
        what: &'static str,
    ) -> io::Result<Self> {
        let registration = Registration::new(&mut io, interest, what)?;
        Ok(PollEvented {
            io: Some(io),
            registration,
        })
    }

    pub(crate) fn get_ref(&self) -> &E {
        self.io.as_ref().expect("present until into_inner")
    }

    pub(crate) fn registration(&self) -> &Registration {
        &self.registration
    }

    /// Deregisters and returns the source (still non-blocking).
    pub(crate) fn into_inner(mut self) -> io::Result<E> {
        let mut io = self.io.take().expect("present until into_inner");
        self.registration.deregister(&mut io)?;
        Ok(io)
    }

    /// Waits until the source is ready for any of `interest` and says what it is ready
    /// for ([`Registration::readiness`]: every waiting task is woken; cancel-safe).
    pub(crate) async fn ready(&self, interest: Interest) -> io::Result<Ready> {
        Ok(self.registration.readiness(interest).await?.ready)
    }

    /// Polls for readiness in `dir` with that direction's single waiter slot
    /// ([`Registration::poll_ready`]: only the task that polled last is woken).
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<io::Result<()>> {
        self.registration.poll_ready(cx, dir).map_ok(drop)
    }

    /// [`Registration::try_io`] on the source: `f(source)` if it is ready for
    /// `interest` now, else `WouldBlock`.
    pub(crate) fn try_io<R>(
        &self,
        interest: Interest,
        f: impl FnOnce(&E) -> io::Result<R>,
    ) -> io::Result<R> {
        let io = self.get_ref();
        self.registration.try_io(interest, || f(io))
    }

    /// [`Registration::async_io`] on the source: waits for `interest` and runs
    /// `f(source)` until it does not say `WouldBlock`.
    pub(crate) async fn async_io<R>(
        &self,
        interest: Interest,
        mut f: impl FnMut(&E) -> io::Result<R>,
    ) -> io::Result<R> {
        let io = self.get_ref();
        self.registration.async_io(interest, || f(io)).await
    }

    /// [`Registration::poll_io`] on the source: polls for readiness in `dir` and runs
    /// `f(source)` until it does not say `WouldBlock`.
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut f: impl FnMut(&E) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let io = self.get_ref();
        self.registration.poll_io(cx, dir, || f(io))
    }

    /// `try_read` for sources whose `&E` reads (a stream socket): what is there now,
    /// or `WouldBlock`.
    pub(crate) fn try_read(&self, buf: &mut [u8]) -> io::Result<usize>
    where
        for<'a> &'a E: io::Read,
    {
        self.try_io(Interest::READABLE, |mut io| io::Read::read(&mut io, buf))
    }

    /// `try_read_vectored` for sources whose `&E` reads.
    pub(crate) fn try_read_vectored(&self, bufs: &mut [io::IoSliceMut<'_>]) -> io::Result<usize>
    where
        for<'a> &'a E: io::Read,
    {
        self.try_io(Interest::READABLE, |mut io| {
            io::Read::read_vectored(&mut io, bufs)
        })
    }

    /// `try_write` for sources whose `&E` writes (a stream socket): what fits now, or
    /// `WouldBlock`.
    pub(crate) fn try_write(&self, buf: &[u8]) -> io::Result<usize>
    where
        for<'a> &'a E: io::Write,
    {
        self.try_io(Interest::WRITABLE, |mut io| io::Write::write(&mut io, buf))
    }

    /// `try_write_vectored` for sources whose `&E` writes.
    pub(crate) fn try_write_vectored(&self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize>
    where
        for<'a> &'a E: io::Write,
    {
        self.try_io(Interest::WRITABLE, |mut io| {
            io::Write::write_vectored(&mut io, bufs)
        })
    }

    /// `AsyncRead::poll_read` for sources whose `&E` reads (a stream socket).
    ///
    /// A read that returns fewer bytes than asked (but not 0) drained the socket's
    /// receive buffer, so it clears the readiness it used (rule R2 applies: an event
    /// since is kept): the next read waits for the next edge instead of paying a
    /// syscall that returns `WouldBlock`. Only for stream sockets, where a short read
    /// means an empty buffer; datagram sockets use `poll_io` directly.
    pub(crate) fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>
    where
        for<'a> &'a E: io::Read,
    {
        let io = self.get_ref();
        let asked = buf.len();
        self.registration
            .poll_io_clearing(cx, Direction::Read, asked, || {
                io::Read::read(&mut &*io, buf)
            })
    }

    /// `AsyncRead::poll_read_vectored` for sources whose `&E` reads. Unlike
    /// [`poll_read`](Self::poll_read), a short read keeps the readiness.
    pub(crate) fn poll_read_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &mut [io::IoSliceMut<'_>],
    ) -> Poll<io::Result<usize>>
    where
        for<'a> &'a E: io::Read,
    {
        let io = self.get_ref();
        self.registration.poll_io(cx, Direction::Read, || {
            io::Read::read_vectored(&mut &*io, bufs)
        })
    }

    /// `AsyncWrite::poll_write` for sources whose `&E` writes (a stream socket). A
    /// short write filled the send buffer: it clears the readiness it used, as a
    /// short read does.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>
    where
        for<'a> &'a E: io::Write,
    {
        let io = self.get_ref();
        self.registration
            .poll_io_clearing(cx, Direction::Write, buf.len(), || {
                io::Write::write(&mut &*io, buf)
            })
    }

    /// `AsyncWrite::poll_write_vectored` for sources whose `&E` writes.
    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>>
    where
        for<'a> &'a E: io::Write,
    {
        let io = self.get_ref();
        self.registration.poll_io(cx, Direction::Write, || {
            io::Write::write_vectored(&mut &*io, bufs)
        })
    }
}

#[cfg(not(loom))]
impl<E: mio::event::Source> Drop for PollEvented<E> {
    fn drop(&mut self) {
        if let Some(mut io) = self.io.take() {
            // Errors here (the runtime is gone, the fd was closed under us) leave
            // nothing to undo: the registration is marked closed either way.
            let _ = self.registration.deregister(&mut io);
        }
    }
}

#[cfg(not(loom))]
impl<E: mio::event::Source + std::fmt::Debug> std::fmt::Debug for PollEvented<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollEvented").field("io", &self.io).finish()
    }
}
