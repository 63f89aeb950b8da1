//! Scoped tasks: tasks that may borrow from the caller's stack.
//!
//! `spawn` needs `'static` futures because a spawned task may outlive the function
//! that spawned it: nothing stops that function from returning (or its future from
//! being dropped) while the task still runs, and its locals would be gone. [`scope`]
//! closes that hole the way `std::thread::scope` does for threads: it is a plain
//! (blocking) function that returns only after every task spawned on its [`Scope`] has
//! finished and its future has been dropped, so the borrows those futures hold end
//! before the borrowed data can.
//!
//! # Why there is no `async` scope
//!
//! An `async fn scope(..)` would have to make the same promise from inside a future,
//! and a future cannot promise anything about its own end: its owner may drop it at
//! any `.await` (cancellation) or `mem::forget` it, and then the code after the
//! `.await` that waits for the scoped tasks never runs, while the tasks go on using
//! borrows of a stack frame that is gone. No destructor can save it: a forgotten
//! future never runs its destructor. A blocking function cannot be dropped halfway,
//! so the guarantee holds; the price is that it blocks its thread, which on a worker
//! is what [`block_in_place`](crate::task::block_in_place) is for.
//!
//! # Soundness, in short
//!
//! - **S1.** Each scoped future is boxed with a guard as its last field; the guard
//!   decrements the scope's count of running tasks when the future is dropped (after
//!   its last poll, when it is cancelled, or during a panic's unwind), never before.
//! - **S2.** `scope` waits until that count is zero before it returns or re-raises a
//!   panic, also when the closure itself panicked.
//! - **S3.** So every borrow inside a scoped future ends before `scope` returns, which
//!   is before `'env` ends: the lifetime erasure in `Scope::spawn` (the future is
//!   handed to the runtime as `'static`) is never observable.
//!
//! Miri runs the tests of this module (tests/scope.rs) to check it.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::sync::{Condvar, Mutex, StdArc};
use crate::task::{JoinError, JoinHandle};
use crate::Handle;

/// The message of the panic of `scope` on a worker thread.
const SCOPE_IN_WORKER: &str = "runtime::scope called on a runtime worker thread: it blocks \
     until its tasks finish, which would stall the tasks queued on this worker (and \
     deadlock if they are the scope's own); call it inside \
     `runtime::task::block_in_place(|| runtime::scope(..))`, or from a thread that is no \
     worker";

/// Runs `f` with a [`Scope`] on which it may spawn tasks that borrow from the caller,
/// and returns once every one of them has finished.
///
/// The tasks run on the current runtime's workers, like any task. `scope` blocks the
/// calling thread until all of them have finished (and their futures are dropped), so
/// they may borrow anything that outlives the call (`'env`). A scoped task may spawn
/// more scoped tasks (the `Scope` is `Sync`).
///
/// See the [module docs](crate::scope#why-there-is-no-async-scope) for why this cannot
/// be an `async` function.
///
/// # Panics
///
/// - Outside a runtime, and on a worker thread unless inside
///   [`block_in_place`](crate::task::block_in_place), with a message that says so.
/// - If `f` panics, after every scoped task has finished, with `f`'s panic.
/// - If a scoped task panicked and its handle did not take the panic (the handle was
///   dropped, or never awaited), after every scoped task has finished, with the first
///   such panic's payload.
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// let words = vec!["hot", "tasks", "borrow"];
/// let total = rt.block_on(async {
///     // In async code: `block_in_place` first, since `scope` blocks its thread.
///     runtime::task::block_in_place(|| {
///         runtime::scope(|s| {
///             // Each task borrows `words`, which lives on the caller's stack.
///             let lens: Vec<_> = words.iter().map(|w| s.spawn(async move { w.len() })).collect();
///             lens.into_iter().map(|h| runtime::block_on(h).unwrap()).sum::<usize>()
///         })
///     })
/// });
/// assert_eq!(total, 14);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// A borrow cannot escape the scope: a future that borrows a value that lives only
/// inside the closure does not compile.
///
/// ```compile_fail,E0597
/// let rt = runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     runtime::task::block_in_place(|| {
///         runtime::scope(|s| {
///             let local = 5;
///             s.spawn(async { local + 1 });
///             s.spawn(async { &local });
///         })
///     })
/// });
/// ```
#[track_caller]
pub fn scope<'env, F, T>(f: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    if crate::context::is_worker() {
        panic!("{SCOPE_IN_WORKER}");
    }
    let handle = match Handle::try_current() {
        Ok(handle) => handle,
        Err(e) => panic!("runtime::scope called outside a runtime: {e}"),
    };
    let scope = Scope {
        handle,
        state: StdArc::new(ScopeState {
            running: Mutex::new(0),
            all_done: Condvar::new(),
            unobserved_panic: Mutex::new(None),
        }),
        _scope: PhantomData,
        _env: PhantomData,
    };
    // Rule S2: whatever `f` does, wait for every task before leaving.
    let result = panic::catch_unwind(AssertUnwindSafe(|| f(&scope)));
    scope.state.wait_all();
    match result {
        Err(payload) => panic::resume_unwind(payload),
        Ok(value) => {
            if let Some(payload) = scope.state.unobserved_panic.lock().take() {
                panic::resume_unwind(payload);
            }
            value
        }
    }
}

/// A scope to spawn tasks that may borrow from the caller of [`scope`].
///
/// `'scope` is the scope's own lifetime (spawned futures must live that long);
/// `'env` is the borrowed environment's, which outlives it.
pub struct Scope<'scope, 'env: 'scope> {
    handle: Handle,
    state: StdArc<ScopeState>,
    // Invariant in both, as `std::thread::Scope`: a scope must not be usable as one of
    // a shorter or longer lifetime.
    _scope: PhantomData<&'scope mut &'scope ()>,
    _env: PhantomData<&'env mut &'env ()>,
}

struct ScopeState {
    /// Scoped tasks whose future has not been dropped yet (rule S1).
    running: Mutex<usize>,
    all_done: Condvar,
    /// The first panic of a scoped task that no handle took.
    unobserved_panic: Mutex<Option<Box<dyn Any + Send + 'static>>>,
}

impl ScopeState {
    fn wait_all(&self) {
        let mut running = self.running.lock();
        while *running > 0 {
            self.all_done.wait(&mut running);
        }
    }
}

impl<'scope, 'env> Scope<'scope, 'env> {
    /// Spawns a task that may borrow anything that outlives the scope; it starts at
    /// once on the runtime's workers, like any task.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let mut counts = [0usize; 4];
    /// rt.block_on(async {
    ///     runtime::task::block_in_place(|| {
    ///         runtime::scope(|s| {
    ///             for (i, c) in counts.iter_mut().enumerate() {
    ///                 // Each task gets a `&mut` into the caller's array.
    ///                 s.spawn(async move { *c = i * 10 });
    ///             }
    ///         })
    ///     })
    /// });
    /// assert_eq!(counts, [0, 10, 20, 30]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&'scope self, future: F) -> ScopedJoinHandle<'scope, F::Output>
    where
        F: Future + Send + 'scope,
        F::Output: Send + 'scope,
    {
        *self.state.running.lock() += 1;
        let packet = StdArc::new(Packet {
            result: Mutex::new(None),
            state: self.state.clone(),
        });
        let task = ScopedTask {
            future,
            packet: packet.clone(),
            _running: Running(self.state.clone()),
        };
        let boxed: Pin<Box<dyn Future<Output = ()> + Send + 'scope>> = Box::pin(task);
        // Rule S3: only the lifetime changes (same trait object, same layout), and the
        // future is dropped before `scope` returns (rules S1, S2), so nothing it
        // borrows for `'scope` is used after `'scope` ends. The runtime never holds the
        // future past its drop: the task cell keeps only its `()` output.
        // SAFETY: rule S3, just above.
        let boxed: Pin<Box<dyn Future<Output = ()> + Send + 'static>> =
            unsafe { std::mem::transmute(boxed) };
        let join = self.handle.spawn(boxed);
        ScopedJoinHandle {
            join,
            packet,
            _scope: PhantomData,
        }
    }
}

impl fmt::Debug for Scope<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scope")
            .field("running", &*self.state.running.lock())
            .finish()
    }
}

/// A scoped task's future: the user's, plus where its result goes, plus the guard of
/// rule S1 as the last field (fields drop in order).
struct ScopedTask<F: Future> {
    future: F,
    packet: StdArc<Packet<F::Output>>,
    _running: Running,
}

impl<F: Future> Future for ScopedTask<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // SAFETY: `future` is structurally pinned: it is never moved out of the
        // pinned `ScopedTask`, which has no `Drop` of its own and is not `Unpin`
        // unless `F` is.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: as above.
        let future = unsafe { Pin::new_unchecked(&mut this.future) };
        let result = match panic::catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(value)) => Ok(value),
            // The panic is kept for the handle (or for `scope`), not re-raised: the
            // runtime would only report it to a handle nobody holds.
            Err(payload) => Err(payload),
        };
        *this.packet.result.lock() = Some(result);
        Poll::Ready(())
    }
}

/// Counts a scoped task as running until dropped (rule S1).
struct Running(StdArc<ScopeState>);

impl Drop for Running {
    fn drop(&mut self) {
        let mut running = self.0.running.lock();
        *running -= 1;
        if *running == 0 {
            self.0.all_done.notify_all();
        }
    }
}

/// A scoped task's result, shared by the task and its handle.
struct Packet<T> {
    result: Mutex<Option<Result<T, Box<dyn Any + Send + 'static>>>>,
    state: StdArc<ScopeState>,
}

impl<T> Drop for Packet<T> {
    fn drop(&mut self) {
        // Nobody took this task's panic: `scope` re-raises it (the first such one).
        if let Some(Err(payload)) = self.result.get_mut().take() {
            let mut slot = self.state.unobserved_panic.lock();
            if slot.is_none() {
                *slot = Some(payload);
            }
        }
    }
}

/// The handle of a task spawned on a [`Scope`]: await it (inside the scope) for the
/// task's result.
///
/// `Future<Output = Result<T, JoinError>>`: `Err` with `is_panic()` if the task
/// panicked (the panic is then the handle's, and `scope` does not re-raise it), with
/// `is_cancelled()` if the runtime shut down first. Dropping the handle detaches the
/// task; `scope` still waits for it.
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// let data = vec![1, 2, 3];
/// let sum = rt.block_on(async {
///     runtime::task::block_in_place(|| {
///         runtime::scope(|s| {
///             let h = s.spawn(async { data.iter().sum::<i32>() });
///             runtime::block_on(h).unwrap()
///         })
///     })
/// });
/// assert_eq!(sum, 6);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct ScopedJoinHandle<'scope, T> {
    join: JoinHandle<()>,
    packet: StdArc<Packet<T>>,
    _scope: PhantomData<&'scope ()>,
}

impl<T> Future for ScopedJoinHandle<'_, T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let id = self.join.id();
        match Pin::new(&mut self.join).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) => match self.packet.result.lock().take() {
                Some(Ok(value)) => Poll::Ready(Ok(value)),
                Some(Err(payload)) => Poll::Ready(Err(JoinError::panic(id, payload))),
                None => panic!("ScopedJoinHandle polled after it returned Ready"),
            },
        }
    }
}

impl<T> fmt::Debug for ScopedJoinHandle<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScopedJoinHandle")
            .field("id", &self.join.id())
            .finish()
    }
}
