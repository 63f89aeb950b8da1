//! Task-local storage: a value set for one future (and everything it awaits), whichever
//! worker polls it.
//!
//! A key made by [`task_local!`](crate::task_local) is a thread-local slot in the
//! user's crate (`RefCell<Option<T>>`). [`LocalKey::scope`] keeps the value inside its
//! [`TaskLocalFuture`] and *swaps* it into the slot of the thread that polls it, around
//! each poll of the inner future, and back out after, on unwind too. So the value
//! follows the task from worker to worker, two tasks on one worker never see each
//! other's value, and a nested scope of the same key shadows the outer one and
//! restores it when it leaves. Code that runs between polls (other tasks, the worker
//! itself) finds the slot as it was before.
//!
//! The slot is a std thread-local, not `crate::sync`'s: its `static` is expanded in
//! the user's crate, and no loom model covers task-locals.

use std::cell::RefCell;
use std::error::Error;
use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Declares task-local keys: values that a future sets with [`LocalKey::scope`] and
/// that code inside it reads with [`LocalKey::with`], wherever it is polled.
///
/// The syntax is that of `thread_local!` without an initialiser: any number of
/// `static NAME: Type;` declarations, each with attributes (doc comments too) and a
/// visibility. `Type` must be `'static`. Each declaration makes a
/// `static NAME: runtime::task::LocalKey<Type>`.
///
/// A key has no value until a scope gives it one: a task that is spawned does *not*
/// inherit the task-locals of the task that spawned it (it runs on its own, maybe on
/// another worker, maybe after the parent is gone). Give the child its own scope, with
/// a copy of the value, if it needs one.
///
/// # Examples
///
/// Per-request state, readable from any function the request's future calls:
///
/// ```
/// runtime::task_local! {
///     /// The id of the request being handled.
///     pub static REQUEST_ID: u64;
///     static USER: String;
/// }
///
/// async fn log(line: &str) -> String {
///     runtime::yield_now().await; // may continue on another worker: the value follows
///     USER.with(|user| format!("[request {}, {user}] {line}", REQUEST_ID.get()))
/// }
///
/// let rt = runtime::Runtime::new()?;
/// let handle = rt.spawn(REQUEST_ID.scope(7, USER.scope("ana".to_owned(), async {
///     log("hello").await
/// })));
/// assert_eq!(rt.block_on(handle)?, "[request 7, ana] hello");
///
/// // Outside every scope there is no value.
/// assert!(REQUEST_ID.try_with(|_| ()).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Without the macro, `static REQUEST_ID: u64;` is a `LocalKey` around a hidden
/// thread-local slot, made through a constructor that is not public API:
///
/// ```
/// use std::cell::RefCell;
///
/// static REQUEST_ID: runtime::task::LocalKey<u64> = {
///     std::thread_local! {
///         static SLOT: RefCell<Option<u64>> = const { RefCell::new(None) };
///     }
///     runtime::task::LocalKey::__from_slot(&SLOT)
/// };
///
/// assert_eq!(REQUEST_ID.sync_scope(7, || REQUEST_ID.get()), 7);
/// ```
#[macro_export]
macro_rules! task_local {
    () => {};
    (
        $(#[$attr:meta])* $vis:vis static $name:ident: $t:ty $(; $($rest:tt)*)?
    ) => {
        $(#[$attr])*
        $vis static $name: $crate::task::LocalKey<$t> = {
            ::std::thread_local! {
                static SLOT: ::std::cell::RefCell<::std::option::Option<$t>> =
                    const { ::std::cell::RefCell::new(::std::option::Option::None) };
            }
            $crate::task::LocalKey::__from_slot(&SLOT)
        };
        $($crate::task_local!($($rest)*);)?
    };
}

/// The message of [`AccessError`] when no scope of the key is running, and of the panic
/// of [`LocalKey::with`] and [`LocalKey::get`] there.
const OUTSIDE_SCOPE: &str = "task-local value accessed outside its scope: no `scope` or \
     `sync_scope` of this key is running here (a spawned task does not inherit its \
     parent's task-locals)";

/// The message of [`AccessError`] when the thread's storage is being torn down.
const TLS_DESTROYED: &str = "task-local value accessed while this thread is exiting: its \
     thread-local storage is already destroyed";

/// Why a scope cannot be entered on this thread.
const ENTER_WHILE_BORROWED: &str = "cannot enter a scope of a task-local key inside \
     `with` or `try_with` of the same key: the current value is borrowed";

/// A task-local key, made by [`task_local!`](crate::task_local).
///
/// Give it a value for the length of a future with [`scope`](LocalKey::scope) (or of
/// a closure with [`sync_scope`](LocalKey::sync_scope)); read it inside with
/// [`with`](LocalKey::with), [`try_with`](LocalKey::try_with) or
/// [`get`](LocalKey::get).
///
/// # Examples
///
/// ```
/// runtime::task_local! {
///     static DEPTH: u32;
/// }
///
/// let depth = runtime::block_on(DEPTH.scope(1, async {
///     let outer = DEPTH.get();
///     // A nested scope shadows the value, and restores it when it ends.
///     let inner = DEPTH.scope(outer + 1, async { DEPTH.get() }).await;
///     (outer, inner, DEPTH.get())
/// }));
/// assert_eq!(depth, (1, 2, 1));
/// ```
pub struct LocalKey<T: 'static> {
    slot: &'static std::thread::LocalKey<RefCell<Option<T>>>,
}

impl<T: 'static> LocalKey<T> {
    /// Not public API: what [`task_local!`](crate::task_local) expands to.
    #[doc(hidden)]
    pub const fn __from_slot(slot: &'static std::thread::LocalKey<RefCell<Option<T>>>) -> Self {
        LocalKey { slot }
    }

    /// Runs `future` with this key set to `value`: every poll of it, on whichever
    /// thread, sees the value; code outside it does not.
    ///
    /// The value is dropped when the scope ends: right after `future` completes (once
    /// the key is back to what it was, so the value's destructor sees the outer
    /// value), or when the returned future is dropped early. An early drop first drops
    /// `future` *inside* the scope, so its destructors can still read the value.
    ///
    /// Tasks spawned inside the scope do not inherit the value.
    ///
    /// # Panics
    ///
    /// Polling the returned future panics if it happens inside
    /// [`with`](LocalKey::with) or [`try_with`](LocalKey::try_with) of the same key on
    /// the same thread, which holds a borrow of the current value. (Dropping it there
    /// does not panic: it drops `future` outside the scope.)
    ///
    /// # Examples
    ///
    /// ```
    /// runtime::task_local! {
    ///     static REQUEST_ID: u64;
    /// }
    ///
    /// let rt = runtime::Runtime::new()?;
    /// let handle = rt.spawn(REQUEST_ID.scope(42, async {
    ///     runtime::yield_now().await;
    ///     let id = REQUEST_ID.get();
    ///     // A child task does not inherit it; pass it on explicitly.
    ///     let child = runtime::spawn(async { REQUEST_ID.try_with(|id| *id).is_err() });
    ///     (id, child.await.unwrap())
    /// }));
    /// assert_eq!(rt.block_on(handle)?, (42, true));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn scope<F: Future>(&'static self, value: T, future: F) -> TaskLocalFuture<T, F> {
        TaskLocalFuture {
            key: self,
            value: Some(value),
            future: Some(Box::pin(future)),
        }
    }

    /// Runs the closure `f` with this key set to `value`, for synchronous code; the
    /// value is dropped when `f` returns (or panics), after the key is restored.
    ///
    /// # Panics
    ///
    /// Panics if called inside [`with`](LocalKey::with) or
    /// [`try_with`](LocalKey::try_with) of the same key, which holds a borrow of the
    /// current value. Panics of `f` propagate, after the key is restored.
    ///
    /// # Examples
    ///
    /// ```
    /// runtime::task_local! {
    ///     static USER: String;
    /// }
    ///
    /// fn greeting() -> String {
    ///     USER.with(|user| format!("hello, {user}"))
    /// }
    ///
    /// assert_eq!(USER.sync_scope("ana".to_owned(), greeting), "hello, ana");
    /// assert!(USER.try_with(|_| ()).is_err());
    /// ```
    #[track_caller]
    pub fn sync_scope<F, R>(&'static self, value: T, f: F) -> R
    where
        F: FnOnce() -> R,
    {
        let mut value = Some(value);
        match self.enter(&mut value, f) {
            Ok(output) => output,
            Err(e) => e.panic(),
        }
        // `value` is dropped here, after `enter` restored the key.
    }

    /// Calls `f` with a reference to the current value.
    ///
    /// # Panics
    ///
    /// Panics with the message of [`AccessError`] outside every scope of this key (for
    /// example in a task spawned from inside one); see [`try_with`](LocalKey::try_with).
    ///
    /// # Examples
    ///
    /// ```
    /// runtime::task_local! {
    ///     static NAMES: Vec<&'static str>;
    /// }
    ///
    /// let n = runtime::block_on(NAMES.scope(vec!["a", "b"], async {
    ///     NAMES.with(|names| names.len())
    /// }));
    /// assert_eq!(n, 2);
    /// ```
    #[track_caller]
    pub fn with<F, R>(&'static self, f: F) -> R
    where
        F: FnOnce(&T) -> R,
    {
        match self.try_with(f) {
            Ok(output) => output,
            Err(e) => e.panic(),
        }
    }

    /// Calls `f` with a reference to the current value, if this key has one here.
    ///
    /// # Errors
    ///
    /// [`AccessError`] (without calling `f`) outside every scope of this key, or while
    /// the thread is exiting and its thread-locals are destroyed.
    ///
    /// # Examples
    ///
    /// ```
    /// runtime::task_local! {
    ///     static TRACE: u64;
    /// }
    ///
    /// fn trace_id() -> Option<u64> {
    ///     TRACE.try_with(|id| *id).ok()
    /// }
    ///
    /// assert_eq!(trace_id(), None);
    /// assert_eq!(runtime::block_on(TRACE.scope(9, async { trace_id() })), Some(9));
    /// ```
    pub fn try_with<F, R>(&'static self, f: F) -> Result<R, AccessError>
    where
        F: FnOnce(&T) -> R,
    {
        let found = self.slot.try_with(|slot| {
            // Only `enter` borrows the slot mutably, and it runs no user code while it
            // does, so this borrow cannot fail.
            slot.borrow().as_ref().map(f)
        });
        match found {
            Ok(Some(output)) => Ok(output),
            Ok(None) => Err(AccessError::new(Kind::OutsideScope)),
            Err(_) => Err(AccessError::new(Kind::ThreadLocalDestroyed)),
        }
    }

    /// Swaps `value` into the slot, runs `f`, and swaps it back out (on unwind too).
    /// Whatever the slot held before is what `value` holds meanwhile.
    fn enter<F, R>(&'static self, value: &mut Option<T>, f: F) -> Result<R, EnterError>
    where
        F: FnOnce() -> R,
    {
        /// Swaps the value back out when `f` returns or unwinds.
        struct Restore<'a, T: 'static> {
            key: &'static LocalKey<T>,
            value: &'a mut Option<T>,
        }

        impl<T: 'static> Drop for Restore<'_, T> {
            fn drop(&mut self) {
                // The swap in succeeded on this thread, and the slot is not borrowed
                // now (`with` releases its borrow before returning), so neither the
                // access nor the borrow can fail.
                self.key
                    .slot
                    .with(|slot| mem::swap(self.value, &mut *slot.borrow_mut()));
            }
        }

        self.swap(value)?;
        let _restore = Restore { key: self, value };
        Ok(f())
    }

    fn swap(&'static self, value: &mut Option<T>) -> Result<(), EnterError> {
        match self.slot.try_with(|slot| {
            slot.try_borrow_mut()
                .map(|mut current| mem::swap(value, &mut *current))
        }) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(EnterError::Borrowed),
            Err(_) => Err(EnterError::ThreadLocalDestroyed),
        }
    }
}

impl<T: Copy + 'static> LocalKey<T> {
    /// A copy of the current value.
    ///
    /// # Panics
    ///
    /// Panics with the message of [`AccessError`] outside every scope of this key; see
    /// [`try_with`](LocalKey::try_with).
    ///
    /// # Examples
    ///
    /// ```
    /// runtime::task_local! {
    ///     static REQUEST_ID: u64;
    /// }
    ///
    /// assert_eq!(REQUEST_ID.sync_scope(5, || REQUEST_ID.get()), 5);
    /// ```
    #[track_caller]
    pub fn get(&'static self) -> T {
        self.with(|value| *value)
    }
}

impl<T: 'static> fmt::Debug for LocalKey<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalKey").finish_non_exhaustive()
    }
}

/// Why [`LocalKey::enter`] could not set the value.
#[derive(Clone, Copy, Debug)]
enum EnterError {
    /// A `with` of the same key is running on this thread.
    Borrowed,
    /// The thread is exiting.
    ThreadLocalDestroyed,
}

impl EnterError {
    #[track_caller]
    fn panic(self) -> ! {
        match self {
            EnterError::Borrowed => panic!("{ENTER_WHILE_BORROWED}"),
            EnterError::ThreadLocalDestroyed => panic!("{TLS_DESTROYED}"),
        }
    }
}

/// The future returned by [`LocalKey::scope`]: runs its inner future with the key set.
///
/// It is `Send` when the value and the inner future are, so it can be spawned. The
/// inner future is kept on the heap, so this future is `Unpin` and small.
///
/// # Panics
///
/// Polling it after it completed panics. See also [`LocalKey::scope`].
///
/// # Examples
///
/// ```
/// use runtime::task::TaskLocalFuture;
///
/// runtime::task_local! {
///     static REQUEST_ID: u64;
/// }
///
/// let scoped: TaskLocalFuture<u64, _> = REQUEST_ID.scope(3, async { REQUEST_ID.get() * 2 });
/// let rt = runtime::Runtime::new()?;
/// assert_eq!(rt.block_on(rt.spawn(scoped))?, 6);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A value that is not `Send` makes a future that cannot be spawned:
///
/// ```compile_fail
/// use std::rc::Rc;
///
/// runtime::task_local! {
///     static SHARED: Rc<u64>;
/// }
///
/// let rt = runtime::Runtime::new().unwrap();
/// let _ = rt.spawn(SHARED.scope(Rc::new(1), async {}));
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct TaskLocalFuture<T: 'static, F: Future> {
    key: &'static LocalKey<T>,
    /// The value while the inner future is not being polled; during a poll, whatever
    /// the slot held before. `None` once the scope ended.
    value: Option<T>,
    /// `None` once it completed, or while it is being dropped.
    future: Option<Pin<Box<F>>>,
}

// The value is never pinned (it moves in and out of the slot at every poll), and the
// inner future is pinned in its box.
impl<T: 'static, F: Future> Unpin for TaskLocalFuture<T, F> {}

impl<T: 'static, F: Future> Future for TaskLocalFuture<T, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let key = this.key;
        let slot = &mut this.future;
        if slot.is_none() {
            panic!("`TaskLocalFuture` polled after completion");
        }
        let entered = key.enter(&mut this.value, || {
            let future = slot.as_mut().expect("checked above");
            let poll = future.as_mut().poll(cx);
            if poll.is_ready() {
                // Whatever the inner future still owns is dropped inside the scope.
                *slot = None;
            }
            poll
        });
        match entered {
            Ok(Poll::Ready(output)) => {
                // The scope ends: the key is restored, now the value goes.
                this.value = None;
                Poll::Ready(output)
            }
            Ok(Poll::Pending) => Poll::Pending,
            Err(e) => e.panic(),
        }
    }
}

impl<T: 'static, F: Future> Drop for TaskLocalFuture<T, F> {
    fn drop(&mut self) {
        if let Some(future) = self.future.take() {
            // Dropped before completion: drop the inner future with the value in
            // scope, so that its destructors can read it. Where the scope cannot be
            // entered (inside `with` of this key, or as the thread exits), drop it
            // without: a destructor must not panic.
            let mut future = Some(future);
            let _ = self.key.enter(&mut self.value, || drop(future.take()));
            drop(future);
        }
        // The value (if still there) is dropped with the fields, outside the scope.
    }
}

impl<T: 'static, F: Future> fmt::Debug for TaskLocalFuture<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskLocalFuture")
            .field("completed", &self.future.is_none())
            .finish_non_exhaustive()
    }
}

/// A task-local value was read where the key has none: outside every scope of it, or
/// while the thread is exiting.
///
/// Returned by [`LocalKey::try_with`]; [`LocalKey::with`] and [`LocalKey::get`] panic
/// with the same message.
///
/// # Examples
///
/// ```
/// runtime::task_local! {
///     static REQUEST_ID: u64;
/// }
///
/// let err = REQUEST_ID.try_with(|id| *id).unwrap_err();
/// assert!(err.is_outside_scope());
/// assert!(err.to_string().contains("outside its scope"));
///
/// // The panic of `with` says the same.
/// let panic = std::panic::catch_unwind(|| REQUEST_ID.get()).unwrap_err();
/// assert_eq!(panic.downcast_ref::<String>(), Some(&err.to_string()));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct AccessError {
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    OutsideScope,
    ThreadLocalDestroyed,
}

impl AccessError {
    fn new(kind: Kind) -> AccessError {
        AccessError { kind }
    }

    /// No scope of the key is running here: the code is not inside the future (or
    /// closure) given to `scope` (or `sync_scope`), or it is in a task spawned from
    /// there, which does not inherit the value.
    ///
    /// # Examples
    ///
    /// ```
    /// runtime::task_local! {
    ///     static REQUEST_ID: u64;
    /// }
    ///
    /// let err = REQUEST_ID.try_with(|_| ()).unwrap_err();
    /// assert!(err.is_outside_scope());
    /// assert!(!err.is_thread_local_destroyed());
    /// ```
    pub fn is_outside_scope(&self) -> bool {
        self.kind == Kind::OutsideScope
    }

    /// The thread is exiting and its thread-locals are already destroyed; this can
    /// only be seen from the destructor of another thread-local.
    ///
    /// # Examples
    ///
    /// ```
    /// runtime::task_local! {
    ///     static REQUEST_ID: u64;
    /// }
    ///
    /// // Code that may run in a thread-local's destructor tells the cases apart.
    /// fn request_id() -> Option<u64> {
    ///     match REQUEST_ID.try_with(|id| *id) {
    ///         Ok(id) => Some(id),
    ///         Err(e) if e.is_thread_local_destroyed() => None,
    ///         Err(e) => {
    ///             assert!(e.is_outside_scope());
    ///             None
    ///         }
    ///     }
    /// }
    /// assert_eq!(request_id(), None);
    /// assert_eq!(REQUEST_ID.sync_scope(1, request_id), Some(1));
    /// ```
    pub fn is_thread_local_destroyed(&self) -> bool {
        self.kind == Kind::ThreadLocalDestroyed
    }

    fn message(&self) -> &'static str {
        match self.kind {
            Kind::OutsideScope => OUTSIDE_SCOPE,
            Kind::ThreadLocalDestroyed => TLS_DESTROYED,
        }
    }

    #[track_caller]
    fn panic(self) -> ! {
        panic!("{}", self.message())
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl fmt::Debug for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccessError({self})")
    }
}

impl Error for AccessError {}
