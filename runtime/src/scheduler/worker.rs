//! The worker loop: run local work, check the injector at a fixed interval, steal when
//! empty, park when there is nothing anywhere.

use std::cell::Cell;
use std::time::{Duration, Instant};

use super::runtime_ref::Credits;
use super::Scheduler;
use crate::context;
use crate::sync::{fence, Arc, AtomicUsize, Ordering, StdArc, Steal, Worker};
use crate::task::alloc::{BlockCache, TaskCache};
use crate::task::{Notified, Reason};

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

/// Number of slots a worker's local queue holds before half of it spills (as one
/// batch, spill.rs). Under loom the deque is a model (sync/deque.rs) and the capacity
/// is 2, so that spills happen inside a model.
#[cfg(not(loom))]
const LOCAL_QUEUE_CAPACITY: usize = 256;
#[cfg(loom)]
const LOCAL_QUEUE_CAPACITY: usize = 2;

/// A steal takes at most this many tasks (crossbeam takes about half of the victim's).
const STEAL_LIMIT: usize = LOCAL_QUEUE_CAPACITY / 2;

/// The monitor's period: work queued on a worker stuck in one poll for longer than
/// this (and at most twice this) is taken by an idle worker.
///
/// A worker's own pushes wake no sibling unless its queue becomes two long (idle.rs,
/// rule 2), and its LIFO slot is its own: both assume the worker soon finishes its
/// poll. A poll that blocks its thread (a blocking call, a long computation) breaks
/// that, and its queued tasks and due timers would wait for it while siblings sleep.
/// So, by these rules:
///
/// - **M1.** A worker that parks while another worker is awake takes the monitor role
///   if it is vacant (a try-lock it holds while parked) and parks for at most one
///   tick. With every other worker parked nothing can be stuck, and it parks without
///   a deadline.
/// - **M2.** Each tick, the monitor takes the LIFO slot (`lifo.rs`) and a batch of the
///   local queue of every worker whose poll counter has not moved since the last
///   tick, and fires due timers; then it returns to its loop and runs what it took.
/// - **M3.** A worker that returns from a timed park (timer driver or monitor) with
///   work, not counted as a searcher, wakes a sleeper if none searches, so the role
///   does not stay vacant while it is busy. A worker woken by a notification already
///   does (idle.rs, rule 2: the last searcher to find work wakes another).
///
/// The cost is one wake-up of one parked worker per tick while the runtime is partly
/// busy; none while it is idle or saturated.
const MONITOR_TICK: Duration = Duration::from_millis(10);

/// loom has no clock: a timed park returns at once, so a monitor would turn every
/// model into a spin. The models check the LIFO slot's ownership transfer (`lifo.rs`)
/// through the owner's own paths; the monitor is a liveness aid, covered by
/// tests/rt_failure.rs.
const MONITOR: bool = !cfg!(loom);

/// How a worker parks (`Core::plan_park`).
struct ParkPlan<'a> {
    /// `None`: until unparked.
    deadline: Option<Instant>,
    /// This worker holds the timer's driver role until it wakes (time/mod.rs, T1).
    drives_timer: bool,
    /// The monitor role (rule M1), held while parked.
    monitor: Option<crate::sync::MutexGuard<'a, Monitor>>,
    /// The reactor's selector (io/README.md, D1): this worker blocks in
    /// `epoll_wait` with `deadline` as its timeout instead of on its condition
    /// variable.
    reactor: Option<crate::io::driver::Driver<'a>>,
}

/// What the monitor saw at its last tick: each worker's poll counter, and when.
pub(crate) struct Monitor {
    seen: Vec<Option<u64>>,
    last_tick: Option<Instant>,
}

impl Monitor {
    pub(crate) fn new(workers: usize) -> Monitor {
        Monitor {
            seen: vec![None; workers],
            last_tick: None,
        }
    }

    /// Whether a tick's time has passed since the last tick (records this one if so).
    fn tick_due(&mut self, now: Instant) -> bool {
        if self
            .last_tick
            .is_some_and(|last| now.saturating_duration_since(last) < MONITOR_TICK)
        {
            return false;
        }
        self.last_tick = Some(now);
        true
    }
}

/// A worker's own state. Lives in an `Arc` shared by the worker loop and the thread's
/// context (so a waker fired during a poll on this thread can push locally); every
/// field is a `Cell` or has `&self` methods, so the two never need `&mut`. One thread
/// drives it at a time (rule B1).
pub(crate) struct Core {
    index: usize,
    shared: Arc<Scheduler>,
    local: Worker<Notified>,
    /// Polls since the injector was last checked, and how many trigger the next check.
    polls_since_check: Cell<u32>,
    check_interval: Cell<u32>,
    /// When the injector was last checked, to adapt `check_interval`.
    last_check: Cell<Instant>,
    /// Backlog mode (see `BACKLOG_LOCAL_MAX`), and `Scheduler::injected` at the last check.
    backlog_mode: Cell<bool>,
    injected_at_check: Cell<u64>,
    /// Which of the injector and the spilled batches an empty queue tried first last
    /// time (spill.rs).
    spilled_first: Cell<bool>,
    is_searching: Cell<bool>,
    rng: Cell<u32>,
    /// Free task blocks for this worker's spawns (task/alloc.rs).
    task_cache: TaskCache,
    /// Task references to `shared` counted but not held by any task yet
    /// (runtime_ref.rs, rules C2 and C3).
    credits: Credits,
    /// Whether tasks scheduled on this thread may go to the local queue: cleared once
    /// the worker has drained it for the last time at shutdown.
    accepting: Cell<bool>,
    /// Whether the core is in its loop (not starting, not in its part of shutdown):
    /// only then may `block_in_place` lend it (rule B2).
    in_loop: Cell<bool>,
    /// `&shared.remotes[index]`, kept so the hot path does not index for it.
    remote: std::ptr::NonNull<super::Remote>,
    /// How many times the core was lent (rule B3): each driver remembers the count it
    /// started with and checks it after every poll. An atomic because a thread that
    /// lent the core reads it while the new driver may lend it again.
    lends: AtomicUsize,
}

// SAFETY: rule B1 (`block_in_place`): one thread at a time drives a core and touches
// its `Cell`s and its `Worker` deque; the hand-over between drivers is a thread spawn
// (happens-before). Other threads only read its immutable fields, `index` and
// `shared`.
unsafe impl Send for Core {}
// SAFETY: as above: shared references used by other threads read only immutable
// fields.
unsafe impl Sync for Core {}

/// Runs worker `index` on the current thread until shutdown.
pub(crate) fn run(shared: Arc<Scheduler>, index: usize, local: Worker<Notified>) {
    let remote = std::ptr::NonNull::from(&shared.remotes[index]);
    let core = StdArc::new(Core {
        index,
        remote,
        shared,
        local,
        polls_since_check: Cell::new(0),
        check_interval: Cell::new(MAX_INJECTOR_INTERVAL),
        last_check: Cell::new(Instant::now()),
        backlog_mode: Cell::new(false),
        injected_at_check: Cell::new(0),
        spilled_first: Cell::new(false),
        is_searching: Cell::new(false),
        rng: Cell::new((index as u32).wrapping_mul(0x9E37_79B9) | 1),
        task_cache: TaskCache::new(),
        credits: Credits::new(),
        accepting: Cell::new(true),
        in_loop: Cell::new(false),
        lends: AtomicUsize::new(0),
    });
    drive(core);
}

/// Drives `core` on this thread: its loop until shutdown, then its part of shutdown.
/// Returns early, leaving all of that to another thread, if a poll on this thread
/// lent the core away (`block_in_place`, "Lending a core" below).
fn drive(core: StdArc<Core>) {
    let shared = core.shared.clone();
    context::set_core(core.clone());
    let _enter = context::enter(
        crate::Handle {
            shared: shared.clone(),
        },
        context::EnterKind::Plain,
    );
    run_hook(shared.config.on_thread_start.as_ref());
    core.in_loop.set(true);
    // Rule B3: the lends this thread has seen; a poll after which the count moved lent
    // the core away.
    // Relaxed: the lender's increment happens before this thread started (the spawn),
    // and after that only this thread, while it drives, increments it.
    let lends = core.lends.load(Ordering::Relaxed);
    if core.run_loop(lends) == Driving::Lent {
        // Another thread drives the core now; this one only finished the poll that
        // lent it, and touches the core no more.
        run_hook(shared.config.on_thread_stop.as_ref());
        return;
    }
    core.in_loop.set(false);
    // Shutdown, step 2 (scheduler/mod.rs): cancel what this worker can reach, on its
    // own thread and with the runtime current, until destructors stop adding more.
    // Then local pushes go to the injector (`schedule_local`), where the last worker
    // out drains them.
    while core.drain() | shared.cancel_waiting_and_injected() {}
    core.accepting.set(false);
    core.credits.close(&shared);
    run_hook(shared.config.on_thread_stop.as_ref());
    shared.record_exit_driver();
    shared.worker_exited();
}

/// When a park ends, however it ends: counts the time asleep, then runs the
/// `on_thread_unpark` callback.
struct UnparkHook<'a> {
    hook: Option<&'a super::Callback>,
    counters: &'a crate::metrics::WorkerCounters,
    clock: &'a crate::task::trace::Clock,
    since: Instant,
}

impl Drop for UnparkHook<'_> {
    fn drop(&mut self) {
        // The time a waking worker reads anyway keeps the dump clock current.
        let now = Instant::now();
        self.clock.refresh(now);
        let nanos =
            u64::try_from(now.saturating_duration_since(self.since).as_nanos()).unwrap_or(u64::MAX);
        self.counters.parked_nanos.incr(nanos);
        run_hook(self.hook);
    }
}

/// Whether this thread still drives its core after a poll.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Driving {
    Still,
    Lent,
}

/// `task::block_in_place`: runs `f` on this thread after lending this thread's worker
/// core (its local queue, its LIFO slot, its place among the workers) to a new
/// thread, so nothing queued here waits for `f`. Outside a worker (or on a worker
/// that is leaving its loop at shutdown) it just runs `f`.
///
/// Lending a core:
///
/// - **B1.** One thread drives a core at a time: the one whose context names it
///   (`context::set_core`). Only the driver touches the core's `Cell`s; other
///   threads read its immutable fields (`index`, `shared`), which is what makes
///   `Core: Send + Sync` sound.
/// - **B2.** The driver lends its core only from inside a poll (`block_in_place` is
///   called by a task), while the core is in its loop (`in_loop`). It first stops
///   driving (`context::take_core`: its spawns and wakes go to the injector from now
///   on), then starts the new thread, which drives the core from its loop as a
///   worker would; the spawn hands the core over (happens-before).
/// - **B3.** After `f`, the poll that lent the core goes on without one. When it
///   returns, the old driver sees it no longer drives (the core's `lends` count moved
///   since it started driving: one relaxed load after every poll) and leaves the
///   worker loop without touching the core again.
///   Its thread ends. Shutdown does not wait for it (it may still be in `f`, which
///   is a blocking call like a `spawn_blocking` closure); it joins the threads that
///   drove the cores through their exit.
///
/// If the OS cannot start a thread, the core is taken back before anything else
/// happened to it, and `f` blocks the worker as a plain call would.
pub(crate) fn block_in_place<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(not(loom))]
    {
        let lendable = context::with_core(|core| core.is_some_and(|core| core.in_loop.get()));
        if lendable {
            if let Some(core) = context::take_core() {
                // Rule B3, before the new driver can start. Relaxed: the spawn orders
                // it before the new driver's first read.
                core.lends.fetch_add(1, Ordering::Relaxed);
                if let Err(core) = lend(core) {
                    // Nobody else saw the count: take the core and the count back.
                    core.lends.fetch_sub(1, Ordering::Relaxed);
                    context::set_core(core);
                }
            }
        }
    }
    f()
}

/// Starts a thread that drives `core` (rule B2); gives the core back if it cannot.
#[cfg(not(loom))]
fn lend(core: StdArc<Core>) -> Result<(), StdArc<Core>> {
    let shared = core.shared.clone();
    let config = shared.config();
    let mut builder =
        std::thread::Builder::new().name(format!("{}-{}", config.thread_name, core.index));
    if let Some(size) = config.stack_size {
        builder = builder.stack_size(size);
    }
    // The core goes through a slot, so that a failed spawn gives it back.
    let slot = StdArc::new(crate::sync::StaticMutex::new(Some(core)));
    let theirs = slot.clone();
    match builder.spawn(move || {
        if let Some(core) = theirs.lock().take() {
            drive(core);
        }
    }) {
        Ok(thread) => {
            shared.add_lent_thread(thread);
            Ok(())
        }
        Err(_) => Err(slot.lock().take().expect("the thread never started")),
    }
}

/// Runs an `on_thread_start` / `on_thread_stop` callback. A panic in it is reported by
/// the panic hook, like a task's, and goes no further: a user callback can never skip
/// the worker's own bookkeeping (a worker that never reports its exit would make
/// shutdown wait forever).
fn run_hook(hook: Option<&super::Callback>) {
    if let Some(f) = hook {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f()));
    }
}

impl Core {
    /// This worker's task block cache and its runtime's depot (task/alloc.rs), lent
    /// to the task layer for one allocation or free on this thread.
    pub(crate) fn block_cache(&self) -> BlockCache<'_> {
        BlockCache::new(&self.task_cache, &self.shared.depot)
    }

    /// Whether this core is a worker of the `Scheduler` at `shared`.
    pub(crate) fn is_worker_of(&self, shared: *const Scheduler) -> bool {
        std::ptr::eq(Arc::as_ptr(&self.shared), shared)
    }

    /// The runtime this core is a worker of.
    pub(crate) fn scheduler(&self) -> &Arc<Scheduler> {
        &self.shared
    }

    /// This worker's credits (runtime_ref.rs).
    pub(crate) fn credits(&self) -> &Credits {
        &self.credits
    }

    /// Which worker this is.
    pub(crate) fn index(&self) -> usize {
        self.index
    }

    fn run_loop(&self, lends: usize) -> Driving {
        while !self.shared.is_shutdown() {
            if self.remote().running.dump_requested() {
                self.dump_safe_point();
            }
            let driving = if let Some(task) = self.next_task() {
                self.run_task(task, lends)
            } else if let Some(task) = self.steal_work() {
                self.run_task(task, lends)
            } else {
                self.park();
                Driving::Still
            };
            if driving == Driving::Lent {
                return Driving::Lent;
            }
        }
        Driving::Still
    }

    fn next_task(&self) -> Option<Notified> {
        if self.backlog_mode.get() {
            let len = self.local.len();
            if len < BACKLOG_LOCAL_MAX {
                // Small batches that keep the local queue short, so the next call
                // comes back here soon.
                let limit = BACKLOG_LOCAL_MAX / 2 - len.min(BACKLOG_LOCAL_MAX / 2 - 1);
                if let Some(task) = self.shared.pop_injector_batch(&self.local, limit, false) {
                    return Some(task);
                }
            }
            self.backlog_mode.set(false);
        }
        if self.polls_since_check.get() >= self.check_interval.get() {
            if let Some(task) = self.check_injector() {
                return Some(task);
            }
        }
        if let Some(task) = self.lifo().take() {
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
        // Poll the reactor without blocking, so readiness never waits behind busy
        // workers (io/README.md, D1); the tasks it wakes come to this queue. One
        // relaxed load when nothing is registered; nothing if another thread polls.
        if let Some(io) = self.shared.io() {
            if io.has_registrations() {
                if let Some(mut driver) = io.try_drive() {
                    driver.turn(Some(Duration::ZERO));
                }
            }
        }
        let polls = self.polls_since_check.replace(0);
        let now = Instant::now();
        self.shared.clock.refresh(now);
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
                self.backlog_mode.set(true);
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

    fn run_task(&self, task: Notified, lends: usize) -> Driving {
        if self.is_searching.replace(false) && self.shared.idle.transition_worker_from_searching() {
            // The last searcher found work: there may be more, so wake a worker to
            // keep searching (idle.rs, rule 2).
            self.shared.notify_parked();
        }
        if self.poll(task, lends) == Driving::Lent {
            return Driving::Lent;
        }
        let mut lifo_polls = 0;
        // A dump's request is checked before each task taken (dump.rs, rule P2): the
        // loop's top pauses.
        while let Some(next) = (!self.remote().running.dump_requested())
            .then(|| self.lifo().take())
            .flatten()
        {
            if lifo_polls == MAX_LIFO_POLLS {
                self.push_back(next);
                break;
            }
            lifo_polls += 1;
            if self.poll(next, lends) == Driving::Lent {
                return Driving::Lent;
            }
        }
        Driving::Still
    }

    fn poll(&self, task: Notified, lends: usize) -> Driving {
        self.counters().polls.incr(1);
        self.polls_since_check.set(self.polls_since_check.get() + 1);
        // For dumps (dump.rs): the task's poll statistics, and this worker's running
        // slot. Plain stores to lines this thread owns, and one relaxed load of the
        // clock.
        let now = self.shared.clock.tick();
        let polls = task.trace().begin_poll(now);
        let slot = &self.remote().running;
        slot.begin(&task, polls, now);
        task.run();
        slot.end();
        // Rule B3: the poll may have lent this core to another thread.
        // Relaxed: only a driver increments `lends`; if this thread did, it sees its own
        // write; if the count moved by another thread, that one drives since this
        // thread's lend (and this thread, no driver, must see the move, which it does:
        // its own increment came first in the count's modification order).
        if self.lends.load(Ordering::Relaxed) == lends {
            Driving::Still
        } else {
            Driving::Lent
        }
    }

    /// The task woken most recently by a task on this worker: runs next.
    fn lifo(&self) -> &super::lifo::LifoSlot {
        &self.remote().lifo
    }

    fn counters(&self) -> &crate::metrics::WorkerCounters {
        &self.remote().counters
    }

    /// This worker's `Remote`, without indexing `remotes` on every access.
    #[inline]
    fn remote(&self) -> &super::Remote {
        // SAFETY: `remote` points into `shared.remotes` (a boxed slice, never resized),
        // and `self.shared` keeps that `Scheduler` alive as long as `self`.
        unsafe { self.remote.as_ref() }
    }

    /// Counts a spawn made on this worker's thread (`spawn_immediate`).
    pub(crate) fn count_spawn(&self) {
        self.counters().spawned.incr(1);
    }

    /// A task scheduled from this worker's thread.
    pub(crate) fn schedule_local(&self, task: Notified, reason: Reason) {
        if reason == Reason::Spawned {
            self.counters().spawned.incr(1);
        }
        if !self.accepting.get() {
            self.shared.push_after_shutdown(task);
        } else if reason == Reason::Yielded {
            self.push_back(task);
        } else if let Some(prev) = self.lifo().replace(task) {
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
        run_hook(shared.config.on_thread_park.as_ref());
        let since = Instant::now();
        shared.clock.refresh(since);
        let _unpark_hook = UnparkHook {
            hook: shared.config.on_thread_unpark.as_ref(),
            counters: self.counters(),
            clock: &shared.clock,
            since,
        };
        // Return task blocks that stayed unused for a while (task/alloc.rs), so a
        // runtime going idle after a burst gives the burst's memory back.
        shared.depot.maybe_trim(Instant::now());
        let parker = &shared.remotes[self.index].parker;
        loop {
            let mut plan = self.plan_park();
            let deadline = plan.deadline;
            // I/O wakes during the turn are pushes to this worker's own queue.
            let mut woke_io = 0;
            let timed = match plan.reactor.as_mut() {
                Some(driver) => {
                    let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                    if let Some(woken) = parker.park_in_driver(|| driver.turn(timeout)) {
                        woke_io = woken;
                    }
                    // Every return from the reactor ends the park like a timed one:
                    // an event may have woken nobody's task here yet still be ours.
                    true
                }
                None => {
                    parker.park(deadline);
                    deadline.is_some()
                }
            };
            // Release the selector before anything else, so a busy sibling's
            // zero-timeout turn can have it while this worker runs what it woke.
            drop(plan.reactor.take());
            if timed {
                // A timed park ends like a rescan that found work (idle.rs, rule 3):
                // give up the driver role, take ourselves off the sleepers list (or
                // learn that a notifier already did and counted us as a searcher),
                // fire what is due (the woken tasks come to this worker), look for
                // stranded work (rule M2), and go back to the loop, which parks again,
                // and drives again, if idle.
                if plan.drives_timer {
                    shared.timer.stop_driving(self.index);
                }
                self.is_searching.set(shared.idle.unpark_self(self.index));
                if !shared.is_shutdown() {
                    let now = Instant::now();
                    // The driver fires what is due; a monitor only checks (one relaxed
                    // load when nothing is), which covers timers a stuck worker
                    // registered while nobody drove (time/mod.rs, rule T3).
                    let fired = if plan.drives_timer {
                        shared.timer.fire_due(now)
                    } else {
                        shared.timer.maintain()
                    };
                    let mut monitor = plan.monitor;
                    // A tick only once a tick's time has passed since the last one: a
                    // monitor woken early (a notification) goes back to work without
                    // looking around.
                    let stolen = match monitor.as_deref_mut() {
                        Some(monitor) => monitor.tick_due(now) && self.monitor_tick(monitor),
                        None => false,
                    };
                    drop(monitor);
                    // io/README.md, "Where woken tasks go": more than one task woken
                    // by this turn is worth a sibling.
                    if (fired > 0 || stolen || woke_io > 1) && !self.is_searching.get() {
                        // Rule M3: we now have work while others may sleep without a
                        // monitor; wake one, which finds nothing and parks as the
                        // monitor (or finds more of our work to share).
                        shared.notify_parked();
                    }
                }
                return;
            }
            if shared.is_shutdown() {
                return;
            }
            if self.remote().running.dump_requested() {
                // A dump woke us (dump.rs, rule P1): go to the loop's top to pause.
                self.is_searching.set(shared.idle.unpark_self(self.index));
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

    /// What this parking worker blocks for: the one place that decides between
    /// "block until unparked" and "block with a deadline", from the timer's earliest
    /// deadline (if this worker drives the timer), the monitor role, and the reactor
    /// (blocking in `epoll_wait` with the same deadline as its timeout). Called after the
    /// announce–fence–rescan of idle.rs, rule 3.
    fn plan_park(&self) -> ParkPlan<'_> {
        let shared = &self.shared;
        // time/mod.rs, rule T1: if timers are pending and no worker drives them, we
        // do, parking until the earliest deadline. Taken after the announcement and
        // rescan, under the timer's lock, which orders it against every registration
        // (time/mod.rs, "No lost timer").
        let timer_deadline = shared.timer.try_drive(self.index);
        // Rule M1: while another worker is awake, one parked worker wakes every tick
        // to look for work stranded behind a stuck poll.
        let monitor = if MONITOR && shared.idle.num_unparked() > 0 {
            shared.monitor.try_lock()
        } else {
            None
        };
        let deadline = match (&monitor, timer_deadline) {
            (Some(_), Some(d)) => Some(d.min(Instant::now() + MONITOR_TICK)),
            (Some(_), None) => Some(Instant::now() + MONITOR_TICK),
            (None, d) => d,
        };
        // io/README.md, D1: if no other thread polls the reactor, this worker blocks
        // in it, with the same deadline as its timeout: one wait covers timers, the
        // monitor's tick and I/O. Unparks reach it through the reactor's waker
        // (park.rs, `park_in_driver`).
        let reactor = shared.io().and_then(|io| io.try_drive());
        ParkPlan {
            deadline,
            drives_timer: timer_deadline.is_some(),
            monitor,
            reactor,
        }
    }

    /// dump.rs, rule P2: read this worker's queues into the dump and wait for its end.
    #[cold]
    fn dump_safe_point(&self) {
        self.shared.dump.pause(self.index, |records| {
            let lifo = self.lifo().take();
            let mut tasks = Vec::with_capacity(self.local.len());
            while let Some(task) = self.local.pop() {
                tasks.push(task);
            }
            records.extend(lifo.iter().chain(&tasks).map(super::dump::Record::queued));
            // Back in the same order; the queue had room for them a moment ago.
            for task in tasks {
                self.local.push(task);
            }
            if let Some(task) = lifo {
                if let Some(prev) = self.lifo().replace(task) {
                    self.local.push(prev);
                }
            }
        });
    }

    /// Rule M2: takes the work queued on every other worker that has not started a
    /// poll since the last tick (stuck in one poll for a whole tick: blocked, or
    /// computing), into our local queue. Returns whether it took anything.
    fn monitor_tick(&self, monitor: &mut Monitor) -> bool {
        let counters = self.counters();
        let mut stolen = false;
        for (i, remote) in self.shared.remotes.iter().enumerate() {
            let polls = remote.counters.polls.get();
            let seen = monitor.seen[i].replace(polls);
            if i == self.index || seen != Some(polls) {
                continue;
            }
            if !remote.lifo.is_empty() {
                if let Some(task) = remote.lifo.steal() {
                    counters.steals.incr(1);
                    self.push_back(task);
                    stolen = true;
                }
            }
            if !remote.stealer.is_empty() {
                counters.steal_attempts.incr(1);
                let before = self.local.len();
                let first = loop {
                    match remote
                        .stealer
                        .steal_batch_with_limit_and_pop(&self.local, STEAL_LIMIT)
                    {
                        Steal::Success(task) => break Some(task),
                        Steal::Empty => break None,
                        Steal::Retry => {}
                    }
                };
                if let Some(task) = first {
                    counters.steals.incr(1 + (self.local.len() - before) as u64);
                    self.push_back(task);
                    stolen = true;
                }
            }
        }
        stolen
    }

    /// On exit: cancel the tasks still queued here (dropping a `Notified` cancels its
    /// task in place). Their destructors may spawn or wake more onto this worker, so
    /// loop until both the slot and the queue stay empty. Returns whether there was
    /// anything.
    fn drain(&self) -> bool {
        let mut found = false;
        loop {
            if let Some(task) = self.lifo().take() {
                task.shutdown();
            } else if let Some(task) = self.local.pop() {
                task.shutdown();
            } else {
                return found;
            }
            found = true;
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
