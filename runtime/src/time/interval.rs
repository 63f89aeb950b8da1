//! `Interval` and `interval`.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::sleep::{saturating_add, sleep_until, Sleep};

/// Ticks at a fixed period: made by [`interval`] and [`interval_at`].
///
/// # Missed ticks
///
/// When a tick is taken late by more than a period (the task was busy, or the machine
/// was), the missed ticks are **skipped**, never bursted: the late `tick()` completes
/// at once, and the next one is the next point of the original schedule
/// (`start + k * period`) after now. So ticks never come closer than one period
/// apart, and the schedule does not drift.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use runtime::time::interval;
///
/// runtime::block_on(async {
///     let mut every = interval(Duration::from_millis(5));
///     let first = every.tick().await; // immediate
///     let second = every.tick().await;
///     assert!(second - first >= Duration::from_millis(5));
/// });
/// ```
pub struct Interval {
    /// Completes at the next tick's scheduled instant.
    sleep: Sleep,
    period: Duration,
}

/// Ticks every `period`; the first tick completes immediately.
///
/// A period too long to add to an [`Instant`] (such as `Duration::MAX`) means about
/// 30 years, as for [`sleep`](super::sleep): the first tick, and no other.
///
/// # Panics
///
/// Panics if `period` is zero.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use runtime::time::{interval, Instant};
///
/// runtime::block_on(async {
///     let start = Instant::now();
///     let mut every = interval(Duration::from_millis(2));
///     for _ in 0..3 {
///         every.tick().await;
///     }
///     assert!(start.elapsed() >= Duration::from_millis(4));
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start`. A period too long to add to an
/// [`Instant`] means about 30 years, as for [`interval`].
///
/// # Panics
///
/// Panics if `period` is zero.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use runtime::time::{interval_at, Instant};
///
/// let start = Instant::now() + Duration::from_millis(3);
/// let first = runtime::block_on(async { interval_at(start, Duration::from_secs(1)).tick().await });
/// assert_eq!(first, start);
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "runtime::time::interval: the period must be non-zero"
    );
    Interval {
        sleep: sleep_until(start),
        period,
    }
}

impl Interval {
    /// Waits for the next tick and returns its scheduled instant.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use runtime::time::{interval, Instant};
    ///
    /// let before = Instant::now();
    /// let at = runtime::block_on(interval(Duration::from_secs(1)).tick());
    /// assert!(at >= before);
    /// ```
    pub async fn tick(&mut self) -> Instant {
        poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick: `Ready(instant)` with the tick's scheduled instant, or
    /// `Pending` (the waker of `cx` is woken at the tick).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use std::time::Duration;
    ///
    /// let mut every = runtime::time::interval(Duration::from_secs(1));
    /// runtime::block_on(poll_fn(|cx| every.poll_tick(cx)));
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.sleep.deadline();
        let now = Instant::now();
        // A period too long for `Instant` (say `Duration::MAX`) saturates to about 30
        // years, as `sleep` does: that tick is never due.
        let mut next = saturating_add(scheduled, self.period);
        if next <= now {
            // Missed ticks: skip to the first point of the schedule after now.
            let behind = now - scheduled;
            let periods = behind.as_nanos() / self.period.as_nanos() + 1;
            next = u32::try_from(periods)
                .ok()
                .and_then(|k| self.period.checked_mul(k))
                .and_then(|d| scheduled.checked_add(d))
                .unwrap_or_else(|| saturating_add(now, self.period));
        }
        Pin::new(&mut self.sleep).reset(next);
        Poll::Ready(scheduled)
    }

    /// The period between ticks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let every = runtime::time::interval(Duration::from_secs(2));
    /// assert_eq!(every.period(), Duration::from_secs(2));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }
}

impl fmt::Debug for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interval")
            .field("next", &self.sleep.deadline())
            .field("period", &self.period)
            .finish()
    }
}
