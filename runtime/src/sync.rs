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

    // The lending pool (issue 4): its guards keep the raw acquisition state of an
    // item's lock (so that owned guards need no borrow of the lock), and its public
    // `self: &Arc<Self>` receivers must be std's `Arc` in every configuration.
    pub(crate) use parking_lot::{lock_api, RawRwLock};
    pub(crate) use std::sync::Arc as StdArc;

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

// ---- loom stand-ins for the lending pool (issue 4) -------------------------------
//
// The same names as above, with the same signatures, over loom's primitives. loom
// cannot see inside parking_lot, and the pool keeps raw lock state in its guards
// (`RwLock::raw`, `force_unlock_*`), which loom's own `RwLock` has no API for; so
// under loom the item lock is a small try-only reader-writer lock on a loom atomic,
// with the acquire/release semantics of parking_lot's. The pool never blocks on an
// item lock, so the stand-in needs no parking.
#[cfg(loom)]
mod loom_pool {
    pub(crate) use loom::sync::atomic::{fence, AtomicUsize, Ordering};
    pub(crate) use std::sync::Arc as StdArc;

    /// parking_lot's `Mutex` API (`lock()` returns the guard) over loom's `Mutex`.
    #[derive(Debug)]
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Mutex<T> {
            Mutex(loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            // Nothing panics while holding one of these in the models.
            self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
        }
    }

    /// The subset of `lock_api` the pool names.
    pub(crate) mod lock_api {
        /// Stateless acquisition state that may be released on any thread, as
        /// parking_lot's with the `send_guard` feature.
        #[derive(Debug, Default)]
        pub(crate) struct GuardSend(());

        /// `lock_api::RawRwLock`, try-only.
        ///
        /// # Safety
        ///
        /// As `lock_api::RawRwLock`: shared or exclusive exclusion, acquire on lock,
        /// release on unlock.
        pub(crate) unsafe trait RawRwLock {
            type SharedGuard;
            type ExclusiveGuard;
            fn try_lock_shared(&self) -> Option<Self::SharedGuard>;
            fn try_lock_exclusive(&self) -> Option<Self::ExclusiveGuard>;
            /// # Safety
            ///
            /// `guard` is the state of a shared acquisition of this lock.
            unsafe fn unlock_shared(&self, guard: Self::SharedGuard);
            /// # Safety
            ///
            /// `guard` is the state of an exclusive acquisition of this lock.
            unsafe fn unlock_exclusive(&self, guard: Self::ExclusiveGuard);
            fn is_locked(&self) -> bool;
            fn is_locked_exclusive(&self) -> bool;
        }
    }

    const WRITER: usize = 1;
    const ONE_READER: usize = 2;

    /// A try-only reader-writer lock word: bit 0 is the writer, the rest count readers.
    #[derive(Debug)]
    pub(crate) struct RawRwLock {
        state: AtomicUsize,
    }

    // SAFETY: a writer is admitted only from state 0 and readers only while the
    // writer bit is clear, by compare-exchange (Acquire); unlocks are Release RMWs.
    unsafe impl lock_api::RawRwLock for RawRwLock {
        type SharedGuard = lock_api::GuardSend;
        type ExclusiveGuard = lock_api::GuardSend;

        fn try_lock_shared(&self) -> Option<lock_api::GuardSend> {
            let state = self.state.load(Ordering::Relaxed);
            if state & WRITER != 0 {
                return None;
            }
            let next = state.checked_add(ONE_READER)?;
            self.state
                .compare_exchange(state, next, Ordering::Acquire, Ordering::Relaxed)
                .ok()
                .map(|_| lock_api::GuardSend::default())
        }

        fn try_lock_exclusive(&self) -> Option<lock_api::GuardSend> {
            self.state
                .compare_exchange(0, WRITER, Ordering::Acquire, Ordering::Relaxed)
                .ok()
                .map(|_| lock_api::GuardSend::default())
        }

        unsafe fn unlock_shared(&self, _guard: lock_api::GuardSend) {
            self.state.fetch_sub(ONE_READER, Ordering::Release);
        }

        unsafe fn unlock_exclusive(&self, _guard: lock_api::GuardSend) {
            self.state.fetch_sub(WRITER, Ordering::Release);
        }

        fn is_locked(&self) -> bool {
            self.state.load(Ordering::Relaxed) != 0
        }

        fn is_locked_exclusive(&self) -> bool {
            self.state.load(Ordering::Relaxed) == WRITER
        }
    }

    /// parking_lot's `RwLock` API, the raw-state subset, over [`RawRwLock`].
    #[derive(Debug)]
    pub(crate) struct RwLock<T> {
        raw: RawRwLock,
        data: std::cell::UnsafeCell<T>,
    }

    // SAFETY: as parking_lot's `RwLock`: the value moves with the lock.
    unsafe impl<T: Send> Send for RwLock<T> {}
    // SAFETY: as parking_lot's `RwLock`: readers share `&T` across threads (`T: Sync`),
    // a writer may be on any thread (`T: Send`), and the lock word excludes the two.
    unsafe impl<T: Send + Sync> Sync for RwLock<T> {}

    impl<T> RwLock<T> {
        pub(crate) fn new(value: T) -> RwLock<T> {
            RwLock { raw: RawRwLock { state: AtomicUsize::new(0) }, data: std::cell::UnsafeCell::new(value) }
        }

        pub(crate) fn into_inner(self) -> T {
            self.data.into_inner()
        }

        pub(crate) fn get_mut(&mut self) -> &mut T {
            self.data.get_mut()
        }

        /// # Safety
        ///
        /// As parking_lot's: operations on the raw lock keep every live guard valid.
        pub(crate) unsafe fn raw(&self) -> &RawRwLock {
            &self.raw
        }

        pub(crate) fn data_ptr(&self) -> *mut T {
            self.data.get()
        }

        pub(crate) fn is_locked(&self) -> bool {
            lock_api::RawRwLock::is_locked(&self.raw)
        }

        pub(crate) fn is_locked_exclusive(&self) -> bool {
            lock_api::RawRwLock::is_locked_exclusive(&self.raw)
        }

        /// # Safety
        ///
        /// `guard` is the state of a shared acquisition held by the caller.
        pub(crate) unsafe fn force_unlock_read(&self, guard: lock_api::GuardSend) {
            // SAFETY: forwarded from the caller.
            unsafe { lock_api::RawRwLock::unlock_shared(&self.raw, guard) }
        }

        /// # Safety
        ///
        /// `guard` is the state of an exclusive acquisition held by the caller.
        pub(crate) unsafe fn force_unlock_write(&self, guard: lock_api::GuardSend) {
            // SAFETY: forwarded from the caller.
            unsafe { lock_api::RawRwLock::unlock_exclusive(&self.raw, guard) }
        }
    }
}

#[cfg(loom)]
pub(crate) use loom_pool::*;
