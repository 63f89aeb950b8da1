//! The multi-threaded work-stealing scheduler.
//!
//! Each worker thread owns a FIFO `Worker` deque plus a one-task LIFO slot; idle
//! workers steal half of a sibling's queue through its `Stealer`; spawns and wakes
//! from outside the workers go through one `Injector`. The park/notify protocol is in
//! `idle.rs` and `README.md`.

pub(crate) mod idle;
pub(crate) mod park;
pub(crate) mod runtime_ref;
pub(crate) mod spill;
pub(crate) mod worker;

use std::future::Future;
use std::time::{Duration, Instant};

use crate::metrics::WorkerCounters;
use crate::sync::{
    fence, Arc, AtomicBool, AtomicU64, AtomicUsize, CachePadded, Condvar, Injector, Mutex,
    Ordering, StdArc, Steal, Stealer,
};
use crate::task::{self, JoinHandle, Notified, Registry};

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
    pub(crate) max_blocking_threads: usize,
}

/// What other threads may touch of one worker.
pub(crate) struct Remote {
    pub(crate) stealer: Stealer<Notified>,
    pub(crate) parker: Parker,
    pub(crate) counters: CachePadded<WorkerCounters>,
}

/// The state shared by the workers, the handles and every task.
pub(crate) struct Shared {
    pub(crate) injector: Injector<Notified>,
    /// Batches spilled from full local queues (spill.rs): part of "the injector".
    pub(crate) spilled: spill::Spilled,
    pub(crate) remotes: Box<[Remote]>,
    pub(crate) idle: Idle,
    pub(crate) registry: Registry,
    /// The runtime's timer, driven by parked workers (time/mod.rs).
    pub(crate) timer: crate::time::driver::Timer,
    /// The `spawn_blocking` thread pool (blocking.rs).
    pub(crate) blocking: crate::blocking::BlockingPool,
    /// Set once by shutdown; read by workers between polls and by every remote push.
    pub(crate) is_shutdown: AtomicBool,
    /// Spawns and wakes that arrived from outside a worker.
    pub(crate) injected: CachePadded<AtomicU64>,
    /// Spawns from outside a worker (spawns on a worker count in its `WorkerCounters`),
    /// and every `spawn_immediate`.
    pub(crate) spawned_remote: CachePadded<AtomicU64>,
    /// How many workers have left their loop; shutdown waits on `exited_cvar`.
    exited: Mutex<usize>,
    exited_cvar: Condvar,
    pub(crate) config: Config,
    /// Free task blocks shared by the workers (task/alloc.rs).
    pub(crate) depot: task::alloc::Depot,
    /// Tasks' references to this state, plus the workers' credits (runtime_ref.rs).
    pub(crate) task_refs: CachePadded<AtomicUsize>,
}

impl Shared {
    pub(crate) fn new(config: Config, stealers: Vec<Stealer<Notified>>) -> Shared {
        let n = stealers.len();
        Shared {
            injector: Injector::new(),
            spilled: spill::Spilled::new(),
            remotes: stealers
                .into_iter()
                .map(|stealer| Remote {
                    stealer,
                    parker: Parker::new(),
                    counters: CachePadded::new(WorkerCounters::default()),
                })
                .collect(),
            idle: Idle::new(n),
            registry: Registry::new(4 * n),
            timer: crate::time::driver::Timer::new(),
            blocking: crate::blocking::BlockingPool::new(&config),
            is_shutdown: AtomicBool::new(false),
            injected: CachePadded::new(AtomicU64::new(0)),
            spawned_remote: CachePadded::new(AtomicU64::new(0)),
            exited: Mutex::new(0),
            exited_cvar: Condvar::new(),
            config,
            depot: task::alloc::Depot::new(),
            task_refs: CachePadded::new(AtomicUsize::new(0)),
        }
    }

    /// Spawns a hot task: it is queued before this returns.
    pub(crate) fn spawn<F>(this: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (notified, join) = Shared::bind(this, future);
        if let Some(notified) = notified {
            Shared::schedule_task(this, notified, false, true);
        }
        join
    }

    /// Spawns a task and polls it once on the calling thread before returning
    /// (`spawn_immediate`): the harness runs it up to its first `Pending` or to
    /// completion. From then on it is a task like any other: a wake during that poll
    /// reschedules it through `Schedule`, a later wake queues it on the workers.
    pub(crate) fn spawn_immediate<F>(this: &Arc<Self>, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (notified, join) = Shared::bind(this, future);
        if let Some(notified) = notified {
            crate::context::with_core(|core| match core {
                // On one of our workers: its own single-writer counter.
                Some(core) if core.belongs_to(this) => core.count_spawn(),
                // Relaxed: a statistic.
                _ => {
                    this.spawned_remote.fetch_add(1, Ordering::Relaxed);
                }
            });
            notified.run();
        }
        join
    }

    /// Allocates a task. Returns its first `Notified`, or `None` when the runtime is
    /// shut down (the task is then already cancelled: its future was dropped here).
    ///
    /// No registry work here: a task is listed only if it ever waits (task/mod.rs,
    /// rule L2). A spawn racing with shutdown past this check is caught where its
    /// `Notified` goes: `push_remote` drains the injector itself once it sees the flag.
    pub(crate) fn bind<F>(this: &Arc<Self>, future: F) -> (Option<Notified>, JoinHandle<F::Output>)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let (notified, join) = task::new_task(future, RuntimeRef::acquire(this), task::Id::next());
        if this.is_shutdown() {
            notified.shutdown();
            return (None, join);
        }
        (Some(notified), join)
    }

    pub(crate) fn is_shutdown(&self) -> bool {
        // Relaxed: a hint read between polls; shutdown's correctness rests on the
        // registry walk and the injector drain, which synchronise through locks and
        // the SeqCst fence in `push_remote`.
        self.is_shutdown.load(Ordering::Relaxed)
    }

    /// Routes a task to the current worker's queue if this thread is one of our
    /// workers, else to the injector.
    fn schedule_task(this: &Self, task: Notified, is_yield: bool, is_spawn: bool) {
        crate::context::with_core(|core| match core {
            Some(core) if core.is(this) => core.schedule_local(task, is_yield, is_spawn),
            _ => this.push_remote(task, is_spawn),
        });
    }

    /// A push from outside the workers.
    pub(crate) fn push_remote(&self, task: Notified, is_spawn: bool) {
        // Relaxed counters: statistics only, never used to synchronise.
        self.injected.fetch_add(1, Ordering::Relaxed);
        if is_spawn {
            self.spawned_remote.fetch_add(1, Ordering::Relaxed);
        }
        self.injector.push(task);
        // SeqCst fence: orders the push before our reads of `is_shutdown` and of the
        // idle state. Against shutdown (which stores `is_shutdown`, fences, then drains
        // the injector): either we see the flag and drain ourselves, or shutdown's drain
        // sees our task, so no task is left in the injector holding the runtime alive.
        // Against parking workers: idle.rs, the Dekker argument.
        fence(Ordering::SeqCst);
        if self.is_shutdown.load(Ordering::Relaxed) {
            self.drain_injector();
            return;
        }
        self.notify_parked_after_fence();
    }

    /// Wakes a parked worker if no worker is searching. Call after a push.
    pub(crate) fn notify_parked(&self) {
        // SeqCst fence: see idle.rs, rule 2.
        fence(Ordering::SeqCst);
        self.notify_parked_after_fence();
    }

    fn notify_parked_after_fence(&self) {
        if let Some(index) = self.idle.worker_to_notify() {
            self.remotes[index].parker.unpark();
        }
    }

    /// Whether any queue holds a task: the rescan of idle.rs rule 3.
    pub(crate) fn has_work(&self) -> bool {
        !self.injector.is_empty()
            || !self.spilled.is_empty()
            || self.remotes.iter().any(|r| !r.stealer.is_empty())
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

    /// Cancels every task in the injector and the spilled batches.
    pub(crate) fn drain_injector(&self) {
        loop {
            while let Some(task) = self.pop_injector_one() {
                drop(task);
            }
            let batches = self.spilled.take_all();
            if batches.is_empty() {
                break;
            }
            // Outside the lock: cancelling runs destructors, which may spawn or spill.
            drop(batches);
        }
    }

    /// Called by each worker as it leaves its loop.
    pub(crate) fn worker_exited(&self) {
        *self.exited.lock() += 1;
        self.exited_cvar.notify_all();
    }

    /// Stops the workers and cancels every unfinished task.
    ///
    /// 1. Set `is_shutdown` and unpark every worker; each leaves its loop after its
    ///    current poll and cancels the tasks in its queues (dropping a `Notified`
    ///    cancels its task in place, task/mod.rs rule L2).
    /// 2. Wait for the workers to exit, at most until `deadline`.
    /// 3. Close the registry and cancel every listed (waiting) task: idle ones in
    ///    place (their futures are dropped here), running ones by their runner after
    ///    its poll (a runner whose task is not listed yet finds the registry closed
    ///    when it tries to list it, and cancels it then).
    /// 4. Drain the injector and the spilled batches, cancelling what they hold (each
    ///    worker also drains both as it exits: see `worker::run`).
    ///
    /// Alongside: step 1 also shuts the blocking pool (queued closures are dropped and
    /// cancelled by step 3; running ones finish on their own threads); after step 4
    /// the timer is closed (time/mod.rs, rule T4); with a `deadline`, running blocking
    /// closures are waited for until then too.
    ///
    /// Returns whether every worker exited in time.
    pub(crate) fn shutdown(&self, deadline: Option<Instant>) -> bool {
        // SeqCst: pairs with the fence in `push_remote` (step 4).
        self.is_shutdown.store(true, Ordering::SeqCst);
        for remote in self.remotes.iter() {
            remote.parker.unpark();
        }
        self.blocking.shutdown();

        let all_exited = {
            let mut exited = self.exited.lock();
            loop {
                if *exited == self.remotes.len() {
                    break true;
                }
                match deadline {
                    None => self.exited_cvar.wait(&mut exited),
                    Some(deadline) => {
                        if self
                            .exited_cvar
                            .wait_until(&mut exited, deadline)
                            .timed_out()
                        {
                            break *exited == self.remotes.len();
                        }
                    }
                }
            }
        };

        for task in self.registry.close_and_take_all() {
            task.shutdown();
        }
        fence(Ordering::SeqCst);
        self.drain_injector();
        self.timer.close();
        if let Some(deadline) = deadline {
            self.blocking.wait_idle(deadline);
        }
        all_exited
    }

    /// Waits up to `timeout` for the workers to exit (used by tests of shutdown).
    #[allow(dead_code)]
    pub(crate) fn wait_exited(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut exited = self.exited.lock();
        while *exited < self.remotes.len() {
            if self
                .exited_cvar
                .wait_until(&mut exited, deadline)
                .timed_out()
            {
                return false;
            }
        }
        true
    }
}
