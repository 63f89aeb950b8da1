//! The lending pool's item lock: parking_lot's `RwLock`, with its `RawRwLock` and
//! `lock_api`, or under `cfg(loom)` a try-only reader-writer lock on a loom atomic.
//!
//! The pool's guards keep the raw acquisition state of an item's lock (`RwLock::raw`,
//! `force_unlock_*`), so that owned guards need no borrow of the lock. loom cannot see
//! inside parking_lot, and loom's own `RwLock` has no API for raw lock state; so under
//! loom the item lock is a small reader-writer lock word on a loom atomic, with the
//! acquire/release semantics of parking_lot's and the subset of its API the pool
//! names. The pool never blocks on an item lock, so the stand-in needs no parking.

#[cfg(not(loom))]
pub(crate) use parking_lot::{lock_api, RawRwLock, RwLock};

#[cfg(loom)]
pub(crate) use self::loom_impl::{lock_api, RawRwLock, RwLock};

#[cfg(loom)]
mod loom_impl {
    use loom::sync::atomic::{AtomicUsize, Ordering};

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
            // Relaxed: a guess at the word, which the compare-exchange confirms.
            let state = self.state.load(Ordering::Relaxed);
            if state & WRITER != 0 {
                return None;
            }
            let next = state.checked_add(ONE_READER)?;
            // Acquire on success: pairs with the Release unlock of the last writer, so
            // its writes to the data are visible to this reader. Relaxed on failure:
            // nothing is acquired.
            self.state
                .compare_exchange(state, next, Ordering::Acquire, Ordering::Relaxed)
                .ok()
                .map(|_| lock_api::GuardSend::default())
        }

        fn try_lock_exclusive(&self) -> Option<lock_api::GuardSend> {
            // Acquire on success: pairs with the Release unlocks of every earlier
            // reader and writer (a chain of RMWs on this word). Relaxed on failure.
            self.state
                .compare_exchange(0, WRITER, Ordering::Acquire, Ordering::Relaxed)
                .ok()
                .map(|_| lock_api::GuardSend::default())
        }

        unsafe fn unlock_shared(&self, _guard: lock_api::GuardSend) {
            // Release: our reads of the data happen before the next writer's access.
            self.state.fetch_sub(ONE_READER, Ordering::Release);
        }

        unsafe fn unlock_exclusive(&self, _guard: lock_api::GuardSend) {
            // Release: publishes our writes to the next locker's Acquire.
            self.state.fetch_sub(WRITER, Ordering::Release);
        }

        fn is_locked(&self) -> bool {
            // Relaxed: a snapshot, as parking_lot's; it orders nothing.
            self.state.load(Ordering::Relaxed) != 0
        }

        fn is_locked_exclusive(&self) -> bool {
            // Relaxed: a snapshot, as parking_lot's; it orders nothing.
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
            RwLock {
                raw: RawRwLock {
                    state: AtomicUsize::new(0),
                },
                data: std::cell::UnsafeCell::new(value),
            }
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
