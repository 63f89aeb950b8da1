//! `yield_now`: let the other ready tasks run.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Yields once to the scheduler: the task goes behind the tasks that are ready now,
/// then resumes.
///
/// On this runtime a task that wakes itself while it is being polled is queued at the
/// back of its worker's queue (never in the LIFO slot), so a loop of `yield_now` lets
/// every other ready task run in between. On other executors it wakes the task and
/// returns `Pending` once, which is what they understand as a yield.
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// rt.block_on(async {
///     for _ in 0..3 {
///         runtime::yield_now().await;
///     }
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`]: `Pending` at its first poll (having woken
/// its task), `Ready` at the next.
///
/// # Examples
///
/// ```
/// use std::future::Future;
/// use std::pin::pin;
/// use std::task::{Context, Poll, Waker};
///
/// let mut yielding = pin!(runtime::yield_now());
/// let mut cx = Context::from_waker(Waker::noop());
/// assert_eq!(yielding.as_mut().poll(&mut cx), Poll::Pending);
/// assert_eq!(yielding.as_mut().poll(&mut cx), Poll::Ready(()));
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
