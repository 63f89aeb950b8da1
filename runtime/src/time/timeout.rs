//! `timeout`, `timeout_at` and `Elapsed`.

use std::error::Error;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use super::sleep::{sleep, sleep_until, Sleep};

/// The message of [`Elapsed`]'s `Display`.
const ELAPSED: &str = "deadline has elapsed";

/// The error of [`timeout`]: the deadline passed before the future completed.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use runtime::time::timeout;
///
/// let err = runtime::block_on(timeout(Duration::from_millis(1), std::future::pending::<()>()))
///     .unwrap_err();
/// assert_eq!(err.to_string(), "deadline has elapsed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(ELAPSED)
    }
}

impl Error for Elapsed {}

/// Runs `future` for at most `duration`: `Ok(output)` if it completes in time,
/// `Err(Elapsed)` otherwise (the future is then dropped, cancelling it).
///
/// The deadline is fixed when `timeout` is called, not at the first poll. A future
/// that is ready at the poll where the deadline passes wins: it is polled first. A
/// duration too long to add to an [`Instant`] means about 30 years, as for [`sleep`].
///
/// # Errors
///
/// [`Elapsed`] when the deadline passes first.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use runtime::time::{sleep, timeout};
///
/// let rt = runtime::Runtime::new()?;
/// rt.block_on(async {
///     assert_eq!(timeout(Duration::from_secs(5), async { 7 }).await, Ok(7));
///     let slow = sleep(Duration::from_secs(3600));
///     assert!(timeout(Duration::from_millis(5), slow).await.is_err());
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn timeout<F: Future>(
    duration: Duration,
    future: F,
) -> impl Future<Output = Result<F::Output, Elapsed>> {
    race(future, sleep(duration))
}

/// Like [`timeout`], with a deadline instead of a duration.
///
/// # Errors
///
/// [`Elapsed`] when `deadline` passes first.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use runtime::time::{timeout_at, Instant};
///
/// let deadline = Instant::now() + Duration::from_millis(5);
/// let res = runtime::block_on(timeout_at(deadline, std::future::pending::<()>()));
/// assert!(res.is_err());
/// assert!(Instant::now() >= deadline);
/// ```
pub fn timeout_at<F: Future>(
    deadline: Instant,
    future: F,
) -> impl Future<Output = Result<F::Output, Elapsed>> {
    race(future, sleep_until(deadline))
}

/// The sleep is made by the caller (so the deadline is fixed at the call); the rest
/// runs at the first poll.
async fn race<F: Future>(future: F, sleep: Sleep) -> Result<F::Output, Elapsed> {
    let mut future = pin!(future);
    let mut sleep = pin!(sleep);
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        sleep.as_mut().poll(cx).map(|()| Err(Elapsed(())))
    })
    .await
}
