//! What the loom models in `loom-tests/` drive (`runtime::__loom`, `cfg(loom)` only).
//!
//! Nothing here re-implements a protocol: each function is a thin door into the real
//! code. [`task::Scheduler`] is a test `Schedule` impl whose run queue is a loom
//! `Mutex<VecDeque>` and whose registry is the runtime's real `Registry`, so a model
//! can spawn, poll, wake, abort, join and shut down real tasks (state word, harness,
//! waker vtable, join-waker rules) on the loom threads of its choice. [`scheduler`]
//! starts the real worker loop (`worker::run`: run, steal, the park/notify protocol of
//! `idle.rs`, `Parker`) on loom threads and exposes the real remote push and shutdown.

/// Tasks on a test scheduler.
pub mod task {
    use std::collections::VecDeque;
    use std::fmt;
    use std::future::Future;

    use crate::sync::{AtomicUsize, Ordering};
    use crate::task::{self as t, Id, Notified, Registry, Schedule, TaskRef};
    use crate::JoinHandle;

    struct Inner {
        queue: loom::sync::Mutex<VecDeque<Notified>>,
        registry: Registry,
        /// How many times a task was scheduled as `Reason::Yielded` (re-queued by its runner
        /// after a wake during its own poll, task/mod.rs rule R2).
        yields: AtomicUsize,
    }

    /// A test `Schedule` impl: woken tasks go to one FIFO queue that the model runs
    /// from any loom thread. Held in a `loom::sync::Arc`, so a task leaked by the
    /// runtime leaks the scheduler too and loom reports it.
    #[derive(Clone)]
    pub struct Scheduler(loom::sync::Arc<Inner>);

    impl Schedule for loom::sync::Arc<Inner> {
        fn schedule(&self, task: Notified, reason: t::Reason) {
            if reason == t::Reason::Yielded {
                self.yields.fetch_add(1, Ordering::Relaxed);
            }
            self.queue.lock().unwrap().push_back(task);
        }

        fn register(&self, task: t::Task) -> Result<(), t::Task> {
            self.registry.insert(task)
        }

        fn release(&self, task: TaskRef) -> Option<t::Task> {
            self.registry.remove(task)
        }
    }

    /// A task taken out of the run queue: the real `Notified` reference.
    pub struct Queued(pub(crate) Notified);

    impl Queued {
        /// Polls (or cancels) the task: the real harness, consuming the reference.
        pub fn run(self) {
            self.0.run();
        }
    }

    impl fmt::Debug for Queued {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Queued")
        }
    }

    impl Default for Scheduler {
        fn default() -> Scheduler {
            Scheduler::new()
        }
    }

    impl Scheduler {
        /// An empty scheduler with a one-shard registry.
        pub fn new() -> Scheduler {
            Scheduler(loom::sync::Arc::new(Inner {
                queue: loom::sync::Mutex::new(VecDeque::new()),
                registry: Registry::new(1),
                yields: AtomicUsize::new(0),
            }))
        }

        /// Spawns a hot task: allocated (`new_task`) and its first `Notified` queued,
        /// as `Scheduler::bind` + `spawn` do. It enters the registry if it ever waits
        /// (task/mod.rs, rule L2).
        pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
        where
            F: Future + Send + 'static,
            F::Output: Send + 'static,
        {
            let (notified, join) = t::new_task(future, self.0.clone(), Id::next(), None);
            self.0.schedule(notified, t::Reason::Spawned);
            join
        }

        /// Takes the task at the front of the run queue.
        pub fn pop(&self) -> Option<Queued> {
            self.0.queue.lock().unwrap().pop_front().map(Queued)
        }

        /// Runs the task at the front of the run queue; returns whether there was one.
        pub fn run_one(&self) -> bool {
            match self.pop() {
                Some(task) => {
                    task.run();
                    true
                }
                None => false,
            }
        }

        /// Runs queued tasks until the queue is empty; returns how many ran.
        pub fn run_all(&self) -> usize {
            let mut n = 0;
            while self.run_one() {
                n += 1;
            }
            n
        }

        /// How many tasks are queued.
        pub fn queued(&self) -> usize {
            self.0.queue.lock().unwrap().len()
        }

        /// How many times a runner re-queued its task after a wake during the poll.
        pub fn yields(&self) -> usize {
            self.0.yields.load(Ordering::Relaxed)
        }

        /// The runtime's shutdown of tasks: closes the registry, cancels every listed
        /// task (in place if idle; by its runner otherwise), then drops the queue
        /// (dropping a `Notified` cancels its task).
        pub fn shutdown(&self) {
            for task in self.0.registry.close_and_take_all() {
                task.shutdown();
            }
            let queued: Vec<Notified> = self.0.queue.lock().unwrap().drain(..).collect();
            drop(queued);
        }
    }

    impl fmt::Debug for Scheduler {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Scheduler")
                .field("queued", &self.queued())
                .finish()
        }
    }
}

/// The real worker loop and its park/notify protocol, on loom threads.
pub mod scheduler {
    use std::fmt;
    use std::future::Future;

    use crate::scheduler::{worker, Config, Scheduler};
    use crate::sync::{thread, Arc, Worker};
    use crate::JoinHandle;

    /// `n` workers running `worker::run` on loom threads, as `Runtime::start` starts
    /// them (without the blocking pool or anything else `Runtime` may own).
    pub struct Workers {
        shared: Arc<Scheduler>,
        threads: Vec<thread::JoinHandle<()>>,
    }

    impl Workers {
        /// Starts `n` workers.
        pub fn start(n: usize) -> Workers {
            let config = Config {
                num_workers: n,
                thread_name: "loom-worker".to_owned(),
                stack_size: None,
                on_thread_start: None,
                on_thread_stop: None,
                max_blocking_threads: 1,
            };
            let locals: Vec<Worker<_>> = (0..n).map(|_| Worker::new_fifo()).collect();
            let stealers = locals.iter().map(Worker::stealer).collect();
            let shared = Arc::new(Scheduler::new(config, stealers, None));
            let threads = locals
                .into_iter()
                .enumerate()
                .map(|(index, local)| {
                    let s = shared.clone();
                    thread::spawn(move || worker::run(s, index, local))
                })
                .collect();
            Workers { shared, threads }
        }

        /// `Handle::spawn` from this (non-worker) thread: the one spawn path, here the
        /// real remote push (injector, `SeqCst` fence, `is_shutdown` check,
        /// `notify_parked`).
        pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
        where
            F: Future + Send + 'static,
            F::Output: Send + 'static,
        {
            self.handle().spawn(future)
        }

        /// The runtime's `Handle` (for `JoinSet::spawn_on` and friends).
        pub fn handle(&self) -> crate::Handle {
            crate::Handle {
                shared: self.shared.clone(),
            }
        }

        /// A handle on another thread's side: spawn from there.
        pub fn spawner(&self) -> Spawner {
            Spawner(self.shared.clone())
        }

        /// `Scheduler::shutdown` (no deadline), then joins the worker threads.
        pub fn shutdown(self) {
            assert!(self.shared.shutdown(None), "every worker exits");
            for t in self.threads {
                t.join().expect("a worker never unwinds");
            }
        }

        /// How many times workers went to sleep (metrics counters).
        pub fn parks(&self) -> u64 {
            self.shared.parks()
        }
    }

    impl fmt::Debug for Workers {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Workers")
                .field("workers", &self.threads.len())
                .finish()
        }
    }

    /// A worker's `Parker` (scheduler/park.rs), alone.
    pub struct Parker(crate::scheduler::park::Parker);

    impl Parker {
        /// An empty parker (no token).
        pub fn new() -> Parker {
            Parker(crate::scheduler::park::Parker::new())
        }

        /// Blocks until a token is there, then consumes it.
        pub fn park(&self) {
            self.0.park(None);
        }

        /// Leaves a token, waking the parked thread if any.
        pub fn unpark(&self) {
            self.0.unpark();
        }
    }

    impl Default for Parker {
        fn default() -> Parker {
            Parker::new()
        }
    }

    impl fmt::Debug for Parker {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Parker")
        }
    }

    /// Spawns onto [`Workers`] from another loom thread.
    #[derive(Clone)]
    pub struct Spawner(Arc<Scheduler>);

    impl Spawner {
        /// As [`Workers::spawn`].
        pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
        where
            F: Future + Send + 'static,
            F::Output: Send + 'static,
        {
            crate::Handle {
                shared: self.0.clone(),
            }
            .spawn(future)
        }

        /// Tasks' references to the runtime plus the workers' credits
        /// (scheduler/runtime_ref.rs, rule C1).
        pub fn task_refs(&self) -> usize {
            self.0.task_refs()
        }
    }

    impl fmt::Debug for Spawner {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Spawner")
        }
    }
}

/// The runtime's timer registered with from outside the workers, while the real worker
/// loop parks and drives it (time/mod.rs, rules T1–T3): the seam between a
/// registration and a parking driver.
pub mod time {
    use std::fmt;

    use super::scheduler::Workers;
    use crate::context::{self, EnterGuard};

    /// `workers`' runtime made current on this thread, as `Runtime::block_on` makes it
    /// on the calling thread: a `Sleep` first polled here registers with that runtime's
    /// timer from a thread that is not one of its workers.
    pub struct Entered(EnterGuard);

    /// Enters `workers`' runtime on this thread until the guard is dropped.
    pub fn enter(workers: &Workers) -> Entered {
        Entered(context::enter(workers.handle(), context::EnterKind::Plain))
    }

    impl fmt::Debug for Entered {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Entered")
        }
    }
}

/// A worker's LIFO slot (scheduler/lifo.rs), alone: its owner's `replace` and `take`
/// against a thief's `steal` (the monitor's, worker.rs rule M2).
pub mod lifo {
    use std::fmt;

    use super::task::Queued;
    use crate::scheduler::lifo::LifoSlot;

    /// The real `LifoSlot`, holding tasks of a test [`Scheduler`](super::task::Scheduler).
    pub struct Slot(LifoSlot);

    impl Slot {
        /// An empty slot.
        pub fn new() -> Slot {
            Slot(LifoSlot::new())
        }

        /// Owner only: puts `task` in, returning the task it held (unless stolen).
        pub fn replace(&self, task: Queued) -> Option<Queued> {
            self.0.replace(task.0).map(Queued)
        }

        /// Owner only: takes the task out.
        pub fn take(&self) -> Option<Queued> {
            self.0.take().map(Queued)
        }

        /// Any thread: takes the task out.
        pub fn steal(&self) -> Option<Queued> {
            self.0.steal().map(Queued)
        }
    }

    impl Default for Slot {
        fn default() -> Slot {
            Slot::new()
        }
    }

    impl fmt::Debug for Slot {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Slot")
        }
    }
}
