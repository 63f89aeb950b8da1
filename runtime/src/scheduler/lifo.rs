//! A worker's LIFO slot: the task woken most recently by a task on this worker, run
//! next. Other workers may take it (`steal`) when the owner has been stuck in one poll
//! for a whole monitor tick (`worker.rs`, the monitor), so no ready task waits behind
//! a blocked worker while another worker is idle.
//!
//! The slot owns the `Notified` reference it holds, as a raw pointer. Ownership moves
//! only through `swap`, so each stored pointer is taken out exactly once: by the
//! owner (`take`, or `replace` handing back the previous one) or by a thief
//! (`steal`).

use std::ptr::{self, NonNull};

use crate::sync::{AtomicPtr, Ordering};
use crate::task::Notified;

pub(crate) struct LifoSlot {
    task: AtomicPtr<()>,
}

impl LifoSlot {
    pub(crate) fn new() -> LifoSlot {
        LifoSlot {
            task: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// Owner only: puts `task` in the slot, returning the task it held (unless a
    /// thief took it).
    pub(crate) fn replace(&self, task: Notified) -> Option<Notified> {
        let task = task.into_raw().as_ptr();
        // Relaxed: only the owner stores a task, so a null read means the slot is
        // empty and stays so until our store (a thief only ever writes null): a plain
        // store suffices, and the common case (the slot was consumed after the last
        // poll) takes no locked instruction.
        if self.task.load(Ordering::Relaxed).is_null() {
            // Release: publishes the task to a thief's Acquire `steal`.
            self.task.store(task, Ordering::Release);
            return None;
        }
        // Release as above; the pointer we take out is one we stored (program order).
        let prev = self.task.swap(task, Ordering::Release);
        // SAFETY: the swap took `prev` out of the slot, which owned it (module docs).
        NonNull::new(prev).map(|p| unsafe { Notified::from_raw_owned(p) })
    }

    /// Owner only: takes the task out of the slot.
    pub(crate) fn take(&self) -> Option<Notified> {
        // Relaxed: only the owner stores a task, so a null read means empty (a thief
        // only ever empties the slot); a non-null read is confirmed by the swap.
        if self.task.load(Ordering::Relaxed).is_null() {
            return None;
        }
        #[cfg(not(loom_broken = "lifo_take"))]
        let task = self.steal();
        // Planted bug: the owner claims the task with a load and a store, so a thief's
        // swap in between takes the same task too.
        #[cfg(loom_broken = "lifo_take")]
        let task = {
            let task = self.task.load(Ordering::Acquire);
            self.task.store(ptr::null_mut(), Ordering::Relaxed);
            // SAFETY: none, on purpose: the model must catch the double take.
            NonNull::new(task).map(|p| unsafe { Notified::from_raw_owned(p) })
        };
        task
    }

    /// Any thread: takes the task out of the slot.
    pub(crate) fn steal(&self) -> Option<Notified> {
        // Acquire: pairs with the owner's Release in `replace`, so the task's state is
        // visible to the thread that runs it.
        let prev = self.task.swap(ptr::null_mut(), Ordering::Acquire);
        // SAFETY: the swap took `prev` out of the slot, which owned it (module docs).
        NonNull::new(prev).map(|p| unsafe { Notified::from_raw_owned(p) })
    }

    /// Whether the slot holds a task (a snapshot).
    pub(crate) fn is_empty(&self) -> bool {
        // Relaxed: a hint for the monitor; `steal` decides.
        self.task.load(Ordering::Relaxed).is_null()
    }
}

impl Drop for LifoSlot {
    fn drop(&mut self) {
        // A task left in the slot is cancelled like any discarded `Notified`.
        drop(self.steal());
    }
}
