//! A task's counted reference to its runtime's shared state, without an `Arc` clone
//! per task.
//!
//! Every task must keep `Scheduler` alive (a waker may schedule it, a `JoinHandle` may
//! free it, long after the runtime is dropped). An `Arc<Scheduler>` per task did that with
//! one atomic increment per spawn and one decrement per free, all on the same cache
//! line: with two workers spawning and finishing tasks, that line moved between cores
//! twice per task, and profiles of `spawn_many_local` put a third of `bind` on the
//! increment alone.
//!
//! Instead, tasks are counted in `Scheduler::task_refs`, and the workers keep most of that
//! count locally:
//!
//! - **Rule C1.** `task_refs` = the `RuntimeRef`s that exist + the credits that
//!   workers hold (below). While it is non-zero, it owns one strong count of the
//!   `Arc<Scheduler>`: the increment that takes it from 0 takes that strong count, the
//!   decrement that brings it to 0 gives it back. So `Scheduler` outlives every task.
//! - **Rule C2.** A worker holds *credits*: references counted in `task_refs` that no
//!   task holds yet. A spawn on a worker of the task's own runtime takes a credit (a
//!   plain `Cell`; `CREDIT_BATCH` at a time from `task_refs` when it has none), and a
//!   `RuntimeRef` dropped on such a worker gives its reference back as a credit (at
//!   most `2 * CREDIT_BATCH` are kept; the rest go back to `task_refs` in one
//!   decrement). Anywhere else (another thread, a worker of another runtime, a worker
//!   past its loop) a spawn or a drop is one atomic operation on `task_refs`.
//! - **Rule C3.** A worker gives all its credits back as it leaves its loop (after it
//!   cancelled its queued tasks), and from then on takes or returns none: whatever is
//!   freed on its thread later counts directly.
//!
//! Why the 0 ↔ 1 transitions cannot race: a decrement consumes a reference that
//! exists, so it cannot bring the count to 0 while an increment that started from 0 has
//! not finished handing out the reference it created (nobody else holds it yet). The
//! strong count never dips to 0 in between either, because whoever increments holds an
//! `Arc<Scheduler>` of its own (a `Handle`, a worker's core).
//!
//! Memory orderings: increments are `Relaxed`, like `Arc::clone` (the caller holds a
//! live reference, so nothing can be freed concurrently, and the reference is handed
//! to other threads only through the queues, which synchronise). Decrements are
//! `AcqRel`, like `Arc`'s drop: `Release` so this thread's uses of `Scheduler` happen
//! before the decrement that reaches 0, `Acquire` so the one that reaches 0 sees every
//! other thread's uses before it gives back the strong count (whose own drop then
//! orders the free). The loom models in `loom-tests/tests/scheduler.rs` run the real
//! workers, so every model checks these rules, and loom's leak check fails any
//! execution that leaves `Scheduler` alive (a lost decrement) while its `Arc` checks
//! catch a use after free (an extra one).

use std::ptr::NonNull;

use super::Scheduler;
use crate::context;
use crate::sync::{Arc, Ordering};
use crate::task::{Notified, Schedule, Task, TaskRef};

/// Credits a worker takes from `task_refs` at a time (rule C2).
pub(crate) const CREDIT_BATCH: usize = 64;

/// One task's reference to its runtime (rule C1): the scheduler handle stored in every
/// runtime task's cell.
pub(crate) struct RuntimeRef {
    shared: NonNull<Scheduler>,
}

// SAFETY: a `RuntimeRef` is a counted shared reference to `Scheduler`, which is `Sync`;
// it only gives out `&Scheduler`, like an `Arc<Scheduler>` would.
unsafe impl Send for RuntimeRef {}
// SAFETY: as above.
unsafe impl Sync for RuntimeRef {}

impl RuntimeRef {
    /// A new reference for a task spawned through `this`: a credit of the current
    /// worker if it is one of `this`'s, else one more in `task_refs`.
    pub(crate) fn acquire(this: &Arc<Scheduler>) -> RuntimeRef {
        let from_credit = context::with_core(|core| {
            core.is_some_and(|core| core.is_worker_of(Arc::as_ptr(this)) && core.take_task_ref())
        });
        if !from_credit {
            Scheduler::add_task_refs(this, 1);
        }
        RuntimeRef {
            shared: Scheduler::as_non_null(this),
        }
    }

    fn shared(&self) -> &Scheduler {
        // SAFETY: rule C1: `task_refs` counts this reference, so it owns a strong count
        // of the `Arc<Scheduler>` until this reference is dropped.
        unsafe { self.shared.as_ref() }
    }
}

impl Drop for RuntimeRef {
    fn drop(&mut self) {
        let returned = context::with_core(|core| {
            core.is_some_and(|core| {
                core.is_worker_of(self.shared.as_ptr()) && core.return_task_ref()
            })
        });
        if !returned {
            // SAFETY: rule C1: this reference is counted, and is given up here.
            unsafe { Scheduler::release_task_refs(self.shared, 1) };
        }
    }
}

impl Scheduler {
    /// The pointer a `RuntimeRef` keeps: from `Arc::as_ptr`, so it carries the
    /// provenance of the whole allocation (the strong count it may give back, and the
    /// free that may follow), not that of a `&Scheduler` (which Miri rightly rejects for
    /// a deallocation).
    pub(crate) fn as_non_null(this: &Arc<Scheduler>) -> NonNull<Scheduler> {
        match NonNull::new(Arc::as_ptr(this).cast_mut()) {
            Some(ptr) => ptr,
            None => unreachable!("an Arc's pointer is never null"),
        }
    }

    /// Counts `n` new references (rule C1), taking the strong count that `task_refs`
    /// owns if it was 0.
    pub(crate) fn add_task_refs(this: &Arc<Scheduler>, n: usize) {
        // Relaxed: module docs ("Memory orderings").
        if this.task_refs.fetch_add(n, Ordering::Relaxed) == 0 {
            // SAFETY: `this` is a live `Arc<Scheduler>`, and `as_ptr` is the pointer its
            // strong count belongs to.
            unsafe { Arc::increment_strong_count(Arc::as_ptr(this)) };
        }
    }

    /// Gives up `n` counted references (rule C1), giving back the strong count that
    /// `task_refs` owns if it reaches 0 (which may free `Scheduler`).
    ///
    /// # Safety
    ///
    /// The caller owns `n` references counted in `task_refs` of the `Scheduler` at
    /// `shared`, and does not use `shared` afterwards.
    pub(crate) unsafe fn release_task_refs(shared: NonNull<Scheduler>, n: usize) {
        // SAFETY: the caller's references keep `Scheduler` alive until the decrement.
        let task_refs = unsafe { &shared.as_ref().task_refs };
        // AcqRel: module docs ("Memory orderings").
        if task_refs.fetch_sub(n, Ordering::AcqRel) == n {
            // SAFETY: rule C1: reaching 0 gives back the strong count that the count
            // owned, taken with `Arc::as_ptr` of this same allocation.
            unsafe { Arc::decrement_strong_count(shared.as_ptr().cast_const()) };
        }
    }
}

impl Schedule for RuntimeRef {
    fn schedule(&self, task: Notified, is_yield: bool) {
        Scheduler::schedule_task(self.shared(), task, is_yield, false);
    }

    fn register(&self, task: Task) -> Result<(), Task> {
        self.shared().registry.insert(task)
    }

    fn release(&self, task: TaskRef) -> Option<Task> {
        self.shared().registry.remove(task)
    }
}
