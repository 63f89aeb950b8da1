//! `Parker`: puts one worker thread to sleep until it is unparked.
//!
//! A token protocol over a mutex and condition variable (the std `thread::park`
//! design): `unpark` leaves a token, `park` consumes it, so an `unpark` that comes
//! before the `park` is never lost, and spurious condition-variable wake-ups are
//! filtered out by looking at the token.
//!
//! A worker that drives the reactor parks *in the reactor* instead
//! (`park_in_driver`): it blocks in `epoll_wait`, and `unpark` writes the reactor's
//! waker (an eventfd) instead of signalling the condition variable. The state says
//! which (`PARKED_DRIVER`), so every unparker wakes the thread the way it sleeps
//! (io/README.md, "Waking the driver").

use std::time::Instant;

use crate::sync::{AtomicUsize, Condvar, Mutex, Ordering};

const EMPTY: usize = 0;
const PARKED: usize = 1;
const NOTIFIED: usize = 2;
/// Blocked in the reactor (`park_in_driver`): woken through the reactor's waker.
const PARKED_DRIVER: usize = 3;

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

    /// Blocks in the reactor: `wait` is one `epoll_wait` (with the park's deadline as
    /// its timeout), which `unpark` interrupts through `wake_driver`. Returns when
    /// `wait` does: on a token, an I/O event, the timeout, or spuriously (a stale
    /// eventfd write); the caller treats every return as a timed park's end. Consumes
    /// the token if one is there.
    ///
    /// No lost wake-up: the state goes `EMPTY -> PARKED_DRIVER` before `wait`, in one
    /// `SeqCst` CAS that fails if a token is there already; an `unpark` that comes
    /// after it swaps in `NOTIFIED`, sees `PARKED_DRIVER` and calls `wake_driver`,
    /// whose eventfd write makes the current or the next `epoll_wait` return.
    pub(crate) fn park_in_driver<R>(&self, wait: impl FnOnce() -> R) -> Option<R> {
        // The planted bug `driver_park` announces without looking for a token: an
        // unpark that came first is lost.
        #[cfg(loom_broken = "driver_park")]
        let decided = Ok::<usize, usize>(self.state.swap(PARKED_DRIVER, Ordering::SeqCst));
        #[cfg(not(loom_broken = "driver_park"))]
        let decided =
            self.state
                .compare_exchange(EMPTY, PARKED_DRIVER, Ordering::SeqCst, Ordering::SeqCst);
        match decided {
            Ok(_) => {}
            Err(NOTIFIED) => {
                // A token: consumed with a swap, as in `park` (an unpark may leave
                // another between the CAS and here).
                self.state.swap(EMPTY, Ordering::SeqCst);
                return None;
            }
            Err(actual) => unreachable!("one thread parks a Parker; found state {actual}"),
        }
        let r = wait();
        // Leave PARKED_DRIVER; a token left meanwhile is consumed. An unpark whose
        // swap saw PARKED_DRIVER has written (or will write) the eventfd, which makes
        // some later `epoll_wait` return at once: one spurious turn, never a lost one.
        self.state.swap(EMPTY, Ordering::SeqCst);
        Some(r)
    }

    /// Leaves a token and wakes the thread if it sleeps. A parker that may park in
    /// the reactor is unparked with `unpark_with`.
    pub(crate) fn unpark(&self) {
        self.unpark_with(|| unreachable!("this parker never parks in a reactor"));
    }

    /// Leaves a token and wakes the thread if it sleeps: through the condition
    /// variable, or by calling `wake_driver` if it blocks in the reactor.
    pub(crate) fn unpark_with(&self, wake_driver: impl FnOnce()) {
        match self.state.swap(NOTIFIED, Ordering::SeqCst) {
            EMPTY | NOTIFIED => {}
            #[cfg(not(loom_broken = "driver_wake"))]
            PARKED_DRIVER => wake_driver(),
            #[cfg(loom_broken = "driver_wake")]
            PARKED_DRIVER => {
                let _ = wake_driver;
                drop(self.lock.lock());
                self.cvar.notify_one();
            }
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
