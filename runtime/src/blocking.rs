//! The blocking pool: `spawn_blocking` runs closures on a separate, growable, capped
//! set of threads, so workers are never blocked.
//!
//! # Design
//!
//! - A closure becomes an ordinary task (`task::new_task`) whose future is
//!   [`BlockingTask`], a one-poll future that calls the closure. So the caller gets the
//!   same [`JoinHandle`] as for async tasks, panics become `Err(e)` with `e.is_panic()`
//!   (the harness catches them), and cancellation reuses the task machinery.
//! - The task's scheduler is [`BlockingSchedule`], not `Arc<Scheduler>`: its `Notified`
//!   goes to this pool's FIFO queue instead of a worker's. A blocking task never
//!   waits, so it never enters the registry (task/mod.rs, rule L2): shutdown reaches a
//!   queued closure that never started through the pool's queue, whose `Notified`s it
//!   discards (which cancels them: the closure is dropped, its handle gives
//!   cancelled); a running closure is not interrupted, so it finishes and its handle
//!   still gets its output.
//! - Threads start on demand: a push with no idle thread starts one, while fewer than
//!   `max_blocking_threads` live; beyond that closures queue. An idle thread waits on
//!   the pool's condition variable for at most [`KEEP_ALIVE`], then exits.
//! - Every field of [`State`] is guarded by the pool's one mutex; the condition
//!   variables are only waited on with it held. No atomics, so no ordering argument:
//!   the mutex orders everything.
//!
//! # Wake-up accounting
//!
//! `num_idle` counts threads waiting for work and not yet promised any; a push that
//! finds `num_idle > 0` moves one unit from `num_idle` to `num_notify` and signals the
//! condition variable. A waiting thread that wakes consumes a unit of `num_notify` if
//! there is one (any idle thread may take it: they are interchangeable), otherwise it
//! is still counted in `num_idle` (spurious wake-up or keep-alive timeout). So a push
//! never counts on a thread that is about to exit: an exiting thread is one that found
//! no promise under the lock and removes itself from `num_idle` under the same lock.
//!
//! # Shutdown
//!
//! `drop(rt)`: [`BlockingPool::shutdown`] marks the pool shut down, discards the queued
//! `Notified`s (cancelling those tasks, dropping their closures) and wakes the idle
//! threads, which exit. Running closures
//! are not waited for. `shutdown_timeout(d)` also waits up to `d` for the pool's threads
//! to exit ([`BlockingPool::wait_idle`]).

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::context;
use crate::handle::Handle;
use crate::scheduler::{Config, Scheduler};
use crate::sync::{thread, Arc, Condvar, Mutex};
use crate::task::{self, JoinHandle, Notified, Schedule, Task, TaskRef};

/// How long an idle blocking thread waits for work before it exits.
pub(crate) const KEEP_ALIVE: Duration = Duration::from_secs(10);

/// The pool of blocking threads of one runtime (a field of `Scheduler`).
pub(crate) struct BlockingPool {
    state: Mutex<State>,
    /// Idle threads wait here for work (or shutdown).
    work_cvar: Condvar,
    /// `wait_idle` waits here for the last thread to exit.
    exit_cvar: Condvar,
    max_threads: usize,
    thread_name: String,
    stack_size: Option<usize>,
}

/// Guarded by `BlockingPool::state`.
struct State {
    queue: VecDeque<Notified>,
    /// Threads alive (started and not yet exited).
    num_threads: usize,
    /// Threads waiting for work that no push has claimed yet.
    num_idle: usize,
    /// Wake-ups promised to idle threads and not yet consumed.
    num_notify: usize,
    is_shutdown: bool,
    /// How long an idle thread waits before exiting (`KEEP_ALIVE`; shorter in tests).
    keep_alive: Duration,
}

impl BlockingPool {
    pub(crate) fn new(config: &Config) -> BlockingPool {
        BlockingPool {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                num_threads: 0,
                num_idle: 0,
                num_notify: 0,
                is_shutdown: false,
                keep_alive: KEEP_ALIVE,
            }),
            work_cvar: Condvar::new(),
            exit_cvar: Condvar::new(),
            max_threads: config.max_blocking_threads,
            thread_name: format!("{}-blocking", config.thread_name),
            stack_size: config.stack_size,
        }
    }

    /// Threads alive in the pool now (`Metrics::blocking_threads`).
    pub(crate) fn num_threads(&self) -> usize {
        self.state.lock().num_threads
    }

    /// Queues a closure's task, waking an idle thread or starting a new one.
    fn push(&self, shared: &Arc<Scheduler>, task: Notified) {
        let mut state = self.state.lock();
        if state.is_shutdown {
            // The runtime's shutdown cancels it (the closure is dropped on one of the
            // runtime's threads, never on the spawner's stack, and the handle gives
            // cancelled).
            drop(state);
            shared.push_after_shutdown(task);
            return;
        }
        state.queue.push_back(task);
        if state.num_idle > 0 {
            state.num_idle -= 1;
            state.num_notify += 1;
            self.work_cvar.notify_one();
            return;
        }
        if state.num_threads == self.max_threads {
            // At the cap: a running thread takes it when it finishes its closure.
            return;
        }
        state.num_threads += 1;
        drop(state);
        if let Err(err) = self.start_thread(shared) {
            let mut state = self.state.lock();
            state.num_threads -= 1;
            if state.num_threads == 0 && !state.queue.is_empty() {
                // Nobody would ever run the queue: fail loudly instead of hanging.
                let queued = std::mem::take(&mut state.queue);
                drop(state);
                drop(queued);
                panic!("spawn_blocking: the OS could not start a blocking-pool thread: {err}");
            }
            // Otherwise a live thread takes the closure when it is free.
        }
    }

    fn start_thread(&self, shared: &Arc<Scheduler>) -> io::Result<()> {
        let mut builder = thread::Builder::new().name(self.thread_name.clone());
        if let Some(size) = self.stack_size {
            builder = builder.stack_size(size);
        }
        let shared = shared.clone();
        builder
            .spawn(move || shared.blocking().run(&shared))
            .map(drop)
    }

    /// A blocking thread's loop: run queued closures, wait for more at most the
    /// keep-alive, exit on timeout or shutdown.
    fn run(&self, shared: &Arc<Scheduler>) {
        // The runtime is current on blocking threads (API.md): `runtime::spawn`,
        // `Handle::current()` and `block_on` work from a closure. `Plain`: this is not
        // an async context, so `block_on` is allowed.
        let _enter = context::enter(
            Handle {
                shared: shared.clone(),
            },
            context::EnterKind::Plain,
        );
        let mut state = self.state.lock();
        let mut timed_out = false;
        loop {
            if let Some(task) = state.queue.pop_front() {
                drop(state);
                // The harness catches a panic in the closure; nothing unwinds here.
                task.run();
                state = self.state.lock();
                timed_out = false;
                continue;
            }
            if state.is_shutdown || timed_out {
                break;
            }
            state.num_idle += 1;
            let deadline = Instant::now() + state.keep_alive;
            timed_out = loop {
                let expired = self.work_cvar.wait_until(&mut state, deadline).timed_out();
                if state.num_notify > 0 {
                    // A push promised a wake-up to an idle thread: we take it (idle
                    // threads are interchangeable), leaving `num_idle` to the others.
                    state.num_notify -= 1;
                    break false;
                }
                if state.is_shutdown || expired {
                    // No promise was made to us: we are still counted idle.
                    state.num_idle -= 1;
                    break true;
                }
            };
        }
        state.num_threads -= 1;
        if state.num_threads == 0 {
            self.exit_cvar.notify_all();
        }
    }

    /// Stops the pool: idle threads exit; threads running a closure finish it, then
    /// exit. Returns the queued closures' tasks, which the caller hands to the
    /// runtime's shutdown to cancel (cancelling runs the closure's destructor, user
    /// code); later pushes go there too.
    pub(crate) fn shutdown(&self) -> std::collections::VecDeque<Notified> {
        let mut state = self.state.lock();
        state.is_shutdown = true;
        self.work_cvar.notify_all();
        std::mem::take(&mut state.queue)
    }

    /// Waits until every pool thread has exited or `deadline` passes; returns whether
    /// they all exited.
    pub(crate) fn wait_idle(&self, deadline: Instant) -> bool {
        let mut state = self.state.lock();
        while state.num_threads > 0 {
            if self.exit_cvar.wait_until(&mut state, deadline).timed_out() {
                return state.num_threads == 0;
            }
        }
        true
    }

    /// Shortens the keep-alive (unit tests of thread exit).
    #[cfg(test)]
    fn set_keep_alive(&self, keep_alive: Duration) {
        self.state.lock().keep_alive = keep_alive;
    }
}

/// The scheduler of a blocking closure's task: its `Notified` goes to the pool.
pub(crate) struct BlockingSchedule {
    shared: Arc<Scheduler>,
}

impl Schedule for BlockingSchedule {
    fn schedule(&self, task: Notified, _reason: task::Reason) {
        // A `BlockingTask` never returns `Pending`, so only the first `Notified` (from
        // `spawn_blocking`) ever exists; a wake of a finished task never schedules it.
        self.shared.blocking().push(&self.shared, task);
    }

    fn register(&self, task: Task) -> Result<(), Task> {
        // Unreachable in practice: a `BlockingTask` is ready on its first poll, so it
        // never waits. Listing it anyway keeps the rule L2 contract.
        self.shared.registry().insert(task)
    }

    fn release(&self, task: TaskRef) -> Option<Task> {
        self.shared.registry().remove(task)
    }
}

/// A one-poll future that runs a blocking closure.
pub(crate) struct BlockingTask<F> {
    func: Option<F>,
}

// The closure is never pinned: it is moved out and called.
impl<F> Unpin for BlockingTask<F> {}

impl<F, R> Future for BlockingTask<F>
where
    F: FnOnce() -> R,
{
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let func = self
            .func
            .take()
            .expect("a blocking task is polled exactly once");
        Poll::Ready(func())
    }
}

/// Runs `func` on `shared`'s blocking pool (`Handle::spawn_blocking`).
#[track_caller]
pub(crate) fn spawn_on<F, R>(shared: &Arc<Scheduler>, func: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    let scheduler = BlockingSchedule {
        shared: shared.clone(),
    };
    let (notified, join) = task::new_task(
        BlockingTask { func: Some(func) },
        scheduler,
        task::Id::next(),
        // No worker's block cache: a blocking task is freed on a pool thread or by
        // its handle, anywhere.
        None,
        std::panic::Location::caller(),
        false,
        shared.clock().tick(),
    );
    // After shutdown the pool hands it to the runtime's shutdown, which cancels it (the
    // closure is dropped on a runtime thread, the handle gives cancelled).
    shared.blocking().push(shared, notified);
    join
}

/// Runs a blocking closure on the current runtime's blocking pool, so that worker
/// threads are never blocked.
///
/// The pool starts threads on demand, up to
/// [`Builder::max_blocking_threads`](crate::Builder::max_blocking_threads); beyond that,
/// closures wait in a queue. A thread with nothing to do for 10 seconds exits. Pool
/// threads are named `{thread_name}-blocking`, have the configured stack size, and have
/// the runtime current: [`spawn`](crate::spawn), [`Handle::current`] and
/// [`Handle::block_on`] work inside the closure.
///
/// The returned [`JoinHandle`] is the one async tasks have: await it for the result; a
/// panic in the closure gives `Err(e)` with `e.is_panic()`. Dropping the handle
/// detaches the closure; [`abort`](JoinHandle::abort) cancels it only if it has not
/// started. When the runtime is dropped, closures already running are not waited for
/// (they finish on their own threads) and queued ones are dropped (their handles give
/// cancelled); [`Runtime::shutdown_timeout`](crate::Runtime::shutdown_timeout) waits for
/// running ones up to its timeout.
///
/// # Panics
///
/// Panics outside a runtime, with a message that says so and names this function;
/// outside one, use [`Handle::spawn_blocking`] on a runtime's handle.
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// let len = rt.block_on(async {
///     // Reading a file blocks: do it on the blocking pool, not on a worker.
///     runtime::spawn_blocking(|| std::fs::read("Cargo.toml").map(|bytes| bytes.len())).await
/// })?;
/// assert!(len? > 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The closure runs on another thread, so it and its result must be `Send`; a
/// closure that captures an `Rc` does not compile:
///
/// ```compile_fail,E0277
/// let shared = std::rc::Rc::new(1);
/// let _handle = runtime::spawn_blocking(move || *shared + 1);
/// ```
#[track_caller]
pub fn spawn_blocking<F, R>(func: F) -> JoinHandle<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    match Handle::try_current() {
        Ok(handle) => handle.spawn_blocking(func),
        Err(err) if err.is_missing_context() => panic!("{NO_RUNTIME}"),
        Err(err) => panic!("runtime::spawn_blocking: {err}"),
    }
}

/// The panic of [`spawn_blocking`] outside a runtime.
const NO_RUNTIME: &str = "there is no runtime here: `runtime::spawn_blocking` must be called \
     from inside a runtime (a task, `Runtime::block_on`, or a `spawn_blocking` closure); \
     elsewhere, call `Handle::spawn_blocking` on the runtime's handle";

/// Runs a blocking call on this thread without stalling the tasks queued on it.
///
/// On a worker thread, the worker's queue, its LIFO slot and its place among the
/// workers are handed to a new thread first, which goes on running them, so nothing
/// queued here waits for `f`; this thread then runs `f`, finishes the current poll of
/// the calling task, and leaves the runtime. Outside a worker (a `block_on` thread, a
/// blocking-pool thread, inside another `block_in_place`) it just runs `f`.
///
/// Inside `f` this thread is no longer a worker, so `Handle::block_on` and
/// [`scope`](crate::scope) may be called there; the runtime stays current. Like a
/// `spawn_blocking` closure, a call still running when the runtime shuts down is not
/// waited for; the rest of its task's poll runs when it returns.
///
/// # When to prefer [`spawn_blocking`]
///
/// `spawn_blocking` moves the call to the blocking pool and lets the task await it: the
/// task's other work (a `select`, a timeout) goes on meanwhile, and the call needs no
/// borrow of the task's stack. `block_in_place` keeps the call in the task's own poll:
/// use it when the blocking code must borrow the task's data (`&mut` state, a
/// non-`'static` reference) or must run before the poll goes on, and the task has
/// nothing else to do meanwhile. It costs a thread start per call; `spawn_blocking`
/// reuses pool threads.
///
/// # Examples
///
/// ```
/// let rt = runtime::Builder::new().worker_threads(2).build()?;
/// let sum = rt.block_on(rt.spawn(async {
///     let data = vec![1u64, 2, 3];
///     // A blocking computation that borrows the task's data.
///     runtime::task::block_in_place(|| data.iter().sum::<u64>())
/// }))?;
/// assert_eq!(sum, 6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    crate::scheduler::worker::block_in_place(f)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::{Duration, Instant};

    #[test]
    fn idle_threads_exit_after_keep_alive() {
        let rt = crate::Builder::new().worker_threads(1).build().unwrap();
        rt.handle()
            .shared
            .blocking()
            .set_keep_alive(Duration::from_millis(50));
        let handles: Vec<_> = (0..3)
            .map(|_| {
                rt.handle().spawn_blocking(|| {
                    std::thread::sleep(Duration::from_millis(20));
                    // Counted from inside a pool thread, so never 0 here, however
                    // late the test thread looks afterwards (a look from outside
                    // races with the 50 ms keep-alive on a loaded machine).
                    crate::Handle::current().metrics().blocking_threads()
                })
            })
            .collect();
        for h in handles {
            assert!(rt.block_on(h).unwrap() >= 1);
        }
        // Waits on the pool's exit condition variable, not on the clock.
        let pool = &rt.handle().shared.blocking();
        assert!(
            pool.wait_idle(Instant::now() + Duration::from_secs(10)),
            "idle blocking threads did not exit"
        );
        assert_eq!(rt.metrics().blocking_threads(), 0);
        // The pool grows again on demand.
        assert_eq!(rt.block_on(rt.handle().spawn_blocking(|| 5)).unwrap(), 5);
    }

    #[test]
    fn an_idle_thread_is_reused() {
        let rt = crate::Builder::new().worker_threads(1).build().unwrap();
        let pool = &rt.handle().shared.blocking();
        for i in 0..5 {
            assert_eq!(
                rt.block_on(rt.handle().spawn_blocking(move || i)).unwrap(),
                i
            );
            // The handle completes just before the thread goes back to waiting.
            let deadline = Instant::now() + Duration::from_secs(10);
            while pool.state.lock().num_idle != 1 {
                assert!(
                    Instant::now() < deadline,
                    "the blocking thread never went idle"
                );
                std::thread::yield_now();
            }
        }
        assert_eq!(
            rt.metrics().blocking_threads(),
            1,
            "sequential closures share one thread"
        );
    }
}
