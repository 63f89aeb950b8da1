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

use std::cell::Cell;
use std::ptr::NonNull;

use super::worker::Core;
use super::Scheduler;
use crate::context;
use crate::sync::{Arc, Ordering};
use crate::task::alloc::BlockCache;
use crate::task::{Notified, Reason, Schedule, Task, TaskRef};

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
    /// A new reference for a task spawned through `this`: a credit of `worker` (this
    /// thread's core, if it is one of `this`'s workers), else one more in `task_refs`.
    pub(crate) fn acquire(this: &Arc<Scheduler>, worker: Option<&Core>) -> RuntimeRef {
        let from_credit = worker.is_some_and(|core| core.credits().take(this));
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

    /// This thread's worker core, if it is one of this runtime's workers.
    fn worker<'a>(&self, core: Option<&'a Core>) -> Option<&'a Core> {
        core.filter(|core| core.is_worker_of(self.shared.as_ptr()))
    }

    /// Gives this reference up: back to `worker`'s credits if it takes them (rule
    /// C2), else to `task_refs`.
    fn release_on(self, worker: Option<&Core>) {
        let this = std::mem::ManuallyDrop::new(self);
        if !worker.is_some_and(|core| core.credits().give_back(this.shared)) {
            // SAFETY: rule C1: this reference is counted, and is given up here (the
            // `ManuallyDrop` keeps `Drop` from giving it up again).
            unsafe { Scheduler::release_task_refs(this.shared, 1) };
        }
    }
}

impl Drop for RuntimeRef {
    fn drop(&mut self) {
        // Not the path of a freed task (that is `release_cell`, which gives the
        // reference up with the cell's block): a `RuntimeRef` dropped on its own.
        let shared = self.shared;
        let returned = context::with_core(|core| {
            core.filter(|core| core.is_worker_of(shared.as_ptr()))
                .is_some_and(|core| core.credits().give_back(shared))
        });
        if !returned {
            // SAFETY: rule C1: this reference is counted, and is given up here.
            unsafe { Scheduler::release_task_refs(shared, 1) };
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

/// A worker's credits (rule C2): references counted in `task_refs` of its runtime that
/// no task holds yet, and whether the worker still takes and returns them (rule C3).
/// Plain `Cell`s: only the worker's own thread touches them.
pub(crate) struct Credits {
    count: Cell<usize>,
    open: Cell<bool>,
}

impl Credits {
    pub(crate) fn new() -> Credits {
        Credits {
            count: Cell::new(0),
            open: Cell::new(true),
        }
    }

    /// Takes a credit for a task spawned on this worker (rule C2), taking
    /// `CREDIT_BATCH` from `task_refs` when there is none; `false` once closed (C3).
    fn take(&self, shared: &Arc<Scheduler>) -> bool {
        if !self.open.get() {
            return false;
        }
        let credits = match self.count.get() {
            0 => {
                Scheduler::add_task_refs(shared, CREDIT_BATCH);
                CREDIT_BATCH
            }
            n => n,
        };
        self.count.set(credits - 1);
        true
    }

    /// Keeps the reference of a task freed on this worker as a credit (rule C2),
    /// giving a batch back to `task_refs` past `2 * CREDIT_BATCH`; `false` once
    /// closed (C3).
    fn give_back(&self, shared: NonNull<Scheduler>) -> bool {
        if !self.open.get() {
            return false;
        }
        #[cfg(not(loom_broken = "credits"))]
        let credits = self.count.get() + 1;
        // Planted bug: a returned reference is not counted, so a count is lost.
        #[cfg(loom_broken = "credits")]
        let credits = self.count.get();
        if credits > 2 * CREDIT_BATCH {
            // SAFETY: we own `credits` counted references; giving back a batch leaves
            // us more than that, so the count stays above 0 and `Scheduler` is not
            // freed.
            unsafe { Scheduler::release_task_refs(shared, CREDIT_BATCH) };
            self.count.set(credits - CREDIT_BATCH);
        } else {
            self.count.set(credits);
        }
        true
    }

    /// Rule C3: gives every credit back, and takes or returns none from now on. The
    /// caller (the worker) holds its own `Arc<Scheduler>`, so `Scheduler` outlives
    /// this call whatever the count does.
    pub(crate) fn close(&self, shared: &Arc<Scheduler>) {
        self.open.set(false);
        let credits = self.count.replace(0);
        if credits > 0 {
            // SAFETY: we own `credits` counted references and give them up; the
            // caller's `Arc<Scheduler>` keeps `Scheduler` alive past this call.
            unsafe { Scheduler::release_task_refs(Scheduler::as_non_null(shared), credits) };
        }
    }
}

impl Schedule for RuntimeRef {
    fn schedule(&self, task: Notified, reason: Reason) {
        // One look at this thread's context: is it one of our workers?
        context::with_core(|core| {
            self.shared().schedule_task(task, reason, self.worker(core));
        });
    }

    fn register(&self, task: Task) -> Result<(), Task> {
        self.shared().registry.insert(task)
    }

    fn release(&self, task: TaskRef) -> Option<Task> {
        self.shared().registry.remove(task)
    }

    fn panicked(&self, payload: &(dyn std::any::Any + Send)) {
        self.shared().task_panicked(payload);
    }

    fn release_cell(self, free_block: impl FnOnce(Option<BlockCache<'_>>)) {
        // One look at this thread's context serves both: the block goes to this
        // thread's cache if it is a worker (of any runtime: blocks are plain memory),
        // and the reference to its credits if it is one of ours.
        context::with_core(|core| {
            free_block(core.map(Core::block_cache));
            let worker = self.worker(core);
            self.release_on(worker);
        });
    }
}
