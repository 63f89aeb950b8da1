//! `Builder`: configure and start a runtime.

use std::fmt;
use std::io;

use crate::runtime::Runtime;
use crate::scheduler::idle::MAX_WORKERS;
use crate::scheduler::{Callback, Config};
use crate::sync::StdArc;

/// Configures a [`Runtime`].
///
/// Setters take and return `&mut Self` and never panic; [`build`](Self::build)
/// validates the whole configuration.
///
/// # Examples
///
/// ```
/// let rt = runtime::Builder::new()
///     .worker_threads(2)
///     .thread_name("my-worker")
///     .build()?;
/// let name = rt.block_on(rt.spawn(async {
///     std::thread::current().name().map(str::to_owned)
/// }))?;
/// assert!(name.unwrap().starts_with("my-worker-"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Builder {
    worker_threads: Option<usize>,
    thread_name: String,
    thread_stack_size: Option<usize>,
    on_thread_start: Option<Callback>,
    on_thread_stop: Option<Callback>,
    on_thread_park: Option<Callback>,
    on_thread_unpark: Option<Callback>,
    unhandled_panic: UnhandledPanic,
    max_blocking_threads: usize,
}

/// The default name of worker threads (`runtime-worker-0`, `runtime-worker-1`, …).
pub(crate) const DEFAULT_THREAD_NAME: &str = "runtime-worker";

/// The default cap of the `spawn_blocking` pool.
pub(crate) const DEFAULT_MAX_BLOCKING_THREADS: usize = 512;

impl Builder {
    /// A builder with the defaults: one worker per core, threads named
    /// `runtime-worker-{index}`, the platform's stack size, a blocking pool of at most
    /// 512 threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Builder::new().build()?;
    /// let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    /// assert_eq!(rt.metrics().workers(), cores);
    /// let name = rt.block_on(rt.spawn(async {
    ///     std::thread::current().name().map(str::to_owned)
    /// }))?;
    /// assert!(name.unwrap().starts_with("runtime-worker-"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new() -> Builder {
        Builder {
            worker_threads: None,
            thread_name: DEFAULT_THREAD_NAME.to_owned(),
            thread_stack_size: None,
            on_thread_start: None,
            on_thread_stop: None,
            on_thread_park: None,
            on_thread_unpark: None,
            unhandled_panic: UnhandledPanic::Ignore,
            max_blocking_threads: DEFAULT_MAX_BLOCKING_THREADS,
        }
    }

    /// The number of worker threads. Default: `std::thread::available_parallelism()`.
    /// Zero, or more than 65 535 (what the scheduler's idle bookkeeping counts), is
    /// rejected by [`build`](Self::build).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Builder::new().worker_threads(3).build()?;
    /// assert_eq!(rt.metrics().workers(), 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn worker_threads(&mut self, n: usize) -> &mut Self {
        self.worker_threads = Some(n);
        self
    }

    /// The prefix of worker thread names: workers are named `{name}-{index}` (0-based),
    /// blocking-pool threads `{name}-blocking`. A name with a NUL byte cannot name an
    /// OS thread and is rejected by [`build`](Self::build); the OS may show a shortened
    /// name (Linux keeps 15 bytes), but [`std::thread::Thread::name`] gives it whole.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Builder::new().worker_threads(1).thread_name("db").build()?;
    /// let name = rt.block_on(rt.spawn(async {
    ///     std::thread::current().name().map(str::to_owned)
    /// }))?;
    /// assert_eq!(name.as_deref(), Some("db-0"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn thread_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.thread_name = name.into();
        self
    }

    /// The stack size of worker and blocking-pool threads, in bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Builder::new().thread_stack_size(4 << 20).build()?;
    /// // A task may now recurse deeper on its worker's stack.
    /// assert_eq!(rt.block_on(rt.spawn(async { 1 }))?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn thread_stack_size(&mut self, bytes: usize) -> &mut Self {
        self.thread_stack_size = Some(bytes);
        self
    }

    /// Runs `f` on each worker thread as it starts, before it runs any task.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// let (started, stopped) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    /// let (s, t) = (started.clone(), stopped.clone());
    /// let rt = runtime::Builder::new()
    ///     .worker_threads(2)
    ///     .on_thread_start(move || {
    ///         s.fetch_add(1, Ordering::SeqCst);
    ///     })
    ///     .on_thread_stop(move || {
    ///         t.fetch_add(1, Ordering::SeqCst);
    ///     })
    ///     .build()?;
    /// drop(rt); // joins the workers, so both callbacks have run on each
    /// assert_eq!(started.load(Ordering::SeqCst), 2);
    /// assert_eq!(stopped.load(Ordering::SeqCst), 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn on_thread_start<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_start = Some(StdArc::new(f));
        self
    }

    /// Runs `f` on each worker thread as it stops, after its last task.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    ///
    /// let stopped = Arc::new(Mutex::new(Vec::new()));
    /// let list = stopped.clone();
    /// let rt = runtime::Builder::new()
    ///     .worker_threads(2)
    ///     .thread_name("svc")
    ///     .on_thread_stop(move || {
    ///         let name = std::thread::current().name().map(str::to_owned);
    ///         list.lock().unwrap().push(name.unwrap());
    ///     })
    ///     .build()?;
    /// assert!(stopped.lock().unwrap().is_empty());
    /// drop(rt); // stops and joins the workers
    /// let mut names = stopped.lock().unwrap().clone();
    /// names.sort();
    /// assert_eq!(names, ["svc-0", "svc-1"]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn on_thread_stop<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_stop = Some(StdArc::new(f));
        self
    }

    /// Runs `f` on a worker thread each time it is about to sleep for lack of work
    /// (after it has looked everywhere for a task), so an operator can count idle
    /// periods or flush per-thread state. A panic in `f` is reported by the panic hook
    /// and goes no further.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::{mpsc, Arc};
    ///
    /// let (parks, unparks) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    /// let (p, u) = (parks.clone(), unparks.clone());
    /// let (parked_tx, parked) = mpsc::channel();
    /// let rt = runtime::Builder::new()
    ///     .worker_threads(1)
    ///     .on_thread_park(move || {
    ///         p.fetch_add(1, Ordering::SeqCst);
    ///         let _ = parked_tx.send(());
    ///     })
    ///     .on_thread_unpark(move || {
    ///         u.fetch_add(1, Ordering::SeqCst);
    ///     })
    ///     .build()?;
    /// // An idle worker parks; a spawn wakes it.
    /// parked.recv()?;
    /// rt.block_on(rt.spawn(async {}))?;
    /// drop(rt);
    /// assert!(parks.load(Ordering::SeqCst) >= 1);
    /// // Every sleep ends in a wake-up (shutdown wakes the last one).
    /// assert_eq!(parks.load(Ordering::SeqCst), unparks.load(Ordering::SeqCst));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_thread_park<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_park = Some(StdArc::new(f));
        self
    }

    /// Runs `f` on a worker thread each time it wakes from a sleep begun after
    /// [`on_thread_park`](Self::on_thread_park)'s callback, before it looks for work.
    /// A panic in `f` is reported by the panic hook and goes no further.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::{mpsc, Arc};
    ///
    /// let woke = Arc::new(AtomicBool::new(false));
    /// let w = woke.clone();
    /// let (parked_tx, parked) = mpsc::channel();
    /// let rt = runtime::Builder::new()
    ///     .worker_threads(1)
    ///     .on_thread_park(move || parked_tx.send(()).unwrap())
    ///     .on_thread_unpark(move || w.store(true, Ordering::SeqCst))
    ///     .build()?;
    /// parked.recv()?; // the idle worker is going to sleep
    /// drop(rt); // and is woken to shut down
    /// assert!(woke.load(Ordering::SeqCst));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_thread_unpark<F>(&mut self, f: F) -> &mut Self
    where
        F: Fn() + Send + Sync + 'static,
    {
        self.on_thread_unpark = Some(StdArc::new(f));
        self
    }

    /// What a panic in a task does besides failing its `JoinHandle`. The default,
    /// [`UnhandledPanic::Ignore`], keeps the runtime running.
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::UnhandledPanic;
    ///
    /// let rt = runtime::Builder::new()
    ///     .unhandled_panic(UnhandledPanic::ShutdownRuntime)
    ///     .build()?;
    /// rt.spawn(async { panic!("invariant broken") });
    /// // The panic shuts the runtime down; block_on re-raises it here.
    /// let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    ///     rt.block_on(std::future::pending::<()>())
    /// }))
    /// .unwrap_err();
    /// assert_eq!(caught.downcast_ref::<String>().unwrap(), "invariant broken");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn unhandled_panic(&mut self, policy: UnhandledPanic) -> &mut Self {
        self.unhandled_panic = policy;
        self
    }

    /// The most threads the `spawn_blocking` pool may run at once. Default 512; zero
    /// is rejected by [`build`](Self::build). Closures beyond the cap wait in a queue.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Builder::new().max_blocking_threads(1).build()?;
    /// let a = rt.handle().spawn_blocking(|| 1);
    /// let b = rt.handle().spawn_blocking(|| 2); // runs after `a`, on the same thread
    /// assert_eq!(rt.block_on(async { a.await.unwrap() + b.await.unwrap() }), 3);
    /// assert!(rt.metrics().blocking_threads() <= 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn max_blocking_threads(&mut self, n: usize) -> &mut Self {
        self.max_blocking_threads = n;
        self
    }

    /// Starts the runtime: its worker threads are running when this returns.
    ///
    /// # Errors
    ///
    /// `InvalidInput`, before any thread starts, for `worker_threads(0)`, more worker
    /// threads than the scheduler can count, `max_blocking_threads(0)` or a
    /// `thread_name` with a NUL byte; the OS error when a worker thread cannot be
    /// started.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::io::ErrorKind;
    ///
    /// let err = runtime::Builder::new().worker_threads(0).build().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// let err = runtime::Builder::new().thread_name("a\0b").build().unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// ```
    pub fn build(&mut self) -> io::Result<Runtime> {
        let num_workers = match self.worker_threads {
            Some(0) => {
                return Err(invalid("worker_threads must be at least 1 (got 0)"));
            }
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        if num_workers > MAX_WORKERS {
            return Err(invalid(&format!(
                "worker_threads must be at most {MAX_WORKERS} (got {num_workers})"
            )));
        }
        if self.max_blocking_threads == 0 {
            return Err(invalid("max_blocking_threads must be at least 1 (got 0)"));
        }
        // Checked here, before any thread starts: std panics on such a name when it
        // spawns the thread, which would leave a runtime half started.
        if self.thread_name.contains('\0') {
            return Err(invalid(&format!(
                "thread_name must not contain a NUL byte (got {:?})",
                self.thread_name
            )));
        }
        Runtime::start(Config {
            num_workers,
            thread_name: self.thread_name.clone(),
            stack_size: self.thread_stack_size,
            on_thread_start: self.on_thread_start.clone(),
            on_thread_stop: self.on_thread_stop.clone(),
            on_thread_park: self.on_thread_park.clone(),
            on_thread_unpark: self.on_thread_unpark.clone(),
            unhandled_panic: self.unhandled_panic,
            max_blocking_threads: self.max_blocking_threads,
        })
    }
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.to_owned())
}

/// What a panicking task does to its runtime ([`Builder::unhandled_panic`]).
///
/// A task's panic is always caught on its worker and handed to its
/// [`JoinHandle`](crate::JoinHandle) as a [`JoinError`](crate::JoinError); the policy
/// decides what happens besides.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnhandledPanic {
    /// Nothing more: the runtime and its other tasks go on (the default).
    #[default]
    Ignore,
    /// The runtime shuts down (every task is cancelled, as by dropping the runtime),
    /// and every `block_on` of the runtime (`Runtime::block_on`, `Handle::block_on`),
    /// running or later, panics on its caller's thread with the first panic's message
    /// as a `String` payload.
    ///
    /// It applies to a panic in **any** task (spawned, `spawn_immediate`, `JoinSet`),
    /// whether or not a `JoinHandle` will be awaited: whether a handle will ever be
    /// awaited is not known when the task panics (a handle may be held and awaited
    /// later), so a rule based on it could not act at the moment of the panic, which
    /// is the point of the policy. `spawn_blocking` closures are not tasks and do not
    /// trigger it; nor do panics in destructors of cancelled tasks.
    ShutdownRuntime,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("worker_threads", &self.worker_threads)
            .field("thread_name", &self.thread_name)
            .field("thread_stack_size", &self.thread_stack_size)
            .field("max_blocking_threads", &self.max_blocking_threads)
            .finish_non_exhaustive()
    }
}
