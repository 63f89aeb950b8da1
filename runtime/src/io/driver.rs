//! The reactor: one epoll set per runtime, polled by the workers themselves.
//!
//! See io/README.md for who drives it, how a driving worker is woken, and the
//! token argument. In short:
//!
//! - **D1 (one poller).** `selector` is behind a mutex that is only ever
//!   *try*-locked: a parking worker that wins it blocks in `epoll_wait` (`turn` with
//!   the park's deadline as timeout); a busy worker that wins it at its injector
//!   check turns with a zero timeout. Nobody ever waits for the lock.
//! - **D2 (dispatch).** A turn collects the registrations its events name under the
//!   table lock (generation-checked keys: a stale token names nothing), releases it,
//!   then sets each one's readiness and calls its wakers. On a worker thread those
//!   wakes are pushes to that worker's own queue.
//! - **D3 (close).** Runtime shutdown closes the table: every registration is shut
//!   down (its waiters woken with an error) and new ones are refused.

use std::io;
use std::time::Duration;

#[cfg(not(loom))]
use super::ready::Interest;
use super::ready::Ready;
use super::scheduled_io::ScheduledIo;
use super::slab::{Key, Slab};
use super::sys;
use crate::sync::{Arc, AtomicUsize, Mutex, MutexGuard, Ordering};

pub(crate) struct Reactor {
    /// D1: try-locked only.
    selector: Mutex<Turn>,
    registry: sys::Registry,
    waker: sys::Waker,
    table: Mutex<Table>,
    /// Live registrations: a busy worker skips its zero-timeout turn (a syscall)
    /// when there are none.
    registered: AtomicUsize,
}

struct Table {
    slab: Slab<Arc<ScheduledIo>>,
    closed: bool,
}

/// The poller's own state, held with the selector lock.
pub(crate) struct Turn {
    selector: sys::Selector,
    events: Vec<(usize, Ready)>,
    dispatch: Vec<(Arc<ScheduledIo>, Ready)>,
}

/// The selector, held by the worker that polls (D1).
pub(crate) struct Driver<'a> {
    reactor: &'a Reactor,
    turn: MutexGuard<'a, Turn>,
}

impl Reactor {
    pub(crate) fn new() -> io::Result<Reactor> {
        let (selector, registry, waker) = sys::Selector::new()?;
        Ok(Reactor {
            selector: Mutex::new(Turn {
                selector,
                events: Vec::new(),
                dispatch: Vec::new(),
            }),
            registry,
            waker,
            table: Mutex::new(Table {
                slab: Slab::new(),
                closed: false,
            }),
            registered: AtomicUsize::new(0),
        })
    }

    /// D1: the selector, if no other thread holds it.
    pub(crate) fn try_drive(&self) -> Option<Driver<'_>> {
        let turn = self.selector.try_lock()?;
        Some(Driver {
            reactor: self,
            turn,
        })
    }

    /// Whether any resource is registered (a hint: busy workers skip their
    /// zero-timeout turn when not).
    pub(crate) fn has_registrations(&self) -> bool {
        // Relaxed: a hint. A registration this load misses is polled by the next
        // check or by the parking worker that drives (which does not look at it).
        self.registered.load(Ordering::Relaxed) != 0
    }

    /// Makes the current or next `epoll_wait` return (the waker's eventfd).
    pub(crate) fn wake(&self) {
        // An eventfd write fails only if its counter would overflow, and then it is
        // already non-zero: the wait returns either way.
        let _ = self.waker.wake();
    }

    /// Adds `io` to the table; `Err` once the runtime has shut down (D3).
    fn insert(&self, io: Arc<ScheduledIo>) -> io::Result<Key> {
        let mut table = self.table.lock();
        if table.closed {
            return Err(super::registration::shutdown_error());
        }
        let key = table
            .slab
            .insert(io)
            .ok_or_else(|| io::Error::other("the reactor's registration table is full"))?;
        // Relaxed: a hint (see `has_registrations`).
        self.registered.fetch_add(1, Ordering::Relaxed);
        Ok(key)
    }

    /// Removes the entry at `key` (if still there).
    pub(crate) fn remove(&self, key: Key) {
        let mut table = self.table.lock();
        if table.slab.remove(key).is_some() {
            // Relaxed: a hint.
            self.registered.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Registers a mio source; returns its key and shared state.
    #[cfg(not(loom))]
    pub(crate) fn register(
        &self,
        source: &mut impl mio::event::Source,
        interest: Interest,
    ) -> io::Result<(Key, Arc<ScheduledIo>)> {
        let io = Arc::new(ScheduledIo::new());
        let key = self.insert(io.clone())?;
        if let Err(e) =
            self.registry
                .register(source, mio::Token(key.to_token()), interest.to_mio())
        {
            self.remove(key);
            return Err(e);
        }
        Ok((key, io))
    }

    /// Removes a mio source from epoll and from the table. The caller shuts the
    /// registration's state down (waking its waiters).
    #[cfg(not(loom))]
    pub(crate) fn deregister(
        &self,
        source: &mut impl mio::event::Source,
        key: Key,
    ) -> io::Result<()> {
        // First out of epoll, so no new event names the key; then out of the table,
        // so a stale event already collected finds nothing (io/README.md, tokens).
        let r = self.registry.deregister(source);
        self.remove(key);
        r
    }

    /// Registers a model resource (loom).
    #[cfg(loom)]
    pub(crate) fn register_model(&self) -> io::Result<(Key, Arc<ScheduledIo>, sys::ModelSource)> {
        let io = Arc::new(ScheduledIo::new());
        let key = self.insert(io.clone())?;
        let source = self.registry.register_model(key.to_token());
        Ok((key, io, source))
    }

    /// Removes a model resource (loom).
    #[cfg(loom)]
    pub(crate) fn deregister_model(&self, key: Key) {
        self.remove(key);
    }

    /// D3: shuts every registration down and refuses new ones.
    pub(crate) fn close(&self) {
        let ios: Vec<Arc<ScheduledIo>> = {
            let mut table = self.table.lock();
            table.closed = true;
            table.slab.iter().cloned().collect()
        };
        for io in ios {
            io.shutdown();
        }
    }
}

impl Driver<'_> {
    /// One turn (D2): waits for events up to `timeout` (`None`: until an event or a
    /// wake), then dispatches them. Returns how many wakers were called.
    pub(crate) fn turn(&mut self, timeout: Option<Duration>) -> usize {
        let turn = &mut *self.turn;
        turn.events.clear();
        if let Err(e) = turn.selector.select(&mut turn.events, timeout) {
            // Nothing a worker can do about a failing epoll_wait (EBADF, EFAULT,
            // EINVAL are bugs); report it and go on as after a spurious wake-up.
            debug_assert!(false, "epoll_wait failed: {e}");
            return 0;
        }
        self.dispatch()
    }

    fn dispatch(&mut self) -> usize {
        let turn = &mut *self.turn;
        if turn.events.is_empty() {
            return 0;
        }
        {
            let table = self.reactor.table.lock();
            for &(token, ready) in &turn.events {
                if let Some(io) = table.slab.get(Key::from_token(token)) {
                    turn.dispatch.push((io.clone(), ready));
                }
            }
        }
        let mut woken = 0;
        for (io, ready) in turn.dispatch.drain(..) {
            woken += io.set_readiness(ready);
        }
        woken
    }
}
