//! `Mutex` and `Condvar`: parking_lot's, or under `cfg(loom)` parking_lot's API
//! (`lock()` returns the guard, `wait(&mut guard)`, no poisoning) over loom's.
//!
//! **Under loom a timed wait (`wait_until`) releases the lock, yields, re-takes the
//! lock and reports a timeout**: the deadline having passed at once is one behaviour
//! the real wait may show, and loom has no clock. So under loom only an untimed `wait`
//! can observe a notification.
//!
//! `StaticMutex` is parking_lot's in both halves: loom's objects cannot be `static`s
//! (their constructors are not `const`, and a loom object cannot outlive one
//! execution). Use it only for process-wide state that is no protocol under test (the
//! global timer), and under loom hold it only around code that makes no loom
//! operation: a loom thread switch while it is held would block the one OS thread
//! that runs every model thread.

// The guard and the timed wait's result complete the API, though no caller names
// them yet.
#[cfg(not(loom))]
#[allow(unused_imports)]
pub(crate) use parking_lot::{Condvar, Mutex, MutexGuard, WaitTimeoutResult};

#[cfg(loom)]
#[allow(unused_imports)]
pub(crate) use self::loom_impl::{Condvar, Mutex, MutexGuard, WaitTimeoutResult};

/// parking_lot's `Condvar` in every configuration, for `StaticMutex` state (never
/// modeled: the task dump's pause, scheduler/dump.rs, which no model requests).
pub(crate) use parking_lot::Condvar as StaticCondvar;
/// A `Mutex` that can be a `static` in every configuration (never modeled).
pub(crate) use parking_lot::Mutex as StaticMutex;

// parking_lot's API whole, though not every method is used under loom.
#[cfg(loom)]
#[allow(dead_code)]
mod loom_impl {
    use std::ops::{Deref, DerefMut};
    use std::time::Instant;

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
            loom::thread::yield_now();
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
}
