//! `task::block_in_place`: a blocking call inside a task hands the worker's queue
//! and place to a new thread, so nothing queued there waits for it.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::time::{Duration, Instant};

use common::bounded;
use runtime::task::block_in_place;
use runtime::{Builder, Handle};

#[test]
#[cfg_attr(miri, ignore = "a time bound over 1 000 tasks")]
fn small_tasks_complete_while_every_worker_is_in_block_in_place() {
    bounded(Duration::from_secs(60), || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        // Both workers enter a blocking call (one task each: the barrier holds the
        // first until the second has started), which returns only once the main
        // thread has seen 1 000 small tasks finish.
        let barrier = Arc::new(Barrier::new(2));
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = Arc::new(std::sync::Mutex::new(release_rx));
        let (entered_tx, entered_rx) = mpsc::channel();
        let blockers: Vec<_> = (0..2)
            .map(|_| {
                let barrier = barrier.clone();
                let release = release_rx.clone();
                let entered = entered_tx.clone();
                rt.spawn(async move {
                    block_in_place(|| {
                        barrier.wait();
                        entered.send(()).unwrap();
                        // Hostile but real: a blocking call of up to 10 s.
                        release
                            .lock()
                            .unwrap()
                            .recv_timeout(Duration::from_secs(10))
                            .is_ok()
                    })
                })
            })
            .collect();
        for _ in 0..2 {
            entered_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        }
        let done = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        rt.block_on(async {
            let tasks: Vec<_> = (0..1000)
                .map(|_| {
                    let done = done.clone();
                    runtime::spawn(async move {
                        runtime::yield_now().await;
                        done.fetch_add(1, Ordering::SeqCst);
                    })
                })
                .collect();
            for t in tasks {
                t.await.unwrap();
            }
        });
        let took = start.elapsed();
        assert_eq!(done.load(Ordering::SeqCst), 1000);
        // The bound is 100 ms on an idle machine; this shared 2-core machine
        // gets ten times that. That they finished at all while both workers' threads
        // were blocked is the property (without the hand-over they never could).
        assert!(
            took < Duration::from_secs(1),
            "1 000 small tasks took {took:?}"
        );
        for _ in 0..2 {
            release_tx.send(()).unwrap();
        }
        for b in blockers {
            assert!(
                rt.block_on(b).unwrap(),
                "the blocking call was released, not timed out"
            );
        }
        assert_eq!(rt.metrics().workers(), 2);
    });
}

#[test]
fn tasks_queued_on_the_worker_run_during_the_blocking_call() {
    bounded(Duration::from_secs(30), || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        let ran = rt.block_on(rt.spawn(async {
            let (tx, rx) = mpsc::channel();
            // Queued on this worker (its LIFO slot and its queue) before the call.
            for i in 0..3 {
                let tx = tx.clone();
                runtime::spawn(async move { tx.send(i).unwrap() });
            }
            // The only worker blocks until all three ran: only a new thread driving
            // its queue can run them.
            block_in_place(|| {
                let mut got: Vec<i32> = (0..3)
                    .map(|_| rx.recv_timeout(Duration::from_secs(10)).unwrap())
                    .collect();
                got.sort_unstable();
                got
            })
        }));
        assert_eq!(ran.unwrap(), vec![0, 1, 2]);
        // The runtime goes on with its one (new) worker thread.
        assert_eq!(rt.block_on(rt.spawn(async { 7 })).unwrap(), 7);
    });
}

#[test]
fn the_task_goes_on_after_the_call_and_block_on_works_inside() {
    bounded(Duration::from_secs(30), || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let out = rt.block_on(rt.spawn(async {
            let mut state = vec![1, 2];
            // Inside the call this thread is no worker: block_on may run there, and
            // the runtime is still current.
            let n = block_in_place(|| {
                state.push(3); // borrows the task's data
                Handle::current().block_on(async { runtime::spawn(async { 4 }).await.unwrap() })
            });
            runtime::yield_now().await;
            state.push(n);
            // Nested: outside a worker, it just runs.
            block_in_place(|| block_in_place(|| state.push(5)));
            state
        }));
        assert_eq!(out.unwrap(), vec![1, 2, 3, 4, 5]);
    });
}

#[test]
fn outside_a_worker_it_just_runs_the_call() {
    let here = std::thread::current().id();
    assert_eq!(block_in_place(|| std::thread::current().id()), here);
    let rt = Builder::new().worker_threads(1).build().unwrap();
    let id = rt.block_on(async { block_in_place(|| std::thread::current().id()) });
    assert_eq!(id, here);
}

#[test]
fn many_calls_then_shutdown_leave_no_thread_behind() {
    bounded(Duration::from_secs(60), || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let handles: Vec<_> = (0..50)
            .map(|i| {
                rt.spawn(async move {
                    runtime::yield_now().await;
                    block_in_place(|| i * 2)
                })
            })
            .collect();
        let sum: usize = rt.block_on(async {
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        });
        assert_eq!(sum, (0..50).map(|i| i * 2).sum());
        // drop joins every thread that drove a core, lent ones included.
        drop(rt);
    });
}

#[test]
fn shutdown_does_not_wait_for_a_thread_still_in_its_blocking_call() {
    bounded(Duration::from_secs(60), || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        let (entered_tx, entered_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (done_tx, done_rx) = mpsc::channel();
        rt.spawn(async move {
            block_in_place(|| {
                entered_tx.send(()).unwrap();
                // Like a spawn_blocking closure: blocked until the test releases it,
                // after the runtime is gone.
                release_rx.recv_timeout(Duration::from_secs(20)).unwrap();
            });
            done_tx.send(()).unwrap();
        });
        entered_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        // The core went on on a new thread; dropping the runtime joins that one and
        // returns while the old thread is still in its call.
        drop(rt);
        release_tx.send(()).unwrap();
        // Released, the call returns and the rest of that poll runs on the old thread.
        done_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the poll that lent the core finished after the runtime was gone");
    });
}
