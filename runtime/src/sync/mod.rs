//! The one module that names `std::sync`, `parking_lot`, `crossbeam` or `loom`.
//!
//! Every atomic, lock, condition variable, thread, thread-local, `UnsafeCell` and
//! work-stealing deque the runtime uses comes through here, so that under `cfg(loom)`
//! the whole concurrent core can be model-checked by swapping in loom's instrumented
//! types. Both halves export the same names with the same APIs.
//!
//! # Under `cfg(loom)`
//!
//! - Atomics, `fence`, `thread`, `thread_local!` and `UnsafeCell` are loom's.
//! - `Mutex` and `Condvar` keep parking_lot's API (`lock()` returns the guard,
//!   `wait(&mut guard)`) over loom's. **A timed wait (`wait_until`) releases the lock,
//!   yields, re-takes the lock and reports a timeout**: the deadline having passed at
//!   once is one behaviour the real wait may show, and loom has no clock. So under loom
//!   only an untimed `wait` can observe a notification.
//! - **crossbeam-deque cannot be model-checked**: its `front`/`back` indices are plain
//!   core atomics that loom does not see, so loom would neither explore their
//!   interleavings nor see the happens-before edges they carry. `Worker`, `Stealer` and
//!   `Injector` are therefore replaced by a model with the same API over a loom
//!   `Mutex<VecDeque>` (`sync/loom_deque.rs`), and `LOCAL_QUEUE_CAPACITY` shrinks to 2
//!   so spills happen within a model. loom checks *our* protocols (task state word,
//!   park/notify, shutdown) on top of that model, not crossbeam's own algorithm; the
//!   deque itself is covered by crossbeam's tests, Miri and ThreadSanitizer.
//! - `Arc` is loom's, so loom's leak check covers the scheduler's shared state: a task
//!   left behind in a queue at the end of a model keeps `Shared` alive and is reported.
//!   loom's `Arc` can be neither a method receiver (`self: &Arc<Self>`) nor coerced to
//!   `Arc<dyn Fn()>`, so `Shared`'s spawn paths are associated functions
//!   (`Shared::spawn(&shared, ..)`) and what needs the real thing names `StdArc`: the
//!   builder's callbacks, `futures-task` wakers, the lending pool's `self: &Arc<Self>`
//!   receivers, and `JoinSet` entries (with std's `Weak`). The models also wrap every
//!   task future in a tracker holding a `loom::sync::Arc`, so the leak check proves
//!   every task allocation (and its future or output) is freed.
//! - `StaticAtomicU64` (std's) and `StaticMutex` (parking_lot's) are the same in both
//!   halves: loom's types cannot be `static`s (their constructors are not `const`, and
//!   a loom object cannot outlive one execution). Use them only for process-wide
//!   state that is no protocol under test (the task-id counter, the timer's global).
//! - `CachePadded` is a transparent wrapper (padding means nothing to loom).
//! - The lending pool's item lock (`RwLock`, `RawRwLock`, `lock_api`) is a try-only
//!   reader-writer lock on a loom atomic, see below.

// Each half exports the whole shim; not every configuration uses every name.
#[cfg(not(loom))]
#[allow(unused_imports)]
mod imp {
    pub(crate) use std::sync::atomic::{
        fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering,
    };
    pub(crate) use std::sync::{Arc, Weak};
    pub(crate) use std::thread;
    pub(crate) use std::thread_local;

    /// A `Mutex` that can be a `static` in every configuration (never modeled).
    pub(crate) use parking_lot::Mutex as StaticMutex;
    /// An `AtomicU64` that can be a `static` in every configuration (never modeled).
    pub(crate) use std::sync::atomic::AtomicU64 as StaticAtomicU64;

    pub(crate) use crossbeam_deque::{Injector, Steal, Stealer, Worker};
    pub(crate) use crossbeam_utils::CachePadded;
    pub(crate) use parking_lot::{
        Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard,
    };

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

#[cfg(loom)]
#[allow(dead_code)]
mod loom_deque;

#[cfg(loom)]
#[allow(unused_imports, dead_code)]
mod imp {
    pub(crate) use loom::sync::atomic::{
        fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering,
    };
    pub(crate) use loom::thread;

    /// `loom::thread_local!`, which also accepts std's `= const { … }` form (loom's
    /// own macro does not): under loom every model thread gets its own value, and the
    /// values are dropped when the model thread ends.
    macro_rules! loom_thread_local {
        () => {};
        ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = const { $($init:tt)* }; $($rest:tt)*) => {
            loom::thread_local!($(#[$attr])* $vis static $name: $t = { $($init)* });
            $crate::sync::thread_local!($($rest)*);
        };
        ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr; $($rest:tt)*) => {
            loom::thread_local!($(#[$attr])* $vis static $name: $t = $init);
            $crate::sync::thread_local!($($rest)*);
        };
    }
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom_thread_local as thread_local;
    // loom's `Arc`, so loom's leak check covers the runtime's shared state too (a task
    // left in a queue at the end of a model keeps it alive and is reported); `StdArc`
    // and `Weak` stay std's for what needs the real one (module docs).
    pub(crate) use loom::sync::Arc;
    pub(crate) use std::sync::atomic::AtomicU64 as StaticAtomicU64;
    pub(crate) use std::sync::Arc as StdArc;
    pub(crate) use std::sync::Weak;
    // Not modeled: loom's objects cannot outlive one execution, as a `static` would. Hold
    // it only around code that makes no loom operation (a loom thread switch while it is
    // held would block the one OS thread that runs every model thread).
    pub(crate) use parking_lot::Mutex as StaticMutex;

    pub(crate) use super::loom_deque::{Injector, Steal, Stealer, Worker};

    use std::ops::{Deref, DerefMut};
    use std::time::Instant;

    /// Number of slots a worker's local queue holds before half of it spills (as one
    /// batch): small under loom, so that spills happen inside a model.
    pub(crate) const LOCAL_QUEUE_CAPACITY: usize = 2;

    /// `crossbeam_utils::CachePadded`'s API; padding means nothing to loom.
    #[derive(Debug, Default)]
    #[repr(transparent)]
    pub(crate) struct CachePadded<T>(T);

    impl<T> CachePadded<T> {
        pub(crate) fn new(value: T) -> CachePadded<T> {
            CachePadded(value)
        }
    }

    impl<T> Deref for CachePadded<T> {
        type Target = T;
        fn deref(&self) -> &T {
            &self.0
        }
    }

    impl<T> DerefMut for CachePadded<T> {
        fn deref_mut(&mut self) -> &mut T {
            &mut self.0
        }
    }

    /// parking_lot's `Mutex` API (`lock()` returns the guard) over loom's `Mutex`.
    pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);

    /// parking_lot's `MutexGuard`: the loom guard, in an `Option` only so that
    /// [`Condvar::wait`] can hand it to loom's `wait` (which takes it by value) and put
    /// it back. It is `Some` whenever user code can see it.
    pub(crate) struct MutexGuard<'a, T> {
        guard: Option<loom::sync::MutexGuard<'a, T>>,
        mutex: &'a Mutex<T>,
    }

    impl<T> std::fmt::Debug for Mutex<T> {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Mutex { .. }")
        }
    }

    impl<T: Default> Default for Mutex<T> {
        fn default() -> Mutex<T> {
            Mutex::new(T::default())
        }
    }

    impl<T> Mutex<T> {
        pub(crate) fn new(value: T) -> Mutex<T> {
            Mutex(loom::sync::Mutex::new(value))
        }

        pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
            // parking_lot has no poisoning; neither do we.
            let guard = self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            MutexGuard {
                guard: Some(guard),
                mutex: self,
            }
        }

        pub(crate) fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
            match self.0.try_lock() {
                Ok(guard) => Some(MutexGuard {
                    guard: Some(guard),
                    mutex: self,
                }),
                Err(std::sync::TryLockError::Poisoned(p)) => Some(MutexGuard {
                    guard: Some(p.into_inner()),
                    mutex: self,
                }),
                Err(std::sync::TryLockError::WouldBlock) => None,
            }
        }

        pub(crate) fn into_inner(self) -> T {
            self.0
                .into_inner()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        }

        pub(crate) fn get_mut(&mut self) -> &mut T {
            self.0
                .get_mut()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        }
    }

    impl<T> Deref for MutexGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            self.guard
                .as_deref()
                .expect("a MutexGuard holds its lock outside Condvar::wait")
        }
    }

    impl<T> DerefMut for MutexGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            self.guard
                .as_deref_mut()
                .expect("a MutexGuard holds its lock outside Condvar::wait")
        }
    }

    /// parking_lot's `Condvar` API over loom's.
    #[derive(Debug, Default)]
    pub(crate) struct Condvar(loom::sync::Condvar);

    /// parking_lot's `WaitTimeoutResult`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct WaitTimeoutResult(bool);

    impl WaitTimeoutResult {
        pub(crate) fn timed_out(self) -> bool {
            self.0
        }
    }

    impl Condvar {
        pub(crate) fn new() -> Condvar {
            Condvar(loom::sync::Condvar::new())
        }

        /// Blocks until notified (loom also explores spurious wake-ups' absence only;
        /// callers loop on their condition anyway).
        pub(crate) fn wait<T>(&self, guard: &mut MutexGuard<'_, T>) {
            let inner = guard.guard.take().expect("a MutexGuard holds its lock");
            let inner = self
                .0
                .wait(inner)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            guard.guard = Some(inner);
        }

        /// Under loom there is no clock: releases the lock, yields to the other
        /// threads, re-takes the lock and reports a timeout (module docs).
        pub(crate) fn wait_until<T>(
            &self,
            guard: &mut MutexGuard<'_, T>,
            _deadline: Instant,
        ) -> WaitTimeoutResult {
            drop(guard.guard.take());
            thread::yield_now();
            let mutex = guard.mutex;
            guard.guard = Some(
                mutex
                    .0
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()),
            );
            WaitTimeoutResult(true)
        }

        pub(crate) fn notify_one(&self) -> bool {
            self.0.notify_one();
            // loom does not say whether a thread was woken; nothing uses the answer.
            false
        }

        pub(crate) fn notify_all(&self) -> usize {
            self.0.notify_all();
            0
        }
    }

    // ---- the lending pool's item lock (issue 4) -----------------------------------
    //
    // loom cannot see inside parking_lot, and the pool keeps raw lock state in its
    // guards (`RwLock::raw`, `force_unlock_*`), which loom's own `RwLock` has no API
    // for; so under loom the item lock is a small try-only reader-writer lock on a loom
    // atomic, with the acquire/release semantics of parking_lot's. The pool never
    // blocks on an item lock, so the stand-in needs no parking.

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

pub(crate) use imp::*;
