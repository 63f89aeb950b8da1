//! The multi-threaded work-stealing scheduler.
//!
//! Each worker thread owns a FIFO `Worker` deque plus a one-task LIFO slot; idle
//! workers steal half of a sibling's queue through its `Stealer`; spawns and wakes
//! from outside the workers go through one `Injector`. The park/notify protocol is in
//! `idle.rs` and `README.md`.

pub(crate) mod dump;
pub(crate) mod idle;
pub(crate) mod lifo;
pub(crate) mod park;
pub(crate) mod runtime_ref;
pub(crate) mod spill;
pub(crate) mod worker;

use std::future::Future;
use std::time::Instant;

use crate::metrics::WorkerCounters;
use crate::sync::{
    fence, thread, Arc, AtomicBool, AtomicU64, AtomicUsize, CachePadded, Condvar, Injector, Mutex,
    Ordering, StdArc, Steal, Stealer,
};
use crate::task::trace::{Clock, SpawnMeta};
use crate::task::{self, JoinHandle, Notified, Reason, Registry};

use self::worker::Core;

use self::idle::Idle;
use self::park::Parker;
use self::runtime_ref::RuntimeRef;

/// A callback run on each worker thread as it starts or stops.
pub(crate) type Callback = StdArc<dyn Fn() + Send + Sync + 'static>;

/// What the `Builder` decided.
pub(crate) struct Config {
    pub(crate) num_workers: usize,
    pub(crate) thread_name: String,
    pub(crate) stack_size: Option<usize>,
    pub(crate) on_thread_start: Option<Callback>,
    pub(crate) on_thread_stop: Option<Callback>,
    pub(crate) on_thread_park: Option<Callback>,
    pub(crate) on_thread_unpark: Option<Callback>,
    pub(crate) max_blocking_threads: usize,
    pub(crate) unhandled_panic: crate::UnhandledPanic,
}

/// Workers that have exited, and whether the last of them finished shutdown.
#[derive(Default)]
struct ExitState {
    exited: usize,
    finished: bool,
}

/// What other threads may touch of one worker.
pub(crate) struct Remote {
    pub(crate) stealer: Stealer<Notified>,
    /// The worker's LIFO slot; others take from it only when the worker is stuck
    /// (worker.rs, the monitor). On its own cache line: its worker writes it for
    /// nearly every task, and `stealer` and `parker` are written by others.
    pub(crate) lifo: CachePadded<lifo::LifoSlot>,
    pub(crate) parker: Parker,
    pub(crate) counters: CachePadded<WorkerCounters>,
    /// The task the worker is polling, for dumps (dump.rs). Written by the worker at
    /// every poll; on its own line so that costs no sibling a cache miss.
    pub(crate) running: CachePadded<dump::RunningSlot>,
}

/// The state shared by the workers, the handles and every task: one per runtime.
///
/// Its fields are private to the scheduler (this module and its children: the
/// worker loop, the credits, the spill queue); the rest of the crate goes through
/// the named operations below (`spawn`, `unpark_worker`, `timer`, `blocking`,
/// `metrics`, ...).
pub(crate) struct Scheduler {
    injector: Injector<Notified>,
    /// Batches spilled from full local queues (spill.rs): part of "the injector".
    spilled: spill::Spilled,
    remotes: Box<[Remote]>,
    idle: Idle,
    registry: Registry,
    /// The runtime's timer, driven by parked workers (time/mod.rs).
    timer: crate::time::driver::Timer,
    /// The runtime's reactor, driven by parked workers and polled by busy ones
    /// (io/README.md). `None` only in loom models that do not ask for one.
    io: Option<Arc<crate::io::driver::Reactor>>,
    /// The `spawn_blocking` thread pool (blocking.rs).
    blocking: crate::blocking::BlockingPool,
    /// Set once by shutdown; read by workers between polls and by every remote push.
    is_shutdown: AtomicBool,
    /// Spawns and wakes that arrived from outside a worker.
    injected: CachePadded<AtomicU64>,
    /// Spawns from outside a worker (spawns on a worker count in its `WorkerCounters`),
    /// and every `spawn_immediate`.
    spawned_remote: CachePadded<AtomicU64>,
    /// How many workers have exited, and whether shutdown has finished; shutdown
    /// waits on `exit_cvar`.
    exit: Mutex<ExitState>,
    exit_cvar: Condvar,
    /// Set by the thread that finishes shutdown once every queue and the registry are
    /// empty (`finish_shutdown`): from then on a push cancels its own task, since no
    /// loop of the runtime is left to do it.
    finished: AtomicBool,
    config: Config,
    /// Free task blocks shared by the workers (task/alloc.rs).
    depot: task::alloc::Depot,
    /// Tasks' references to this state, plus the workers' credits (runtime_ref.rs).
    task_refs: CachePadded<AtomicUsize>,
    /// The monitor role (worker.rs): held, with what it saw at its last tick, by at
    /// most one parked worker.
    monitor: Mutex<worker::Monitor>,
    /// Threads started to drive a core lent by `block_in_place` (worker.rs, rule B2).
    lent_threads: Mutex<Vec<thread::JoinHandle<()>>>,
    /// The threads that drove a core through its exit (`worker::drive`): the ones
    /// `Runtime` joins. A thread that lent its core away may still be in its blocking
    /// call, and is not waited for, like a `spawn_blocking` closure.
    exit_drivers: Mutex<Vec<thread::ThreadId>>,
    /// `UnhandledPanic::ShutdownRuntime`: the first panic's message once a task
    /// panicked, and the wakers of the `block_on` calls to tell.
    panic_shutdown: crate::sync::StaticMutex<PanicShutdown>,
    /// When the runtime started (for the workers' busy time).
    started: Instant,
    /// The coarse clock that stamps tasks for dumps (task/trace.rs).
    clock: CachePadded<Clock>,
    /// Where a dump asks the workers to pause (dump.rs).
    dump: dump::DumpGate,
}

/// See `Scheduler::panic_shutdown`.
#[derive(Default)]
struct PanicShutdown {
    message: Option<String>,
    watchers: Vec<std::task::Waker>,
}

impl Scheduler {
    pub(crate) fn new(
        config: Config,
        stealers: Vec<Stealer<Notified>>,
        io: Option<Arc<crate::io::driver::Reactor>>,
    ) -> Scheduler {
        let n = stealers.len();
        let started = Instant::now();
        Scheduler {
            injector: Injector::new(),
            spilled: spill::Spilled::new(),
            remotes: stealers
                .into_iter()
                .map(|stealer| Remote {
                    stealer,
                    lifo: CachePadded::new(lifo::LifoSlot::new()),
                    parker: Parker::new(),
                    counters: CachePadded::new(WorkerCounters::default()),
                    running: CachePadded::new(dump::RunningSlot::new()),
                })
                .collect(),
            idle: Idle::new(n),
            registry: Registry::new(4 * n),
            timer: crate::time::driver::Timer::new(),
            io,
            blocking: crate::blocking::BlockingPool::new(&config),
            is_shutdown: AtomicBool::new(false),
            injected: CachePadded::new(AtomicU64::new(0)),
            spawned_remote: CachePadded::new(AtomicU64::new(0)),
            exit: Mutex::new(ExitState::default()),
            exit_cvar: Condvar::new(),
            finished: AtomicBool::new(false),
            config,
            depot: task::alloc::Depot::new(),
            task_refs: CachePadded::new(AtomicUsize::new(0)),
            monitor: Mutex::new(worker::Monitor::new(n)),
            lent_threads: Mutex::new(Vec::new()),
            exit_drivers: Mutex::new(Vec::new()),
            panic_shutdown: crate::sync::StaticMutex::new(PanicShutdown::default()),
            started,
            clock: CachePadded::new(Clock::new(started)),
            dump: dump::DumpGate::new(n),
        }
    }

    /// Spawns a hot task: it is queued before this returns. The one spawn path
    /// (`Handle::spawn`, the free `spawn`, `JoinSet`, the loom doors all come here).
    ///
    /// `worker` is this thread's worker core if it is one of `this`'s workers: the
    /// caller looks the thread's context up once (context.rs) and passes it down, and
    /// it serves the runtime reference (a credit), the allocation (the worker's block
    /// cache) and the queue (the worker's own).
    #[inline]
    pub(crate) fn spawn<F>(
        this: &Arc<Self>,
        future: F,
        worker: Option<&Core>,
        meta: SpawnMeta<'_>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (notified, join) = Scheduler::bind(this, future, worker, meta);
        match worker {
            Some(core) => core.schedule_local(notified, Reason::Spawned),
            None => this.push_remote(notified, Reason::Spawned),
        }
        join
    }

    /// Spawns a task and polls it once on the calling thread before returning
    /// (`spawn_immediate`): the harness runs it up to its first `Pending` or to
    /// completion. From then on it is a task like any other: a wake during that poll
    /// reschedules it through `Schedule`, a later wake queues it on the workers.
    /// `worker`: as for [`spawn`](Self::spawn).
    pub(crate) fn spawn_immediate<F>(
        this: &Arc<Self>,
        future: F,
        worker: Option<&Core>,
        meta: SpawnMeta<'_>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (notified, join) = Scheduler::bind(this, future, worker, meta);
        match worker {
            // On one of our workers: its own single-writer counter.
            Some(core) => core.count_spawn(),
            // Relaxed: a statistic.
            None => {
                this.spawned_remote.fetch_add(1, Ordering::Relaxed);
            }
        }
        // A task created cancelled (shutdown has begun) is cancelled by this run: the
        // spawner's own future, dropped where it was handed over.
        notified.trace().begin_poll(this.clock.tick());
        notified.run();
        join
    }

    /// Allocates a task and returns its first `Notified`.
    ///
    /// No registry work here for an unnamed task: it is listed only if it ever waits
    /// (task/mod.rs, rule L2). A named one is listed at once, so that a dump finds its
    /// name whatever it is doing (dump.rs: a dump copies no name from a task it holds
    /// no reference to). A task spawned once shutdown has begun is created cancelled, and
    /// queued like any other: whoever dequeues it (a worker still in its loop, or the
    /// shutdown drain) drops its future on the runtime's own thread, never on the
    /// spawner's stack (see `shutdown`). A spawn racing with shutdown past this check
    /// is caught where its `Notified` goes: the exiting workers drain every queue.
    #[inline]
    fn bind<F>(
        this: &Arc<Self>,
        future: F,
        worker: Option<&Core>,
        meta: SpawnMeta<'_>,
    ) -> (Notified, JoinHandle<F::Output>)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let SpawnMeta { location, name } = meta;
        let spawned_at = match worker {
            // An awake worker keeps the clock current (task/trace.rs).
            Some(_) => this.clock.tick(),
            None => this.outside_tick(),
        };
        let (notified, join) = task::new_task(
            future,
            RuntimeRef::acquire(this, worker),
            task::Id::next(),
            worker.map(Core::block_cache),
            location,
            name.is_some(),
            spawned_at,
        );
        if let Some(name) = name {
            notified.register_new(&this.registry, name.into());
        }
        if this.is_shutdown() {
            notified.cancel();
        }
        (notified, join)
    }

    /// The clock's time for a spawn from outside the workers: its tick, unless every
    /// worker is parked, when nobody keeps it current and the spawner reads the real
    /// clock (it is about to wake a worker, a system call, anyway).
    fn outside_tick(&self) -> u32 {
        // Not under loom: the models have no clock to keep current, and the idle
        // state's load would be one more interleaving point in every spawn.
        if !cfg!(loom) && self.idle.num_unparked() == 0 {
            self.clock.refresh_now()
        } else {
            self.clock.tick()
        }
    }

    /// The runtime's coarse clock (task/trace.rs).
    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        // Relaxed: a hint read between polls; shutdown's correctness rests on the
        // registry walk and the injector drain, which synchronise through locks and
        // the SeqCst fence in `push_remote`.
        self.is_shutdown.load(Ordering::Relaxed)
    }

    /// Routes a woken task to this thread's queue if it is one of our workers
    /// (`worker`, looked up once by the caller), else to the injector.
    pub(crate) fn schedule_task(&self, task: Notified, reason: Reason, worker: Option<&Core>) {
        match worker {
            Some(core) => core.schedule_local(task, reason),
            None => self.push_remote(task, reason),
        }
    }

    /// A push from outside the workers.
    pub(crate) fn push_remote(&self, task: Notified, reason: Reason) {
        // Relaxed counters: statistics only, never used to synchronise.
        self.injected.fetch_add(1, Ordering::Relaxed);
        if reason == Reason::Spawned {
            self.spawned_remote.fetch_add(1, Ordering::Relaxed);
        }
        self.injector.push(task);
        // SeqCst fence: orders the push before our reads of `finished` and of the idle
        // state. Against parking workers: idle.rs, the Dekker argument. Against the end
        // of shutdown: `push_after_shutdown`.
        fence(Ordering::SeqCst);
        if self.is_shutdown.load(Ordering::Relaxed) {
            self.cancel_if_finished();
            return;
        }
        self.notify_parked_after_fence();
    }

    /// Hands a task that will never run (its runtime is shutting down) to the
    /// runtime's own loops, which cancel it: the injector, which the exiting workers
    /// and `finish_shutdown` drain.
    pub(crate) fn push_after_shutdown(&self, task: Notified) {
        self.injector.push(task);
        // SeqCst fence, against `finish_shutdown` (which stores `finished`, fences,
        // then drains): either its drain sees our task, or we see `finished` and
        // cancel it ourselves, so no task is left in the injector holding the runtime
        // alive.
        fence(Ordering::SeqCst);
        self.cancel_if_finished();
    }

    /// After a push once shutdown has begun: if shutdown has already finished, no loop
    /// of the runtime is left to cancel what the injector holds, so the pusher does.
    /// Only a straggler gets here (a spawn or wake from another thread after `drop`
    /// returned), never a destructor run by the shutdown itself.
    fn cancel_if_finished(&self) {
        // SeqCst: the load after the pusher's fence (see `push_after_shutdown`).
        if self.finished.load(Ordering::SeqCst) {
            self.cancel_injected();
        }
    }

    /// Wakes a parked worker if no worker is searching. Call after a push.
    pub(crate) fn notify_parked(&self) {
        // SeqCst fence: see idle.rs, rule 2.
        fence(Ordering::SeqCst);
        self.notify_parked_after_fence();
    }

    fn notify_parked_after_fence(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.unpark_worker(index);
        }
    }

    /// Whether any queue holds work for a worker about to park: the rescan of
    /// idle.rs rule 3. The injector and the spilled batches if they hold anything; a
    /// worker's local queue only from two tasks on, the length at which a push to it
    /// notifies (rule 2). A queue of one task is its owner's next poll: the owner is
    /// awake (it pushed, and a worker parks only with an empty queue), no push made it
    /// notify, and a sibling that stole the task would only move it away from the
    /// core whose cache holds it. Counting it kept idle workers cycling through
    /// announce, fence, rescan and unpark without ever sleeping while their busy
    /// sibling always had one task queued (the HTTP workload's profile). If the owner
    /// is stuck in a long poll, the monitor takes the task (worker.rs, rule M2).
    pub(crate) fn has_work(&self) -> bool {
        !self.injector.is_empty()
            || !self.spilled.is_empty()
            || self.remotes.iter().any(|r| r.stealer.len() >= 2)
    }

    /// Takes up to `limit` tasks from the injector, or a spilled batch of at most
    /// `limit` tasks (`spilled_first`: try that first), into `dest`, returning one of
    /// them.
    pub(crate) fn pop_injector_batch(
        &self,
        dest: &crate::sync::Worker<Notified>,
        limit: usize,
        spilled_first: bool,
    ) -> Option<Notified> {
        if spilled_first {
            if let Some(task) = self.spilled.pop_into(dest, limit) {
                return Some(task);
            }
        }
        loop {
            match self.injector.steal_batch_with_limit_and_pop(dest, limit) {
                Steal::Success(task) => return Some(task),
                Steal::Empty => break,
                Steal::Retry => {}
            }
        }
        if spilled_first {
            None
        } else {
            self.spilled.pop_into(dest, limit)
        }
    }

    pub(crate) fn pop_injector_one(&self) -> Option<Notified> {
        loop {
            match self.injector.steal() {
                Steal::Success(task) => return Some(task),
                Steal::Empty => return None,
                Steal::Retry => {}
            }
        }
    }

    /// Cancels every task in the injector and the spilled batches; returns whether
    /// there was any.
    pub(crate) fn cancel_injected(&self) -> bool {
        let mut found = false;
        loop {
            while let Some(task) = self.pop_injector_one() {
                found = true;
                drop(task);
            }
            let batches = self.spilled.take_all();
            if batches.is_empty() {
                return found;
            }
            found = true;
            // Outside the lock: cancelling runs destructors, which may spawn or spill.
            drop(batches);
        }
    }

    /// Closes the registry and cancels what it lists, and what the injector and the
    /// spilled batches hold; returns whether there was anything. Destructors run here
    /// may wake or spawn more, so callers repeat it until it finds nothing.
    pub(crate) fn cancel_waiting_and_injected(&self) -> bool {
        let mut found = false;
        for task in self.registry.close_and_take_all() {
            found = true;
            task.shutdown();
        }
        self.cancel_injected() || found
    }

    /// Called by each worker once it has cancelled what it could reach (`worker::run`).
    /// The last one out finishes shutdown on its own thread.
    pub(crate) fn worker_exited(&self) {
        let last = {
            let mut exit = self.exit.lock();
            exit.exited += 1;
            exit.exited == self.remotes.len()
        };
        if last {
            self.finish_shutdown();
        }
    }

    /// Starts shutdown without waiting for it: sets `is_shutdown`, wakes every worker,
    /// and stops the blocking pool. Idempotent.
    ///
    /// Closures queued in the blocking pool that never started go to the injector,
    /// where the exiting workers cancel them: their destructors are user code, and
    /// never run on the thread that drops the runtime.
    pub(crate) fn begin_shutdown(&self) {
        // SeqCst: read by every remote push after its fence (`push_remote`).
        if self.is_shutdown.swap(true, Ordering::SeqCst) {
            return;
        }
        for index in 0..self.remotes.len() {
            self.unpark_worker(index);
        }
        for task in self.blocking.shutdown() {
            self.push_after_shutdown(task);
        }
    }

    /// Stops the workers and cancels every unfinished task, on the runtime's own
    /// threads; waits for that at most until `deadline`.
    ///
    /// 1. `begin_shutdown`: set `is_shutdown` and unpark every worker. Each leaves its
    ///    loop after its current poll.
    /// 2. Each worker, on its own thread and with its runtime current (so destructors
    ///    can still call `Handle::current()`, and a spawn from one gets a task that is
    ///    cancelled at once): cancels its LIFO slot and local queue (dropping a
    ///    `Notified` cancels its task in place, task/mod.rs rule L2), closes the
    ///    registry and cancels every listed (waiting) task, and drains the injector and
    ///    the spilled batches; repeated until all are empty, since destructors may wake
    ///    or spawn more. A task running on another worker is cancelled by its runner
    ///    after its poll (it finds the registry closed, or CANCELLED set). Wakes and
    ///    spawns during all this only queue: a waker never runs a destructor on the
    ///    waking thread (which may hold a lock the destructor wants).
    /// 3. The last worker out (`worker_exited`) finishes: the same cancelling pass
    ///    until nothing is left, closes the timer (time/mod.rs, rule T4: its wakers
    ///    may queue more), the pass again, then sets `finished`, drains once more
    ///    (a push racing with the flag), and wakes this caller.
    /// 4. The caller waits for `finished`, at most until `deadline`; with a deadline,
    ///    running blocking closures are waited for until then too. Work left when the
    ///    deadline passes goes on on the runtime's threads.
    ///
    /// Returns whether shutdown finished in time.
    pub(crate) fn shutdown(&self, deadline: Option<Instant>) -> bool {
        self.begin_shutdown();
        let finished = {
            let mut exit = self.exit.lock();
            loop {
                if exit.finished {
                    break true;
                }
                match deadline {
                    None => self.exit_cvar.wait(&mut exit),
                    Some(deadline) => {
                        if self.exit_cvar.wait_until(&mut exit, deadline).timed_out() {
                            break exit.finished;
                        }
                    }
                }
            }
        };
        if let Some(deadline) = deadline {
            self.blocking.wait_idle(deadline);
        }
        finished
    }

    /// Step 3 of `shutdown`, run by whoever makes the last `worker_exited` call: the
    /// last worker out, or `Runtime::start`'s thread when the last workers could not
    /// be started (it counts each of them as exited).
    pub(crate) fn finish_shutdown(&self) {
        // SeqCst: as in `begin_shutdown` (this is the first store when no worker ran).
        self.is_shutdown.store(true, Ordering::SeqCst);
        while self.cancel_waiting_and_injected() {}
        self.timer.close();
        // io/README.md, D3: pending I/O futures complete with an error, new sockets
        // are refused. Their wakers may queue more.
        if let Some(io) = &self.io {
            io.close();
        }
        while self.cancel_waiting_and_injected() {}
        // SeqCst store and fence: against `push_after_shutdown`. A push that misses
        // this flag is drained below.
        self.finished.store(true, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        self.cancel_injected();
        let mut exit = self.exit.lock();
        exit.finished = true;
        self.exit_cvar.notify_all();
    }
}

/// Named operations for the layers above the scheduler (time/, blocking.rs,
/// metrics.rs, handle.rs, runtime.rs, the loom doors).
impl Scheduler {
    /// What the `Builder` decided.
    pub(crate) fn config(&self) -> &Config {
        &self.config
    }

    /// Number of workers.
    pub(crate) fn num_workers(&self) -> usize {
        self.remotes.len()
    }

    /// A task's poll panicked: under `UnhandledPanic::ShutdownRuntime`, the first
    /// panic shuts the runtime down and is re-raised by every `block_on` on it.
    pub(crate) fn task_panicked(&self, payload: &(dyn std::any::Any + Send)) {
        if self.config.unhandled_panic != crate::UnhandledPanic::ShutdownRuntime {
            return;
        }
        let message = crate::task::error::panic_message(payload)
            .unwrap_or_else(|| "a task panicked with a non-string payload".to_owned());
        let watchers = {
            let mut state = self.panic_shutdown.lock();
            if state.message.is_none() {
                state.message = Some(message);
            }
            std::mem::take(&mut state.watchers)
        };
        self.begin_shutdown();
        for waker in watchers {
            crate::task::waker::wake_caught(waker);
        }
    }

    /// The message of the panic that shut the runtime down (`ShutdownRuntime`), if
    /// any; otherwise registers `waker` to hear of one.
    pub(crate) fn watch_panic(&self, waker: &std::task::Waker) -> Option<String> {
        let mut state = self.panic_shutdown.lock();
        if let Some(message) = &state.message {
            return Some(message.clone());
        }
        if !state.watchers.iter().any(|w| w.will_wake(waker)) {
            state.watchers.push(waker.clone());
        }
        None
    }

    /// A `block_on` that watched for a panic is over.
    pub(crate) fn unwatch_panic(&self, waker: &std::task::Waker) {
        self.panic_shutdown
            .lock()
            .watchers
            .retain(|w| !w.will_wake(waker));
    }

    /// The runtime's reactor (io/README.md).
    pub(crate) fn io(&self) -> Option<&Arc<crate::io::driver::Reactor>> {
        self.io.as_ref()
    }

    /// The runtime's timer (time/mod.rs).
    pub(crate) fn timer(&self) -> &crate::time::driver::Timer {
        &self.timer
    }

    /// Wakes worker `index` from its park (or makes its next park return at once):
    /// the timer's rule T2, re-arming its driver.
    pub(crate) fn unpark_worker(&self, index: usize) {
        // A worker parked in the reactor is woken through the reactor's waker
        // (park.rs, `park_in_driver`).
        self.remotes[index].parker.unpark_with(|| {
            if let Some(io) = &self.io {
                io.wake();
            }
        });
    }

    /// Records a thread that drives a lent core (worker.rs, rule B2).
    #[cfg_attr(loom, allow(dead_code))]
    pub(crate) fn add_lent_thread(&self, thread: thread::JoinHandle<()>) {
        self.lent_threads.lock().push(thread);
    }

    /// Takes the threads started to drive lent cores, for `Runtime` to join.
    pub(crate) fn take_lent_threads(&self) -> Vec<thread::JoinHandle<()>> {
        std::mem::take(&mut *self.lent_threads.lock())
    }

    /// Records that this thread drove a core through its exit.
    pub(crate) fn record_exit_driver(&self) {
        self.exit_drivers.lock().push(thread::current().id());
    }

    /// Whether `id` drove a core through its exit (so it has nothing left but to
    /// return, once shutdown finished).
    pub(crate) fn is_exit_driver(&self, id: thread::ThreadId) -> bool {
        self.exit_drivers.lock().contains(&id)
    }

    /// The `spawn_blocking` pool (blocking.rs).
    pub(crate) fn blocking(&self) -> &crate::blocking::BlockingPool {
        &self.blocking
    }

    /// The registry of waiting tasks, for schedulers of tasks that run elsewhere
    /// (the blocking pool's `Schedule`).
    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }

    /// A snapshot of the counters (`Handle::metrics`).
    pub(crate) fn metrics(&self) -> crate::metrics::Metrics {
        let workers = self
            .remotes
            .iter()
            .map(|r| r.counters.snapshot(r.stealer.len(), self.started.elapsed()))
            .collect();
        crate::metrics::Metrics::new(
            workers,
            // Relaxed: statistics (metrics.rs, `Counter`).
            self.spawned_remote.load(Ordering::Relaxed),
            self.injected.load(Ordering::Relaxed),
            self.injector.len() + self.spilled.len(),
            self.blocking.num_threads(),
        )
    }

    /// Tasks' references plus the workers' credits (runtime_ref.rs, rule C1), for
    /// the loom models.
    #[cfg(loom)]
    pub(crate) fn task_refs(&self) -> usize {
        self.task_refs.load(Ordering::SeqCst)
    }

    /// How many times workers parked, for the loom models.
    #[cfg(loom)]
    pub(crate) fn parks(&self) -> u64 {
        self.remotes.iter().map(|r| r.counters.parks.get()).sum()
    }
}
