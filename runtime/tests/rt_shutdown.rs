//! Shutdown: unfinished tasks are dropped, wakers become no-ops, threads are joined.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::Waker;
use std::time::{Duration, Instant};

use common::{within, DropCounter, Gate};
use runtime::Builder;

#[test]
fn drop_cancels_pending_tasks_and_drops_their_futures() {
    within(30, || {
        // One worker, so that "every task has finished its first poll" can be waited
        // for: a task spawned after all of them have started it completes only after
        // the worker finished those polls (and registered the tasks, task/mod.rs L2).
        let rt = Builder::new().worker_threads(1).build().unwrap();
        let drops = DropCounter::new();
        let (polled_tx, polled_rx) = mpsc::channel::<()>();
        let gates: Vec<Gate> = (0..100).map(|_| Gate::new()).collect();
        let handles: Vec<_> = gates
            .iter()
            .map(|g| {
                let (g, token) = (g.clone(), drops.token());
                rt.spawn(async move {
                    let _token = token;
                    g.wait().await;
                })
            })
            .collect();
        // Plus tasks that wait on nothing at all: only the registry reaches them.
        let forever: Vec<_> = (0..100)
            .map(|_| {
                let (token, polled) = (drops.token(), polled_tx.clone());
                rt.spawn(async move {
                    let _token = token;
                    polled.send(()).unwrap();
                    std::future::pending::<()>().await;
                })
            })
            .collect();
        for _ in 0..100 {
            polled_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        }
        assert!(gates.iter().all(|g| g.has_waiter()));
        // The barrier: after it, no task is in a poll and every one is registered, so
        // shutdown reaches all 200 through the registry, not through a queue or a
        // runner.
        rt.block_on(rt.spawn(async {})).unwrap();
        assert_eq!(drops.dropped(), 0);
        drop(rt);
        assert_eq!(drops.dropped(), 200, "every unfinished future was dropped");
        for h in handles.into_iter().chain(forever) {
            assert!(h.is_finished());
            assert!(runtime::block_on(h).unwrap_err().is_cancelled());
        }
        // Wakers held by the gates now point at finished tasks: waking is a no-op.
        for g in gates {
            g.open();
        }
    });
}

#[test]
fn a_waker_used_after_shutdown_is_a_no_op() {
    within(30, || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        let (tx, rx) = mpsc::channel::<Waker>();
        let h = rt.spawn(std::future::poll_fn(move |cx| {
            tx.send(cx.waker().clone()).unwrap();
            std::task::Poll::<()>::Pending
        }));
        let waker = rx.recv_timeout(Duration::from_secs(10)).unwrap();
        drop(rt);
        waker.wake_by_ref();
        let clone = waker.clone();
        clone.wake();
        waker.wake();
        assert!(runtime::block_on(h).unwrap_err().is_cancelled());
    });
}

#[test]
fn spawn_through_a_handle_after_shutdown_is_cancelled_at_once() {
    within(30, || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        let handle = rt.handle().clone();
        drop(rt);
        let drops = DropCounter::new();
        let token = drops.token();
        let h = handle.spawn(async move {
            let _token = token;
        });
        assert_eq!(drops.dropped(), 1);
        assert!(runtime::block_on(h).unwrap_err().is_cancelled());
    });
}

#[test]
fn shutdown_timeout_returns_although_a_worker_is_stuck() {
    within(30, || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        // Tasks waiting on nothing: their first polls finish before the stuck task's
        // poll starts (one worker), so they are registered and idle at shutdown.
        let drops = DropCounter::new();
        let (polled_tx, polled_rx) = mpsc::channel::<()>();
        let pending: Vec<_> = (0..10)
            .map(|_| {
                let (token, polled) = (drops.token(), polled_tx.clone());
                rt.spawn(async move {
                    let _token = token;
                    polled.send(()).unwrap();
                    std::future::pending::<()>().await;
                })
            })
            .collect();
        for _ in 0..10 {
            polled_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        }
        let stuck_drops = DropCounter::new();
        let stuck_token = stuck_drops.token();
        let (stuck_tx, stuck_rx) = mpsc::channel::<()>();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let stuck = rt.spawn(async move {
            let _token = stuck_token;
            stuck_tx.send(()).unwrap();
            // Blocks the worker thread (what a task must never do).
            let _ = release_rx.recv();
        });
        stuck_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        let start = Instant::now();
        rt.shutdown_timeout(Duration::from_millis(200));
        assert!(start.elapsed() < Duration::from_secs(5));
        // The caller runs no task's destructor (README, "Failure model"): with the only
        // worker stuck, nothing has cancelled the idle tasks yet.
        assert_eq!(
            drops.dropped(),
            0,
            "shutdown_timeout ran no destructor itself"
        );
        // The running one cannot be dropped under its own poll.
        assert_eq!(stuck_drops.dropped(), 0);
        release_tx.send(()).unwrap();
        // Freed, the worker finishes its poll and then cancels everything it can reach,
        // on its own thread: the registered idle tasks among them.
        for h in pending {
            assert!(runtime::block_on(h).unwrap_err().is_cancelled());
        }
        assert_eq!(
            drops.dropped(),
            10,
            "the worker dropped the pending futures"
        );
        // The stuck task was marked cancelled and its runner finishes it after the poll.
        let res = runtime::block_on(stuck);
        assert!(res.is_ok() || res.unwrap_err().is_cancelled());
        assert_eq!(stuck_drops.dropped(), 1);
    });
}

#[test]
fn dropping_a_runtime_inside_block_on_panics_with_a_message() {
    within(30, || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        let other = Builder::new().worker_threads(1).build().unwrap();
        let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            rt.block_on(async move { drop(other) });
        }))
        .unwrap_err();
        let msg = panic.downcast::<String>().unwrap();
        assert!(
            msg.contains("dropped (or shut down) inside an async context"),
            "{msg}"
        );
    });
}

#[test]
fn nothing_is_left_behind_after_drop() {
    // Every future and every value a task captured is released by the time drop
    // returns: the Arc each task holds is back to one owner.
    within(30, || {
        let shared = Arc::new(AtomicUsize::new(0));
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let mut handles = Vec::new();
        // Fewer under Miri, which interprets every step (and whose clock runs with it).
        let tasks = if cfg!(miri) { 40 } else { 1000 };
        for i in 0..tasks {
            let s = shared.clone();
            handles.push(rt.spawn(async move {
                s.fetch_add(1, Ordering::Relaxed);
                if i % 2 == 0 {
                    std::future::pending::<()>().await;
                }
            }));
        }
        for h in handles.iter().skip(1).step_by(2) {
            assert!(common::eventually(10, || h.is_finished()));
        }
        drop(handles);
        drop(rt);
        assert_eq!(Arc::strong_count(&shared), 1);
    });
}
