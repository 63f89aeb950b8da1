//! `Runtime`: owns the worker threads.

use std::fmt;
use std::future::Future;
use std::io;
use std::mem;
use std::time::{Duration, Instant};

use crate::context;
use crate::handle::Handle;
use crate::metrics::Metrics;
use crate::scheduler::{worker, Config, Scheduler};
use crate::sync::{thread, Arc, Worker};
use crate::task::JoinHandle;

/// A multi-threaded, work-stealing runtime: one worker thread per core by default.
///
/// Dropping the runtime stops the workers, cancels (drops) every unfinished task and
/// joins the worker threads. It never waits on a task that is blocked forever: such a
/// task is simply dropped. Blocking closures ([`spawn_blocking`](crate::spawn_blocking))
/// already running are not waited for (they finish on their own threads); queued ones
/// that never started are dropped, and their handles give a cancelled `JoinError`.
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// let handle = rt.spawn(async { "hello from a worker" });
/// assert_eq!(rt.block_on(handle)?, "hello from a worker");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Runtime {
    handle: Handle,
    threads: Vec<thread::JoinHandle<()>>,
    is_shut_down: bool,
}

const DROP_IN_ASYNC: &str = "a Runtime was dropped (or shut down) inside an async context \
     (on a worker thread or inside block_on): that would block the thread the runtime \
     needs; drop it from synchronous code, or hand it to `spawn_blocking`";

impl Runtime {
    /// A runtime with the default configuration (see [`Builder`](crate::Builder)).
    ///
    /// # Errors
    ///
    /// The OS error when a worker thread cannot be started.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// assert_eq!(rt.block_on(async { 1 + 1 }), 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Runtime> {
        crate::Builder::new().build()
    }

    pub(crate) fn start(config: Config) -> io::Result<Runtime> {
        let n = config.num_workers;
        let locals: Vec<Worker<_>> = (0..n).map(|_| Worker::new_fifo()).collect();
        let stealers = locals.iter().map(Worker::stealer).collect();
        // The reactor (io/README.md): one epoll set and one eventfd per runtime.
        let io = Arc::new(crate::io::driver::Reactor::new()?);
        let shared = Arc::new(Scheduler::new(config, stealers, Some(io)));
        let mut runtime = Runtime {
            handle: Handle {
                shared: shared.clone(),
            },
            threads: Vec::with_capacity(n),
            is_shut_down: false,
        };
        for (index, local) in locals.into_iter().enumerate() {
            let mut builder =
                thread::Builder::new().name(format!("{}-{index}", shared.config().thread_name));
            if let Some(size) = shared.config().stack_size {
                builder = builder.stack_size(size);
            }
            let s = shared.clone();
            match builder.spawn(move || worker::run(s, index, local)) {
                Ok(thread) => runtime.threads.push(thread),
                Err(err) => {
                    // The workers that never started count as exited, so the shutdown
                    // run by `drop(runtime)` does not wait for them.
                    for _ in index..n {
                        shared.worker_exited();
                    }
                    return Err(err);
                }
            }
        }
        Ok(runtime)
    }

    /// Runs `future` on the calling thread, while the workers run the tasks it spawns.
    ///
    /// # Panics
    ///
    /// Panics on a runtime worker thread, with a message that says so (blocking a
    /// worker could deadlock).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let total = rt.block_on(async {
    ///     let tasks: Vec<_> = (1..=10).map(|i| runtime::spawn(async move { i })).collect();
    ///     let mut total = 0;
    ///     for t in tasks {
    ///         total += t.await.unwrap();
    ///     }
    ///     total
    /// });
    /// assert_eq!(total, 55);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Spawns a hot task (see [`crate::spawn`]). Unlike the free `spawn`, it works from
    /// any thread, inside the runtime or not.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let handle = rt.spawn(async { "done" }); // already running
    /// assert_eq!(rt.block_on(handle)?, "done");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        crate::task::spawn_maybe_boxed!(future, self.handle.spawn(future))
    }

    /// The runtime's handle: clone it to spawn onto this runtime from other threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let handle = rt.handle().clone();
    /// let task = std::thread::spawn(move || handle.spawn(async { 3 }))
    ///     .join()
    ///     .unwrap();
    /// assert_eq!(rt.block_on(task)?, 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// A snapshot of the runtime's counters (see [`Metrics`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Builder::new().worker_threads(2).build()?;
    /// rt.block_on(rt.spawn(async {}))?;
    /// let m = rt.metrics();
    /// assert_eq!((m.workers(), m.spawned()), (2, 1));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn metrics(&self) -> Metrics {
        self.handle.metrics()
    }

    /// Stops the workers, drops (cancels) every unfinished task, and waits at most
    /// `timeout` for the worker threads to finish their current polls, and for
    /// [`spawn_blocking`](crate::spawn_blocking) closures already running to finish
    /// (queued ones that never started are dropped). Threads still busy after that are
    /// left to finish on their own.
    ///
    /// # Panics
    ///
    /// Panics inside an async context, as `drop` does.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = runtime::Runtime::new()?;
    /// let forever = rt.spawn(std::future::pending::<()>());
    /// rt.shutdown_timeout(Duration::from_secs(1));
    /// assert!(forever.is_finished());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(Instant::now() + timeout));
    }

    #[track_caller]
    fn shutdown(&mut self, deadline: Option<Instant>) {
        if mem::replace(&mut self.is_shut_down, true) {
            return;
        }
        if context::in_async_context() {
            // Waiting here would block a thread the runtime (or the caller's own
            // future) needs. Start shutdown first, so the workers still stop and
            // cancel every task on their own threads and a kept `Handle` runs nothing
            // new, then report the mistake.
            self.handle.shared.begin_shutdown();
            self.threads.clear();
            panic!("{DROP_IN_ASYNC}");
        }
        let finished = self.handle.shared.shutdown(deadline);
        let threads = mem::take(&mut self.threads);
        if finished {
            // Every core has exited, and the threads that drove them through it have
            // nothing left to do but return: join them. A thread that lent its core
            // away (`block_in_place`) may still be in its blocking call and is not
            // waited for, like a `spawn_blocking` closure. A worker never unwinds out
            // of `worker::run` (task and hook panics are caught there).
            let lent = self.handle.shared.take_lent_threads();
            for thread in threads.into_iter().chain(lent) {
                if self.handle.shared.is_exit_driver(thread.thread().id()) {
                    let _ = thread.join();
                }
            }
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if std::thread::panicking() && context::in_async_context() {
            // Unwinding through an async context: panicking again would abort. Start
            // shutdown and let the workers finish it on their own.
            self.is_shut_down = true;
            self.handle.shared.begin_shutdown();
            return;
        }
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("workers", &self.threads.len())
            .finish()
    }
}
