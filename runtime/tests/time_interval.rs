//! `interval`: first tick immediate, later ones a period apart, missed ticks skipped.

mod common;

use std::thread;
use std::time::Duration;

use runtime::time::{interval, interval_at, Instant};

use common::bounded;

#[test]
fn the_first_tick_is_immediate_and_later_ones_a_period_apart() {
    bounded(Duration::from_secs(30), || {
        let rt = runtime::Builder::new().worker_threads(2).build().unwrap();
        const PERIOD: Duration = Duration::from_millis(10);
        rt.block_on(async {
            let start = Instant::now();
            let mut every = interval(PERIOD);
            let first = every.tick().await;
            assert!(first >= start);
            assert!(start.elapsed() < PERIOD, "the first tick waited");
            let mut prev_at = first;
            for k in 1..=5u32 {
                let at = every.tick().await;
                let real = Instant::now();
                assert_eq!(
                    at - prev_at,
                    PERIOD,
                    "scheduled instants are one period apart"
                );
                assert_eq!(at, first + PERIOD * k);
                assert!(
                    real >= at,
                    "tick {k} completed {:?} before its instant",
                    at - real
                );
                prev_at = at;
            }
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
        let late = runtime::block_on(every.tick());
        let after_late = Instant::now();
        assert_eq!(
            late,
            start + PERIOD,
            "the late tick reports its own scheduled instant"
        );
        assert!(
            after_late - back < PERIOD,
            "the late tick did not complete at once"
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
