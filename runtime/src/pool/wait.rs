//! Waiting for an item to come back: FIFO wait queues and the `borrow…` futures.
//!
//! # The queues
//!
//! Every item has a [`WaitQueue`] of async borrowers, each *shared* (`borrow`) or
//! *exclusive* (`borrow_mut`); the pool has one more, the *any* queue, for
//! `borrow_any_mut`. A queue is a `VecDeque` of entries behind a mutex — an entry is
//! `{ id, kind, waker, notified }`, ids increase, so the deque is sorted by id — plus
//! an atomic `waiting`, the number of entries, changed only under the mutex and read
//! without it by the release path to skip the mutex when nobody waits.
//!
//! **Eligibility (item queues).** Waiters are served in arrival order: an exclusive
//! entry may try the lock only at the head; a shared entry only when every entry
//! ahead of it is shared (readers that queued together are let in together). So an
//! async writer is never overtaken by async readers that queued after it, and no
//! async waiter starves another. A future's first poll tries the lock without
//! queueing only when `waiting` is 0. (A plain `try_borrow*` never queues and may
//! take an item just before a woken waiter; that waiter keeps its place and is woken
//! again when the item comes back.) In the *any* queue every entry is eligible.
//!
//! **Notify rule**, applied under the mutex with a view of the item's lock:
//! - item queue, exclusive head: if it is not yet notified and the item is free,
//!   notify it — one writer;
//! - item queue, shared head: if the item is not held exclusively, notify every
//!   entry of the leading run of shared entries not yet notified — all the readers;
//! - any queue: if the released item is free, notify the first entry not yet
//!   notified — one item came back, one waiter is let in.
//!
//! Nobody else is woken: a returned item wakes exactly the waiters that can proceed.
//! Waiters for this very item come first: the any queue is notified only when the
//! head of the item's queue is not (an any waiter can use another item; they
//! cannot), so a stream of `borrow_any_mut` calls never starves a `borrow_mut(i)`.
//!
//! # The protocol
//!
//! The step ids start with P, for pool, so that they do not collide with the task
//! rules of `task/mod.rs` (R1–R3 there are something else).
//!
//! Waiter, in `poll` (slow path), all under the queue mutex:
//!
//! - **PW1.** Register (push an entry, `waiting += 1`) or, if registered, clear
//!   `notified` and refresh the waker.
//! - **PW2.** `fence(SeqCst)`.
//! - **PW3.** If eligible, try the lock. On success remove the entry (`waiting -= 1`)
//!   and return `Ready`; otherwise return `Pending`.
//!
//! Releaser, in a guard's `drop`:
//!
//! - **PR1.** Unlock the item (a Release read-modify-write of the lock word).
//! - **PR2.** `fence(SeqCst)`.
//! - **PR3.** For the item's queue, then — unless that left its head notified — for
//!   the any queue: if `waiting > 0`, lock the queue's mutex, apply the notify rule,
//!   unlock, then wake those notified.
//!
//! Cancellation, in a future's `drop` while registered: under the mutex, remove the
//! entry (`waiting -= 1`); then, for an item queue always (removing an entry can make
//! the entries behind it eligible) and for the any queue if the entry had been
//! notified (its turn must be passed on), `fence(SeqCst)` and apply the notify rule;
//! then, if an item queue's head is not notified, run PR3 on the any queue (the
//! cancelled turn may be why the any queue was skipped).
//!
//! Wakers are woken, and old wakers dropped, after the mutex is released, so a waker
//! that re-enters the pool cannot deadlock on it.
//!
//! # Why no waiter sleeps while it could have its item (the lost wake-up)
//!
//! The classic race is "the try fails → the item is returned while nobody is queued
//! yet → the waiter queues and sleeps for ever". Take an entry E whose try at PW3
//! failed: it read a lock word showing some holder H, whose unlock U (PR1) comes later
//! in the lock word's modification order. Let F_E and F_H be the fences of PW2 and PR2.
//! SeqCst fences are totally ordered; if F_H preceded F_E, the try after F_E would
//! have to see U or a later value (U is before F_H), not the earlier value it read.
//! So F_E precedes F_H, and the load of `waiting` after F_H sees E's increment (made
//! before F_E), hence `waiting > 0` while E is queued: H takes the mutex. H's critical
//! section cannot come before E's, since then F_H would happen before F_E. So H
//! applies the notify rule after PW1–PW3, with E still registered, not notified, and
//! still eligible (entries are only appended behind it). H reads the lock word after
//! its own unlock, so it sees U or a later value: if the item is free, E is notified;
//! if a later holder H' has it, H' unlocks later still and the same argument applies
//! to H'. Each entry E never tried because it was not eligible becomes eligible only
//! when the entries ahead leave: by acquiring the item (their release then runs PR3
//! after E registered, by the mutex order), or by cancelling (the canceller applies
//! the notify rule, after a SeqCst fence that plays the role of F_E above against a
//! holder it sees). The any queue is the same argument, item by item, with one more
//! step: a releaser that skips the any queue leaves the item queue's head notified;
//! that entry then takes the item (its own release runs PR3 later, after the any
//! waiter's fence by the same argument on the lock word), loses it to a later holder
//! (who runs PR3), or is cancelled (and the canceller runs PR3 on the any queue).
//!
//! The loom model `loom-tests/tests/pool.rs` checks this protocol on the real code.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::{LendError, LendingPool, OwnedRef, OwnedRefMut, Ref, RefMut, Slot};
use crate::sync::{fence, AtomicUsize, Mutex, Ordering, StdArc as Arc};

/// What a waiter wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// A shared borrow (`borrow`).
    Shared,
    /// An exclusive borrow (`borrow_mut`, `borrow_any_mut`).
    Exclusive,
}

/// One registered waiter.
struct Entry {
    id: u64,
    kind: Kind,
    waker: Waker,
    /// Set by the notify rule, cleared by the waiter's next poll (PW1).
    notified: bool,
}

/// The entries of a queue, behind its mutex.
struct Entries {
    queue: VecDeque<Entry>,
    next_id: u64,
}

impl Entries {
    /// Where entry `id` is, if it is queued.
    fn position(&self, id: u64) -> Option<usize> {
        self.queue.binary_search_by_key(&id, |entry| entry.id).ok()
    }
}

/// A queue of async borrowers (see the module docs).
pub(super) struct WaitQueue {
    /// The number of entries. Changed only under `entries`' mutex; read without it
    /// by releasers (PR3).
    waiting: AtomicUsize,
    entries: Mutex<Entries>,
    /// Item queue (FIFO with eligibility and reader batching) or any queue.
    fifo: bool,
}

/// A future's registration in a queue.
#[derive(Debug, Default)]
pub(super) struct Wait {
    /// The id of our entry while we are queued.
    id: Option<u64>,
}

impl WaitQueue {
    /// The queue of one item.
    pub(super) fn new_item() -> WaitQueue {
        WaitQueue::new(true)
    }

    /// The pool's queue of `borrow_any_mut` waiters.
    pub(super) fn new_any() -> WaitQueue {
        WaitQueue::new(false)
    }

    fn new(fifo: bool) -> WaitQueue {
        WaitQueue {
            waiting: AtomicUsize::new(0),
            entries: Mutex::new(Entries {
                queue: VecDeque::new(),
                next_id: 0,
            }),
            fifo,
        }
    }

    /// The number of queued waiters, for tests.
    #[cfg(test)]
    pub(super) fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Whether anybody waits. Relaxed: on the release path this follows the PR2
    /// fence, which orders it (module docs); elsewhere it is only a hint.
    fn has_waiters(&self) -> bool {
        self.waiting.load(Ordering::Relaxed) > 0
    }

    /// Polls for a borrow of `kind`, made by `try_acquire`, registering `wait` in
    /// this queue while it cannot be had.
    pub(super) fn poll_acquire<G>(
        &self,
        wait: &mut Wait,
        cx: &mut Context<'_>,
        kind: Kind,
        try_acquire: impl FnMut() -> Option<G>,
    ) -> Poll<G> {
        // The cooperative budget (task/coop.rs): a free item is ready at once.
        let spent = std::task::ready!(crate::task::coop::poll_proceed(cx));
        let r = self.poll_acquire_unbudgeted(wait, cx, kind, try_acquire);
        if r.is_ready() {
            spent.made_progress();
        }
        r
    }

    fn poll_acquire_unbudgeted<G>(
        &self,
        wait: &mut Wait,
        cx: &mut Context<'_>,
        kind: Kind,
        mut try_acquire: impl FnMut() -> Option<G>,
    ) -> Poll<G> {
        // Fast path: nobody queued, so trying first overtakes no one. (A stale 0 only
        // lets us try once before queueing, as a `try_borrow` would.)
        if wait.id.is_none() && !self.has_waiters() {
            if let Some(guard) = try_acquire() {
                return Poll::Ready(guard);
            }
        }
        self.poll_acquire_slow(wait, cx, kind, try_acquire)
    }

    #[cold]
    fn poll_acquire_slow<G>(
        &self,
        wait: &mut Wait,
        cx: &mut Context<'_>,
        kind: Kind,
        mut try_acquire: impl FnMut() -> Option<G>,
    ) -> Poll<G> {
        // Declared before the lock guard, so dropped after it (a waker's drop may run
        // arbitrary code).
        let _stale: Option<Waker>;
        let _removed: Option<Entry>;
        let mut entries = self.entries.lock();
        // PW1.
        let registered = wait.id.and_then(|id| entries.position(id));
        let pos =
            match registered.and_then(|pos| entries.queue.get_mut(pos).map(|entry| (pos, entry))) {
                Some((pos, entry)) => {
                    entry.notified = false;
                    if !entry.waker.will_wake(cx.waker()) {
                        _stale = Some(mem::replace(&mut entry.waker, cx.waker().clone()));
                    }
                    pos
                }
                None => {
                    let id = entries.next_id;
                    entries.next_id = id.wrapping_add(1);
                    entries.queue.push_back(Entry {
                        id,
                        kind,
                        waker: cx.waker().clone(),
                        notified: false,
                    });
                    // Relaxed: every write is under the mutex; releasers read it
                    // after PR2.
                    self.waiting.fetch_add(1, Ordering::Relaxed);
                    wait.id = Some(id);
                    entries.queue.len() - 1
                }
            };
        // PW2: orders our registration before the try below against a releaser's
        // unlock-then-check (PR1, PR2); see "Why no waiter sleeps" above.
        fence(Ordering::SeqCst);
        // PW3.
        if self.is_eligible(&entries, pos) {
            if let Some(guard) = try_acquire() {
                _removed = entries.queue.remove(pos);
                // Relaxed: as for the increment.
                self.waiting.fetch_sub(1, Ordering::Relaxed);
                wait.id = None;
                return Poll::Ready(guard);
            }
        }
        Poll::Pending
    }

    /// Whether the entry at `pos` may try the lock now (module docs, eligibility).
    fn is_eligible(&self, entries: &Entries, pos: usize) -> bool {
        if !self.fifo {
            return true;
        }
        match entries.queue.get(pos).map(|entry| entry.kind) {
            Some(Kind::Exclusive) => pos == 0,
            Some(Kind::Shared) => entries
                .queue
                .iter()
                .take(pos)
                .all(|entry| entry.kind == Kind::Shared),
            None => false,
        }
    }

    /// PR3 for this queue: notifies the waiters that can now proceed. `can_serve`
    /// tells whether the item's lock is free enough for a borrow of a kind.
    ///
    /// Returns whether the head of the queue is notified: someone queued for this
    /// very item is on its way to take it (item queues only).
    pub(super) fn wake(&self, can_serve: impl Fn(Kind) -> bool) -> bool {
        if !self.has_waiters() {
            return false;
        }
        self.wake_slow(can_serve)
    }

    #[cold]
    fn wake_slow(&self, can_serve: impl Fn(Kind) -> bool) -> bool {
        let mut wakers = Vec::new();
        let handed = {
            let mut entries = self.entries.lock();
            self.notify(&mut entries, &can_serve, &mut wakers);
            self.is_handed(&entries)
        };
        // Wakers are user code: one that panics must not unwind into the guard's
        // drop that released the item, nor keep the others from being woken.
        wakers.into_iter().for_each(crate::task::waker::wake_caught);
        handed
    }

    /// Whether an item queue's head is notified (on its way to take the item).
    fn is_handed(&self, entries: &Entries) -> bool {
        self.fifo && entries.queue.front().is_some_and(|head| head.notified)
    }

    /// The notify rule (module docs). Collects the wakers to wake once unlocked.
    fn notify(
        &self,
        entries: &mut Entries,
        can_serve: &impl Fn(Kind) -> bool,
        wakers: &mut Vec<Waker>,
    ) {
        let mut wake = |entry: &mut Entry| {
            if !entry.notified {
                entry.notified = true;
                wakers.push(entry.waker.clone());
            }
        };
        if !self.fifo {
            if can_serve(Kind::Exclusive) {
                if let Some(entry) = entries.queue.iter_mut().find(|entry| !entry.notified) {
                    wake(entry);
                }
            }
            return;
        }
        match entries.queue.front().map(|head| head.kind) {
            Some(Kind::Exclusive) if can_serve(Kind::Exclusive) => {
                entries.queue.front_mut().into_iter().for_each(wake);
            }
            Some(Kind::Shared) if can_serve(Kind::Shared) => {
                entries
                    .queue
                    .iter_mut()
                    .take_while(|entry| entry.kind == Kind::Shared)
                    .for_each(wake);
            }
            _ => {}
        }
    }

    /// Takes `wait` out of the queue (a future dropped while waiting), passing its
    /// turn on (module docs, cancellation).
    ///
    /// Returns whether the head of the queue is notified afterwards, as [`wake`]
    /// does (`true` also when `wait` was not queued: there is nothing to pass on).
    ///
    /// [`wake`]: WaitQueue::wake
    pub(super) fn cancel(&self, wait: &mut Wait, can_serve: impl Fn(Kind) -> bool) -> bool {
        match wait.id.take() {
            Some(id) => self.cancel_slow(id, can_serve),
            None => true,
        }
    }

    #[cold]
    fn cancel_slow(&self, id: u64, can_serve: impl Fn(Kind) -> bool) -> bool {
        let mut wakers = Vec::new();
        let removed;
        let handed;
        {
            let mut entries = self.entries.lock();
            removed = entries
                .position(id)
                .and_then(|pos| entries.queue.remove(pos));
            let Some(entry) = &removed else { return true };
            // Relaxed: as in `poll_acquire_slow`.
            self.waiting.fetch_sub(1, Ordering::Relaxed);
            if self.fifo || entry.notified {
                // Against a holder we see in `can_serve` (module docs): either we see
                // its unlock, or it sees our queue's `waiting > 0` and comes after us.
                fence(Ordering::SeqCst);
                self.notify(&mut entries, &can_serve, &mut wakers);
            }
            handed = self.is_handed(&entries);
        }
        drop(removed);
        // Wakers are user code: one that panics must not unwind into the guard's
        // drop that released the item, nor keep the others from being woken.
        wakers.into_iter().for_each(crate::task::waker::wake_caught);
        handed
    }
}

impl<T> Slot<T> {
    /// Whether the item's lock, as seen now, lets a borrow of `kind` in.
    ///
    /// Relaxed loads inside: on the release path they follow our own unlock, so by
    /// coherence they see it or a later state; a later holder runs PR3 itself.
    fn can_serve(&self, kind: Kind) -> bool {
        match kind {
            Kind::Exclusive => !self.lock.is_locked(),
            Kind::Shared => !self.lock.is_locked_exclusive(),
        }
    }
}

/// Steps PR2 and PR3 of the protocol, run by every guard right after it unlocked
/// `slot` (PR1).
pub(super) fn after_release<T>(pool: &LendingPool<T>, slot: &Slot<T>) {
    // PR2: orders our unlock before the loads of `waiting` below against a waiter's
    // register-then-try (PW1, PW2); see "Why no waiter sleeps" above.
    #[cfg(not(loom_broken = "pool_wake"))]
    fence(Ordering::SeqCst);
    if !slot.queue.wake(|kind| slot.can_serve(kind)) {
        pool.any.wake(|kind| slot.can_serve(kind));
    }
}

/// Polls for item `index` (shared in `kind`), the body of the item futures.
fn poll_item<T, G>(
    pool: &LendingPool<T>,
    index: usize,
    wait: &mut Wait,
    cx: &mut Context<'_>,
    kind: Kind,
    try_acquire: impl FnMut() -> Option<G>,
) -> Poll<Result<G, LendError>> {
    match pool.slot(index) {
        Ok(slot) => slot.queue.poll_acquire(wait, cx, kind, try_acquire).map(Ok),
        Err(error) => Poll::Ready(Err(error)),
    }
}

/// Leaves item `index`'s queue, the body of the item futures' `drop`.
fn cancel_item<T>(pool: &LendingPool<T>, index: usize, wait: &mut Wait) {
    if wait.id.is_some() {
        if let Ok(slot) = pool.slot(index) {
            // Our turn may have been why the any queue was skipped (module docs).
            if !slot.queue.cancel(wait, |kind| slot.can_serve(kind)) {
                pool.any.wake(|kind| slot.can_serve(kind));
            }
        }
    }
}

/// Polls for any free item, the body of the any futures.
fn poll_any<T, G>(
    pool: &LendingPool<T>,
    wait: &mut Wait,
    cx: &mut Context<'_>,
    try_acquire: impl FnMut() -> Option<(usize, G)>,
) -> Poll<Option<(usize, G)>> {
    if pool.is_empty() {
        return Poll::Ready(None);
    }
    pool.any
        .poll_acquire(wait, cx, Kind::Exclusive, try_acquire)
        .map(Some)
}

/// Leaves the any queue. The item a cancelled waiter was woken for is unknown, so
/// the turn is passed on unconditionally.
fn cancel_any<T>(pool: &LendingPool<T>, wait: &mut Wait) {
    pool.any.cancel(wait, |_| true);
}

/// The future of [`LendingPool::borrow`]: resolves to a shared guard once item
/// `index` is not lent out for writing, or at once to [`LendError::OutOfRange`].
///
/// Dropping it gives up its place in line.
///
/// # Examples
///
/// ```
/// let pool = runtime::pool::LendingPool::new(vec!["atlas"]);
/// let future: runtime::pool::Borrow<'_, &str> = pool.borrow(0);
/// assert_eq!(*runtime::block_on(future)?, "atlas");
/// # Ok::<(), runtime::pool::LendError>(())
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Borrow<'a, T> {
    pool: &'a LendingPool<T>,
    index: usize,
    wait: Wait,
}

impl<'a, T> Borrow<'a, T> {
    pub(super) fn new(pool: &'a LendingPool<T>, index: usize) -> Borrow<'a, T> {
        Borrow {
            pool,
            index,
            wait: Wait::default(),
        }
    }
}

impl<'a, T> Future for Borrow<'a, T> {
    type Output = Result<Ref<'a, T>, LendError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let (pool, index) = (this.pool, this.index);
        poll_item(pool, index, &mut this.wait, cx, Kind::Shared, || {
            Ref::try_new(pool, index)
        })
    }
}

impl<T> Drop for Borrow<'_, T> {
    fn drop(&mut self) {
        cancel_item(self.pool, self.index, &mut self.wait);
    }
}

/// The future of [`LendingPool::borrow_mut`]: resolves to an exclusive guard once
/// item `index` is not lent out at all, or at once to [`LendError::OutOfRange`].
///
/// Dropping it gives up its place in line, and passes the turn on if it had just
/// been handed it.
///
/// # Examples
///
/// ```
/// let pool = runtime::pool::LendingPool::new(vec![1]);
/// let future: runtime::pool::BorrowMut<'_, i32> = pool.borrow_mut(0);
/// *runtime::block_on(future)? += 1;
/// assert_eq!(*pool.try_borrow(0)?, 2);
/// # Ok::<(), runtime::pool::LendError>(())
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct BorrowMut<'a, T> {
    pool: &'a LendingPool<T>,
    index: usize,
    wait: Wait,
}

impl<'a, T> BorrowMut<'a, T> {
    pub(super) fn new(pool: &'a LendingPool<T>, index: usize) -> BorrowMut<'a, T> {
        BorrowMut {
            pool,
            index,
            wait: Wait::default(),
        }
    }
}

impl<'a, T> Future for BorrowMut<'a, T> {
    type Output = Result<RefMut<'a, T>, LendError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let (pool, index) = (this.pool, this.index);
        poll_item(pool, index, &mut this.wait, cx, Kind::Exclusive, || {
            RefMut::try_new(pool, index)
        })
    }
}

impl<T> Drop for BorrowMut<'_, T> {
    fn drop(&mut self) {
        cancel_item(self.pool, self.index, &mut self.wait);
    }
}

/// The future of [`LendingPool::borrow_any_mut`]: resolves to the index and an
/// exclusive guard of whichever item is free first, or at once to `None` if the
/// pool is empty.
///
/// # Examples
///
/// ```
/// let pool = runtime::pool::LendingPool::new(vec!['x']);
/// let future: runtime::pool::BorrowAnyMut<'_, char> = pool.borrow_any_mut();
/// let (index, item) = runtime::block_on(future).unwrap();
/// assert_eq!((index, *item), (0, 'x'));
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct BorrowAnyMut<'a, T> {
    pool: &'a LendingPool<T>,
    wait: Wait,
}

impl<'a, T> BorrowAnyMut<'a, T> {
    pub(super) fn new(pool: &'a LendingPool<T>) -> BorrowAnyMut<'a, T> {
        BorrowAnyMut {
            pool,
            wait: Wait::default(),
        }
    }
}

impl<'a, T> Future for BorrowAnyMut<'a, T> {
    type Output = Option<(usize, RefMut<'a, T>)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let pool = this.pool;
        poll_any(pool, &mut this.wait, cx, || pool.try_borrow_any_mut())
    }
}

impl<T> Drop for BorrowAnyMut<'_, T> {
    fn drop(&mut self) {
        cancel_any(self.pool, &mut self.wait);
    }
}

/// The future of [`LendingPool::borrow_owned`]; `'static` when `T` is.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// let pool = Arc::new(runtime::pool::LendingPool::new(vec![5]));
/// let future: runtime::pool::BorrowOwned<i32> = pool.borrow_owned(0);
/// assert_eq!(*runtime::block_on(future)?, 5);
/// # Ok::<(), runtime::pool::LendError>(())
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct BorrowOwned<T> {
    pool: Arc<LendingPool<T>>,
    index: usize,
    wait: Wait,
}

impl<T> BorrowOwned<T> {
    pub(super) fn new(pool: Arc<LendingPool<T>>, index: usize) -> BorrowOwned<T> {
        BorrowOwned {
            pool,
            index,
            wait: Wait::default(),
        }
    }
}

impl<T> Future for BorrowOwned<T> {
    type Output = Result<OwnedRef<T>, LendError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let (pool, index) = (&this.pool, this.index);
        poll_item(pool, index, &mut this.wait, cx, Kind::Shared, || {
            OwnedRef::try_new(pool, index)
        })
    }
}

impl<T> Drop for BorrowOwned<T> {
    fn drop(&mut self) {
        cancel_item(&self.pool, self.index, &mut self.wait);
    }
}

/// The future of [`LendingPool::borrow_mut_owned`]; `'static` when `T` is.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// let pool = Arc::new(runtime::pool::LendingPool::new(vec![5]));
/// let future: runtime::pool::BorrowMutOwned<i32> = pool.borrow_mut_owned(0);
/// *runtime::block_on(future)? = 6;
/// assert_eq!(*pool.try_borrow(0)?, 6);
/// # Ok::<(), runtime::pool::LendError>(())
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct BorrowMutOwned<T> {
    pool: Arc<LendingPool<T>>,
    index: usize,
    wait: Wait,
}

impl<T> BorrowMutOwned<T> {
    pub(super) fn new(pool: Arc<LendingPool<T>>, index: usize) -> BorrowMutOwned<T> {
        BorrowMutOwned {
            pool,
            index,
            wait: Wait::default(),
        }
    }
}

impl<T> Future for BorrowMutOwned<T> {
    type Output = Result<OwnedRefMut<T>, LendError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let (pool, index) = (&this.pool, this.index);
        poll_item(pool, index, &mut this.wait, cx, Kind::Exclusive, || {
            OwnedRefMut::try_new(pool, index)
        })
    }
}

impl<T> Drop for BorrowMutOwned<T> {
    fn drop(&mut self) {
        cancel_item(&self.pool, self.index, &mut self.wait);
    }
}

/// The future of [`LendingPool::borrow_any_mut_owned`]; `'static` when `T` is.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// let pool = Arc::new(runtime::pool::LendingPool::new(vec![0_u8; 2]));
/// let future: runtime::pool::BorrowAnyMutOwned<u8> = pool.borrow_any_mut_owned();
/// let (index, _guard) = runtime::block_on(future).unwrap();
/// assert!(index < 2);
/// ```
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct BorrowAnyMutOwned<T> {
    pool: Arc<LendingPool<T>>,
    wait: Wait,
}

impl<T> BorrowAnyMutOwned<T> {
    pub(super) fn new(pool: Arc<LendingPool<T>>) -> BorrowAnyMutOwned<T> {
        BorrowAnyMutOwned {
            pool,
            wait: Wait::default(),
        }
    }
}

impl<T> Future for BorrowAnyMutOwned<T> {
    type Output = Option<(usize, OwnedRefMut<T>)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let pool = &this.pool;
        poll_any(pool, &mut this.wait, cx, || pool.try_borrow_any_mut_owned())
    }
}

impl<T> Drop for BorrowAnyMutOwned<T> {
    fn drop(&mut self) {
        cancel_any(&self.pool, &mut self.wait);
    }
}

macro_rules! debug_future {
    ($($future:ident $(<$lt:lifetime>)? { $($field:ident),* }),*) => {$(
        impl<T> fmt::Debug for $future<$($lt,)? T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($future))
                    $(.field(stringify!($field), &self.$field))*
                    .field("queued", &self.wait.id.is_some())
                    .finish_non_exhaustive()
            }
        }
    )*};
}

debug_future!(
    Borrow<'_> { index },
    BorrowMut<'_> { index },
    BorrowAnyMut<'_> {},
    BorrowOwned { index },
    BorrowMutOwned { index },
    BorrowAnyMutOwned {}
);
