//! `AbortOnDropHandle`: a `JoinHandle` that cancels its task when dropped.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{AbortHandle, Id, JoinError, JoinHandle};

/// A task handle for structured code: awaiting it gives the task's result, like a
/// [`JoinHandle`], but dropping it **aborts** the task instead of detaching it.
///
/// Made by [`JoinHandle::abort_on_drop`]. Use it where a task must not outlive the
/// code that started it: a request handler that fans out sub-requests, a `select`
/// whose losing branch owns a task.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let rt = runtime::Runtime::new()?;
/// rt.block_on(async {
///     // Awaited: the result, as with a JoinHandle.
///     let quick = runtime::spawn(async { 7 }).abort_on_drop();
///     assert_eq!(quick.await.unwrap(), 7);
///
///     // Dropped: the task is cancelled, not left running.
///     let slow = runtime::spawn(runtime::time::sleep(Duration::from_secs(3600)));
///     let abort = slow.abort_handle();
///     drop(slow.abort_on_drop());
///     while !abort.is_finished() {
///         runtime::yield_now().await;
///     }
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct AbortOnDropHandle<T> {
    handle: JoinHandle<T>,
}

impl<T> AbortOnDropHandle<T> {
    pub(crate) fn new(handle: JoinHandle<T>) -> AbortOnDropHandle<T> {
        AbortOnDropHandle { handle }
    }

    /// Cancels the task now (see [`JoinHandle::abort`]).
    pub fn abort(&self) {
        self.handle.abort();
    }

    /// Whether the task has finished. Never blocks.
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// A handle that can cancel the task but not await it.
    pub fn abort_handle(&self) -> AbortHandle {
        self.handle.abort_handle()
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.handle.id()
    }
}

impl<T> Future for AbortOnDropHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.handle).poll(cx)
    }
}

impl<T> Drop for AbortOnDropHandle<T> {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl<T> fmt::Debug for AbortOnDropHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortOnDropHandle")
            .field("id", &self.handle.id())
            .finish()
    }
}
