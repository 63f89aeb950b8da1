//! `spawn_blocking`: the blocking pool.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use runtime::{Builder, Handle, Runtime};

use common::bounded;

fn new_rt(workers: usize) -> Runtime {
    Builder::new().worker_threads(workers).build().unwrap()
}

#[test]
fn overlapping_blocking_closures_run_in_parallel_while_tasks_keep_running() {
    // Synchronised, not timed: eight closures meet at a barrier (so all eight run at
    // once), then stay blocked until the async task on the only worker has ticked ten
    // more times (so tasks keep running while they block). Run serially, or with a
    // worker stuck behind them, the test cannot finish and fails on its time bound.
    bounded(Duration::from_secs(30), || {
        let rt = new_rt(1);
        const CLOSURES: usize = 8;
        let all_in = Arc::new(Barrier::new(CLOSURES));
        let all_blocked = Arc::new(AtomicBool::new(false));
        let release = Arc::new((Mutex::new(false), Condvar::new()));
        let stop = Arc::new(AtomicBool::new(false));
        // An async task that keeps yielding on the only worker; ten ticks after all the
        // closures are blocked, it releases them.
        let ticker = {
            let (stop, all_blocked, release) = (stop.clone(), all_blocked.clone(), release.clone());
            rt.spawn(async move {
                let mut ticks_while_blocked = 0;
                while !stop.load(Ordering::SeqCst) {
                    if all_blocked.load(Ordering::SeqCst) {
                        ticks_while_blocked += 1;
                        if ticks_while_blocked == 10 {
                            *release.0.lock().unwrap() = true;
                            release.1.notify_all();
                        }
                    }
                    runtime::yield_now().await;
                }
                ticks_while_blocked
            })
        };
        rt.block_on(async {
            let closures: Vec<_> = (0..CLOSURES)
                .map(|_| {
                    let (all_in, all_blocked, release) =
                        (all_in.clone(), all_blocked.clone(), release.clone());
                    runtime::spawn_blocking(move || {
                        if all_in.wait().is_leader() {
                            all_blocked.store(true, Ordering::SeqCst);
                        }
                        let released = release.0.lock().unwrap();
                        drop(
                            release
                                .1
                                .wait_while(released, |released| !*released)
                                .unwrap(),
                        );
                    })
                })
                .collect();
            for closure in closures {
                closure.await.unwrap();
            }
        });
        stop.store(true, Ordering::SeqCst);
        assert!(rt.block_on(ticker).unwrap() >= 10);
    });
}

#[test]
fn a_panic_in_the_closure_is_a_join_error() {
    bounded(Duration::from_secs(30), || {
        let rt = new_rt(1);
        let err = rt
            .block_on(rt.handle().spawn_blocking(|| -> u32 { panic!("boom") }))
            .unwrap_err();
        assert!(err.is_panic());
        assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
        // The pool survives its closure's panic.
        assert_eq!(rt.block_on(rt.handle().spawn_blocking(|| 3)).unwrap(), 3);
    });
}

#[test]
fn the_thread_cap_queues_the_excess() {
    bounded(Duration::from_secs(30), || {
        let rt = Builder::new()
            .worker_threads(1)
            .max_blocking_threads(2)
            .build()
            .unwrap();
        let active = Arc::new(AtomicUsize::new(0));
        let high_water = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..8)
            .map(|i| {
                let (active, high_water) = (active.clone(), high_water.clone());
                rt.handle().spawn_blocking(move || {
                    let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                    high_water.fetch_max(now, Ordering::SeqCst);
                    thread::sleep(Duration::from_millis(30));
                    active.fetch_sub(1, Ordering::SeqCst);
                    i
                })
            })
            .collect();
        assert!(rt.metrics().blocking_threads() <= 2);
        let results: Vec<_> = handles
            .into_iter()
            .map(|h| rt.block_on(h).unwrap())
            .collect();
        assert_eq!(
            results,
            (0..8).collect::<Vec<_>>(),
            "every queued closure ran"
        );
        assert_eq!(
            high_water.load(Ordering::SeqCst),
            2,
            "at most 2 at once, and the cap was used"
        );
        assert!(rt.metrics().blocking_threads() <= 2);
    });
}

#[test]
fn blocking_threads_are_named_and_counted_but_not_spawned() {
    bounded(Duration::from_secs(30), || {
        let rt = Builder::new()
            .worker_threads(1)
            .thread_name("pool-test")
            .build()
            .unwrap();
        assert_eq!(
            rt.metrics().blocking_threads(),
            0,
            "the pool starts on demand"
        );
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let name = rt.handle().spawn_blocking(move || {
            release_rx.recv().unwrap();
            thread::current().name().map(str::to_owned)
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while rt.metrics().blocking_threads() != 1 {
            assert!(
                Instant::now() < deadline,
                "the blocking thread never showed in the metrics"
            );
            thread::yield_now();
        }
        release_tx.send(()).unwrap();
        assert_eq!(
            rt.block_on(name).unwrap().as_deref(),
            Some("pool-test-blocking")
        );
        assert_eq!(
            rt.metrics().spawned(),
            0,
            "spawn_blocking is not counted as a spawn"
        );
    });
}

#[test]
fn the_runtime_is_current_in_a_blocking_closure() {
    bounded(Duration::from_secs(30), || {
        let rt = new_rt(2);
        let out = rt.block_on(rt.handle().spawn_blocking(|| {
            // `runtime::spawn`, `Handle::current()` and `block_on` all work here.
            let task = runtime::spawn(async { 20 });
            let handle = Handle::current();
            let inner = handle.block_on(async { runtime::spawn(async { 1 }).await.unwrap() });
            handle.block_on(task).unwrap() + inner + runtime::block_on(async { 21 })
        }));
        assert_eq!(out.unwrap(), 42);
    });
}

#[test]
fn shutdown_drops_queued_closures_and_does_not_wait_for_running_ones() {
    bounded(Duration::from_secs(30), || {
        let rt = Builder::new()
            .worker_threads(1)
            .max_blocking_threads(1)
            .build()
            .unwrap();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let running = rt.handle().spawn_blocking(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
            "finished on its own thread"
        });
        started_rx.recv().unwrap();

        /// Set when the queued closure is dropped.
        struct OnDrop(Arc<AtomicBool>);
        impl Drop for OnDrop {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let ran = Arc::new(AtomicBool::new(false));
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = OnDrop(dropped.clone());
        let ran2 = ran.clone();
        let queued = rt.handle().spawn_blocking(move || {
            let _guard = guard;
            ran2.store(true, Ordering::SeqCst);
        });

        // The cap is 1 and that thread is blocked: `drop` must not wait for it.
        drop(rt);
        assert!(
            dropped.load(Ordering::SeqCst),
            "the queued closure was dropped by shutdown"
        );
        assert!(!ran.load(Ordering::SeqCst));
        assert!(runtime::block_on(queued).unwrap_err().is_cancelled());
        assert!(!running.is_finished());

        release_tx.send(()).unwrap();
        assert_eq!(
            runtime::block_on(running).unwrap(),
            "finished on its own thread"
        );
        assert!(!ran.load(Ordering::SeqCst), "a dropped closure never runs");
    });
}

#[test]
fn shutdown_timeout_waits_for_running_closures_up_to_the_timeout() {
    bounded(Duration::from_secs(30), || {
        // Waits for a closure that finishes in time.
        let rt = new_rt(1);
        let done = Arc::new(AtomicBool::new(false));
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let d = done.clone();
        let _h = rt.handle().spawn_blocking(move || {
            started_tx.send(()).unwrap();
            thread::sleep(Duration::from_millis(100));
            d.store(true, Ordering::SeqCst);
        });
        started_rx.recv().unwrap();
        rt.shutdown_timeout(Duration::from_secs(10));
        assert!(
            done.load(Ordering::SeqCst),
            "shutdown_timeout returned before the closure finished"
        );

        // Gives up on one that does not.
        let rt = new_rt(1);
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (started_tx, started_rx) = mpsc::channel::<()>();
        let stuck = rt.handle().spawn_blocking(move || {
            started_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        started_rx.recv().unwrap();
        let start = Instant::now();
        rt.shutdown_timeout(Duration::from_millis(50));
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(50), "returned after {took:?}");
        assert!(took < Duration::from_secs(5), "returned after {took:?}");
        release_tx.send(()).unwrap();
        runtime::block_on(stuck).unwrap();
    });
}

#[test]
fn spawn_blocking_after_shutdown_is_cancelled() {
    bounded(Duration::from_secs(30), || {
        let rt = new_rt(1);
        let handle = rt.handle().clone();
        drop(rt);
        let h = handle.spawn_blocking(|| 1);
        assert!(runtime::block_on(h).unwrap_err().is_cancelled());
    });
}

#[test]
#[should_panic(expected = "there is no runtime here")]
fn spawn_blocking_outside_a_runtime_panics() {
    drop(runtime::spawn_blocking(|| ()));
}
