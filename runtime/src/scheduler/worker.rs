//! The worker loop: run local work, check the injector at a fixed interval, steal when
//! empty, park when there is nothing anywhere.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::runtime_ref::CREDIT_BATCH;
use super::Shared;
use crate::context;
use crate::sync::{fence, Arc, Ordering, Steal, Worker, LOCAL_QUEUE_CAPACITY};
use crate::task::alloc::TaskCache;
use crate::task::Notified;

/// How long a busy worker may go without looking at the injector (and the timer). The
/// interval, in polls, adapts to the measured cost of a poll so that it spans about
/// this long: outside spawns, wakes and timers wait behind a busy worker for a fraction
/// of a millisecond whatever its tasks cost (a fixed 61 polls of 1 ms tasks would make
/// them wait 61 ms).
const INJECTOR_CHECK_TARGET: Duration = Duration::from_micros(100);

/// Bounds of the adaptive interval, in polls. The first interval is the upper bound.
const MIN_INJECTOR_INTERVAL: u32 = 2;
const MAX_INJECTOR_INTERVAL: u32 = 61;

/// Backlog mode: a worker whose local queue is shorter than this, and whose fairness
/// check finds that at least `BACKLOG_BURST` tasks arrived from outside since its last
/// check and the injector still holds some, drains the injector ahead of its local
/// queue (in small batches) until it is empty: a burst of outside spawns then runs at
/// the rate the worker polls, not one batch per interval. A worker with a longer queue
/// has plenty of its own work, and tasks spilled from a full local queue (not from
/// outside) do not count, so local fan-outs keep their order.
const BACKLOG_LOCAL_MAX: usize = 32;
const BACKLOG_BURST: u64 = 16;

/// Polls in a row that may come from the LIFO slot before the slot's task goes to the
/// back of the queue, so two tasks waking each other cannot starve the rest.
const MAX_LIFO_POLLS: u32 = 3;

/// A steal takes at most this many tasks (crossbeam takes about half of the victim's).
const STEAL_LIMIT: usize = LOCAL_QUEUE_CAPACITY / 2;

/// A worker's own state. Lives in an `Rc` shared by the worker loop and the thread's
/// context (so a waker fired during a poll on this thread can push locally); every
/// field is a `Cell` or has `&self` methods, so the two never need `&mut`.
pub(crate) struct Core {
    index: usize,
    shared: Arc<Shared>,
    local: Worker<Notified>,
    /// The task woken most recently by a task on this worker: runs next.
    lifo: Cell<Option<Notified>>,
    /// Polls since the injector was last checked, and how many trigger the next check.
    polls_since_check: Cell<u32>,
    check_interval: Cell<u32>,
    /// When the injector was last checked, to adapt `check_interval`.
    last_check: Cell<Instant>,
    /// Backlog mode (see `BACKLOG_LOCAL_MAX`), and `Shared::injected` at the last check.
    drain_injector: Cell<bool>,
    injected_at_check: Cell<u64>,
    /// Which of the injector and the spilled batches an empty queue tried first last
    /// time (spill.rs).
    spilled_first: Cell<bool>,
    is_searching: Cell<bool>,
    rng: Cell<u32>,
    /// Free task blocks for this worker's spawns (task/alloc.rs).
    task_cache: TaskCache,
    /// Task references to `shared` counted but not held by any task yet, and whether
    /// this worker still takes and returns them (runtime_ref.rs, rules C2 and C3).
    credits: Cell<usize>,
    credits_open: Cell<bool>,
}

/// Runs worker `index` on the current thread until shutdown.
pub(crate) fn run(shared: Arc<Shared>, index: usize, local: Worker<Notified>) {
    let core = Rc::new(Core {
        index,
        shared: shared.clone(),
        local,
        lifo: Cell::new(None),
        polls_since_check: Cell::new(0),
        check_interval: Cell::new(MAX_INJECTOR_INTERVAL),
        last_check: Cell::new(Instant::now()),
        drain_injector: Cell::new(false),
        injected_at_check: Cell::new(0),
        spilled_first: Cell::new(false),
        is_searching: Cell::new(false),
        rng: Cell::new((index as u32).wrapping_mul(0x9E37_79B9) | 1),
        task_cache: TaskCache::new(),
        credits: Cell::new(0),
        credits_open: Cell::new(true),
    });
    context::set_core(core.clone());
    let _enter = context::enter(
        crate::Handle {
            shared: shared.clone(),
        },
        false,
    );
    if let Some(f) = &shared.config.on_thread_start {
        f();
    }
    core.run_loop();
    core.drain();
    // Tasks spilled or injected after shutdown drained the injector (by this worker's
    // last poll, or by the destructors `drain` ran) are cancelled here, not left
    // holding the runtime alive.
    shared.drain_injector();
    core.close_credits();
    if let Some(f) = &shared.config.on_thread_stop {
        f();
    }
    shared.worker_exited();
}

impl Core {
    /// This worker's task block cache and its runtime's depot.
    pub(crate) fn task_cache(&self) -> (&TaskCache, &crate::task::alloc::Depot) {
        (&self.task_cache, &self.shared.depot)
    }

    /// Whether this core is a worker of the `Shared` at `shared`.
    pub(crate) fn is(&self, shared: *const Shared) -> bool {
        std::ptr::eq(Arc::as_ptr(&self.shared), shared)
    }

    /// Takes a credit for a task spawned here (runtime_ref.rs, rule C2); `false` once
    /// this worker has left its loop (rule C3).
    pub(crate) fn take_task_ref(&self) -> bool {
        if !self.credits_open.get() {
            return false;
        }
        let credits = match self.credits.get() {
            0 => {
                Shared::add_task_refs(&self.shared, CREDIT_BATCH);
                CREDIT_BATCH
            }
            n => n,
        };
        self.credits.set(credits - 1);
        true
    }

    /// Keeps the reference of a task freed here as a credit (rule C2); `false` once
    /// this worker has left its loop (rule C3).
    pub(crate) fn return_task_ref(&self) -> bool {
        if !self.credits_open.get() {
            return false;
        }
        #[cfg(not(loom_broken = "credits"))]
        let credits = self.credits.get() + 1;
        #[cfg(loom_broken = "credits")]
        let credits = self.credits.get();
        if credits > 2 * CREDIT_BATCH {
            // SAFETY: we own `credits` counted references; giving back a batch leaves
            // us more than that, so the count stays above 0 and `Shared` is not freed.
            unsafe { Shared::release_task_refs(Shared::as_non_null(&self.shared), CREDIT_BATCH) };
            self.credits.set(credits - CREDIT_BATCH);
        } else {
            self.credits.set(credits);
        }
        true
    }

    /// Rule C3: gives every credit back, and takes or returns none from now on.
    fn close_credits(&self) {
        self.credits_open.set(false);
        let credits = self.credits.replace(0);
        if credits > 0 {
            // SAFETY: we own `credits` counted references and give them up; our own
            // `Arc<Shared>` keeps `Shared` alive past this call whatever the count does.
            unsafe { Shared::release_task_refs(Shared::as_non_null(&self.shared), credits) };
        }
    }

    /// Whether this core is a worker of `shared`.
    pub(crate) fn belongs_to(&self, shared: &Arc<Shared>) -> bool {
        self.is(Arc::as_ptr(shared))
    }

    fn run_loop(&self) {
        while !self.shared.is_shutdown() {
            if let Some(task) = self.next_task() {
                self.run_task(task);
            } else if let Some(task) = self.steal_work() {
                self.run_task(task);
            } else {
                self.park();
            }
        }
    }

    fn next_task(&self) -> Option<Notified> {
        if self.drain_injector.get() {
            let len = self.local.len();
            if len < BACKLOG_LOCAL_MAX {
                // Small batches that keep the local queue short, so the next call
                // comes back here soon.
                let limit = BACKLOG_LOCAL_MAX / 2 - len.min(BACKLOG_LOCAL_MAX / 2 - 1);
                if let Some(task) = self.shared.pop_injector_batch(&self.local, limit, false) {
                    return Some(task);
                }
            }
            self.drain_injector.set(false);
        }
        if self.polls_since_check.get() >= self.check_interval.get() {
            if let Some(task) = self.check_injector() {
                return Some(task);
            }
        }
        if let Some(task) = self.lifo.take() {
            return Some(task);
        }
        self.local.pop().or_else(|| self.take_injected(STEAL_LIMIT))
    }

    /// A batch from the injector or the spilled batches for an empty local queue,
    /// alternating which comes first (spill.rs).
    fn take_injected(&self, limit: usize) -> Option<Notified> {
        let spilled_first = !self.spilled_first.get();
        self.spilled_first.set(spilled_first);
        self.shared
            .pop_injector_batch(&self.local, limit, spilled_first)
    }

    /// Fairness and maintenance for a busy worker: fire due timers, take a batch from
    /// the injector before the local queue, and re-tune the interval so the next check
    /// comes about `INJECTOR_CHECK_TARGET` later.
    #[cold]
    fn check_injector(&self) -> Option<Notified> {
        // Fire due timers, so a busy runtime does not starve them (time/mod.rs, rule
        // T3). One relaxed load when nothing is due.
        self.shared.timer.maintain();
        let polls = self.polls_since_check.replace(0);
        let now = Instant::now();
        self.shared.depot.maybe_trim(now);
        let elapsed = now.saturating_duration_since(self.last_check.replace(now));
        let per_poll = elapsed.as_nanos() / u128::from(polls.max(1));
        let interval = INJECTOR_CHECK_TARGET.as_nanos() / per_poll.max(1);
        let interval = interval.clamp(MIN_INJECTOR_INTERVAL.into(), MAX_INJECTOR_INTERVAL.into());
        self.check_interval.set(interval as u32);
        // A batch, not one task, so a burst of outside spawns drains at the rate the
        // worker polls rather than one task per interval; within the queue's capacity.
        // Relaxed: a statistic used as a hint; a stale value only delays backlog mode
        // to the next check.
        let injected = self.shared.injected.load(Ordering::Relaxed);
        let arrived = injected.wrapping_sub(self.injected_at_check.replace(injected));
        if arrived >= BACKLOG_BURST && self.local.len() < BACKLOG_LOCAL_MAX {
            let task = self
                .shared
                .pop_injector_batch(&self.local, BACKLOG_LOCAL_MAX / 2, false);
            if task.is_some() && !self.shared.injector.is_empty() {
                self.drain_injector.set(true);
            }
            return task;
        }
        // Plenty of local work: a batch, within the queue's capacity, behind it.
        let room = LOCAL_QUEUE_CAPACITY.saturating_sub(self.local.len());
        if room > 1 {
            self.take_injected(room.min(STEAL_LIMIT))
        } else {
            self.shared.pop_injector_one()
        }
    }

    fn run_task(&self, task: Notified) {
        if self.is_searching.replace(false) && self.shared.idle.transition_worker_from_searching() {
            // The last searcher found work: there may be more, so wake a worker to
            // keep searching (idle.rs, rule 2).
            self.shared.notify_parked();
        }
        self.poll(task);
        let mut lifo_polls = 0;
        while let Some(next) = self.lifo.take() {
            if lifo_polls == MAX_LIFO_POLLS {
                self.push_back(next);
                break;
            }
            lifo_polls += 1;
            self.poll(next);
        }
    }

    fn poll(&self, task: Notified) {
        self.counters().polls.incr(1);
        self.polls_since_check.set(self.polls_since_check.get() + 1);
        task.run();
    }

    fn counters(&self) -> &crate::metrics::WorkerCounters {
        &self.shared.remotes[self.index].counters
    }

    /// Spawns onto this worker's runtime from its own thread.
    pub(crate) fn spawn<F>(&self, future: F) -> crate::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (notified, join) = Shared::bind(&self.shared, future);
        if let Some(notified) = notified {
            self.schedule_local(notified, false, true);
        }
        join
    }

    /// Counts a spawn made on this worker's thread (`spawn_immediate`).
    pub(crate) fn count_spawn(&self) {
        self.counters().spawned.incr(1);
    }

    /// A task scheduled from this worker's thread.
    pub(crate) fn schedule_local(&self, task: Notified, is_yield: bool, is_spawn: bool) {
        if is_spawn {
            self.counters().spawned.incr(1);
        }
        if is_yield {
            self.push_back(task);
        } else if let Some(prev) = self.lifo.replace(Some(task)) {
            self.push_back(prev);
        }
    }

    /// Pushes to the back of the local queue, spilling half of it to the injector when
    /// it is full, and wakes a sibling when there is more here than this worker needs.
    fn push_back(&self, task: Notified) {
        if self.local.len() >= LOCAL_QUEUE_CAPACITY {
            self.spill();
        }
        self.local.push(task);
        // Wake a sibling when the queue *becomes* worth stealing from (two tasks: one
        // for us, one to take), not on every push: a push never needs a wake-up for
        // liveness (this worker runs its own queue), only for parallelism, and a queue
        // can only grow from one task to more through exactly two. A sibling that
        // parks later rescans every queue (idle.rs, rule 3) and so sees a longer one.
        // This keeps the SeqCst fence of `notify_parked` off most local pushes.
        if self.local.len() == 2 {
            self.shared.notify_parked();
        }
    }

    /// Moves the older half of the local queue to the injector, where siblings and the
    /// injector interval see it.
    #[cold]
    fn spill(&self) {
        let mut batch = Vec::with_capacity(LOCAL_QUEUE_CAPACITY / 2);
        while batch.len() < LOCAL_QUEUE_CAPACITY / 2 {
            match self.local.pop() {
                Some(task) => batch.push(task),
                None => break,
            }
        }
        self.shared.spilled.push(batch);
        self.shared.notify_parked();
    }

    fn steal_work(&self) -> Option<Notified> {
        if !self.is_searching.get() {
            if !self.shared.idle.transition_worker_to_searching() {
                return None;
            }
            self.is_searching.set(true);
        }
        let remotes = &self.shared.remotes;
        let n = remotes.len();
        let start = self.next_rand() as usize % n;
        let counters = self.counters();
        for i in 0..n {
            let victim = (start + i) % n;
            if victim == self.index {
                continue;
            }
            counters.steal_attempts.incr(1);
            loop {
                match remotes[victim]
                    .stealer
                    .steal_batch_with_limit_and_pop(&self.local, STEAL_LIMIT)
                {
                    Steal::Success(task) => {
                        counters.steals.incr(1 + self.local.len() as u64);
                        return Some(task);
                    }
                    Steal::Empty => break,
                    Steal::Retry => {}
                }
            }
        }
        self.take_injected(STEAL_LIMIT)
    }

    /// idle.rs, rule 3: announce, fence, rescan, sleep.
    fn park(&self) {
        let shared = &self.shared;
        let was_searching = self.is_searching.replace(false);
        shared
            .idle
            .transition_worker_to_parked(self.index, was_searching);
        // SeqCst fence: the rescan below must not be ordered before the announcement
        // (idle.rs: the Dekker argument against a concurrent push).
        fence(Ordering::SeqCst);
        #[cfg(not(loom_broken = "park_rescan"))]
        if shared.has_work() || shared.is_shutdown() {
            self.is_searching.set(shared.idle.unpark_self(self.index));
            return;
        }
        self.counters().parks.incr(1);
        // Return task blocks that stayed unused for a while (task/alloc.rs), so a
        // runtime going idle after a burst gives the burst's memory back.
        shared.depot.maybe_trim(Instant::now());
        let parker = &shared.remotes[self.index].parker;
        loop {
            // time/mod.rs, rule T1: if timers are pending and no worker drives them,
            // we do, parking until the earliest deadline. Taken after the announcement
            // and rescan above, under the timer's lock, which orders it against every
            // registration (time/mod.rs, "No lost timer").
            let deadline = shared.timer.try_drive(self.index);
            parker.park(deadline);
            if deadline.is_some() {
                // A timed park ends like a rescan that found work (idle.rs, rule 3):
                // give up the driver role, take ourselves off the sleepers list (or
                // learn that a notifier already did and counted us as a searcher),
                // fire what is due (the woken tasks come to this worker), and go back
                // to the loop, which parks again, and drives again, if idle.
                shared.timer.stop_driving(self.index);
                self.is_searching.set(shared.idle.unpark_self(self.index));
                if !shared.is_shutdown() {
                    shared.timer.fire_due(std::time::Instant::now());
                }
                return;
            }
            if shared.is_shutdown() {
                return;
            }
            if !shared.idle.is_sleeping(self.index) {
                // A notifier took us off the list and counted us as a searcher.
                self.is_searching.set(true);
                return;
            }
            // A stale token from an earlier notification: still on the list, sleep on.
        }
    }

    /// On exit: cancel the tasks still queued here (dropping a `Notified` cancels its
    /// task in place). Their destructors may spawn or wake more onto this worker, so
    /// loop until both the slot and the queue stay empty.
    fn drain(&self) {
        loop {
            if let Some(task) = self.lifo.take() {
                task.shutdown();
            } else if let Some(task) = self.local.pop() {
                task.shutdown();
            } else {
                break;
            }
        }
    }

    fn next_rand(&self) -> u32 {
        // xorshift32: cheap, and good enough to spread the first steal victim.
        let mut x = self.rng.get();
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.rng.set(x);
        x
    }
}
