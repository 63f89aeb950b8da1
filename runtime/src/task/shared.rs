//! `Shared`: one task's result, awaited by any number of clones.
//!
//! # Design
//!
//! All clones share one `Inner`: the task's `JoinHandle` (until its result is read),
//! then the result; and a list of the wakers of the clones that wait. The task's join
//! waker is one `Notify` for the whole set of clones; when the task completes, it wakes
//! every waiting clone.
//!
//! Two locks, always taken in this order: `Inner::state`, then `Notify::waiters`. The
//! task's completer only ever takes `waiters`.
//!
//! # The wake-up protocol
//!
//! - **S1.** A clone that finds the task running first puts its waker in `waiters`, then
//!   (still under `state`) polls the `JoinHandle`, which registers `Notify` as the join
//!   waker. So a completion either is seen by that poll (`Ready`), or happens after it
//!   and calls `Notify::wake`, which finds the clone's waker already listed: no wake-up
//!   is lost.
//! - **S2.** `Notify::wake` takes every listed waker out (under `waiters`) and wakes them
//!   after unlocking. Each listed clone is woken once; its slot stays allocated, so its
//!   next poll (or its drop) reuses (or frees) it.
//! - **S3.** The first clone whose poll of the `JoinHandle` gives `Ready` stores the
//!   result in `state` (so later clones never touch the handle again, which must not be
//!   polled after `Ready`) and then wakes the waiters, as the completer does: a waiter
//!   listed after the completer's wake is not left waiting.
//! - **S4.** The result is immutable once stored: it sits behind an `Arc`, so each clone
//!   copies it out (`T::clone`, user code) after unlocking.

use std::fmt;
use std::future::Future;
use std::mem;
use std::pin::Pin;
use std::task::{Context, Poll, Wake, Waker};

use super::{Id, JoinError, JoinHandle};
use crate::sync::{Mutex, StdArc};

/// A cloneable handle to one task's result: every clone awaits the same single run and
/// gets a copy of its output.
///
/// Made by [`JoinHandle::shared`]. This is the "return the download already in
/// progress" pattern: the first caller starts a task, later callers get a clone of its
/// `Shared` and await the run that is already under way instead of starting another.
/// A `Shared` may be awaited any number of times, from any number of tasks and threads;
/// one made after the task finished is ready at once.
///
/// Dropping every clone detaches the task (it still runs to completion), as dropping a
/// `JoinHandle` does.
///
/// A task that panicked gives every awaiter an `Err(e)` with [`e.is_panic()`](JoinError::is_panic);
/// since a panic payload cannot be cloned, [`e.into_panic()`](JoinError::into_panic) gives
/// each awaiter the panic's message as a `String` payload.
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// rt.block_on(async {
///     let answer = runtime::spawn(async { String::from("forty-two") }).shared();
///     // Two more waiters on the same run.
///     let a = runtime::spawn(answer.clone());
///     let b = runtime::spawn(answer.clone());
///     assert_eq!(answer.await.unwrap(), "forty-two");
///     assert_eq!(a.await.unwrap().unwrap(), "forty-two");
///     assert_eq!(b.await.unwrap().unwrap(), "forty-two");
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Shared<T> {
    inner: StdArc<Inner<T>>,
    /// This clone's slot in `Notify::waiters`, once it has waited.
    slot: Option<usize>,
}

struct Inner<T> {
    id: Id,
    state: Mutex<State<T>>,
    notify: StdArc<Notify>,
    /// `notify` as a `Waker`, made once.
    notify_waker: Waker,
}

enum State<T> {
    /// Nobody has read the result yet.
    Running(JoinHandle<T>),
    /// The result, read from the handle by the first clone that saw it (rule S3).
    Done(StdArc<Result<T, JoinError>>),
}

/// The join waker of a shared task: wakes every clone that waits.
struct Notify {
    waiters: Mutex<Waiters>,
}

/// Wakers of waiting clones, in slots that clones keep across polls.
struct Waiters {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Wake for Notify {
    fn wake(self: StdArc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &StdArc<Self>) {
        // Rule S2: take the wakers under the lock, wake them outside it (a waker is
        // user code and may poll, or drop, a clone right here).
        let woken: Vec<Waker> = {
            let mut waiters = self.waiters.lock();
            waiters.slots.iter_mut().filter_map(Option::take).collect()
        };
        for waker in woken {
            // User code: one that panics must not keep the others from being woken.
            super::waker::wake_caught(waker);
        }
    }
}

impl<T> JoinHandle<T> {
    /// Turns the handle into a [`Shared`]: a cloneable future that every clone awaits
    /// for the same single run of the task.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let shared = rt.spawn(async { vec![1, 2, 3] }).shared();
    /// let again = shared.clone();
    /// assert_eq!(rt.block_on(shared)?, vec![1, 2, 3]);
    /// assert_eq!(rt.block_on(again)?, vec![1, 2, 3]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn shared(self) -> Shared<T>
    where
        T: Clone,
    {
        let notify = StdArc::new(Notify {
            waiters: Mutex::new(Waiters {
                slots: Vec::new(),
                free: Vec::new(),
            }),
        });
        let inner = Inner {
            id: self.id(),
            notify_waker: Waker::from(notify.clone()),
            notify,
            state: Mutex::new(State::Running(self)),
        };
        Shared {
            inner: StdArc::new(inner),
            slot: None,
        }
    }
}

impl<T> Shared<T> {
    /// The id of the task.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let handle = rt.spawn(async { 1 });
    /// let id = handle.id();
    /// assert_eq!(handle.shared().id(), id);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> Id {
        self.inner.id
    }
}

impl Notify {
    /// Puts (or refreshes) a clone's waker in its slot, allocating one on its first wait
    /// (rule S1).
    fn register(&self, slot: &mut Option<usize>, waker: &Waker) {
        let mut waiters = self.waiters.lock();
        if let Some(i) = *slot {
            match &mut waiters.slots[i] {
                Some(w) if w.will_wake(waker) => {}
                listed => *listed = Some(waker.clone()),
            }
        } else if let Some(i) = waiters.free.pop() {
            waiters.slots[i] = Some(waker.clone());
            *slot = Some(i);
        } else {
            waiters.slots.push(Some(waker.clone()));
            *slot = Some(waiters.slots.len() - 1);
        }
    }

    /// Gives a clone's slot back.
    fn unregister(&self, slot: &mut Option<usize>) {
        if let Some(i) = slot.take() {
            let mut waiters = self.waiters.lock();
            waiters.slots[i] = None;
            waiters.free.push(i);
        }
    }
}

/// Each awaiter's own copy of the result (rule S4).
fn copy_result<T: Clone>(result: &Result<T, JoinError>) -> Result<T, JoinError> {
    match result {
        Ok(value) => Ok(value.clone()),
        Err(err) => Err(err.clone_shared()),
    }
}

impl<T: Clone> Future for Shared<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Shared { inner, slot } = &mut *self;
        let mut state = inner.state.lock();
        let result = match &mut *state {
            State::Done(result) => StdArc::clone(result),
            State::Running(handle) => {
                // Rule S1: list our waker before the poll that could miss a completion.
                inner.notify.register(slot, cx.waker());
                let mut notify_cx = Context::from_waker(&inner.notify_waker);
                let Poll::Ready(result) = Pin::new(handle).poll(&mut notify_cx) else {
                    return Poll::Pending;
                };
                // Rule S3: store the result; below, wake whoever is listed.
                let result = StdArc::new(result);
                let handle = mem::replace(&mut *state, State::Done(result.clone()));
                drop(state);
                drop(handle);
                inner.notify.unregister(slot);
                inner.notify_waker.wake_by_ref();
                return Poll::Ready(copy_result(&result));
            }
        };
        drop(state);
        inner.notify.unregister(slot);
        Poll::Ready(copy_result(&result))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Shared<T> {
        Shared {
            inner: self.inner.clone(),
            slot: None,
        }
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        self.inner.notify.unregister(&mut self.slot);
    }
}

impl<T> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("id", &self.inner.id)
            .finish()
    }
}
