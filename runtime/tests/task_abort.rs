//! Cancellation and panics.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use common::{within, DropCounter, Gate};
use runtime::Builder;

#[test]
fn abort_before_the_first_poll() {
    within(20, || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        // Occupy the only worker so the next task cannot start.
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (busy_tx, busy_rx) = mpsc::channel::<()>();
        let blocker = rt.spawn(async move {
            busy_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        busy_rx.recv_timeout(Duration::from_secs(10)).unwrap();

        let drops = DropCounter::new();
        let polled = Arc::new(AtomicBool::new(false));
        let (token, p) = (drops.token(), polled.clone());
        let h = rt.spawn(async move {
            let _token = token;
            p.store(true, Ordering::SeqCst);
        });
        h.abort();
        release_tx.send(()).unwrap();
        let err = rt.block_on(h).unwrap_err();
        assert!(err.is_cancelled() && !err.is_panic());
        assert!(!polled.load(Ordering::SeqCst), "never polled");
        assert_eq!(drops.dropped(), 1, "its future was dropped");
        rt.block_on(blocker).unwrap();
    });
}

#[test]
fn abort_while_pending_drops_the_future() {
    within(20, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let gate = Gate::new();
        let drops = DropCounter::new();
        let (g, token) = (gate.clone(), drops.token());
        let h = rt.spawn(async move {
            let _token = token;
            g.wait().await;
        });
        assert!(
            common::eventually(10, || gate.has_waiter()),
            "the task is pending on the gate"
        );
        let abort = h.abort_handle();
        abort.abort();
        let err = rt.block_on(h).unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(err.to_string(), format!("task {} was cancelled", err.id()));
        assert_eq!(drops.dropped(), 1);
        assert!(abort.is_finished());
        // Waking the finished task's stored waker is a harmless no-op.
        gate.open();
    });
}

#[test]
fn abort_after_completion_keeps_the_result() {
    within(20, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let h = rt.spawn(async { 7 });
        let abort = h.abort_handle();
        assert!(common::eventually(10, || abort.is_finished()));
        abort.abort();
        assert_eq!(rt.block_on(h).unwrap(), 7);
    });
}

#[test]
fn a_panic_is_caught_and_the_worker_lives_on() {
    within(20, || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        let n = std::hint::black_box(42);
        let h = rt.spawn(async move { panic!("task failed: {n}") });
        let err = rt.block_on(h).unwrap_err();
        assert!(err.is_panic() && !err.is_cancelled());
        assert!(format!("{err:?}").contains("task failed: 42"));
        let payload = err.into_panic();
        assert_eq!(*payload.downcast::<String>().unwrap(), "task failed: 42");
        // The only worker survived and still runs tasks.
        assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
        assert_eq!(rt.metrics().workers(), 1);
    });
}

#[test]
fn try_into_panic_gives_back_a_cancellation() {
    within(20, || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        let h = rt.spawn(std::future::pending::<()>());
        h.abort();
        let err = rt.block_on(h).unwrap_err();
        let err = err.try_into_panic().unwrap_err();
        assert!(err.is_cancelled());
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(err);
        assert!(boxed.to_string().contains("cancelled"));
    });
}

#[test]
fn a_panicking_destructor_during_abort_is_reported_as_a_panic() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("drop bomb");
        }
    }
    within(20, || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        let gate = Gate::new();
        let g = gate.clone();
        let h = rt.spawn(async move {
            let _bomb = Bomb;
            g.wait().await;
        });
        assert!(common::eventually(10, || gate.has_waiter()));
        h.abort();
        let err = rt.block_on(h).unwrap_err();
        assert!(err.is_panic());
        assert_eq!(
            rt.block_on(rt.spawn(async { 3 })).unwrap(),
            3,
            "the worker survived"
        );
    });
}

/// `abort_on_drop`: awaiting gives the result; dropping cancels the task (its future
/// is dropped), where dropping a plain `JoinHandle` would detach it.
#[test]
fn abort_on_drop_cancels_when_dropped_and_joins_when_awaited() {
    within(20, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let drops = DropCounter::new();
        let (started_tx, started_rx) = mpsc::channel();
        let token = drops.token();
        let h = rt
            .spawn(async move {
                let _token = token;
                started_tx.send(()).unwrap();
                std::future::pending::<()>().await;
            })
            .abort_on_drop();
        let abort = h.abort_handle();
        started_rx.recv().unwrap();
        assert!(!h.is_finished());
        drop(h);
        // The task is cancelled by its worker: wait for it without sleeping.
        rt.block_on(async {
            while !abort.is_finished() {
                runtime::yield_now().await;
            }
        });
        assert_eq!(drops.dropped(), 1, "the future was dropped");

        let h = rt.spawn(async { 21 * 2 }).abort_on_drop();
        assert_eq!(rt.block_on(h).unwrap(), 42);
    });
}
