//! `Handle`: a cheap, cloneable reference to a runtime; and the free `spawn`.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::panic::Location;

use crate::context::{self, NoRuntime};
use crate::metrics::Metrics;
use crate::scheduler::Scheduler;
use crate::sync::Arc;
use crate::task::trace::SpawnMeta;
use crate::task::JoinHandle;

/// A cloneable, `Send + Sync` handle to a runtime: spawn onto it from any thread.
///
/// A handle does not keep the runtime's workers alive: after the [`Runtime`](crate::Runtime)
/// is dropped, tasks spawned through a handle are cancelled at once.
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// let handle = rt.handle().clone();
/// let from_thread = std::thread::spawn(move || handle.block_on(handle.spawn(async { 7 })))
///     .join()
///     .unwrap();
/// assert_eq!(from_thread?, 7);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Scheduler>,
}

const NO_RUNTIME: &str = "there is no runtime here: call it from inside a runtime (in a \
     task, in `Runtime::block_on` or `Handle::block_on`, or in a `spawn_blocking` closure)";
const TLS_DESTROYED: &str =
    "the runtime context is gone: this thread's thread-local storage was already destroyed";

impl Handle {
    /// The handle of the runtime this thread is in.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime (see [`try_current`](Self::try_current)).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let handle = runtime::Handle::current();
    ///     assert_eq!(handle.spawn(async { 1 }).await.unwrap(), 1);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        match Handle::try_current() {
            Ok(handle) => handle,
            Err(e) => panic!("`Handle::current()` called outside a runtime: {e}"),
        }
    }

    /// The handle of the runtime this thread is in, or an error outside one.
    ///
    /// # Errors
    ///
    /// [`TryCurrentError`] when no runtime is current on this thread.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(runtime::Handle::try_current().unwrap_err().is_missing_context());
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::try_current().map_err(|kind| TryCurrentError { kind })
    }

    /// Spawns a hot task on this runtime: it is queued before `spawn` returns and runs
    /// to completion whether or not the handle is awaited. Works from any thread,
    /// inside the runtime or not.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let handle = rt.handle().clone();
    /// let task = std::thread::spawn(move || handle.spawn(async { 2 + 2 })).join().unwrap();
    /// assert_eq!(rt.block_on(task)?, 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        crate::task::spawn_maybe_boxed!(future, self.spawn_inner(future, SpawnMeta::caller()))
    }

    /// `spawn` after the size check: one look at the thread's context. `meta`: where
    /// the spawn was called, and the task's name (task/trace.rs).
    #[inline]
    pub(crate) fn spawn_inner<F>(&self, future: F, meta: SpawnMeta<'_>) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        context::with_worker_of(Arc::as_ptr(&self.shared), |worker| {
            Scheduler::spawn(&self.shared, future, worker, meta)
        })
    }

    /// Spawns a task on this runtime and runs it on the calling thread up to its first
    /// `Pending` (or to its end) before returning; then it continues on the workers like
    /// any other task. See [`runtime::spawn_immediate`](crate::spawn_immediate).
    ///
    /// This runtime is current during that first poll, so the future may spawn.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let caller = std::thread::current().id();
    /// // From a plain thread: the prefix runs right here.
    /// let handle = rt.handle().spawn_immediate(async move { std::thread::current().id() == caller });
    /// assert!(rt.block_on(handle)?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn spawn_immediate<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let _enter = context::enter(self.clone(), context::EnterKind::Plain);
        crate::task::spawn_maybe_boxed!(
            future,
            self.spawn_immediate_inner(future, SpawnMeta::caller())
        )
    }

    /// `spawn_immediate` after the size check, with this runtime entered.
    fn spawn_immediate_inner<F>(&self, future: F, meta: SpawnMeta<'_>) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        context::with_worker_of(Arc::as_ptr(&self.shared), |worker| {
            Scheduler::spawn_immediate(&self.shared, future, worker, meta)
        })
    }

    /// Runs `future` to completion on the calling thread, with this runtime current, so
    /// the future can spawn tasks and await them.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let handle = rt.handle().clone();
    /// let answer = std::thread::spawn(move || {
    ///     handle.block_on(async { runtime::spawn(async { 42 }).await.unwrap() })
    /// })
    /// .join()
    /// .unwrap();
    /// assert_eq!(answer, 42);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Panics
    ///
    /// Panics on a runtime worker thread (use `.await` there).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        context::assert_not_worker();
        let _enter = context::enter(self.clone(), context::EnterKind::BlockOn);
        if self.shared.config().unhandled_panic == crate::UnhandledPanic::ShutdownRuntime {
            return crate::block_on::run(PanicWatch {
                future: std::pin::pin!(future),
                shared: &self.shared,
                waker: None,
            });
        }
        crate::block_on::run(future)
    }

    /// Runs a blocking closure on this runtime's blocking pool (see
    /// [`spawn_blocking`](crate::spawn_blocking)); works from any thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let handle = rt.handle().clone();
    /// let answer = handle.spawn_blocking(|| 6 * 7);
    /// assert_eq!(rt.block_on(answer)?, 42);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, func: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        crate::blocking::spawn_on(&self.shared, func)
    }

    /// Every live task of this runtime, with its id, name, spawn location, state, poll
    /// count, age and time since its last poll: see [`Dump`](crate::Dump) and the
    /// [`dump`](crate::dump) module. Callable from any thread, a task included (the
    /// calling task is listed as running). The workers pause between two polls for
    /// the microseconds it takes to read the run queues; a worker stuck in one poll is
    /// not waited for.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let waiting = rt.spawn(std::future::pending::<()>());
    /// let dump = rt.handle().dump();
    /// assert!(dump.tasks().any(|t| t.id() == waiting.id()));
    /// print!("{dump}");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[cfg(not(loom))]
    pub fn dump(&self) -> crate::Dump {
        context::with_worker_of(Arc::as_ptr(&self.shared), |worker| self.shared.dump(worker))
    }

    /// A snapshot of the runtime's counters.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Builder::new().worker_threads(2).build()?;
    /// assert_eq!(rt.handle().metrics().workers(), 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn metrics(&self) -> Metrics {
        self.shared.metrics()
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("workers", &self.shared.num_workers())
            .finish()
    }
}

/// Spawns a hot task on the current runtime.
///
/// The task is queued before `spawn` returns and runs to completion whether or not its
/// [`JoinHandle`] is awaited; dropping the handle detaches the task.
///
/// # Panics
///
/// Panics outside a runtime, with a message that says so.
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// let sum = rt.block_on(async {
///     let a = runtime::spawn(async { 1 });
///     let b = runtime::spawn(async { 2 });
///     a.await.unwrap() + b.await.unwrap()
/// });
/// assert_eq!(sum, 3);
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    crate::task::spawn_maybe_boxed!(future, spawn_inner(future, Location::caller()))
}

/// `spawn` after the size check. Takes the location alone (not a `SpawnMeta`): what
/// the closure below captures is copied on every spawn.
#[inline]
fn spawn_inner<F>(future: F, location: &'static Location<'static>) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    // One look at the thread's context (context.rs, `enter`: what "current" means). On
    // a worker of the current runtime (the common case: a task spawning a task), spawn
    // through the worker's core: no handle clone, so no shared reference count to bump.
    let meta = move || SpawnMeta {
        location,
        name: None,
    };
    context::with_current(|current| match current {
        context::Current::Worker(core) => {
            Scheduler::spawn(core.scheduler(), future, Some(core), meta())
        }
        context::Current::Handle(handle) => Scheduler::spawn(&handle.shared, future, None, meta()),
        context::Current::None(kind) => {
            panic!(
                "`runtime::spawn` called outside a runtime: {}",
                TryCurrentError { kind }
            )
        }
    })
}

/// Spawns a hot task on the current runtime, running it on the calling thread up to its
/// first `.await` that is not ready (synchronously, like a C# `async` method or F#'s
/// `StartImmediate`); then it continues on the workers like any other task.
///
/// The calling thread may be a worker (inside a task) or a `block_on` thread. If the
/// future finishes in that first poll, the handle is ready at once. A panic in the
/// prefix is caught: awaiting the handle gives a [`JoinError`](crate::JoinError) for
/// which `is_panic()` is true.
///
/// # Panics
///
/// Panics outside a runtime, with a message that says so.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// let rt = runtime::Runtime::new()?;
/// rt.block_on(async {
///     let started = Arc::new(AtomicBool::new(false));
///     let flag = started.clone();
///     let handle = runtime::spawn_immediate(async move {
///         flag.store(true, Ordering::SeqCst); // runs before spawn_immediate returns
///         runtime::yield_now().await; // the rest runs on a worker
///         "done"
///     });
///     assert!(started.load(Ordering::SeqCst));
///     assert_eq!(handle.await.unwrap(), "done");
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn spawn_immediate<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match Handle::try_current() {
        Ok(handle) => crate::task::spawn_maybe_boxed!(
            future,
            handle.spawn_immediate_inner(future, SpawnMeta::caller())
        ),
        Err(e) => panic!("`runtime::spawn_immediate` called outside a runtime: {e}"),
    }
}

/// No runtime is current on this thread.
///
/// # Examples
///
/// ```
/// let err = runtime::Handle::try_current().unwrap_err();
/// assert!(err.is_missing_context());
/// assert!(err.to_string().contains("there is no runtime here"));
///
/// let rt = runtime::Runtime::new()?;
/// assert!(rt.block_on(async { runtime::Handle::try_current() }).is_ok());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TryCurrentError {
    kind: NoRuntime,
}

impl TryCurrentError {
    /// The thread is not inside any runtime.
    ///
    /// # Examples
    ///
    /// ```
    /// let err = runtime::Handle::try_current().unwrap_err();
    /// assert!(err.is_missing_context());
    /// assert!(!err.is_thread_local_destroyed());
    /// ```
    pub fn is_missing_context(&self) -> bool {
        matches!(self.kind, NoRuntime::NoContext)
    }

    /// The thread is exiting and its runtime context was already destroyed.
    ///
    /// This can only be seen from the destructor of another thread-local, so code that
    /// may run there tells it apart from [`is_missing_context`](Self::is_missing_context).
    ///
    /// # Examples
    ///
    /// ```
    /// fn spawn_if_possible() -> bool {
    ///     match runtime::Handle::try_current() {
    ///         Ok(handle) => {
    ///             drop(handle.spawn(async {}));
    ///             true
    ///         }
    ///         // The thread is exiting: there is nothing left to spawn onto.
    ///         Err(e) if e.is_thread_local_destroyed() => false,
    ///         Err(e) => {
    ///             assert!(e.is_missing_context());
    ///             false
    ///         }
    ///     }
    /// }
    ///
    /// assert!(!spawn_if_possible());
    /// let rt = runtime::Runtime::new()?;
    /// assert!(rt.block_on(async { spawn_if_possible() }));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_thread_local_destroyed(&self) -> bool {
        matches!(self.kind, NoRuntime::ThreadLocalDestroyed)
    }
}

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            NoRuntime::NoContext => NO_RUNTIME,
            NoRuntime::ThreadLocalDestroyed => TLS_DESTROYED,
        })
    }
}

impl fmt::Debug for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TryCurrentError({self})")
    }
}

impl Error for TryCurrentError {}

/// `block_on` under `UnhandledPanic::ShutdownRuntime`: re-raises, on the caller's
/// thread, the panic of a task that shut the runtime down.
struct PanicWatch<'a, F> {
    future: std::pin::Pin<&'a mut F>,
    shared: &'a Arc<Scheduler>,
    waker: Option<std::task::Waker>,
}

impl<F: Future> Future for PanicWatch<'_, F> {
    type Output = F::Output;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        if let Some(message) = self.shared.watch_panic(cx.waker()) {
            // The original message as the payload; the panic hook already printed it
            // where the task panicked.
            std::panic::resume_unwind(Box::new(message));
        }
        self.waker = Some(cx.waker().clone());
        self.future.as_mut().poll(cx)
    }
}

impl<F> Drop for PanicWatch<'_, F> {
    fn drop(&mut self) {
        if let Some(waker) = &self.waker {
            self.shared.unwatch_panic(waker);
        }
    }
}
