//! What the loom models in `loom-tests/` drive (`runtime::__loom`, `cfg(loom)` only).
//!
//! Nothing here re-implements a protocol: each function is a thin door into the real
//! code. [`task::Scheduler`] is a test `Schedule` impl whose run queue is a loom
//! `Mutex<VecDeque>` and whose registry is the runtime's real `Registry`, so a model
//! can spawn, poll, wake, abort, join and shut down real tasks (state word, harness,
//! waker vtable, join-waker rules) on the loom threads of its choice. [`scheduler`]
//! starts the real worker loop (`worker::run`: run, steal, the park/notify protocol of
//! `idle.rs`, `Parker`) on loom threads and exposes the real remote push and shutdown;
//! with a reactor, its workers park in it (`park_in_driver`). [`io`] registers model
//! resources on that reactor (io/sys.rs's model of epoll) and exposes a registration's
//! readiness word (io/scheduled_io.rs), alone or registered.

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
            let location = std::panic::Location::caller();
            let (notified, join) =
                t::new_task(future, self.0.clone(), Id::next(), None, location, false, 0);
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
        /// Starts `n` workers, without a reactor (`Scheduler::io` is `None`).
        pub fn start(n: usize) -> Workers {
            Workers::start_on(n, None)
        }

        /// Starts `n` workers with a reactor, as `Runtime::start` does: a parking worker
        /// that wins the selector blocks in it (io/driver.rs, D1), and unparks reach it
        /// through the reactor's waker (park.rs, `park_in_driver`). Under loom the
        /// reactor's epoll is the model in io/sys.rs.
        pub fn start_with_io(n: usize) -> Workers {
            let reactor = crate::io::driver::Reactor::new().expect("the model reactor");
            Workers::start_on(n, Some(Arc::new(reactor)))
        }

        fn start_on(n: usize, io: Option<Arc<crate::io::driver::Reactor>>) -> Workers {
            let config = Config {
                num_workers: n,
                thread_name: "loom-worker".to_owned(),
                stack_size: None,
                on_thread_start: None,
                on_thread_stop: None,
                on_thread_park: None,
                on_thread_unpark: None,
                unhandled_panic: crate::UnhandledPanic::Ignore,
                max_blocking_threads: 1,
            };
            let locals: Vec<Worker<_>> = (0..n).map(|_| Worker::new_fifo()).collect();
            let stealers = locals.iter().map(Worker::stealer).collect();
            let shared = Arc::new(Scheduler::new(config, stealers, io));
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

        /// The workers' reactor (for [`super::io::Resource::register`]).
        pub(crate) fn reactor(&self) -> Option<&Arc<crate::io::driver::Reactor>> {
            self.shared.io()
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

/// The reactor and a registration's readiness word (io/driver.rs rules D1–D3,
/// io/scheduled_io.rs rules R1–R3): a model resource registered on [`Workers`]'
/// reactor, made ready from any loom thread (io/sys.rs's model of epoll), and the
/// readiness word alone, for the waiter side without a reactor.
///
/// [`Workers`]: super::scheduler::Workers
pub mod io {
    use std::fmt;
    use std::future::Future;
    use std::io;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use super::scheduler::Workers;
    use crate::io::driver::Reactor;
    use crate::io::registration::{shutdown_error, Direction};
    use crate::io::slab::Key;
    use crate::io::sys::ModelSource;
    use crate::io::{Interest, Ready};
    use crate::sync::Arc;

    /// A readiness a waiter observed: its bits and the tick it read them at (what
    /// `clear_readiness` checks, rule R2).
    #[derive(Clone, Copy, Debug)]
    pub struct ReadyEvent(crate::io::ReadyEvent);

    impl ReadyEvent {
        /// The bits seen (restricted to the waiter's interest).
        pub fn ready(&self) -> Ready {
            self.0.ready
        }
    }

    /// One registration's shared state (`ScheduledIo`): its readiness word and its
    /// waiters. `new` makes one alone; [`Resource::scheduled_io`] is a registered one.
    #[derive(Clone)]
    pub struct ScheduledIo(Arc<crate::io::scheduled_io::ScheduledIo>);

    impl ScheduledIo {
        /// A fresh state, not registered anywhere: not ready, no waiters.
        pub fn new() -> ScheduledIo {
            ScheduledIo(Arc::new(crate::io::scheduled_io::ScheduledIo::new()))
        }

        /// What a reactor turn does for an event naming this registration (R1): ORs
        /// `ready` in, bumps the tick, wakes the waiters it satisfies. Returns how many
        /// wakers were called.
        pub fn set_readiness(&self, ready: Ready) -> usize {
            self.0.set_readiness(ready)
        }

        /// The readiness now, for `interest` (`None`: not ready); `Err` once shut down.
        pub fn ready_now(&self, interest: Interest) -> io::Result<Option<ReadyEvent>> {
            self.0
                .ready_now(interest)
                .map(|ev| ev.map(ReadyEvent))
                .map_err(|()| shutdown_error())
        }

        /// A waiter's clear after `WouldBlock` (R2): clears `ev`'s bits unless an event
        /// came since they were read.
        pub fn clear_readiness(&self, ev: ReadyEvent) {
            self.0.clear_readiness(ev.0);
        }

        /// `Registration::poll_ready` for reading: the single reader slot (R3).
        pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<ReadyEvent>> {
            self.0
                .poll_ready(cx, Direction::Read)
                .map(|r| r.map(ReadyEvent).map_err(|()| shutdown_error()))
        }

        /// `Registration::readiness`: waits in the waiter list until ready for
        /// `interest` (`poll_waiter`; the slot is freed on completion or drop).
        pub fn readiness(&self, interest: Interest) -> Readiness {
            Readiness {
                io: self.0.clone(),
                interest,
                slot: None,
            }
        }
    }

    impl Default for ScheduledIo {
        fn default() -> ScheduledIo {
            ScheduledIo::new()
        }
    }

    impl fmt::Debug for ScheduledIo {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("ScheduledIo")
        }
    }

    /// The future of [`ScheduledIo::readiness`], as registration.rs's `Readiness`
    /// (owning its state, so a spawned task can hold it).
    pub struct Readiness {
        io: Arc<crate::io::scheduled_io::ScheduledIo>,
        interest: Interest,
        slot: Option<usize>,
    }

    impl Future for Readiness {
        type Output = io::Result<ReadyEvent>;

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            let this = self.get_mut();
            match this.io.poll_waiter(cx, this.interest, &mut this.slot) {
                Poll::Ready(r) => {
                    this.io.drop_waiter(&mut this.slot);
                    Poll::Ready(r.map(ReadyEvent).map_err(|()| shutdown_error()))
                }
                Poll::Pending => Poll::Pending,
            }
        }
    }

    impl Drop for Readiness {
        fn drop(&mut self) {
            self.io.drop_waiter(&mut self.slot);
        }
    }

    impl fmt::Debug for Readiness {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_struct("Readiness")
                .field("slot", &self.slot)
                .finish()
        }
    }

    /// A model resource registered on a reactor (`Reactor::register_model`): its
    /// `ScheduledIo` is in the reactor's table, and [`make_ready`](Self::make_ready)
    /// is "data arrived" (an event in the model epoll, dispatched by whichever worker
    /// turns the reactor next). Dropped: removed from the table and shut down, as a
    /// dropped `Registration`.
    pub struct Resource {
        reactor: Arc<Reactor>,
        key: Key,
        io: ScheduledIo,
        source: ModelSource,
    }

    impl Resource {
        /// Registers a model resource on `workers`' reactor.
        ///
        /// # Panics
        ///
        /// If `workers` were started without one ([`Workers::start_with_io`]).
        pub fn register(workers: &Workers) -> io::Result<Resource> {
            let reactor = workers
                .reactor()
                .expect("workers started with `start_with_io`")
                .clone();
            let (key, io, source) = reactor.register_model()?;
            Ok(Resource {
                reactor,
                key,
                io: ScheduledIo(io),
                source,
            })
        }

        /// The resource's shared state, as the reactor's table holds it.
        pub fn scheduled_io(&self) -> &ScheduledIo {
            &self.io
        }

        /// The model epoll reports `ready` for this resource: queued for the next
        /// turn, and a turn blocked in the wait returns.
        pub fn make_ready(&self, ready: Ready) {
            self.source.make_ready(ready);
        }
    }

    impl Drop for Resource {
        fn drop(&mut self) {
            self.reactor.deregister_model(self.key);
            self.io.0.shutdown();
        }
    }

    impl fmt::Debug for Resource {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("Resource")
        }
    }
}
