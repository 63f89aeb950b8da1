//! `interval`: first tick immediate, later ones a period apart, missed ticks skipped.

mod common;

use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use runtime::time::{interval, interval_at, Instant, Interval};

use common::bounded;

/// One poll of the next tick: `Ready` means it completed without waiting.
fn poll_tick_once(every: &mut Interval) -> Poll<Instant> {
    every.poll_tick(&mut Context::from_waker(futures_task::noop_waker_ref()))
}

#[test]
fn the_first_tick_is_immediate_and_later_ones_a_period_apart() {
    bounded(Duration::from_secs(30), || {
        let rt = runtime::Builder::new().worker_threads(2).build().unwrap();
        const PERIOD: Duration = Duration::from_millis(10);
        rt.block_on(async {
            let start = Instant::now();
            let mut every = interval(PERIOD);
            // Immediate: ready at the first poll, however loaded the machine is.
            let Poll::Ready(first) = poll_tick_once(&mut every) else {
                panic!("the first tick waited");
            };
            assert!(first >= start && first <= Instant::now());
            let (mut prev_at, mut prev_real) = (first, Instant::now());
            let mut consecutive = 0;
            for k in 1..=5u32 {
                let at = every.tick().await;
                let real = Instant::now();
                assert!(
                    real >= at,
                    "tick {k} completed {:?} before its instant",
                    at - real
                );
                assert_eq!(
                    (at - first).as_nanos() % PERIOD.as_nanos(),
                    0,
                    "off the schedule"
                );
                assert!(at > prev_at, "tick {k} repeated an instant");
                // A tick taken before the next point was due is followed by exactly that
                // point; one taken later (a loaded machine) skips to the first point
                // after it, never further.
                if prev_real < prev_at + PERIOD {
                    assert_eq!(at - prev_at, PERIOD, "tick {k}: a point was skipped");
                    consecutive += 1;
                } else {
                    assert!(at - PERIOD <= prev_real, "tick {k} skipped too far");
                }
                (prev_at, prev_real) = (at, real);
            }
            eprintln!("{consecutive} of 5 ticks were taken in time (the rest skipped)");
            assert!(start.elapsed() >= PERIOD * 5);
        });
    });
}

#[test]
fn missed_ticks_are_skipped_not_bursted() {
    bounded(Duration::from_secs(30), || {
        const PERIOD: Duration = Duration::from_millis(20);
        let start = Instant::now();
        let mut every = interval_at(start, PERIOD);
        assert_eq!(runtime::block_on(every.tick()), start);
        // Miss three and a half periods (or more, on a loaded machine).
        thread::sleep(PERIOD * 7 / 2);
        let back = Instant::now();
        // The late tick completes at once: ready at the first poll.
        let Poll::Ready(late) = poll_tick_once(&mut every) else {
            panic!("the late tick did not complete at once");
        };
        let after_late = Instant::now();
        assert_eq!(
            late,
            start + PERIOD,
            "the late tick reports its own scheduled instant"
        );
        // The next one is the first point of the schedule after the late tick: the
        // missed points in between are skipped, not bursted.
        let next = runtime::block_on(every.tick());
        assert_eq!(
            (next - start).as_nanos() % PERIOD.as_nanos(),
            0,
            "off the schedule"
        );
        assert!(next > back, "a missed point was bursted");
        assert!(
            next <= after_late + PERIOD,
            "more than one point was skipped"
        );
        assert!(next >= start + PERIOD * 4);
        assert!(Instant::now() >= next);
    });
}

#[test]
#[should_panic(expected = "period must be non-zero")]
fn a_zero_period_panics() {
    let _ = interval(Duration::ZERO);
}
