//! The one module that names `std::sync`, `parking_lot`, `crossbeam` or `loom`.
//!
//! Every atomic, lock, condition variable, thread, `UnsafeCell` and work-stealing
//! deque the runtime uses comes through here, so that under `cfg(loom)` the whole
//! concurrent core can be model-checked by swapping in loom's instrumented types.
//!
//! loom cannot see inside `crossbeam-deque` (its indices are plain core atomics) nor
//! inside `parking_lot`; under `cfg(loom)` this module therefore swaps the deques for
//! a model with the same API over a loom `Mutex<VecDeque>`, and the locks for loom's
//! own, and the models in `loom-tests/` check *our* protocols on top of them.

#[cfg(not(loom))]
mod imp {
    pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
    pub(crate) use std::sync::{Arc, Weak};
    pub(crate) use std::thread;

    pub(crate) use crossbeam_deque::{Injector, Steal, Stealer, Worker};
    pub(crate) use crossbeam_utils::CachePadded;
    pub(crate) use parking_lot::{Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

    /// `std::cell::UnsafeCell` with loom's closure-based API, so that loom can check
    /// every access to the cell for races.
    #[derive(Debug)]
    pub(crate) struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> UnsafeCell<T> {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }
    }

    impl<T: ?Sized> UnsafeCell<T> {
        /// Runs `f` with a shared raw pointer to the contents.
        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Runs `f` with an exclusive raw pointer to the contents.
        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }

    /// Number of slots a worker's local queue holds before half of it spills to the
    /// injector.
    pub(crate) const LOCAL_QUEUE_CAPACITY: usize = 256;
}

#[cfg(not(loom))]
pub(crate) use imp::*;
