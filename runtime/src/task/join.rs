//! `JoinHandle`: the awaitable, detachable handle of a hot task.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use super::raw::Header;
use super::{AbortHandle, Id, JoinError};

/// An owned permission to await a task's result.
///
/// The task is already running when you get the handle (tasks are *hot*, like a C#
/// `Task`): awaiting the handle only waits for the result. Dropping the handle
/// detaches the task, which still runs to completion; [`abort`](Self::abort) cancels it.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// let rt = runtime::Runtime::new()?;
/// let ran = Arc::new(AtomicBool::new(false));
/// let flag = ran.clone();
/// let handle = rt.spawn(async move {
///     flag.store(true, Ordering::SeqCst);
///     6 * 7
/// });
/// // The task runs whether or not we await it; awaiting gives its output.
/// assert_eq!(rt.block_on(handle)?, 42);
/// assert!(ran.load(Ordering::SeqCst));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Thread safety
///
/// A task may move between worker threads at every `.await`, so its future and its
/// output must be `Send`. A future that keeps an `Rc` across an `.await` is not, and
/// spawning it does not compile:
///
/// ```compile_fail,E0277
/// let _handle = runtime::spawn(async {
///     let counter = std::rc::Rc::new(1);
///     runtime::yield_now().await;
///     *counter
/// });
/// ```
///
/// Nor does a task whose output is not `Send`:
///
/// ```compile_fail,E0277
/// let rt = runtime::Runtime::new().unwrap();
/// let _handle = rt.spawn(async { std::rc::Rc::new(1) });
/// ```
///
/// End such a value's scope before the `.await` (or use `Arc`), and return a `Send`
/// type:
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// let handle = rt.spawn(async {
///     let value = {
///         let local = std::rc::Rc::new(1);
///         *local
///     }; // `local` is gone before the await: the future is `Send`
///     runtime::yield_now().await;
///     value
/// });
/// assert_eq!(rt.block_on(handle)?, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct JoinHandle<T> {
    raw: NonNull<Header>,
    _output: PhantomData<T>,
}

// SAFETY: the handle only moves the output `T` between threads (it is produced on a
// worker and taken by the awaiting thread), so it is `Send` when `T` is.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: every `&self` method (`is_finished`, `abort`, `id`, `abort_handle`) only
// touches the atomic state word and immutable header fields; the output is reached
// only through `&mut self` (`poll`).
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    pub(super) fn from_raw(raw: NonNull<Header>) -> JoinHandle<T> {
        JoinHandle {
            raw,
            _output: PhantomData,
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: the handle owns a reference, so the header is alive.
        unsafe { self.raw.as_ref() }
    }

    /// Cancels the task. Its future is dropped at its next yield point, or before its
    /// first poll; awaiting the handle then gives a [`JoinError`] for which
    /// [`is_cancelled`](JoinError::is_cancelled) is true. A task that already finished
    /// keeps its result.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let handle = rt.spawn(std::future::pending::<()>());
    /// handle.abort();
    /// assert!(rt.block_on(handle).unwrap_err().is_cancelled());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn abort(&self) {
        super::abort::abort(self.raw);
    }

    /// Whether the task has finished (completed, panicked or was cancelled). Never
    /// blocks.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let pending = rt.spawn(std::future::pending::<()>());
    /// assert!(!pending.is_finished());
    /// let task = rt.spawn(async { 1 });
    /// let abort = task.abort_handle();
    /// assert_eq!(rt.block_on(task)?, 1);
    /// assert!(abort.is_finished());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.header().state.load().is_complete()
    }

    /// A handle that can cancel the task but not await it; cloneable and shareable
    /// between threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let task = rt.spawn(std::future::pending::<()>());
    /// let abort = task.abort_handle();
    /// assert_eq!(abort.id(), task.id());
    /// abort.abort();
    /// assert!(rt.block_on(task).unwrap_err().is_cancelled());
    /// assert!(abort.is_finished());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        self.header().state.ref_inc();
        AbortHandle::from_raw(self.raw)
    }

    /// The task's id: unique among the tasks of this process, and what
    /// [`task::id`](crate::task::id) returns inside the task.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let a = rt.spawn(async { runtime::task::id() });
    /// let b = rt.spawn(async {});
    /// assert_ne!(a.id(), b.id());
    /// let id = a.id();
    /// assert_eq!(rt.block_on(a)?, id);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> Id {
        self.header().id
    }
}

impl<T> JoinHandle<T> {
    /// Turns this handle into one that **aborts** the task when dropped, instead of
    /// detaching it; awaiting it still gives the result.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let h = rt.spawn(async { 2 + 2 }).abort_on_drop();
    /// assert_eq!(rt.block_on(h)?, 4);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn abort_on_drop(self) -> super::AbortOnDropHandle<T> {
        super::AbortOnDropHandle::new(self)
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // The cooperative budget (coop.rs): a handle of a finished task is ready at
        // once, so awaiting many of them in a row spends it.
        let spent = std::task::ready!(super::coop::poll_proceed(cx));
        let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
        let header = self.header();
        // SAFETY: we hold the JoinHandle reference and `out` has the task's output
        // type (`T` is the `F::Output` the handle was made for).
        unsafe {
            (header.vtable.try_read_output)(self.raw, &mut out as *mut _ as *mut (), cx.waker());
        }
        if out.is_ready() {
            spent.made_progress();
        }
        out
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        let header = self.header();
        // SAFETY: releases the reference this handle owns; the handle is not used again.
        unsafe { (header.vtable.drop_join_handle)(self.raw) };
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("id", &self.id())
            .finish()
    }
}
