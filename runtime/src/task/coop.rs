//! The cooperative budget: one busy task cannot starve the others.
//!
//! A task whose every await is ready at once (a socket whose peer always has data, a
//! `JoinHandle` of a finished task, a timer already due) would never return
//! `Pending`, and its worker would never run anything else, check the injector, or
//! poll the reactor. So each poll of a task gets a budget of [`BUDGET`] units; each of
//! the runtime's own leaf futures that completes without waiting (a `JoinHandle`,
//! `Sleep` and so `timeout` and `interval`, a socket's readiness, a pool borrow) spends
//! one; once the budget is spent, the next leaf future wakes its task and returns
//! `Pending`, so the task goes to the back of its worker's queue (a yield) and the
//! worker's other work runs. A leaf that returns `Pending` for its own reasons spends
//! nothing.
//!
//! Outside a task (`block_on`, plain threads) and inside [`unconstrained`] there is no
//! budget. [`consume_budget`] lets a user's own leaf future take part.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::context;

/// Units per task poll (tokio's number).
pub(crate) const BUDGET: u8 = 128;

/// Spends one unit if the current task has one, or wakes the task and returns
/// `Pending` if its budget is spent. The returned guard gives the unit back unless
/// [`Spent::made_progress`] is called: call that when the leaf future completes.
#[inline]
pub(crate) fn poll_proceed(cx: &mut Context<'_>) -> Poll<Spent> {
    context::with_budget(|cell| {
        let Some(cell) = cell else {
            return Poll::Ready(Spent(None));
        };
        match cell.get() {
            None => Poll::Ready(Spent(None)),
            Some(0) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Some(n) => {
                cell.set(Some(n - 1));
                Poll::Ready(Spent(Some(n)))
            }
        }
    })
}

/// A unit of budget taken by `poll_proceed`; given back on drop unless the leaf
/// future made progress.
#[must_use]
pub(crate) struct Spent(Option<u8>);

impl Spent {
    /// The leaf future completed: the unit stays spent.
    #[inline]
    pub(crate) fn made_progress(mut self) {
        self.0 = None;
    }
}

impl Drop for Spent {
    #[inline]
    fn drop(&mut self) {
        if let Some(before) = self.0 {
            context::with_budget(|cell| {
                if let Some(cell) = cell {
                    // Give the unit back only if nothing changed the budget since
                    // (an `unconstrained` inside, or a new task poll, cannot: they
                    // restore on exit).
                    if cell.get() == Some(before - 1) {
                        cell.set(Some(before));
                    }
                }
            });
        }
    }
}

/// Spends one unit of the current task's budget: a user's leaf future that can
/// complete without waiting calls this, so it yields like the runtime's own once the
/// task's budget is spent. Completes at once when there is budget left (or outside a
/// task).
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// let sum = rt.block_on(rt.spawn(async {
///     let mut sum = 0u64;
///     for i in 0..1_000u64 {
///         // A loop whose every step is ready: it still lets other tasks run.
///         runtime::task::consume_budget().await;
///         sum += i;
///     }
///     sum
/// }))?;
/// assert_eq!(sum, 499_500);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn consume_budget() {
    ConsumeBudget.await
}

struct ConsumeBudget;

impl Future for ConsumeBudget {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match poll_proceed(cx) {
            Poll::Ready(spent) => {
                spent.made_progress();
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Runs `future` with no budget: its awaits never yield for budget's sake. For code
/// that must not be interleaved with the runtime's other work between two awaits
/// (and takes responsibility for not starving it).
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// let n = rt.block_on(rt.spawn(runtime::task::unconstrained(async {
///     let mut n = 0;
///     for _ in 0..1_000 {
///         runtime::task::consume_budget().await; // never yields in here
///         n += 1;
///     }
///     n
/// })))?;
/// assert_eq!(n, 1_000);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn unconstrained<F: Future>(future: F) -> Unconstrained<F> {
    Unconstrained { future }
}

/// The future of [`unconstrained`].
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct Unconstrained<F> {
    future: F,
}

impl<F: Future> Future for Unconstrained<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // SAFETY: structural pinning: `future` is never moved out of `self`, and
        // `Unconstrained` has no `Drop` or `Unpin` impl that would break it.
        let future = unsafe { self.map_unchecked_mut(|this| &mut this.future) };
        let prev = context::with_budget(|cell| cell.and_then(|c| c.replace(None)));
        struct Restore(Option<u8>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let prev = self.0;
                context::with_budget(|cell| {
                    if let Some(cell) = cell {
                        cell.set(prev);
                    }
                });
            }
        }
        let _restore = Restore(prev);
        future.poll(cx)
    }
}
