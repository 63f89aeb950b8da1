//! The lending pool: a thread-safe `Vec<RefCell<T>>` that never panics (issue 4).
//!
//! A [`LendingPool`] lends out its items the way a library lends books. Each item
//! sits behind its own reader-writer lock; a borrow that cannot be had right now
//! answers [`LendError::CheckedOut`] instead of panicking (as `RefCell` does) or
//! blocking (as `RwLock::write` does). Async borrowers can instead wait for the item
//! to come back without blocking a thread, and [`LendingPool::borrow_any_mut`] turns
//! the pool into an object pool that hands out whichever item is free.
//!
//! ```
//! use runtime::pool::{LendError, LendingPool};
//!
//! let library = LendingPool::new(vec!["Dune", "Emma", "Ulysses"]);
//!
//! let alice = library.try_borrow_mut(0)?;          // Alice takes Dune home
//! let bob = library.try_borrow_mut(1)?;            // Bob takes Emma
//! assert_eq!(*alice, "Dune");
//! assert_eq!(*bob, "Emma");
//!
//! // Carol asks for Dune: it is checked out, and nothing panics.
//! assert_eq!(library.try_borrow_mut(0).err(), Some(LendError::CheckedOut));
//!
//! drop(alice);                                     // Dune comes back
//! assert_eq!(*library.try_borrow_mut(0)?, "Dune"); // and Carol gets it
//! # Ok::<(), LendError>(())
//! ```
//!
//! # Layout
//!
//! - `mod.rs`: [`LendingPool`], [`LendError`] and the non-waiting (`try_…`) borrows.
//! - `guard.rs`: the guards ([`Ref`], [`RefMut`], [`OwnedRef`], [`OwnedRefMut`]) and
//!   all of the pool's `unsafe` code: they hold the raw state of an acquisition of
//!   the item's lock and give it back, then run the wake path, when dropped.
//! - `wait.rs`: the per-item FIFO wait queues, the futures of the `borrow…` methods,
//!   and the protocol (with its lost-wakeup argument) that makes waiting race-free.

mod guard;
mod wait;

use std::fmt;

use crate::sync::{AtomicUsize, Ordering, RwLock, StdArc as Arc};

pub use guard::{OwnedRef, OwnedRefMut, Ref, RefMut};
pub use wait::{Borrow, BorrowAnyMut, BorrowAnyMutOwned, BorrowMut, BorrowMutOwned, BorrowOwned};

use wait::WaitQueue;

/// The message of [`LendError::CheckedOut`].
const CHECKED_OUT: &str = "the item is checked out";

/// Why a borrow from a [`LendingPool`] was refused.
///
/// # Examples
///
/// ```
/// use runtime::pool::{LendError, LendingPool};
///
/// let pool = LendingPool::new(vec![1, 2]);
/// let _out = pool.try_borrow_mut(0)?;
/// assert_eq!(pool.try_borrow(0).err(), Some(LendError::CheckedOut));
/// assert_eq!(
///     pool.try_borrow(5).err(),
///     Some(LendError::OutOfRange { index: 5, len: 2 }),
/// );
/// assert_eq!(LendError::CheckedOut.to_string(), "the item is checked out");
/// # Ok::<(), LendError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LendError {
    /// The item is lent to someone else right now (for writing, or for reading when
    /// an exclusive borrow was asked for). Try again later, or `.await` a `borrow…`.
    CheckedOut,
    /// There is no item `index` in a pool of `len` items.
    OutOfRange {
        /// The index that was asked for.
        index: usize,
        /// The number of items in the pool.
        len: usize,
    },
}

impl LendError {
    /// Whether this is [`LendError::CheckedOut`].
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::pool::LendError;
    /// assert!(LendError::CheckedOut.is_checked_out());
    /// assert!(!LendError::OutOfRange { index: 1, len: 0 }.is_checked_out());
    /// ```
    pub fn is_checked_out(&self) -> bool {
        matches!(self, LendError::CheckedOut)
    }

    /// Whether this is [`LendError::OutOfRange`].
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::pool::LendError;
    /// assert!(LendError::OutOfRange { index: 1, len: 0 }.is_out_of_range());
    /// ```
    pub fn is_out_of_range(&self) -> bool {
        matches!(self, LendError::OutOfRange { .. })
    }
}

impl fmt::Display for LendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LendError::CheckedOut => f.write_str(CHECKED_OUT),
            LendError::OutOfRange { index, len } => {
                write!(f, "index {index} is out of range for a pool of {len} items")
            }
        }
    }
}

impl std::error::Error for LendError {}

/// One item: its lock and the queue of those waiting for it.
struct Slot<T> {
    /// The item. Locked only with the `try_…` operations (never blocking), through
    /// the raw API, by the guards in `guard.rs`.
    lock: RwLock<T>,
    /// Async borrowers waiting for this item (`borrow`, `borrow_mut` and owned forms).
    queue: WaitQueue,
}

/// A thread-safe `Vec<RefCell<T>>` that never panics: a pool of items that are lent
/// out, shared or exclusively, and answer "checked out" while they are away.
///
/// - [`try_borrow`](Self::try_borrow) / [`try_borrow_mut`](Self::try_borrow_mut) never
///   wait: they lend the item or return [`LendError::CheckedOut`].
/// - [`borrow`](Self::borrow) / [`borrow_mut`](Self::borrow_mut) return futures that
///   wait, without blocking a thread, until the item comes back. Waiters are served
///   in arrival order (readers that queued together are let in together), and one
///   that is dropped passes its turn on. They work on any executor. A task that
///   awaits an item it holds itself waits for ever (the pool does not know who holds
///   what): see "Waiting for an item you hold" on [`borrow_mut`](Self::borrow_mut).
/// - [`try_borrow_any_mut`](Self::try_borrow_any_mut) /
///   [`borrow_any_mut`](Self::borrow_any_mut) lend whichever item is free: an object
///   pool of connections or buffers.
/// - The `…_owned` forms, on an `Arc<LendingPool<T>>`, return `'static` guards that
///   may be moved into spawned tasks and kept for as long as the holder likes.
///
/// Guards give their item back when dropped. No method panics, whatever the input.
///
/// # Examples
///
/// ```
/// use runtime::pool::{LendError, LendingPool};
///
/// let pool: LendingPool<Vec<u8>> = (0..3).map(|_| Vec::new()).collect();
///
/// // Two readers may share an item; a writer then finds it checked out.
/// let r1 = pool.try_borrow(0)?;
/// let r2 = pool.try_borrow(0)?;
/// assert_eq!(pool.try_borrow_mut(0).err(), Some(LendError::CheckedOut));
/// drop((r1, r2));
///
/// pool.try_borrow_mut(0)?.push(7);
/// assert_eq!(*pool.try_borrow(0)?, [7]);
/// # Ok::<(), LendError>(())
/// ```
///
/// # Thread safety
///
/// `LendingPool<T>` is `Send + Sync` when `T: Send + Sync`; its guards, and the
/// futures of its `borrow…` methods, are then `Send`, so a task may hold a guard
/// across `.await` on any worker thread. With a `T` that is not `Sync`, none of
/// them may cross threads:
///
/// ```compile_fail,E0277
/// fn assert_sync<S: Sync>(_: &S) {}
/// let pool = runtime::pool::LendingPool::new(vec![std::cell::Cell::new(1)]);
/// assert_sync(&pool);
/// ```
///
/// ```compile_fail,E0277
/// fn assert_send<S: Send>(_: S) {}
/// let pool = std::sync::Arc::new(runtime::pool::LendingPool::new(vec![std::rc::Rc::new(1)]));
/// assert_send(pool.try_borrow_mut_owned(0).unwrap());
/// ```
///
/// ```compile_fail,E0277
/// fn assert_send<S: Send>(_: S) {}
/// let pool = runtime::pool::LendingPool::new(vec![std::cell::Cell::new(1)]);
/// assert_send(pool.try_borrow(0).unwrap());
/// ```
///
/// ```compile_fail,E0277
/// fn assert_send<S: Send>(_: S) {}
/// let pool = runtime::pool::LendingPool::new(vec![std::cell::Cell::new(1)]);
/// assert_send(pool.borrow_mut(0));
/// ```
pub struct LendingPool<T> {
    slots: Vec<Slot<T>>,
    /// Async borrowers waiting for any item (`borrow_any_mut` and its owned form).
    any: WaitQueue,
    /// Where the next `…any…` search starts, so that load spreads over the items.
    next: AtomicUsize,
}

impl<T> LendingPool<T> {
    /// Creates a pool that lends out `items`; item `i` is `items[i]`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = runtime::pool::LendingPool::new(vec!['a', 'b']);
    /// assert_eq!(pool.len(), 2);
    /// ```
    pub fn new(items: Vec<T>) -> LendingPool<T> {
        items.into_iter().collect()
    }

    /// Creates an empty pool with room for `capacity` items before it reallocates.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut pool = runtime::pool::LendingPool::with_capacity(4);
    /// assert!(pool.is_empty());
    /// pool.push("connection");
    /// assert_eq!(pool.len(), 1);
    /// ```
    pub fn with_capacity(capacity: usize) -> LendingPool<T> {
        LendingPool {
            slots: Vec::with_capacity(capacity),
            any: WaitQueue::new_any(),
            next: AtomicUsize::new(0),
        }
    }

    /// Adds an item at the end, at index `len()`.
    ///
    /// This takes `&mut self`, so it can only happen while nothing is lent out.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut pool = runtime::pool::LendingPool::new(vec![1]);
    /// pool.push(2);
    /// assert_eq!(*pool.try_borrow(1).unwrap(), 2);
    /// ```
    pub fn push(&mut self, item: T) {
        self.slots.push(Slot {
            lock: RwLock::new(item),
            queue: WaitQueue::new_item(),
        });
    }

    /// The number of items, lent out or not.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(runtime::pool::LendingPool::new(vec![(); 3]).len(), 3);
    /// ```
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the pool has no items at all.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(runtime::pool::LendingPool::<u8>::new(vec![]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Whether item `index` is lent out right now, shared or exclusively.
    ///
    /// The answer is a snapshot: another thread may borrow or return the item
    /// immediately after.
    ///
    /// # Errors
    ///
    /// [`LendError::OutOfRange`] if there is no item `index`.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = runtime::pool::LendingPool::new(vec![0]);
    /// assert_eq!(pool.is_lent(0), Ok(false));
    /// let guard = pool.try_borrow(0)?;
    /// assert_eq!(pool.is_lent(0), Ok(true));
    /// drop(guard);
    /// assert_eq!(pool.is_lent(0), Ok(false));
    /// assert!(pool.is_lent(1).is_err());
    /// # Ok::<(), runtime::pool::LendError>(())
    /// ```
    pub fn is_lent(&self, index: usize) -> Result<bool, LendError> {
        Ok(self.slot(index)?.lock.is_locked())
    }

    /// Lends item `index` for reading, alongside any other readers, without waiting.
    ///
    /// # Errors
    ///
    /// - [`LendError::CheckedOut`] if the item is lent out for writing (or, in the
    ///   theoretical case, has as many readers as the lock can count).
    /// - [`LendError::OutOfRange`] if there is no item `index`.
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::pool::{LendError, LendingPool};
    ///
    /// let pool = LendingPool::new(vec![String::from("atlas")]);
    /// let a = pool.try_borrow(0)?;
    /// let b = pool.try_borrow(0)?;
    /// assert_eq!((a.as_str(), b.as_str()), ("atlas", "atlas"));
    /// assert_eq!(pool.try_borrow(1).err(), Some(LendError::OutOfRange { index: 1, len: 1 }));
    /// # Ok::<(), LendError>(())
    /// ```
    pub fn try_borrow(&self, index: usize) -> Result<Ref<'_, T>, LendError> {
        self.slot(index)?;
        Ref::try_new(self, index).ok_or(LendError::CheckedOut)
    }

    /// Lends item `index` exclusively, without waiting.
    ///
    /// # Errors
    ///
    /// - [`LendError::CheckedOut`] if the item is lent out at all.
    /// - [`LendError::OutOfRange`] if there is no item `index`.
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::pool::{LendError, LendingPool};
    ///
    /// let pool = LendingPool::new(vec![0_u32]);
    /// let mut counter = pool.try_borrow_mut(0)?;
    /// *counter += 1;
    /// assert_eq!(pool.try_borrow_mut(0).err(), Some(LendError::CheckedOut));
    /// drop(counter);
    /// assert_eq!(*pool.try_borrow(0)?, 1);
    /// # Ok::<(), LendError>(())
    /// ```
    pub fn try_borrow_mut(&self, index: usize) -> Result<RefMut<'_, T>, LendError> {
        self.slot(index)?;
        RefMut::try_new(self, index).ok_or(LendError::CheckedOut)
    }

    /// Lends any item that is free, exclusively, without waiting: the pool as an
    /// object pool. Returns the item's index with its guard, or `None` if every item
    /// is lent out (or the pool is empty).
    ///
    /// The search starts just after the item handed out last, so that load spreads
    /// over the items instead of always wearing out the first.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = runtime::pool::LendingPool::new(vec!["conn-a", "conn-b"]);
    /// let (i, first) = pool.try_borrow_any_mut().unwrap();
    /// let (j, second) = pool.try_borrow_any_mut().unwrap();
    /// assert_ne!(i, j);
    /// assert_ne!(*first, *second);
    /// assert!(pool.try_borrow_any_mut().is_none()); // all checked out
    /// ```
    pub fn try_borrow_any_mut(&self) -> Option<(usize, RefMut<'_, T>)> {
        self.find_free(|index| RefMut::try_new(self, index))
    }

    /// Waits until item `index` can be lent for reading, then lends it.
    ///
    /// The future does not block a thread: it registers its waker and is woken when
    /// the item comes back. Waiters are served in arrival order; readers queued
    /// together are let in together. Dropping the future gives up its place in line.
    /// It works on any executor.
    ///
    /// # Errors
    ///
    /// [`LendError::OutOfRange`] if there is no item `index` (at once, without waiting).
    ///
    /// # Waiting for an item you hold
    ///
    /// The pool does not know who holds a guard, and detecting a task that waits for
    /// itself is not cheap in general, so it does not try. A task (or thread) that
    /// holds a [`RefMut`] or [`OwnedRefMut`] of item `index` and awaits
    /// `borrow(index)` waits for its own guard: for ever. Holding only a shared guard
    /// is not safe either: a writer that queued in the meantime goes first, and it
    /// waits for that shared guard. Drop the guard before waiting, keep using the one
    /// you have, or use [`try_borrow`](Self::try_borrow), which answers
    /// [`LendError::CheckedOut`] at once (see [`borrow_mut`](Self::borrow_mut) for an
    /// example).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = runtime::pool::LendingPool::new(vec![42]);
    /// let value = runtime::block_on(async { *pool.borrow(0).await.unwrap() });
    /// assert_eq!(value, 42);
    /// ```
    pub fn borrow(&self, index: usize) -> Borrow<'_, T> {
        Borrow::new(self, index)
    }

    /// Waits until item `index` can be lent exclusively, then lends it.
    ///
    /// The future does not block a thread: it registers its waker and is woken when
    /// the item comes back. Waiters are served in arrival order, and a writer is not
    /// overtaken by readers that arrive after it. Dropping the future gives up its
    /// place in line (and passes the turn on if it had just been handed it).
    ///
    /// # Errors
    ///
    /// [`LendError::OutOfRange`] if there is no item `index` (at once, without waiting).
    ///
    /// # Waiting for an item you hold
    ///
    /// The pool does not know who holds a guard, and detecting a task that waits for
    /// itself is not cheap in general, so it does not try: a task (or thread) that
    /// holds any guard of item `index`, shared or exclusive, borrowed or owned, and
    /// awaits `borrow_mut(index)` waits for its own guard, for ever. Drop the guard
    /// before waiting, keep using the one you have, or use
    /// [`try_borrow_mut`](Self::try_borrow_mut), which answers
    /// [`LendError::CheckedOut`] at once:
    ///
    /// ```
    /// use runtime::pool::{LendError, LendingPool};
    ///
    /// let pool = LendingPool::new(vec![0]);
    /// runtime::block_on(async {
    ///     let mut held = pool.borrow_mut(0).await?;
    ///     *held += 1;
    ///     // `pool.borrow_mut(0).await` here would wait for `held`: for ever.
    ///     assert_eq!(pool.try_borrow_mut(0).err(), Some(LendError::CheckedOut));
    ///     drop(held);
    ///     assert_eq!(*pool.borrow_mut(0).await?, 1); // given back: no wait
    ///     Ok::<(), LendError>(())
    /// })?;
    /// # Ok::<(), LendError>(())
    /// ```
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::pool::LendingPool;
    /// use std::sync::Arc;
    ///
    /// let pool = Arc::new(LendingPool::new(vec![0]));
    /// let held = pool.try_borrow_mut_owned(0).unwrap();
    /// let returner = std::thread::spawn(move || drop(held)); // gives it back later
    /// runtime::block_on(async {
    ///     *pool.borrow_mut(0).await.unwrap() += 1;           // waits for it
    /// });
    /// returner.join().unwrap();
    /// assert_eq!(*pool.try_borrow(0).unwrap(), 1);
    /// ```
    pub fn borrow_mut(&self, index: usize) -> BorrowMut<'_, T> {
        BorrowMut::new(self, index)
    }

    /// Waits until any item is free, then lends it exclusively: the waiting form of
    /// [`try_borrow_any_mut`](Self::try_borrow_any_mut). Resolves to `None` only if
    /// the pool is empty.
    ///
    /// A task that holds every item itself waits for ever (see "Waiting for an item
    /// you hold" on [`borrow_mut`](Self::borrow_mut)).
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = runtime::pool::LendingPool::new(vec![vec![0_u8; 16], vec![0_u8; 16]]);
    /// runtime::block_on(async {
    ///     let (index, mut buffer) = pool.borrow_any_mut().await.unwrap();
    ///     buffer[0] = 1;
    ///     assert!(index < 2);
    /// });
    /// ```
    pub fn borrow_any_mut(&self) -> BorrowAnyMut<'_, T> {
        BorrowAnyMut::new(self)
    }

    /// Like [`try_borrow`](Self::try_borrow), but the guard holds an `Arc` of the pool
    /// and is `'static`: move it into a spawned task or keep it indefinitely.
    ///
    /// # Errors
    ///
    /// As [`try_borrow`](Self::try_borrow).
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::pool::LendingPool;
    /// use std::sync::Arc;
    ///
    /// let pool = Arc::new(LendingPool::new(vec![String::from("map")]));
    /// let guard = pool.try_borrow_owned(0)?;
    /// let len = std::thread::spawn(move || guard.len()).join().unwrap();
    /// assert_eq!(len, 3);
    /// # Ok::<(), runtime::pool::LendError>(())
    /// ```
    pub fn try_borrow_owned(self: &Arc<Self>, index: usize) -> Result<OwnedRef<T>, LendError> {
        self.slot(index)?;
        OwnedRef::try_new(self, index).ok_or(LendError::CheckedOut)
    }

    /// Like [`try_borrow_mut`](Self::try_borrow_mut), but the guard holds an `Arc` of
    /// the pool and is `'static`: move it into a spawned task or keep it indefinitely.
    ///
    /// # Errors
    ///
    /// As [`try_borrow_mut`](Self::try_borrow_mut).
    ///
    /// # Examples
    ///
    /// ```
    /// use runtime::pool::{LendError, LendingPool};
    /// use std::sync::Arc;
    ///
    /// let pool = Arc::new(LendingPool::new(vec![0]));
    /// let mut kept = pool.try_borrow_mut_owned(0)?;  // borrowed indefinitely
    /// *kept = 5;
    /// assert_eq!(pool.try_borrow(0).err(), Some(LendError::CheckedOut));
    /// drop(kept);
    /// assert_eq!(*pool.try_borrow(0)?, 5);
    /// # Ok::<(), LendError>(())
    /// ```
    pub fn try_borrow_mut_owned(
        self: &Arc<Self>,
        index: usize,
    ) -> Result<OwnedRefMut<T>, LendError> {
        self.slot(index)?;
        OwnedRefMut::try_new(self, index).ok_or(LendError::CheckedOut)
    }

    /// Like [`try_borrow_any_mut`](Self::try_borrow_any_mut), with a `'static` guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let pool = Arc::new(runtime::pool::LendingPool::new(vec![1, 2]));
    /// let (index, guard) = pool.try_borrow_any_mut_owned().unwrap();
    /// assert_eq!(*guard, index + 1);
    /// ```
    pub fn try_borrow_any_mut_owned(self: &Arc<Self>) -> Option<(usize, OwnedRefMut<T>)> {
        self.find_free(|index| OwnedRefMut::try_new(self, index))
    }

    /// Like [`borrow`](Self::borrow), with a `'static` guard (and a `'static` future).
    /// Awaited by a task that holds item `index` itself, it can wait for ever, as
    /// [`borrow`](Self::borrow) can.
    ///
    /// # Errors
    ///
    /// As [`borrow`](Self::borrow).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let pool = Arc::new(runtime::pool::LendingPool::new(vec![7]));
    /// let guard = runtime::block_on(pool.borrow_owned(0)).unwrap();
    /// assert_eq!(*guard, 7);
    /// ```
    pub fn borrow_owned(self: &Arc<Self>, index: usize) -> BorrowOwned<T> {
        BorrowOwned::new(Arc::clone(self), index)
    }

    /// Like [`borrow_mut`](Self::borrow_mut), with a `'static` guard (and a `'static`
    /// future, which may itself be moved into a spawned task). It waits for ever for an
    /// item its own task holds, as [`borrow_mut`](Self::borrow_mut) does.
    ///
    /// # Errors
    ///
    /// As [`borrow_mut`](Self::borrow_mut).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let pool = Arc::new(runtime::pool::LendingPool::new(vec![0]));
    /// let waiting = pool.borrow_mut_owned(0);
    /// let worker = std::thread::spawn(move || {
    ///     *runtime::block_on(waiting).unwrap() += 1;
    /// });
    /// worker.join().unwrap();
    /// assert_eq!(*pool.try_borrow(0).unwrap(), 1);
    /// ```
    pub fn borrow_mut_owned(self: &Arc<Self>, index: usize) -> BorrowMutOwned<T> {
        BorrowMutOwned::new(Arc::clone(self), index)
    }

    /// Like [`borrow_any_mut`](Self::borrow_any_mut), with a `'static` guard.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::Arc;
    /// let pool = Arc::new(runtime::pool::LendingPool::new(vec!["only"]));
    /// let (index, guard) = runtime::block_on(pool.borrow_any_mut_owned()).unwrap();
    /// assert_eq!((index, *guard), (0, "only"));
    /// ```
    pub fn borrow_any_mut_owned(self: &Arc<Self>) -> BorrowAnyMutOwned<T> {
        BorrowAnyMutOwned::new(Arc::clone(self))
    }

    /// A mutable reference to item `index`, with no locking: `&mut self` proves that
    /// nothing is lent out.
    ///
    /// # Errors
    ///
    /// [`LendError::OutOfRange`] if there is no item `index`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut pool = runtime::pool::LendingPool::new(vec![1]);
    /// *pool.get_mut(0)? = 2;
    /// assert_eq!(*pool.try_borrow(0)?, 2);
    /// # Ok::<(), runtime::pool::LendError>(())
    /// ```
    pub fn get_mut(&mut self, index: usize) -> Result<&mut T, LendError> {
        let len = self.slots.len();
        match self.slots.get_mut(index) {
            Some(slot) => Ok(slot.lock.get_mut()),
            None => Err(LendError::OutOfRange { index, len }),
        }
    }

    /// Takes the items back out of the pool, in order.
    ///
    /// # Examples
    ///
    /// ```
    /// let pool = runtime::pool::LendingPool::new(vec![1, 2]);
    /// assert_eq!(pool.into_inner(), vec![1, 2]);
    /// ```
    pub fn into_inner(self) -> Vec<T> {
        self.slots
            .into_iter()
            .map(|slot| slot.lock.into_inner())
            .collect()
    }

    /// Item `index`, or the error that names it out of range.
    fn slot(&self, index: usize) -> Result<&Slot<T>, LendError> {
        self.slots.get(index).ok_or(LendError::OutOfRange {
            index,
            len: self.slots.len(),
        })
    }

    /// Offers each index to `take` once, starting after the item found last time,
    /// and returns the first one it accepts.
    fn find_free<G>(&self, mut take: impl FnMut(usize) -> Option<G>) -> Option<(usize, G)> {
        let len = self.slots.len();
        if len == 0 {
            return None;
        }
        // Relaxed: `next` is only a hint of where to start; any value is correct.
        let start = self.next.load(Ordering::Relaxed) % len;
        for index in (start..len).chain(0..start) {
            if let Some(guard) = take(index) {
                // Relaxed: as above; racing stores merely pick one of two good starts.
                self.next.store(index.wrapping_add(1), Ordering::Relaxed);
                return Some((index, guard));
            }
        }
        None
    }
}

impl<T> FromIterator<T> for LendingPool<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> LendingPool<T> {
        let items = items.into_iter();
        let mut pool = LendingPool::with_capacity(items.size_hint().0);
        for item in items {
            pool.push(item);
        }
        pool
    }
}

impl<T> From<Vec<T>> for LendingPool<T> {
    fn from(items: Vec<T>) -> LendingPool<T> {
        LendingPool::new(items)
    }
}

impl<T> Default for LendingPool<T> {
    fn default() -> LendingPool<T> {
        LendingPool::with_capacity(0)
    }
}

impl<T: fmt::Debug> fmt::Debug for LendingPool<T> {
    /// Lists the items, showing `<checked out>` for those lent out for writing.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct CheckedOut;
        impl fmt::Debug for CheckedOut {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("<checked out>")
            }
        }
        let mut list = f.debug_list();
        for index in 0..self.len() {
            match self.try_borrow(index) {
                Ok(item) => list.entry(&*item),
                Err(_) => list.entry(&CheckedOut),
            };
        }
        list.finish()
    }
}

#[cfg(test)]
mod tests;
