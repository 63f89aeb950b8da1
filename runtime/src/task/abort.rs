//! `AbortHandle`: cancel a task without being able to await it.

use std::fmt;
use std::ptr::NonNull;

use super::raw::Header;
use super::state::TransitionToNotified;
use super::Id;

/// A cloneable permission to cancel a task.
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// let handle = rt.spawn(std::future::pending::<()>());
/// let abort = handle.abort_handle();
/// std::thread::spawn(move || abort.abort()).join().unwrap();
/// assert!(rt.block_on(handle).unwrap_err().is_cancelled());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct AbortHandle {
    raw: NonNull<Header>,
}

// SAFETY: an `AbortHandle` touches only the atomic state word and immutable header
// fields, and never the task's future or output.
unsafe impl Send for AbortHandle {}
// SAFETY: as for `Send`.
unsafe impl Sync for AbortHandle {}

impl AbortHandle {
    pub(super) fn from_raw(raw: NonNull<Header>) -> AbortHandle {
        AbortHandle { raw }
    }

    fn header(&self) -> &Header {
        // SAFETY: the handle owns a reference, so the header is alive.
        unsafe { self.raw.as_ref() }
    }

    /// Cancels the task, as [`JoinHandle::abort`](super::JoinHandle::abort).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let handle = rt.spawn(std::future::pending::<()>());
    /// let abort = handle.abort_handle();
    /// abort.abort();
    /// abort.abort(); // aborting again, or after the task finished, does nothing
    /// assert!(rt.block_on(handle).unwrap_err().is_cancelled());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn abort(&self) {
        abort(self.raw);
    }

    /// Whether the task has finished: completed, panicked or been cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let handle = rt.spawn(async { 1 });
    /// let abort = handle.abort_handle();
    /// assert_eq!(rt.block_on(handle)?, 1);
    /// assert!(abort.is_finished()); // the handle was awaited: the task is done
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.header().state.load().is_complete()
    }

    /// The task's id, the same as its [`JoinHandle::id`](super::JoinHandle::id).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let handle = rt.spawn(async {});
    /// assert_eq!(handle.abort_handle().id(), handle.id());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> Id {
        self.header().id
    }
}

/// Marks the task cancelled, queueing it if it is idle so a worker drops its future.
pub(super) fn abort(raw: NonNull<Header>) {
    // SAFETY: the caller (a handle) holds a reference.
    let header = unsafe { raw.as_ref() };
    if header.state.transition_to_notified_and_cancel() == TransitionToNotified::Submit {
        // SAFETY: the transition took a reference for the new `Notified`.
        unsafe { (header.vtable.schedule)(raw) };
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> AbortHandle {
        self.header().state.ref_inc();
        AbortHandle { raw: self.raw }
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        if self.header().state.ref_dec() {
            // SAFETY: that was the last reference.
            unsafe { (self.header().vtable.dealloc)(self.raw) };
        }
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle")
            .field("id", &self.id())
            .finish()
    }
}
