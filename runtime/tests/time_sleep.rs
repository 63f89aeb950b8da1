//! `sleep`, `sleep_until` and `Sleep`: accuracy, many sleeps, reset, busy workers.

mod common;

use std::future::poll_fn;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::thread;
use std::time::Duration;

use runtime::time::{sleep, sleep_until, Instant, Sleep};
use runtime::{Builder, Runtime};

use common::bounded;

fn new_rt(workers: usize) -> Runtime {
    Builder::new().worker_threads(workers).build().unwrap()
}

const _: () = {
    const fn contract<T: Send + Sync + Unpin + 'static>() {}
    contract::<Sleep>();
};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[test]
fn sleeps_are_never_early_and_rarely_late() {
    let (ours, os) = bounded(Duration::from_secs(60), || {
        let rt = new_rt(2);
        let mut ours = Vec::new();
        let mut os = Vec::new();
        for i in 0..40u64 {
            let d = Duration::from_micros(500 + 250 * (i % 8));
            let s = sleep(d);
            let deadline = s.deadline();
            // Awaited in a task, so a worker (not this thread) runs it.
            let woke = rt
                .block_on(rt.spawn(async move {
                    s.await;
                    Instant::now()
                }))
                .unwrap();
            assert!(woke >= deadline, "woke {:?} early", deadline - woke);
            ours.push(woke - deadline);
            // The operating system's own lateness for the same sleep, measured right
            // after on this thread: the yardstick for how loaded the machine is now.
            let deadline = Instant::now() + d;
            thread::sleep(d);
            os.push(Instant::now().saturating_duration_since(deadline));
        }
        (ours, os)
    });
    let (median_ours, median_os) = (median(ours.clone()), median(os.clone()));
    eprintln!(
        "sleep lateness: median {median_ours:?} (thread::sleep: {median_os:?}), max {:?}",
        ours.iter().max().unwrap()
    );
    // Relative to the machine: a worker parked until a deadline wakes about as late as
    // a thread sleeping until it (well under a millisecond on an idle machine). The
    // slack covers the hand-off from the worker back to this thread.
    let bound = median_os * 4 + Duration::from_millis(2);
    assert!(
        median_ours < bound,
        "median lateness {median_ours:?}, thread::sleep's {median_os:?}: {ours:?}"
    );
}

#[test]
fn sleep_in_block_on_of_an_idle_runtime() {
    // Registered from the block_on thread while every worker is parked without a
    // deadline: a worker must be woken to drive the timer (rule T3).
    bounded(Duration::from_secs(30), || {
        let rt = new_rt(2);
        for _ in 0..10 {
            let start = Instant::now();
            rt.block_on(sleep(Duration::from_millis(5)));
            let took = start.elapsed();
            assert!(took >= Duration::from_millis(5));
            assert!(took < Duration::from_secs(2), "took {took:?}");
        }
    });
}

#[test]
fn sleep_outside_a_runtime_uses_the_global_timer() {
    bounded(Duration::from_secs(30), || {
        let start = Instant::now();
        runtime::block_on(sleep(Duration::from_millis(20)));
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(20));
        assert!(took < Duration::from_secs(2), "took {took:?}");
        // From several threads at once.
        let threads: Vec<_> = (0..4u64)
            .map(|i| {
                thread::spawn(move || {
                    let d = Duration::from_millis(5 * (i + 1));
                    let s = sleep(d);
                    let deadline = s.deadline();
                    runtime::block_on(s);
                    assert!(Instant::now() >= deadline);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    });
}

#[test]
fn many_concurrent_sleeps_all_fire() {
    bounded(Duration::from_secs(60), || {
        let rt = new_rt(2);
        let start = Instant::now();
        rt.block_on(async {
            let handles: Vec<_> = (0..10_000u64)
                .map(|i| {
                    runtime::spawn(async move {
                        let s = sleep(Duration::from_millis(1 + i % 50));
                        let deadline = s.deadline();
                        s.await;
                        assert!(Instant::now() >= deadline);
                    })
                })
                .collect();
            for h in handles {
                h.await.unwrap();
            }
        });
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(50));
        assert!(
            took < Duration::from_secs(20),
            "10 000 sleeps of at most 50 ms took {took:?}"
        );
    });
}

#[test]
fn busy_workers_do_not_starve_timers() {
    bounded(Duration::from_secs(30), || {
        let rt = new_rt(1);
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        // Keeps the only worker busy: it never parks, so only the maintenance check
        // can fire the timer.
        let spinner = rt.spawn(async move {
            let start = Instant::now();
            while !stop2.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(10) {
                runtime::yield_now().await;
            }
        });
        let took = rt.block_on(rt.spawn(async {
            let start = Instant::now();
            sleep(Duration::from_millis(20)).await;
            start.elapsed()
        }));
        stop.store(true, Ordering::SeqCst);
        rt.block_on(spinner).unwrap();
        let took = took.unwrap();
        assert!(took >= Duration::from_millis(20));
        assert!(
            took < Duration::from_secs(2),
            "a busy worker delayed a 20 ms sleep to {took:?}"
        );
    });
}

#[test]
fn reset_re_arms_earlier_and_later() {
    bounded(Duration::from_secs(30), || {
        let rt = new_rt(1);
        rt.block_on(async {
            // Earlier: an hour-long sleep, registered, then moved to 20 ms from now.
            let mut s = pin!(sleep(Duration::from_secs(3600)));
            assert!(poll_fn(|cx| Poll::Ready(s.as_mut().poll_sleep(cx)))
                .await
                .is_pending());
            let start = Instant::now();
            s.as_mut().reset(start + Duration::from_millis(20));
            s.as_mut().await;
            let took = start.elapsed();
            assert!(took >= Duration::from_millis(20));
            assert!(took < Duration::from_secs(2), "took {took:?}");

            // Later: a completed sleep reset into the future waits again.
            let start = Instant::now();
            s.as_mut().reset(start + Duration::from_millis(30));
            assert!(!s.is_elapsed());
            s.as_mut().await;
            assert!(start.elapsed() >= Duration::from_millis(30));
            assert!(s.is_elapsed());
        });
    });
}

#[test]
fn past_and_zero_deadlines_complete_at_once() {
    bounded(Duration::from_secs(30), || {
        let rt = new_rt(1);
        rt.block_on(async {
            sleep(Duration::ZERO).await;
            sleep_until(Instant::now() - Duration::from_millis(1)).await;
            // A duration past Instant's range means "far in the future", not a panic.
            let s = sleep(Duration::MAX);
            assert!(s.deadline() > Instant::now() + Duration::from_secs(86_400 * 365));
        });
    });
}

#[test]
fn dropping_a_pending_sleep_cancels_it() {
    bounded(Duration::from_secs(30), || {
        let rt = new_rt(1);
        let wakes = Arc::new(WakeCounter::default());
        let waker = std::task::Waker::from(wakes.clone());
        let mut s = Box::pin(sleep(Duration::from_millis(10)));
        let dropped_deadline = s.deadline();
        // Registered with the runtime's timer (polled on a worker), with a waker that
        // counts its wake-ups.
        rt.block_on(rt.spawn(async move {
            let mut cx = std::task::Context::from_waker(&waker);
            assert!(s.as_mut().poll_sleep(&mut cx).is_pending());
            drop(s);
        }))
        .unwrap();
        // A later sleep fires after the dropped one's deadline: the timer has passed it,
        // so the dropped sleep's waker would have been woken by now had the drop not
        // cancelled its entry. The runtime still times correctly.
        let later = sleep(Duration::from_millis(30));
        let later_deadline = later.deadline();
        assert!(later_deadline > dropped_deadline);
        rt.block_on(later);
        assert!(Instant::now() >= later_deadline);
        assert_eq!(
            wakes.0.load(Ordering::SeqCst),
            0,
            "a dropped sleep's waker was woken"
        );
    });
}

/// A waker that counts its wake-ups.
#[derive(Default)]
struct WakeCounter(std::sync::atomic::AtomicUsize);

impl std::task::Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// `Sleep::poll` through `Future`, as a named helper for `poll_fn`.
trait PollSleep {
    fn poll_sleep(self, cx: &mut std::task::Context<'_>) -> Poll<()>;
}

impl PollSleep for std::pin::Pin<&mut Sleep> {
    fn poll_sleep(self, cx: &mut std::task::Context<'_>) -> Poll<()> {
        std::future::Future::poll(self, cx)
    }
}
