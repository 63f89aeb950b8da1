//! Which workers are parked or searching, and which one to wake.
//!
//! The protocol (see also `scheduler/README.md`):
//!
//! 1. A worker that runs out of work may become a *searcher* (it steals from its
//!    siblings) only while fewer than half of the workers search.
//! 2. A push of new work from outside the workers (spawn, wake), a spill, and a local
//!    push that makes a worker's queue two tasks long are followed by a `SeqCst` fence
//!    and then `notify_parked`, which wakes a parked worker only if **no worker is
//!    searching** and some worker is parked. The woken worker starts as a searcher. A
//!    searcher that finds work stops searching; if it was the last searcher it wakes
//!    another worker, so new work keeps a searcher looking at it while anyone is
//!    parked. (Other local pushes skip the notification: the pushing worker is awake
//!    and runs its own queue, so no task can be stranded; see `Core::push_back`.)
//! 3. A worker that parks first announces it (`transition_worker_to_parked`: one `SeqCst`
//!    read-modify-write under the sleepers lock), then issues a `SeqCst` fence and
//!    **rescans the queues** whose pushes notify: the injector, the spilled batches,
//!    and local queues of two tasks or more (`Scheduler::has_work`). If anything is
//!    there it takes itself off the sleepers list instead of sleeping.
//!
//! No wake-up is lost: a pusher either sees the parker's announcement (and then some
//! parked worker is woken, unless a searcher exists, which will find the work or
//! rescan when it parks), or the pusher's fence comes first in the single `SeqCst`
//! order, and then the parker's rescan, which follows its own announcement and fence,
//! sees the pushed work. That is the store-buffer (Dekker) pattern, closed by the two
//! fences; both sides' operations on `state` are `SeqCst` for the same reason.

use crate::sync::{AtomicUsize, Mutex, Ordering};

/// Bits 0..16: searching workers. Bits 16..: unparked workers.
const SEARCHING_MASK: usize = (1 << UNPARKED_SHIFT) - 1;
const UNPARKED_SHIFT: usize = 16;
const UNPARKED_ONE: usize = 1 << UNPARKED_SHIFT;

/// The most workers a runtime may have (`Builder::build` rejects more): what the state
/// word can count. Each count is at most the number of workers (a worker is counted
/// once as unparked, and once as searching), so both fit when the number does.
pub(crate) const MAX_WORKERS: usize = SEARCHING_MASK;

// The searching count never carries into the unparked count, and the unparked count
// fits in the bits above it (on 32-bit targets too).
const _: () = assert!(MAX_WORKERS <= SEARCHING_MASK);
const _: () = assert!(MAX_WORKERS <= usize::MAX >> UNPARKED_SHIFT);

pub(crate) struct Idle {
    state: AtomicUsize,
    /// Indices of the parked workers. Its length always equals workers − unparked
    /// (both change together under this lock).
    sleepers: Mutex<Vec<usize>>,
    num_workers: usize,
}

fn searching(state: usize) -> usize {
    state & SEARCHING_MASK
}

fn unparked(state: usize) -> usize {
    state >> UNPARKED_SHIFT
}

impl Idle {
    pub(crate) fn new(num_workers: usize) -> Idle {
        assert!(
            num_workers <= MAX_WORKERS,
            "at most {MAX_WORKERS} workers (Builder::build checks)"
        );
        Idle {
            state: AtomicUsize::new(num_workers * UNPARKED_ONE),
            sleepers: Mutex::new(Vec::with_capacity(num_workers)),
            num_workers,
        }
    }

    /// Rule 1. Returns whether the caller may search.
    pub(crate) fn transition_worker_to_searching(&self) -> bool {
        let state = self.state.load(Ordering::SeqCst);
        if 2 * searching(state) >= self.num_workers {
            return false;
        }
        // The check and the increment are not one atomic step: two workers may both
        // pass. The bound is a heuristic against thundering herds, not an invariant.
        self.state.fetch_add(1, Ordering::SeqCst);
        true
    }

    /// Rule 2: a searcher found work. Returns whether it was the last searcher.
    pub(crate) fn transition_worker_from_searching(&self) -> bool {
        let prev = self.state.fetch_sub(1, Ordering::SeqCst);
        debug_assert!(searching(prev) > 0);
        searching(prev) == 1
    }

    /// Rule 3: announce that worker `index` parks. The caller rescans after this.
    pub(crate) fn transition_worker_to_parked(&self, index: usize, is_searching: bool) {
        let mut sleepers = self.sleepers.lock();
        let dec = UNPARKED_ONE + usize::from(is_searching);
        let prev = self.state.fetch_sub(dec, Ordering::SeqCst);
        debug_assert!(unparked(prev) > 0 && searching(prev) >= usize::from(is_searching));
        sleepers.push(index);
    }

    /// Rule 2: picks a parked worker to wake, and counts it as unparked and searching.
    /// The caller has issued a `SeqCst` fence since its push.
    pub(crate) fn worker_to_notify(&self) -> Option<usize> {
        if !self.should_notify() {
            return None;
        }
        let mut sleepers = self.sleepers.lock();
        // Check again under the lock: another pusher may have woken one already.
        if !self.should_notify() {
            return None;
        }
        let index = sleepers.pop()?;
        self.state.fetch_add(UNPARKED_ONE + 1, Ordering::SeqCst);
        Some(index)
    }

    fn should_notify(&self) -> bool {
        let state = self.state.load(Ordering::SeqCst);
        searching(state) == 0 && unparked(state) < self.num_workers
    }

    /// Rule 3: the rescan found work, or the park ended without a notification (a
    /// timer deadline). Takes worker `index` off the sleepers list if it is still
    /// there; returns whether it is searching (a notifier popped it first and counted
    /// it as a searcher).
    pub(crate) fn unpark_self(&self, index: usize) -> bool {
        let mut sleepers = self.sleepers.lock();
        match sleepers.iter().position(|&i| i == index) {
            Some(pos) => {
                sleepers.swap_remove(pos);
                self.state.fetch_add(UNPARKED_ONE, Ordering::SeqCst);
                false
            }
            None => true,
        }
    }

    /// Workers not parked now (a snapshot, for the monitor: worker.rs, rule M1).
    pub(crate) fn num_unparked(&self) -> usize {
        unparked(self.state.load(Ordering::SeqCst))
    }

    /// Whether worker `index` is on the sleepers list (not yet chosen by a notifier).
    pub(crate) fn is_sleeping(&self, index: usize) -> bool {
        self.sleepers.lock().contains(&index)
    }

    /// Number of workers searching now (a snapshot, for the tests).
    #[cfg(test)]
    fn num_searching(&self) -> usize {
        searching(self.state.load(Ordering::SeqCst))
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Idle;

    #[test]
    fn at_most_half_search() {
        let idle = Idle::new(4);
        assert!(idle.transition_worker_to_searching());
        assert!(idle.transition_worker_to_searching());
        assert!(
            !idle.transition_worker_to_searching(),
            "2 of 4 already search"
        );
        assert!(!idle.transition_worker_from_searching());
        assert!(
            idle.transition_worker_from_searching(),
            "the last searcher is told so"
        );
    }

    #[test]
    fn notify_wakes_only_when_nobody_searches() {
        let idle = Idle::new(2);
        assert_eq!(idle.worker_to_notify(), None, "nobody is parked");
        idle.transition_worker_to_parked(1, false);
        assert!(idle.transition_worker_to_searching());
        assert_eq!(
            idle.worker_to_notify(),
            None,
            "a searcher will find the work"
        );
        assert!(idle.transition_worker_from_searching());
        assert_eq!(idle.worker_to_notify(), Some(1));
        assert_eq!(idle.num_searching(), 1, "the woken worker searches");
        assert!(!idle.is_sleeping(1));
        assert!(idle.unpark_self(1), "already popped: it is a searcher");
    }

    #[test]
    fn unpark_self_takes_the_worker_off_the_list() {
        let idle = Idle::new(2);
        idle.transition_worker_to_parked(0, false);
        assert!(idle.is_sleeping(0));
        assert!(!idle.unpark_self(0));
        assert!(!idle.is_sleeping(0));
        assert_eq!(idle.worker_to_notify(), None, "everyone is unparked again");
    }
}
