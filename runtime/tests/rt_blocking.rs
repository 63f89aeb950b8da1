//! `spawn_blocking`: the blocking pool.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use runtime::{Builder, Handle, Runtime};

use common::bounded;

fn new_rt(workers: usize) -> Runtime {
    Builder::new().worker_threads(workers).build().unwrap()
}

#[test]
fn overlapping_blocking_sleeps_run_in_parallel_while_tasks_keep_running() {
    bounded(Duration::from_secs(30), || {
        let rt = new_rt(1);
        const NAP: Duration = Duration::from_millis(300);
        let stop = Arc::new(AtomicBool::new(false));
        let ticks = Arc::new(AtomicUsize::new(0));
        // An async task that keeps yielding on the only worker.
        let ticker = {
            let (stop, ticks) = (stop.clone(), ticks.clone());
            rt.spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    ticks.fetch_add(1, Ordering::SeqCst);
                    runtime::yield_now().await;
                }
            })
        };
        let start = Instant::now();
        let took = rt.block_on(async {
            let naps: Vec<_> = (0..8)
                .map(|_| runtime::spawn_blocking(move || thread::sleep(NAP)))
                .collect();
            let before = ticks.load(Ordering::SeqCst);
            for nap in naps {
                nap.await.unwrap();
            }
            let during = ticks.load(Ordering::SeqCst) - before;
            assert!(
                during > 0,
                "the async task made no progress while the closures slept"
            );
            start.elapsed()
        });
        stop.store(true, Ordering::SeqCst);
        rt.block_on(ticker).unwrap();
        assert!(took >= NAP);
        // Serially they would take 8 naps; in parallel about one.
        assert!(
            took < NAP * 4,
            "8 overlapping naps of {NAP:?} took {took:?}"
        );
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
