//! The task's state word: flags and a reference count in one atomic.
//!
//! The layout and the meaning of every bit are documented in `task/mod.rs`; each
//! constant below repeats who sets and clears it. A transition is a single
//! compare-and-swap loop (or one `fetch_*`), so that the whole state moves at once,
//! except where rule R3 (task/mod.rs) lets a thread that holds every reference
//! change the word with a load and a store, or free the task without writing it:
//! `transition_to_running` for a `Notified` that is the only reference, and
//! `transition_to_complete_and_release` for a completer holding every reference.

use std::fmt;

use crate::sync::{AtomicUsize, Ordering};

/// The task is being polled (or cancelled) by the thread that set this bit. Set by
/// `transition_to_running` / `transition_to_shutdown`; cleared by `transition_to_idle`
/// or `transition_to_complete`. Never set together with `COMPLETE`.
pub(super) const RUNNING: usize = 1 << 0;

/// The task has finished: its output (or error) is stored, its future is gone. Set
/// once by `transition_to_complete`, never cleared.
pub(super) const COMPLETE: usize = 1 << 1;

/// A wake-up is pending: either a `Notified` reference to the task sits in a run queue,
/// or the task was woken while `RUNNING` and the runner will re-queue it. Set by wakes;
/// cleared by `transition_to_running`. While it is set, further wakes do nothing, so a
/// task is never queued twice.
pub(super) const NOTIFIED: usize = 1 << 2;

/// The task was aborted or the runtime shut down. Set by `transition_to_notified_and_cancel`
/// and `transition_to_shutdown`; never cleared. The next thread to hold `RUNNING` drops
/// the future instead of polling it.
pub(super) const CANCELLED: usize = 1 << 3;

/// The `JoinHandle` is alive. Set at spawn; cleared once, when the handle is dropped.
/// Decides who drops the output (task/mod.rs, rule O2).
pub(super) const JOIN_INTEREST: usize = 1 << 4;

/// The join waker field holds a waker that the runtime may read. Set and cleared by the
/// `JoinHandle` while the task is not complete; cleared by the completer after it woke
/// the waker (task/mod.rs, rules J1–J4).
pub(super) const JOIN_WAKER: usize = 1 << 5;

const FLAGS_MASK: usize = REF_ONE - 1;
const REF_SHIFT: usize = 6;
/// One reference in the reference count (bits 6 and up).
pub(super) const REF_ONE: usize = 1 << REF_SHIFT;
const REF_MASK: usize = !FLAGS_MASK;

const _: () = {
    let flags = [
        RUNNING,
        COMPLETE,
        NOTIFIED,
        CANCELLED,
        JOIN_INTEREST,
        JOIN_WAKER,
    ];
    let mut seen = 0;
    let mut i = 0;
    while i < flags.len() {
        assert!(flags[i].count_ones() == 1, "each flag is one bit");
        assert!(seen & flags[i] == 0, "flags do not overlap");
        seen |= flags[i];
        i += 1;
    }
    assert!(
        seen == FLAGS_MASK,
        "the flags fill exactly the bits below the count"
    );
    assert!(REF_MASK & FLAGS_MASK == 0);
};

/// The state at spawn: two references (the `JoinHandle` and the `Notified` that is
/// about to be queued), `JOIN_INTEREST`, and `NOTIFIED` because that first `Notified`
/// exists. The registry's reference comes later, if the task ever waits (rule L2).
const INITIAL: usize = (2 * REF_ONE) | JOIN_INTEREST | NOTIFIED;

/// The atomic state word.
pub(super) struct State {
    val: AtomicUsize,
}

/// One read of the state word.
#[derive(Copy, Clone, PartialEq, Eq)]
pub(super) struct Snapshot(usize);

/// What `transition_to_running` found.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(super) enum TransitionToRunning {
    /// The caller holds `RUNNING` and must poll the future.
    Success,
    /// The caller holds `RUNNING` and must cancel (drop) the future.
    Cancelled,
    /// The task is running elsewhere or complete; the `Notified` reference was released.
    Failed,
    /// As `Failed`, and that was the last reference: deallocate.
    Dealloc,
}

/// What `transition_to_idle` found.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(super) enum TransitionToIdle {
    /// Idle; the runner's reference was released.
    Ok,
    /// Idle but woken during the poll: the runner's reference is now a `Notified` that
    /// the caller must queue (at the back: this is a yield).
    OkNotified,
    /// Idle, and the runner's reference was the last one: deallocate.
    OkDealloc,
    /// Cancelled during the poll: the caller still holds `RUNNING` and must cancel.
    Cancelled,
}

/// What `transition_to_shutdown` found.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(super) enum TransitionToShutdown {
    /// The caller now holds `RUNNING`: it must cancel the task in place.
    Cancel,
    /// Another thread is running the task; it sees `CANCELLED` after its poll.
    Running,
    /// Already complete: nothing to do.
    Complete,
}

/// What dropping a `JoinHandle` must do next.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(super) enum JoinHandleDropped {
    /// Done: `JOIN_INTEREST` is clear and the handle's reference released.
    Released { dealloc: bool },
    /// The task completed meanwhile: drop the output, then try again.
    Completed,
    /// `JOIN_INTEREST` and `JOIN_WAKER` are clear: drop the join waker, then release
    /// the handle's reference.
    TakeWaker,
}

/// What a wake must do next.
#[must_use]
#[derive(Debug, PartialEq, Eq)]
pub(super) enum TransitionToNotified {
    /// Nothing: the task is queued, running, or complete.
    DoNothing,
    /// Queue the task: the caller now owns a `Notified` reference.
    Submit,
    /// Nothing to queue, and the released reference was the last: deallocate.
    Dealloc,
}

impl State {
    pub(super) fn new() -> State {
        State {
            val: AtomicUsize::new(INITIAL),
        }
    }

    /// Reads the state. Acquire: pairs with the AcqRel of every transition, so a reader
    /// that sees `COMPLETE` also sees the output the completer stored before it.
    pub(super) fn load(&self) -> Snapshot {
        Snapshot(self.val.load(Ordering::Acquire))
    }

    /// Runs `f` in a compare-and-swap loop; `f` returns the new value (or `None` to stop).
    fn fetch_update<T>(&self, mut f: impl FnMut(Snapshot) -> (T, Option<Snapshot>)) -> T {
        // AcqRel on success: every transition both publishes what the thread did to the
        // task before it (the output, the join waker) and acquires what the previous
        // owner did. Acquire on failure: the retry reads a fresh value and decides on it.
        let mut curr = self.load();
        loop {
            let (out, next) = f(curr);
            let Some(next) = next else { return out };
            match self.val.compare_exchange_weak(
                curr.0,
                next.0,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return out,
                Err(actual) => curr = Snapshot(actual),
            }
        }
    }

    /// The holder of a `Notified` takes `RUNNING` to poll the task (rule R1).
    pub(super) fn transition_to_running(&self) -> TransitionToRunning {
        // Rule R3: the `Notified` is the only reference (no handle, waker or registry
        // entry exists), so nobody else can touch the word: no CAS needed.
        let s = self.load();
        #[cfg(not(loom_broken = "r3_store"))]
        let alone = s.ref_count() == 1;
        // Planted bug (loom-tests docs): R3 with a second reference alive, whose holder's
        // concurrent CAS the plain store below then erases.
        #[cfg(loom_broken = "r3_store")]
        let alone = s.ref_count() <= 2;
        if alone && !s.is_running() && !s.is_complete() {
            debug_assert!(s.is_notified(), "a queued task has NOTIFIED set: {s:?}");
            let mut next = s;
            next.unset(NOTIFIED);
            next.set(RUNNING);
            // Relaxed: rule R3; no other thread reads the word until this one hands
            // out a reference, which it does after this store in program order and
            // through a synchronising channel.
            self.val.store(next.0, Ordering::Relaxed);
            return if next.is_cancelled() {
                TransitionToRunning::Cancelled
            } else {
                TransitionToRunning::Success
            };
        }
        self.fetch_update(|mut s| {
            debug_assert!(s.is_notified(), "a queued task has NOTIFIED set: {s:?}");
            if s.is_running() || s.is_complete() {
                // Someone else (shutdown, or a cancel in place) owns the task now; this
                // `Notified` is just a reference to release.
                s.ref_dec();
                let action = if s.ref_count() == 0 {
                    TransitionToRunning::Dealloc
                } else {
                    TransitionToRunning::Failed
                };
                return (action, Some(s));
            }
            s.unset(NOTIFIED);
            s.set(RUNNING);
            let action = if s.is_cancelled() {
                TransitionToRunning::Cancelled
            } else {
                TransitionToRunning::Success
            };
            (action, Some(s))
        })
    }

    /// After a poll returned `Pending`: give up `RUNNING` unless the task was cancelled.
    pub(super) fn transition_to_idle(&self) -> TransitionToIdle {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_running());
            if s.is_cancelled() {
                return (TransitionToIdle::Cancelled, None);
            }
            s.unset(RUNNING);
            if s.is_notified() {
                // The runner's reference becomes the new `Notified`: no count change.
                return (TransitionToIdle::OkNotified, Some(s));
            }
            s.ref_dec();
            let action = if s.ref_count() == 0 {
                TransitionToIdle::OkDealloc
            } else {
                TransitionToIdle::Ok
            };
            (action, Some(s))
        })
    }

    /// The runner stored the output: swap `RUNNING` for `COMPLETE`. Returns the state
    /// before, whose `JOIN_INTEREST` and `JOIN_WAKER` decide rules O2 and J3.
    pub(super) fn transition_to_complete(&self) -> Snapshot {
        const DELTA: usize = RUNNING | COMPLETE;
        // AcqRel: Release publishes the stored output to the `JoinHandle` that will see
        // COMPLETE; Acquire sees the join waker the handle stored before JOIN_WAKER.
        #[cfg(not(loom_broken = "complete_order"))]
        let order = Ordering::AcqRel;
        // Planted bug (loom-tests docs): the output is no longer published, so a joiner
        // that sees COMPLETE races with the completer's write of the stage.
        #[cfg(loom_broken = "complete_order")]
        let order = Ordering::Relaxed;
        let prev = Snapshot(self.val.fetch_xor(DELTA, order));
        debug_assert!(prev.is_running() && !prev.is_complete(), "{prev:?}");
        prev
    }

    /// A wake that consumes a waker (and its reference).
    pub(super) fn transition_to_notified_by_val(&self) -> TransitionToNotified {
        self.fetch_update(|mut s| {
            if s.is_running() {
                // The runner re-queues the task after its poll (rule R2).
                s.set(NOTIFIED);
                s.ref_dec();
                debug_assert!(s.ref_count() > 0, "the runner holds a reference");
                (TransitionToNotified::DoNothing, Some(s))
            } else if s.is_complete() || s.is_notified() {
                s.ref_dec();
                let action = if s.ref_count() == 0 {
                    TransitionToNotified::Dealloc
                } else {
                    TransitionToNotified::DoNothing
                };
                (action, Some(s))
            } else {
                // The waker's reference becomes the `Notified`'s.
                s.set(NOTIFIED);
                (TransitionToNotified::Submit, Some(s))
            }
        })
    }

    /// A wake through a borrowed waker.
    pub(super) fn transition_to_notified_by_ref(&self) -> TransitionToNotified {
        self.fetch_update(|mut s| {
            if s.is_complete() || s.is_notified() {
                (TransitionToNotified::DoNothing, None)
            } else if s.is_running() {
                s.set(NOTIFIED);
                (TransitionToNotified::DoNothing, Some(s))
            } else {
                s.set(NOTIFIED);
                s.ref_inc();
                (TransitionToNotified::Submit, Some(s))
            }
        })
    }

    /// `abort()`: mark the task cancelled; if it is idle and not queued, queue it so a
    /// worker drops the future (the caller then owns a new `Notified`).
    pub(super) fn transition_to_notified_and_cancel(&self) -> TransitionToNotified {
        self.fetch_update(|mut s| {
            if s.is_complete() || s.is_cancelled() {
                return (TransitionToNotified::DoNothing, None);
            }
            s.set(CANCELLED);
            if s.is_running() || s.is_notified() {
                // The runner, or the worker that dequeues the `Notified`, sees CANCELLED.
                return (TransitionToNotified::DoNothing, Some(s));
            }
            s.set(NOTIFIED);
            s.ref_inc();
            (TransitionToNotified::Submit, Some(s))
        })
    }

    /// Shutdown: mark the task cancelled and, if nobody is running it, take `RUNNING` so
    /// the caller cancels it in place.
    pub(super) fn transition_to_shutdown(&self) -> TransitionToShutdown {
        self.fetch_update(|mut s| {
            if s.is_complete() {
                return (TransitionToShutdown::Complete, None);
            }
            s.set(CANCELLED);
            if s.is_running() {
                return (TransitionToShutdown::Running, Some(s));
            }
            s.set(RUNNING);
            (TransitionToShutdown::Cancel, Some(s))
        })
    }

    /// Sets `JOIN_WAKER`: the `JoinHandle` publishes the waker it wrote into the field
    /// (rule J1 → J2). Fails if the task completed first; the handle then still owns
    /// the waker field.
    pub(super) fn set_join_waker_bit(&self) -> Result<(), Snapshot> {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_join_interested() && !s.is_join_waker_set());
            if s.is_complete() {
                return (Err(s), None);
            }
            s.set(JOIN_WAKER);
            (Ok(()), Some(s))
        })
    }

    /// Clears `JOIN_WAKER`: the `JoinHandle` takes its waker field back to replace the
    /// waker (rule J2 → J1). Fails if the task completed first.
    pub(super) fn unset_join_waker_bit(&self) -> Result<(), Snapshot> {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_join_interested());
            if s.is_complete() {
                // The completer may already have cleared JOIN_WAKER (rule J3).
                return (Err(s), None);
            }
            debug_assert!(s.is_join_waker_set());
            s.unset(JOIN_WAKER);
            (Ok(()), Some(s))
        })
    }

    /// The fast completion: swap `RUNNING` for `COMPLETE` and release `n` references in
    /// one CAS, when there is nothing left to do after it: no join waker to wake, and no
    /// output that the completer would have to drop (`output_stored` with the handle
    /// gone). Returns whether the count reached zero, or `Err` to take the slow path
    /// (`transition_to_complete`, then the join rules, then `ref_dec_n`).
    pub(super) fn transition_to_complete_and_release(
        &self,
        n: usize,
        output_stored: bool,
    ) -> Result<bool, ()> {
        // Rule R3: the `n` references being released are all there are, no
        // `JoinHandle` is left and no output was stored (the stage is empty, so the
        // free drops no user value): nobody can observe `COMPLETE`, so skip writing it
        // and free the task.
        if !output_stored {
            let s = self.load();
            if s.ref_count() == n && !s.is_join_interested() && !s.is_join_waker_set() {
                debug_assert!(s.is_running() && !s.is_complete(), "{s:?}");
                return Ok(true);
            }
        }
        self.fetch_update(|mut s| {
            debug_assert!(s.is_running() && !s.is_complete(), "{s:?}");
            // Planted bug (loom-tests docs): the fast path drops a registered join waker.
            #[cfg(loom_broken = "fast_complete")]
            s.unset(JOIN_WAKER);
            if s.is_join_waker_set() || (output_stored && !s.is_join_interested()) {
                return (Err(()), None);
            }
            s.unset(RUNNING);
            s.set(COMPLETE);
            debug_assert!(s.ref_count() >= n);
            s.0 -= n * REF_ONE;
            (Ok(s.ref_count() == 0), Some(s))
        })
    }

    /// Clears `JOIN_WAKER`: the completer is done with the join waker (rule J3). Returns
    /// the state after: without `JOIN_INTEREST` the handle is gone and the completer
    /// drops the waker.
    pub(super) fn unset_join_waker_bit_after_complete(&self) -> Snapshot {
        let prev = Snapshot(self.val.fetch_and(!JOIN_WAKER, Ordering::AcqRel));
        debug_assert!(prev.is_complete() && prev.is_join_waker_set());
        Snapshot(prev.0 & !JOIN_WAKER)
    }

    /// The `JoinHandle` is dropped (rules O2, J4): clear `JOIN_INTEREST` and, where
    /// the handle has nothing left to do, release its reference in the same CAS.
    /// `saw_complete`: the handle already dropped the output of the completed task.
    pub(super) fn transition_to_join_handle_dropped(
        &self,
        saw_complete: bool,
    ) -> JoinHandleDropped {
        self.fetch_update(|mut s| {
            debug_assert!(s.is_join_interested());
            if s.is_complete() && !saw_complete {
                // Completed since the handle looked: the output is the handle's to drop
                // first (rule O2), which it cannot do once its reference is gone.
                return (JoinHandleDropped::Completed, None);
            }
            s.unset(JOIN_INTEREST);
            if !s.is_complete() && s.is_join_waker_set() {
                // Rule J4: before completion the handle takes its waker back; it drops
                // it, then releases its reference.
                s.unset(JOIN_WAKER);
                return (JoinHandleDropped::TakeWaker, Some(s));
            }
            s.ref_dec();
            (
                JoinHandleDropped::Released {
                    dealloc: s.ref_count() == 0,
                },
                Some(s),
            )
        })
    }

    /// Adds a reference. Relaxed, as for `Arc::clone`: a new reference is made from an
    /// existing one, which already keeps the task alive.
    pub(super) fn ref_inc(&self) {
        let prev = self.val.fetch_add(REF_ONE, Ordering::Relaxed);
        if prev > isize::MAX as usize {
            // As `Arc` does: a count this large means leaked wakers; stop before it wraps.
            std::process::abort();
        }
    }

    /// Releases one reference; returns whether it was the last.
    pub(super) fn ref_dec(&self) -> bool {
        self.ref_dec_n(1)
    }

    /// Releases `n` references; returns whether they were the last.
    pub(super) fn ref_dec_n(&self, n: usize) -> bool {
        // AcqRel, as `Arc::drop`: Release orders this thread's use of the task before the
        // free; Acquire in the thread that frees sees every other thread's use.
        let prev = Snapshot(self.val.fetch_sub(n * REF_ONE, Ordering::AcqRel));
        debug_assert!(prev.ref_count() >= n, "{prev:?} minus {n}");
        prev.ref_count() == n
    }
}

impl Snapshot {
    pub(super) fn is_running(self) -> bool {
        self.0 & RUNNING != 0
    }
    pub(super) fn is_complete(self) -> bool {
        self.0 & COMPLETE != 0
    }
    pub(super) fn is_notified(self) -> bool {
        self.0 & NOTIFIED != 0
    }
    pub(super) fn is_cancelled(self) -> bool {
        self.0 & CANCELLED != 0
    }
    pub(super) fn is_join_interested(self) -> bool {
        self.0 & JOIN_INTEREST != 0
    }
    pub(super) fn is_join_waker_set(self) -> bool {
        self.0 & JOIN_WAKER != 0
    }
    pub(super) fn ref_count(self) -> usize {
        (self.0 & REF_MASK) >> REF_SHIFT
    }
    fn set(&mut self, flag: usize) {
        self.0 |= flag;
    }
    fn unset(&mut self, flag: usize) {
        self.0 &= !flag;
    }
    fn ref_inc(&mut self) {
        self.0 += REF_ONE;
    }
    fn ref_dec(&mut self) {
        debug_assert!(self.ref_count() > 0);
        self.0 -= REF_ONE;
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (RUNNING, "RUNNING"),
            (COMPLETE, "COMPLETE"),
            (NOTIFIED, "NOTIFIED"),
            (CANCELLED, "CANCELLED"),
            (JOIN_INTEREST, "JOIN_INTEREST"),
            (JOIN_WAKER, "JOIN_WAKER"),
        ];
        write!(f, "Snapshot(refs={}", self.ref_count())?;
        for (bit, name) in names {
            if self.0 & bit != 0 {
                write!(f, " | {name}")?;
            }
        }
        write!(f, ")")
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn initial_state() {
        let s = State::new().load();
        assert_eq!(s.ref_count(), 2);
        assert!(s.is_notified() && s.is_join_interested());
        assert!(!s.is_running() && !s.is_complete() && !s.is_cancelled());
        assert_eq!(
            format!("{s:?}"),
            "Snapshot(refs=2 | NOTIFIED | JOIN_INTEREST)"
        );
    }

    #[test]
    fn wake_while_running_requeues_once() {
        let state = State::new();
        assert_eq!(state.transition_to_running(), TransitionToRunning::Success);
        // Two wakes during the poll: the first marks it, the second is absorbed.
        assert_eq!(
            state.transition_to_notified_by_ref(),
            TransitionToNotified::DoNothing
        );
        assert_eq!(
            state.transition_to_notified_by_ref(),
            TransitionToNotified::DoNothing
        );
        assert_eq!(state.transition_to_idle(), TransitionToIdle::OkNotified);
        let s = state.load();
        assert!(s.is_notified() && !s.is_running());
        assert_eq!(
            s.ref_count(),
            2,
            "the runner's reference became the Notified"
        );
    }

    #[test]
    fn idle_wake_submits_and_takes_a_reference() {
        let state = State::new();
        assert_eq!(state.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(state.transition_to_idle(), TransitionToIdle::Ok);
        assert_eq!(state.load().ref_count(), 1);
        assert_eq!(
            state.transition_to_notified_by_ref(),
            TransitionToNotified::Submit
        );
        assert_eq!(state.load().ref_count(), 2);
        assert_eq!(
            state.transition_to_notified_by_ref(),
            TransitionToNotified::DoNothing
        );
    }

    #[test]
    fn abort_idle_task_queues_it_cancelled() {
        let state = State::new();
        assert_eq!(state.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(state.transition_to_idle(), TransitionToIdle::Ok);
        assert_eq!(
            state.transition_to_notified_and_cancel(),
            TransitionToNotified::Submit
        );
        assert_eq!(
            state.transition_to_notified_and_cancel(),
            TransitionToNotified::DoNothing
        );
        assert_eq!(
            state.transition_to_running(),
            TransitionToRunning::Cancelled
        );
    }

    #[test]
    fn abort_while_running_is_seen_at_idle() {
        let state = State::new();
        assert_eq!(state.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(
            state.transition_to_notified_and_cancel(),
            TransitionToNotified::DoNothing
        );
        assert_eq!(state.transition_to_idle(), TransitionToIdle::Cancelled);
        assert!(
            state.load().is_running(),
            "the runner keeps RUNNING to cancel"
        );
    }

    #[test]
    fn shutdown_takes_an_idle_task_and_leaves_a_running_one() {
        let state = State::new();
        assert_eq!(
            state.transition_to_shutdown(),
            TransitionToShutdown::Cancel,
            "idle (queued) task: shutdown owns it"
        );
        assert_eq!(state.transition_to_running(), TransitionToRunning::Failed);
        let running = State::new();
        assert_eq!(
            running.transition_to_running(),
            TransitionToRunning::Success
        );
        assert_eq!(
            running.transition_to_shutdown(),
            TransitionToShutdown::Running
        );
        assert_eq!(running.transition_to_idle(), TransitionToIdle::Cancelled);
    }

    #[test]
    fn wakes_after_completion_do_nothing() {
        let state = State::new();
        assert_eq!(state.transition_to_running(), TransitionToRunning::Success);
        let prev = state.transition_to_complete();
        assert!(prev.is_join_interested());
        assert!(state.load().is_complete() && !state.load().is_running());
        assert_eq!(
            state.transition_to_notified_by_ref(),
            TransitionToNotified::DoNothing
        );
        assert_eq!(
            state.transition_to_notified_and_cancel(),
            TransitionToNotified::DoNothing
        );
        assert_eq!(
            state.transition_to_shutdown(),
            TransitionToShutdown::Complete
        );
    }

    #[test]
    fn join_waker_protocol() {
        let state = State::new();
        assert!(state.set_join_waker_bit().is_ok());
        assert!(state.unset_join_waker_bit().is_ok());
        assert!(state.set_join_waker_bit().is_ok());
        assert_eq!(state.transition_to_running(), TransitionToRunning::Success);
        let prev = state.transition_to_complete();
        assert!(prev.is_join_waker_set());
        assert!(
            state.unset_join_waker_bit().is_err(),
            "complete: the handle reads the output"
        );
        let after = state.unset_join_waker_bit_after_complete();
        assert!(after.is_join_interested() && !after.is_join_waker_set());
        assert_eq!(
            state.transition_to_join_handle_dropped(false),
            JoinHandleDropped::Completed,
            "completed: the handle drops the output first"
        );
        assert_eq!(
            state.transition_to_join_handle_dropped(true),
            JoinHandleDropped::Released { dealloc: false }
        );
        let after = state.load();
        assert!(!after.is_join_interested() && after.is_complete());
    }

    #[test]
    fn replacing_the_join_waker_after_the_completer_cleared_it() {
        // Issue 11, item 13: the completer woke the waker and cleared JOIN_WAKER (J3)
        // before the handle, which last saw the task incomplete, tries to take the
        // field back (J2). The handle must learn that the task completed, not trip a
        // debug assertion that JOIN_WAKER is still set.
        let state = State::new();
        assert!(state.set_join_waker_bit().is_ok());
        assert_eq!(state.transition_to_running(), TransitionToRunning::Success);
        assert!(state.transition_to_complete().is_join_waker_set());
        assert!(!state
            .unset_join_waker_bit_after_complete()
            .is_join_waker_set());
        let seen = state
            .unset_join_waker_bit()
            .expect_err("the task completed");
        assert!(seen.is_complete() && !seen.is_join_waker_set());
    }

    #[test]
    fn fast_completion_releases_in_the_same_cas() {
        // Handle alive, no join waker: complete and release the runner's reference.
        let state = State::new();
        assert_eq!(state.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(state.transition_to_complete_and_release(1, true), Ok(false));
        let s = state.load();
        assert!(s.is_complete() && !s.is_running() && s.ref_count() == 1);
        // A join waker to wake: slow path.
        let state = State::new();
        assert!(state.set_join_waker_bit().is_ok());
        assert_eq!(state.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(state.transition_to_complete_and_release(1, true), Err(()));
        // Handle gone after the output was stored: slow path (the completer drops it).
        let state = State::new();
        assert_eq!(state.transition_to_running(), TransitionToRunning::Success);
        assert_eq!(
            state.transition_to_join_handle_dropped(false),
            JoinHandleDropped::Released { dealloc: false }
        );
        assert_eq!(state.transition_to_complete_and_release(1, true), Err(()));
        assert_eq!(
            state.transition_to_complete_and_release(1, false),
            Ok(true),
            "last reference"
        );
    }

    #[test]
    fn a_sole_reference_runs_and_completes_without_a_cas() {
        // Rule R3: handle dropped before the run, so the `Notified` is the only
        // reference. (The store and the skipped write are not observable here; the
        // states are, and loom checks the orderings in the task models.)
        let state = State::new();
        assert_eq!(
            state.transition_to_join_handle_dropped(false),
            JoinHandleDropped::Released { dealloc: false }
        );
        assert_eq!(state.transition_to_running(), TransitionToRunning::Success);
        let s = state.load();
        assert!(s.is_running() && !s.is_notified() && s.ref_count() == 1);
        assert_eq!(
            state.transition_to_complete_and_release(1, false),
            Ok(true),
            "the runner holds every reference: free at once"
        );
        // Aborted (through an `AbortHandle`, since dropped) before its only run: the
        // runner must cancel it.
        let state = State::new();
        state.ref_inc();
        assert_eq!(
            state.transition_to_join_handle_dropped(false),
            JoinHandleDropped::Released { dealloc: false }
        );
        assert_eq!(
            state.transition_to_notified_and_cancel(),
            TransitionToNotified::DoNothing,
            "already queued"
        );
        assert!(!state.ref_dec(), "the abort handle goes");
        assert_eq!(
            state.transition_to_running(),
            TransitionToRunning::Cancelled
        );
        // A waker cloned during the poll is a second reference: completion takes the
        // CAS and leaves the task for the waker to free.
        let state = State::new();
        assert_eq!(
            state.transition_to_join_handle_dropped(false),
            JoinHandleDropped::Released { dealloc: false }
        );
        assert_eq!(state.transition_to_running(), TransitionToRunning::Success);
        state.ref_inc();
        assert_eq!(
            state.transition_to_complete_and_release(1, false),
            Ok(false)
        );
        let s = state.load();
        assert!(s.is_complete() && s.ref_count() == 1);
        assert!(state.ref_dec(), "the waker's reference is the last");
    }

    #[test]
    fn dropping_the_handle_before_completion_takes_the_waker() {
        let state = State::new();
        assert!(state.set_join_waker_bit().is_ok());
        assert_eq!(
            state.transition_to_join_handle_dropped(false),
            JoinHandleDropped::TakeWaker
        );
        let s = state.load();
        assert!(!s.is_join_interested() && !s.is_join_waker_set());
        assert_eq!(
            s.ref_count(),
            2,
            "the handle releases its reference after the waker"
        );
    }

    #[test]
    fn last_reference_is_reported() {
        let state = State::new();
        assert!(!state.ref_dec());
        state.ref_inc();
        assert!(state.ref_dec_n(2));
    }
}
