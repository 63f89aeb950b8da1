//! Unit tests of the timer that need its internals (pending-entry counts, the armed
//! deadline).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_task::noop_waker_ref;

use super::{sleep, Sleep};
use crate::Runtime;

fn poll_once(sleep: &mut Sleep) -> Poll<()> {
    Pin::new(sleep).poll(&mut Context::from_waker(noop_waker_ref()))
}

fn runtime(workers: usize) -> Runtime {
    crate::Builder::new()
        .worker_threads(workers)
        .build()
        .unwrap()
}

#[test]
#[cfg_attr(miri, ignore)]
fn dropping_pending_sleeps_frees_their_entries() {
    let rt = runtime(1);
    let timer = &rt.handle().shared.timer();
    let mut sleeps: Vec<Sleep> = (0..100_000u64)
        .map(|i| sleep(Duration::from_secs(3600 + i)))
        .collect();
    assert_eq!(
        timer.len(),
        0,
        "a sleep registers at its first poll, not before"
    );
    // Polled inside the runtime, so they register with its timer.
    rt.block_on(async {
        for s in &mut sleeps {
            assert!(poll_once(s).is_pending());
        }
    });
    assert_eq!(timer.len(), 100_000);
    // Dropping half, then the rest, removes exactly their entries.
    sleeps.truncate(50_000);
    assert_eq!(timer.len(), 50_000);
    drop(sleeps);
    assert_eq!(timer.len(), 0);
}

#[test]
fn a_completed_sleep_leaves_no_entry() {
    let rt = runtime(1);
    rt.block_on(sleep(Duration::from_millis(2)));
    assert_eq!(rt.handle().shared.timer().len(), 0);
}

#[test]
fn an_earlier_registration_re_arms_the_driver() {
    let rt = runtime(1);
    let timer = &rt.handle().shared.timer();
    // A task sleeps for an hour: the idle worker drives the timer with that deadline.
    let hour = rt.spawn(sleep(Duration::from_secs(3600)));
    let deadline = Instant::now() + Duration::from_secs(10);
    while timer.armed().is_none() {
        assert!(
            Instant::now() < deadline,
            "the idle worker never armed the timer"
        );
        std::thread::yield_now();
    }
    let armed = timer.armed().unwrap();
    assert!(armed > Instant::now() + Duration::from_secs(3000));
    // A shorter sleep from another task must not wait for the hour.
    let start = Instant::now();
    rt.block_on(rt.spawn(sleep(Duration::from_millis(20))))
        .unwrap();
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(20));
    assert!(
        took < Duration::from_secs(5),
        "the 20 ms sleep took {took:?}"
    );
    hour.abort();
}

#[test]
fn reset_keeps_one_entry_and_moves_it() {
    let rt = runtime(1);
    let timer = &rt.handle().shared.timer();
    let mut s = sleep(Duration::from_secs(3600));
    rt.block_on(async { assert!(poll_once(&mut s).is_pending()) });
    assert_eq!(timer.len(), 1);
    // Under Miri the clock advances with every interpreted instruction, so the
    // deadline must outlast the next few statements (Miri fast-forwards idle waits:
    // the longer sleep costs no real time).
    let soon = Instant::now()
        + if cfg!(miri) {
            Duration::from_secs(2)
        } else {
            Duration::from_millis(5)
        };
    Pin::new(&mut s).reset(soon);
    assert_eq!(
        timer.len(),
        1,
        "reset moves the entry instead of adding one"
    );
    assert_eq!(s.deadline(), soon);
    rt.block_on(&mut s);
    assert!(Instant::now() >= soon);
    assert_eq!(timer.len(), 0);
}

#[test]
fn a_sleep_outliving_its_runtime_moves_to_the_global_timer() {
    let rt = runtime(1);
    // Long enough that the deadline is still ahead after the runtime is dropped (under
    // Miri too, whose clock advances with every interpreted instruction but
    // fast-forwards idle waits, so the length costs no real time there).
    let mut s = sleep(if cfg!(miri) {
        Duration::from_secs(10)
    } else {
        Duration::from_secs(1)
    });
    let deadline = s.deadline();
    rt.block_on(async { assert!(poll_once(&mut s).is_pending()) });
    assert_eq!(rt.handle().shared.timer().len(), 1);
    drop(rt);
    assert!(
        Instant::now() < deadline,
        "the test needs the deadline ahead of it to tell a wait from an instant return"
    );
    crate::block_on(&mut s);
    // Neither early (a sleep whose runtime is gone must still wait for its deadline)
    // nor lost (the global timer fires it).
    assert!(Instant::now() >= deadline);
    assert!(Instant::now() < deadline + Duration::from_secs(5));
}
