//! `interval` at the edges of `Instant`: periods too long to add to an instant
//! saturate, as `sleep`'s durations do, instead of panicking.

mod common;

use std::future::poll_fn;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use runtime::time::{interval, interval_at, timeout, Instant};

use common::bounded;

/// The first tick is immediate; the second, a "period" later, is so far away that
/// it is never due, whatever the clock says.
#[test]
fn duration_max_ticks_once_then_waits_without_a_runtime() {
    bounded(Duration::from_secs(10), || {
        let start = Instant::now();
        let mut every = interval(Duration::MAX);
        let first = runtime::block_on(every.tick());
        assert!(first >= start && first <= Instant::now());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(
            every.poll_tick(&mut cx).is_pending(),
            "the second tick is due"
        );
        assert!(every.poll_tick(&mut cx).is_pending());
        assert_eq!(every.period(), Duration::MAX);
        // Debug prints the next deadline; it must exist.
        assert!(format!("{every:?}").contains("next"));
    });
}

#[test]
fn duration_max_ticks_once_then_waits_on_a_runtime() {
    bounded(Duration::from_secs(10), || {
        let rt = runtime::Builder::new().worker_threads(1).build().unwrap();
        let second_is_pending = rt.block_on(rt.spawn(async {
            let mut every = interval(Duration::MAX);
            every.tick().await;
            // Register the far tick with the runtime's timer, then give up on it.
            poll_fn(|cx| Poll::Ready(every.poll_tick(cx).is_pending())).await
        }));
        assert!(second_is_pending.unwrap());
        // The far timer neither fires nor keeps the runtime from shutting down.
        drop(rt);
    });
}

#[test]
fn interval_at_a_later_start_with_duration_max() {
    bounded(Duration::from_secs(10), || {
        let start = Instant::now() + Duration::from_millis(5);
        let mut every = interval_at(start, Duration::MAX);
        assert_eq!(runtime::block_on(every.tick()), start);
        let mut cx = Context::from_waker(Waker::noop());
        assert!(every.poll_tick(&mut cx).is_pending());
    });
}

/// Any period too long for `Instant`, not only the largest.
#[test]
fn half_of_duration_max_saturates_too() {
    bounded(Duration::from_secs(10), || {
        let period = Duration::MAX / 2;
        let mut every = interval(period);
        runtime::block_on(every.tick());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(every.poll_tick(&mut cx).is_pending());
    });
}

#[test]
fn timeout_of_duration_max_lets_the_future_finish() {
    bounded(Duration::from_secs(10), || {
        let out = runtime::block_on(timeout(Duration::MAX, async { 7 }));
        assert_eq!(out, Ok(7));
    });
}
