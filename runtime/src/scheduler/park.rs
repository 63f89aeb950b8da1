//! `Parker`: puts one worker thread to sleep until it is unparked.
//!
//! A token protocol over a mutex and condition variable (the std `thread::park`
//! design): `unpark` leaves a token, `park` consumes it, so an `unpark` that comes
//! before the `park` is never lost, and spurious condition-variable wake-ups are
//! filtered out by looking at the token.

use std::time::Instant;

use crate::sync::{AtomicUsize, Condvar, Mutex, Ordering};

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;

pub(crate) struct Parker {
    state: AtomicUsize,
    lock: Mutex<()>,
    cvar: Condvar,
}

impl Parker {
    pub(crate) fn new() -> Parker {
        Parker {
            state: AtomicUsize::new(EMPTY),
            lock: Mutex::new(()),
            cvar: Condvar::new(),
        }
    }

    /// Blocks until a token is available (or `deadline` passes), then consumes it.
    pub(crate) fn park(&self, deadline: Option<Instant>) {
        // Fast path: a token is already there. SeqCst on the state (every access below
        // too): it is the token hand-off itself, cheap next to the sleep it avoids, and
        // keeps the argument a plain interleaving one.
        if self
            .state
            .compare_exchange(NOTIFIED, EMPTY, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return;
        }
        let mut guard = self.lock.lock();
        match self
            .state
            .compare_exchange(EMPTY, PARKED, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => {}
            Err(NOTIFIED) => {
                // The token arrived between the fast path and the lock. Consumed with a
                // swap, not a store: an `unpark` may leave its token between our failed
                // CAS and this write, and a store would erase it while our CAS read only
                // the earlier `unpark`, so nothing would order the second unparker's
                // writes (shutdown's `is_shutdown`) before our return. The swap reads
                // the latest token and synchronises with whoever left it. (Found by the
                // loom model `task_refs_outlive_the_runtime`, where the worker missed
                // shutdown's flag and slept forever; `two_unparks_vs_park` isolates it.)
                self.state.swap(EMPTY, Ordering::SeqCst);
                return;
            }
            Err(actual) => unreachable!("one thread parks a Parker; found state {actual}"),
        }
        loop {
            match deadline {
                None => self.cvar.wait(&mut guard),
                Some(deadline) => {
                    if self.cvar.wait_until(&mut guard, deadline).timed_out() {
                        // Leave PARKED; whatever is there now (a late token or not) is
                        // consumed.
                        self.state.swap(EMPTY, Ordering::SeqCst);
                        return;
                    }
                }
            }
            if self
                .state
                .compare_exchange(NOTIFIED, EMPTY, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                return;
            }
            // Spurious wake-up: still PARKED, wait again.
        }
    }

    /// Leaves a token and wakes the thread if it sleeps.
    pub(crate) fn unpark(&self) {
        match self.state.swap(NOTIFIED, Ordering::SeqCst) {
            EMPTY | NOTIFIED => {}
            PARKED => {
                // Take the lock so the notification cannot fall between the parker's
                // check of the state and its wait on the condition variable.
                drop(self.lock.lock());
                self.cvar.notify_one();
            }
            actual => unreachable!("invalid Parker state {actual}"),
        }
    }
}
