//! One listener's self-pipe: the signal action writes a byte, the reactor wakes the
//! reader.
//!
//! Order of the parts' lives (what makes the action's `write` safe, rule P1): the
//! read end is registered with the reactor *before* the action is registered, and the
//! action is unregistered *before* the read end is closed. signal-hook-registry's
//! `unregister` returns only once no handler still runs the old action list, and the
//! write end lives inside the action's closure, which the registry drops after that.
//! So whenever the action runs, both ends are open: the write never hits a closed peer
//! (no `EPIPE`, no `SIGPIPE`) and never a reused fd.

use std::io::{self, Read, Write};
use std::task::{Context, Poll};

use signal_hook_registry::SigId;

use crate::io::registration::Direction;
use crate::io::{Interest, PollEvented};

/// How many bytes one read drains at most; more bytes mean a second read.
const DRAIN: usize = 64;

/// The read end of a listener's self-pipe and the id of the action that feeds it.
pub(super) struct Pipe {
    /// Dropped after `id` is unregistered (rule P1, in `Drop`).
    reader: PollEvented<mio::net::UnixStream>,
    id: SigId,
}

impl Pipe {
    /// Registers a new self-pipe for `signal` with the current runtime's reactor, then
    /// its action. `signal` must not be one of signal-hook-registry's forbidden signals
    /// (the caller checked: `register` panics on them).
    ///
    /// Panics outside a runtime (naming `what`).
    #[track_caller]
    pub(super) fn new(signal: i32, what: &'static str) -> io::Result<Pipe> {
        let (reader, writer) = mio::net::UnixStream::pair()?;
        // Registered first (P1); this is also what panics outside a runtime, before
        // anything process-wide has changed.
        let reader = PollEvented::new_with_interest(reader, Interest::READABLE, what)?;
        let action = move || {
            // A full buffer (`WouldBlock`) is fine: a byte is already waiting, and one
            // byte is enough to wake the reader, who drains them all.
            let _ = (&writer).write(&[1]);
        };
        // Why this is sound: `register` requires the action to be async-signal-safe. It only
        // calls `write(2)` (async-signal-safe per POSIX) on a non-blocking socket, so
        // it never blocks; its error is built from `errno` without allocating, and
        // signal-hook-registry saves and restores `errno` around the actions. It takes
        // no lock, allocates nothing and touches no other state. The socket is open
        // whenever the action can run (rule P1 above), and `write` on a socket never
        // raises `SIGPIPE` here because the peer is open. `signal` is not forbidden
        // (the caller checked), so `register` does not panic.
        // SAFETY: the invariants in the comment just above hold here.
        let id = unsafe { signal_hook_registry::register(signal, action) }?;
        Ok(Pipe { reader, id })
    }

    /// `Ready(Some(()))` once at least one byte has arrived since the last `Some`,
    /// draining them all; `Ready(None)` if the runtime shut down (or the read failed).
    pub(super) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        let mut buf = [0u8; DRAIN];
        let mut seen = false;
        loop {
            let read =
                self.reader
                    .registration()
                    .poll_io_clearing(cx, Direction::Read, DRAIN, || {
                        let mut reader: &mio::net::UnixStream = self.reader.get_ref();
                        reader.read(&mut buf)
                    });
            match read {
                // A full buffer: there may be more; read again.
                Poll::Ready(Ok(DRAIN)) => seen = true,
                // A short read drained the socket (and cleared its readiness).
                Poll::Ready(Ok(n)) if n > 0 => return Poll::Ready(Some(())),
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                // 0 (the write end closed) cannot happen while the action is
                // registered (P1); an error is the runtime's shutdown.
                Poll::Ready(_) => return Poll::Ready(seen.then_some(())),
                // Drained exactly at a multiple of DRAIN: the waker is registered.
                Poll::Pending if seen => return Poll::Ready(Some(())),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl Drop for Pipe {
    fn drop(&mut self) {
        // Rule P1: the action goes first; `reader` (a field) is dropped after this,
        // which deregisters and closes the read end. The write end closes when the
        // registry drops the action.
        signal_hook_registry::unregister(self.id);
    }
}
