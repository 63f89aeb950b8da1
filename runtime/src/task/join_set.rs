//! `JoinSet`: a set of tasks whose results come out in the order they finish.
//!
//! # Design
//!
//! The set owns its `JoinHandle`s in a slab (`slots`, indexed by a key, with a free
//! list). Each slot has an *entry*: a small `Arc` that knows its key and is the `Waker`
//! the slot's `JoinHandle` was polled with, so it is the task's join waker. When the
//! task completes, the completer wakes the entry, and the entry puts itself on the
//! set's *ready list* and wakes whoever waits in `join_next`. `join_next` only looks at
//! the ready list: one lock, one pop and one poll of one handle per result, however
//! many tasks the set holds.
//!
//! # The wake-up protocol
//!
//! - **E1.** At `spawn`, the set polls the new `JoinHandle` once with the entry's waker.
//!   Either that poll sees the task complete (`Ready`: the set keeps the output in the
//!   slot and puts the entry on the ready list itself), or the entry is now the join
//!   waker and the completer wakes it exactly once, after setting `COMPLETE` (task/mod.rs,
//!   rules J1 and J3). The set always polls a handle with that same waker, so the
//!   registration is never replaced.
//! - **E2.** An entry's wake pushes it on the ready list and takes the set's waker, both
//!   under the list's lock; `join_next` pops, or (finding the list empty) stores its
//!   waker, under the same lock. So a wake either lands before the pop that finds it,
//!   or after the waker was stored, and then wakes it: no result is missed. The lock
//!   also orders the completer's `COMPLETE` (set before its wake) before the set's poll
//!   of the handle, which therefore returns `Ready`.
//! - **E3.** The ready list may hold an entry whose slot is gone (the set was dropped, or
//!   a key was reused): `join_next` compares the popped entry with the slot's entry
//!   (`Arc::ptr_eq`) and skips strangers. An entry holds only a `Weak` to the list, so
//!   a wake after the set is dropped does nothing and leaks nothing.
//!
//! `join_next` keeps no state across polls: a result is taken out of the slab only in
//! the poll that returns it, so dropping a pending `join_next` future loses nothing
//! (it is cancel-safe).

use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

use super::{AbortHandle, JoinError, JoinHandle};
use crate::handle::Handle;
use crate::sync::{Mutex, StdArc, Weak};

/// A set of tasks on a runtime, whose results [`join_next`](Self::join_next) returns in
/// the order the tasks finish.
///
/// This is how to handle results as they complete and stop early: await
/// `join_next()` until you know enough, then drop the set (or call
/// [`shutdown`](Self::shutdown)), which cancels the tasks that are left. Unlike a plain
/// `JoinHandle`, whose drop detaches the task, **dropping a `JoinSet` aborts every task
/// still in it.** A task's panic or cancellation is one `Err` result among the others;
/// it never cancels the rest.
///
/// `join_next` costs the same whatever the set's size: a task that finishes puts itself
/// on the set's ready list, and `join_next` only looks there.
///
/// # Examples
///
/// ```
/// use runtime::task::JoinSet;
///
/// let rt = runtime::Runtime::new()?;
/// let total = rt.block_on(async {
///     let mut set = JoinSet::new();
///     for i in 1..=10u64 {
///         set.spawn(async move { i * i });
///     }
///     let mut total = 0;
///     while let Some(result) = set.join_next().await {
///         total += result.expect("no task panicked or was aborted");
///     }
///     total
/// });
/// assert_eq!(total, 385);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct JoinSet<T> {
    /// The handles, by key; `None` is a free key listed in `free`.
    slots: Vec<Option<Slot<T>>>,
    free: Vec<usize>,
    len: usize,
    ready: StdArc<ReadyList>,
}

struct Slot<T> {
    handle: JoinHandle<T>,
    /// This slot's entry, to recognise it on the ready list (rule E3).
    entry: StdArc<Entry>,
    /// `entry` as a `Waker`, the one `handle` is always polled with (rule E1).
    waker: Waker,
    /// The output, when the poll at spawn already saw it (rule E1).
    output: Option<Result<T, JoinError>>,
}

/// The entries whose tasks finished, and the waker of the task in `join_next`.
struct ReadyList {
    inner: Mutex<Ready>,
}

struct Ready {
    entries: VecDeque<StdArc<Entry>>,
    waker: Option<Waker>,
}

/// One slot's join waker (rule E1).
struct Entry {
    key: usize,
    /// `Weak`: a wake after the set is gone finds nothing to do (rule E3).
    set: Weak<ReadyList>,
}

impl Wake for Entry {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        let Some(set) = self.set.upgrade() else {
            return;
        };
        // Rule E2: push and take the waker under the lock; wake after unlocking.
        let waker = {
            let mut ready = set.inner.lock();
            ready.entries.push_back(self.clone());
            ready.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl ReadyList {
    fn push(&self, entry: StdArc<Entry>) {
        self.inner.lock().entries.push_back(entry);
    }

    /// The next ready entry; with none, stores `waker` (if any) to be woken by the next
    /// push (rule E2).
    fn pop_or_register(&self, waker: Option<&Waker>) -> Option<StdArc<Entry>> {
        let mut ready = self.inner.lock();
        let entry = ready.entries.pop_front();
        if let (None, Some(waker)) = (&entry, waker) {
            match &ready.waker {
                Some(stored) if stored.will_wake(waker) => {}
                _ => ready.waker = Some(waker.clone()),
            }
        }
        entry
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    ///
    /// # Examples
    ///
    /// ```
    /// let set = runtime::task::JoinSet::<()>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        let ready = ReadyList {
            inner: Mutex::new(Ready {
                entries: VecDeque::new(),
                waker: None,
            }),
        };
        JoinSet {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
            ready: StdArc::new(ready),
        }
    }

    /// How many tasks are in the set: spawned, and whose result was not yet returned.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = runtime::task::JoinSet::new();
    ///     set.spawn(async { 1 });
    ///     set.spawn(async { 2 });
    ///     assert_eq!(set.len(), 2);
    ///     set.join_next().await;
    ///     assert_eq!(set.len(), 1);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set holds no task.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = runtime::task::JoinSet::new();
    ///     set.spawn(async {});
    ///     assert!(!set.is_empty());
    ///     set.join_next().await;
    ///     assert!(set.is_empty());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Cancels every task in the set. They stay in the set: [`join_next`](Self::join_next)
    /// returns their results, an `Err` with [`is_cancelled`](JoinError::is_cancelled)
    /// for each task that had not finished yet.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = runtime::task::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.abort_all();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn abort_all(&mut self) {
        for slot in self.slots.iter().flatten() {
            slot.handle.abort();
        }
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns a hot task on the current runtime and adds it to the set. The returned
    /// handle can cancel this one task.
    ///
    /// # Panics
    ///
    /// Panics outside a runtime, as [`runtime::spawn`](crate::spawn) does; see
    /// [`spawn_on`](Self::spawn_on).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = runtime::task::JoinSet::new();
    ///     let abort = set.spawn(std::future::pending::<u32>());
    ///     set.spawn(async { 7 });
    ///     abort.abort();
    ///     let mut results: Vec<_> = Vec::new();
    ///     while let Some(r) = set.join_next().await {
    ///         results.push(r.map_err(|e| e.is_cancelled()));
    ///     }
    ///     results.sort();
    ///     assert_eq!(results, [Ok(7), Err(true)]);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// The future must be `Send`, as for [`runtime::spawn`](crate::spawn): one that
    /// keeps an `Rc` across an `.await` does not compile.
    ///
    /// ```compile_fail,E0277
    /// let mut set = runtime::task::JoinSet::new();
    /// set.spawn(async {
    ///     let counter = std::rc::Rc::new(1);
    ///     runtime::yield_now().await;
    ///     *counter
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        let handle = match Handle::try_current() {
            Ok(handle) => handle,
            Err(e) => panic!("`JoinSet::spawn` called outside a runtime (use `spawn_on`): {e}"),
        };
        crate::task::spawn_maybe_boxed!(future, self.spawn_on(future, &handle))
    }

    /// Spawns a hot task on the runtime of `handle` and adds it to the set.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let mut set = runtime::task::JoinSet::new();
    /// // From plain code, outside any runtime.
    /// set.spawn_on(async { "hi" }, rt.handle());
    /// assert_eq!(rt.block_on(set.join_next()).unwrap()?, "hi");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        let join = crate::task::spawn_maybe_boxed!(future, handle.spawn(future));
        let abort = join.abort_handle();
        self.insert(join);
        abort
    }

    /// Adds a task's handle to the set (rule E1).
    fn insert(&mut self, mut handle: JoinHandle<T>) {
        let key = self.free.pop().unwrap_or(self.slots.len());
        let entry = StdArc::new(Entry {
            key,
            set: StdArc::downgrade(&self.ready),
        });
        let waker = Waker::from(entry.clone());
        let output = match Pin::new(&mut handle).poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(output) => {
                self.ready.push(entry.clone());
                Some(output)
            }
            Poll::Pending => None,
        };
        let slot = Some(Slot {
            handle,
            entry,
            waker,
            output,
        });
        if key == self.slots.len() {
            self.slots.push(slot);
        } else {
            self.slots[key] = slot;
        }
        self.len += 1;
    }
}

impl<T> JoinSet<T> {
    /// Waits for the next task to finish and returns its result; `None` when the set is
    /// empty. Results come in the order the tasks finish.
    ///
    /// Cancel-safe: if the returned future is dropped before it completes (say, another
    /// branch of a select won), no result is lost; it stays in the set.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = runtime::task::JoinSet::new();
    ///     set.spawn(async { panic!("one task fails") });
    ///     set.spawn(async { "the other still finishes" });
    ///     let mut ok = 0;
    ///     let mut panicked = 0;
    ///     while let Some(result) = set.join_next().await {
    ///         match result {
    ///             Ok(_) => ok += 1,
    ///             Err(e) if e.is_panic() => panicked += 1,
    ///             Err(e) => panic!("unexpected {e}"),
    ///         }
    ///     }
    ///     assert_eq!((ok, panicked), (1, 1));
    ///     assert_eq!(set.join_next().await.map(|_| ()), None);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        poll_fn(|cx| self.poll_join_next(cx)).await
    }

    /// The poll behind [`join_next`](Self::join_next), for hand-written futures:
    /// `Ready(None)` when the set is empty, `Ready(Some(result))` for a finished task,
    /// else `Pending`, and `cx`'s waker is woken when a task finishes.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = runtime::task::JoinSet::new();
    ///     set.spawn(async { 5 });
    ///     let five = std::future::poll_fn(|cx| set.poll_join_next(cx)).await;
    ///     assert_eq!(five.unwrap().unwrap(), 5);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, JoinError>>> {
        // The cooperative budget (coop.rs): a set of finished tasks is ready at once.
        let spent = std::task::ready!(super::coop::poll_proceed(cx));
        let r = self.next_ready(Some(cx.waker()));
        if r.is_ready() {
            spent.made_progress();
        }
        r
    }

    /// The result of a task that has already finished, without waiting: `None` when no
    /// task in the set has finished (or the set is empty).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = runtime::task::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     assert!(set.try_join_next().is_none()); // never finishes by itself
    ///     set.abort_all();
    ///     let cancelled = set.join_next().await.unwrap();
    ///     assert!(cancelled.unwrap_err().is_cancelled());
    ///     assert!(set.try_join_next().is_none()); // empty now
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        match self.next_ready(None) {
            Poll::Ready(result) => result,
            Poll::Pending => None,
        }
    }

    /// Takes results off the ready list (rules E2, E3). With `waker`, registers it when
    /// nothing is ready.
    fn next_ready(&mut self, waker: Option<&Waker>) -> Poll<Option<Result<T, JoinError>>> {
        loop {
            if self.len == 0 {
                return Poll::Ready(None);
            }
            let Some(entry) = self.ready.pop_or_register(waker) else {
                return Poll::Pending;
            };
            let key = entry.key;
            let Some(slot) = self.slots.get_mut(key).and_then(Option::as_mut) else {
                continue;
            };
            if !StdArc::ptr_eq(&slot.entry, &entry) {
                continue;
            }
            let output = match slot.output.take() {
                Some(output) => output,
                None => {
                    match Pin::new(&mut slot.handle).poll(&mut Context::from_waker(&slot.waker)) {
                        Poll::Ready(output) => output,
                        // Not complete after all: the entry stays the join waker (rule E1).
                        Poll::Pending => continue,
                    }
                }
            };
            self.slots[key] = None;
            self.free.push(key);
            self.len -= 1;
            return Poll::Ready(Some(output));
        }
    }

    /// Cancels every task and waits until each has finished, so every task's future has
    /// been dropped when this returns. The results are discarded; the set is empty after.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    ///
    /// struct CountDrop(Arc<AtomicUsize>);
    /// impl Drop for CountDrop {
    ///     fn drop(&mut self) {
    ///         self.0.fetch_add(1, Ordering::SeqCst);
    ///     }
    /// }
    ///
    /// let rt = runtime::Runtime::new()?;
    /// let dropped = Arc::new(AtomicUsize::new(0));
    /// rt.block_on(async {
    ///     let mut set = runtime::task::JoinSet::new();
    ///     for _ in 0..3 {
    ///         let guard = CountDrop(dropped.clone());
    ///         set.spawn(async move {
    ///             let _guard = guard;
    ///             std::future::pending::<()>().await
    ///         });
    ///     }
    ///     set.shutdown().await;
    ///     assert!(set.is_empty());
    /// });
    /// assert_eq!(dropped.load(Ordering::SeqCst), 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> JoinSet<T> {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    /// Aborts every task still in the set (their futures are dropped by the runtime,
    /// soon after; use [`shutdown`](JoinSet::shutdown) to wait for that).
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len).finish()
    }
}
