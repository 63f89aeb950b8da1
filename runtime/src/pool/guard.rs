//! The guards: an item lent out, given back when the guard is dropped.
//!
//! All of the pool's `unsafe` code is in this file. A guard does not wrap a
//! parking_lot guard (which borrows the lock, so could not live in an owned,
//! `'static` guard next to the `Arc` that keeps the lock alive); it keeps the raw
//! state of one acquisition of its item's lock, reads the item through
//! `RwLock::data_ptr`, and gives the acquisition back with `force_unlock_*`.
//!
//! # The lease invariants
//!
//! Every guard — [`Ref`], [`RefMut`], [`OwnedRef`], [`OwnedRefMut`] — upholds the
//! following (P for pool: the task registry's rules L1–L2 in `task/mod.rs` are
//! something else):
//!
//! - **(PL1) One acquisition.** `state` holds the state of exactly one acquisition of
//!   the lock of item `index` of `pool`: shared for `Ref`/`OwnedRef`, exclusive for
//!   `RefMut`/`OwnedRefMut`. Only `try_new` creates a guard, from a successful
//!   `try_lock_*` on that very lock.
//! - **(PL2) Released once, last.** The acquisition is released only in the guard's
//!   `Drop`, exactly once. References to the item handed out by `Deref`/`DerefMut`
//!   borrow the guard, so none is alive by then.
//! - **(PL3) The item outlives the guard.** `Ref`/`RefMut` borrow the pool for `'a`;
//!   the owned guards hold an `Arc` of it. Items are never moved or removed while the
//!   pool is shared: `push`, `get_mut` and `into_inner` need `&mut self` or `self`,
//!   which neither a live borrow nor a second `Arc` allows.
//!
//! The acquisition states are those of parking_lot with its `send_guard` feature
//! (`GuardSend`): releasing an acquisition on another thread than the one that made
//! it is allowed, which is what lets guards be `Send`. The auto traits then follow
//! from the fields with no `unsafe impl`: `&LendingPool<T>` and `Arc<LendingPool<T>>`
//! are `Send` exactly when `LendingPool<T>: Sync`, that is when `T: Send + Sync`.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

use super::{wait, LendingPool, Slot};
use crate::sync::lock_api::RawRwLock as _;
use crate::sync::{lock_api, RawRwLock, StdArc as Arc};

/// The state of a shared acquisition of an item's lock.
type SharedState = <RawRwLock as lock_api::RawRwLock>::SharedGuard;
/// The state of an exclusive acquisition of an item's lock.
type ExclusiveState = <RawRwLock as lock_api::RawRwLock>::ExclusiveGuard;

impl<T> Slot<T> {
    /// Tries to acquire the item for reading, without waiting.
    fn try_lock_shared(&self) -> Option<ManuallyDrop<SharedState>> {
        // SAFETY: `raw` is unsafe because raw operations could invalidate live
        // guards; a try-lock only adds an acquisition, and its state goes straight
        // into a new guard (PL1).
        let raw = unsafe { self.lock.raw() };
        raw.try_lock_shared().map(ManuallyDrop::new)
    }

    /// Tries to acquire the item exclusively, without waiting.
    fn try_lock_exclusive(&self) -> Option<ManuallyDrop<ExclusiveState>> {
        // SAFETY: as in `try_lock_shared`.
        let raw = unsafe { self.lock.raw() };
        raw.try_lock_exclusive().map(ManuallyDrop::new)
    }

    /// Releases a shared acquisition.
    ///
    /// # Safety
    ///
    /// `state` holds the state of a shared acquisition of this slot's lock owned by
    /// the caller, it is not used again, and no reference to the item obtained
    /// through that acquisition is alive.
    unsafe fn unlock_shared(&self, state: &mut ManuallyDrop<SharedState>) {
        // SAFETY: the caller's contract: `state` is never used again (so `take` does
        // not duplicate it), it is the state of a shared acquisition of this lock
        // that no parking_lot guard is responsible for, and no reference outlives it.
        unsafe { self.lock.force_unlock_read(ManuallyDrop::take(state)) }
    }

    /// Releases an exclusive acquisition.
    ///
    /// # Safety
    ///
    /// As [`unlock_shared`](Self::unlock_shared), for an exclusive acquisition.
    unsafe fn unlock_exclusive(&self, state: &mut ManuallyDrop<ExclusiveState>) {
        // SAFETY: as in `unlock_shared`, for the exclusive acquisition.
        unsafe { self.lock.force_unlock_write(ManuallyDrop::take(state)) }
    }

    /// The item, for a holder of an acquisition.
    ///
    /// # Safety
    ///
    /// The caller holds an acquisition of this slot's lock for as long as the
    /// returned reference lives, and no exclusive reference to the item is alive.
    unsafe fn item(&self) -> &T {
        // SAFETY: the pointer is valid (it points into the slot, which outlives the
        // reference), and the caller's acquisition keeps writers away.
        unsafe { &*self.lock.data_ptr() }
    }

    /// The item, mutably, for the holder of the exclusive acquisition.
    ///
    /// # Safety
    ///
    /// The caller holds the exclusive acquisition of this slot's lock for as long as
    /// the returned reference lives, and no other reference to the item is alive.
    #[allow(clippy::mut_from_ref)] // exclusivity comes from the lock, not from `&self`
    unsafe fn item_mut(&self) -> &mut T {
        // SAFETY: the pointer is valid as in `item`, and the exclusive acquisition
        // excludes every other holder, so this is the only reference.
        unsafe { &mut *self.lock.data_ptr() }
    }
}

/// A shared borrow of an item of a [`LendingPool`]: derefs to `T`, gives the item
/// back when dropped.
///
/// Returned by [`LendingPool::try_borrow`] and [`LendingPool::borrow`].
///
/// # Examples
///
/// ```
/// let pool = runtime::pool::LendingPool::new(vec![String::from("tea")]);
/// let item: runtime::pool::Ref<'_, String> = pool.try_borrow(0)?;
/// assert_eq!(item.len(), 3);
/// assert_eq!(runtime::pool::Ref::index(&item), 0);
/// # Ok::<(), runtime::pool::LendError>(())
/// ```
#[must_use = "the item is given back as soon as the guard is dropped"]
pub struct Ref<'a, T> {
    pool: &'a LendingPool<T>,
    slot: &'a Slot<T>,
    index: usize,
    state: ManuallyDrop<SharedState>,
}

impl<'a, T> Ref<'a, T> {
    /// Borrows item `index` of `pool` for reading, if it is in range and not lent
    /// out for writing.
    pub(super) fn try_new(pool: &'a LendingPool<T>, index: usize) -> Option<Ref<'a, T>> {
        let slot = pool.slots.get(index)?;
        let state = slot.try_lock_shared()?;
        Some(Ref {
            pool,
            slot,
            index,
            state,
        })
    }

    /// The index of the borrowed item in its pool.
    ///
    /// An associated function (`Ref::index(&guard)`), so that it never hides a
    /// method of `T`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = runtime::pool::LendingPool::new(vec![1, 2]);
    /// assert_eq!(runtime::pool::Ref::index(&pool.try_borrow(1).unwrap()), 1);
    /// ```
    pub fn index(this: &Self) -> usize {
        this.index
    }
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: we hold a shared acquisition (PL1) until drop (PL2), and the returned
        // reference borrows `self`.
        unsafe { self.slot.item() }
    }
}

impl<T> Drop for Ref<'_, T> {
    fn drop(&mut self) {
        // SAFETY: `state` is our shared acquisition of this slot's lock (PL1); this is
        // the one place it is released and nothing borrows the guard any more (PL2).
        unsafe { self.slot.unlock_shared(&mut self.state) };
        wait::after_release(self.pool, self.slot);
    }
}

/// An exclusive borrow of an item of a [`LendingPool`]: derefs (mutably) to `T`,
/// gives the item back when dropped.
///
/// Returned by [`LendingPool::try_borrow_mut`], [`LendingPool::borrow_mut`] and the
/// `…any_mut` methods.
///
/// # Examples
///
/// ```
/// let pool = runtime::pool::LendingPool::new(vec![vec![1]]);
/// let mut item: runtime::pool::RefMut<'_, Vec<i32>> = pool.try_borrow_mut(0)?;
/// item.push(2);
/// drop(item);
/// assert_eq!(*pool.try_borrow(0)?, [1, 2]);
/// # Ok::<(), runtime::pool::LendError>(())
/// ```
#[must_use = "the item is given back as soon as the guard is dropped"]
pub struct RefMut<'a, T> {
    pool: &'a LendingPool<T>,
    slot: &'a Slot<T>,
    index: usize,
    state: ManuallyDrop<ExclusiveState>,
}

impl<'a, T> RefMut<'a, T> {
    /// Borrows item `index` of `pool` exclusively, if it is in range and not lent out.
    pub(super) fn try_new(pool: &'a LendingPool<T>, index: usize) -> Option<RefMut<'a, T>> {
        let slot = pool.slots.get(index)?;
        let state = slot.try_lock_exclusive()?;
        Some(RefMut {
            pool,
            slot,
            index,
            state,
        })
    }

    /// The index of the borrowed item in its pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = runtime::pool::LendingPool::new(vec![1, 2]);
    /// let (i, guard) = pool.try_borrow_any_mut().unwrap();
    /// assert_eq!(runtime::pool::RefMut::index(&guard), i);
    /// ```
    pub fn index(this: &Self) -> usize {
        this.index
    }
}

impl<T> Deref for RefMut<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: we hold the exclusive acquisition (PL1) until drop (PL2); the only
        // other references to the item are ones we handed out, and `&self` excludes
        // a live `&mut` from `deref_mut`.
        unsafe { self.slot.item() }
    }
}

impl<T> DerefMut for RefMut<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: we hold the exclusive acquisition (PL1) until drop (PL2), and
        // `&mut self` makes this the only reference handed out.
        unsafe { self.slot.item_mut() }
    }
}

impl<T> Drop for RefMut<'_, T> {
    fn drop(&mut self) {
        // SAFETY: `state` is our exclusive acquisition of this slot's lock (PL1); this
        // is the one place it is released and nothing borrows the guard any more (PL2).
        unsafe { self.slot.unlock_exclusive(&mut self.state) };
        wait::after_release(self.pool, self.slot);
    }
}

/// A shared borrow that owns an `Arc` of its pool: `'static`, so it can be moved
/// into a spawned task or thread and kept for as long as the holder likes.
///
/// Returned by [`LendingPool::try_borrow_owned`] and [`LendingPool::borrow_owned`].
///
/// # Examples
///
/// ```
/// use runtime::pool::{LendingPool, OwnedRef};
/// use std::sync::Arc;
///
/// let pool = Arc::new(LendingPool::new(vec![3]));
/// let guard: OwnedRef<i32> = pool.try_borrow_owned(0)?;
/// let doubled = std::thread::spawn(move || *guard * 2).join().unwrap();
/// assert_eq!(doubled, 6);
/// # Ok::<(), runtime::pool::LendError>(())
/// ```
#[must_use = "the item is given back as soon as the guard is dropped"]
pub struct OwnedRef<T> {
    pool: Arc<LendingPool<T>>,
    index: usize,
    state: ManuallyDrop<SharedState>,
}

impl<T> OwnedRef<T> {
    /// Borrows item `index` of `pool` for reading, if it is in range and not lent
    /// out for writing.
    pub(super) fn try_new(pool: &Arc<LendingPool<T>>, index: usize) -> Option<OwnedRef<T>> {
        let state = pool.slots.get(index)?.try_lock_shared()?;
        Some(OwnedRef {
            pool: Arc::clone(pool),
            index,
            state,
        })
    }

    fn slot(&self) -> &Slot<T> {
        // In range for as long as we live (PL3): the index was checked in `try_new`.
        &self.pool.slots[self.index]
    }

    /// The index of the borrowed item in its pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = std::sync::Arc::new(runtime::pool::LendingPool::new(vec![1, 2]));
    /// assert_eq!(runtime::pool::OwnedRef::index(&pool.try_borrow_owned(1).unwrap()), 1);
    /// ```
    pub fn index(this: &Self) -> usize {
        this.index
    }

    /// The pool the item belongs to.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let pool = Arc::new(runtime::pool::LendingPool::new(vec![1]));
    /// let guard = pool.try_borrow_owned(0).unwrap();
    /// assert!(Arc::ptr_eq(runtime::pool::OwnedRef::pool(&guard), &pool));
    /// ```
    pub fn pool(this: &Self) -> &Arc<LendingPool<T>> {
        &this.pool
    }
}

impl<T> Deref for OwnedRef<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: we hold a shared acquisition (PL1) until drop (PL2), and the returned
        // reference borrows `self`, whose `Arc` keeps the item alive (PL3).
        unsafe { self.slot().item() }
    }
}

impl<T> Drop for OwnedRef<T> {
    fn drop(&mut self) {
        let slot = &self.pool.slots[self.index];
        // SAFETY: `state` is our shared acquisition of this slot's lock (PL1); this is
        // the one place it is released and nothing borrows the guard any more (PL2).
        // The `Arc` (dropped after this function) keeps the slot alive until then.
        unsafe { slot.unlock_shared(&mut self.state) };
        wait::after_release(&self.pool, slot);
    }
}

/// An exclusive borrow that owns an `Arc` of its pool: `'static`, so it can be moved
/// into a spawned task or thread and kept for as long as the holder likes.
///
/// Returned by [`LendingPool::try_borrow_mut_owned`],
/// [`LendingPool::borrow_mut_owned`] and the `…any_mut_owned` methods.
///
/// # Examples
///
/// ```
/// use runtime::pool::{LendingPool, OwnedRefMut};
/// use std::sync::Arc;
///
/// let pool = Arc::new(LendingPool::new(vec![0]));
/// let mut guard: OwnedRefMut<i32> = pool.try_borrow_mut_owned(0)?;
/// std::thread::spawn(move || *guard += 10).join().unwrap();
/// assert_eq!(*pool.try_borrow(0)?, 10);
/// # Ok::<(), runtime::pool::LendError>(())
/// ```
#[must_use = "the item is given back as soon as the guard is dropped"]
pub struct OwnedRefMut<T> {
    pool: Arc<LendingPool<T>>,
    index: usize,
    state: ManuallyDrop<ExclusiveState>,
}

impl<T> OwnedRefMut<T> {
    /// Borrows item `index` of `pool` exclusively, if it is in range and not lent out.
    pub(super) fn try_new(pool: &Arc<LendingPool<T>>, index: usize) -> Option<OwnedRefMut<T>> {
        let state = pool.slots.get(index)?.try_lock_exclusive()?;
        Some(OwnedRefMut {
            pool: Arc::clone(pool),
            index,
            state,
        })
    }

    fn slot(&self) -> &Slot<T> {
        // In range for as long as we live (PL3): the index was checked in `try_new`.
        &self.pool.slots[self.index]
    }

    /// The index of the borrowed item in its pool.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = std::sync::Arc::new(runtime::pool::LendingPool::new(vec![1, 2]));
    /// let (i, guard) = pool.try_borrow_any_mut_owned().unwrap();
    /// assert_eq!(runtime::pool::OwnedRefMut::index(&guard), i);
    /// ```
    pub fn index(this: &Self) -> usize {
        this.index
    }

    /// The pool the item belongs to.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let pool = Arc::new(runtime::pool::LendingPool::new(vec![1]));
    /// let guard = pool.try_borrow_mut_owned(0).unwrap();
    /// assert_eq!(runtime::pool::OwnedRefMut::pool(&guard).len(), 1);
    /// ```
    pub fn pool(this: &Self) -> &Arc<LendingPool<T>> {
        &this.pool
    }
}

impl<T> Deref for OwnedRefMut<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: we hold the exclusive acquisition (PL1) until drop (PL2), `&self`
        // excludes a live `&mut` from `deref_mut`, and the `Arc` keeps the item (PL3).
        unsafe { self.slot().item() }
    }
}

impl<T> DerefMut for OwnedRefMut<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: we hold the exclusive acquisition (PL1) until drop (PL2), `&mut self`
        // makes this the only reference handed out, and the `Arc` keeps the item (PL3).
        unsafe { self.slot().item_mut() }
    }
}

impl<T> Drop for OwnedRefMut<T> {
    fn drop(&mut self) {
        let slot = &self.pool.slots[self.index];
        // SAFETY: `state` is our exclusive acquisition of this slot's lock (PL1); this
        // is the one place it is released and nothing borrows the guard any more (PL2).
        // The `Arc` (dropped after this function) keeps the slot alive until then.
        unsafe { slot.unlock_exclusive(&mut self.state) };
        wait::after_release(&self.pool, slot);
    }
}

macro_rules! delegate_fmt {
    ($($guard:ident $(<$lt:lifetime>)?),*) => {$(
        impl<T: fmt::Debug> fmt::Debug for $guard<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&**self, f)
            }
        }

        impl<T: fmt::Display> fmt::Display for $guard<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&**self, f)
            }
        }
    )*};
}

delegate_fmt!(Ref<'_>, RefMut<'_>, OwnedRef, OwnedRefMut);
