//! `JoinHandle::shared`: one run, any number of awaiters, the remembered result.

mod common;

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use common::{within, Gate};
use runtime::task::Shared;
use runtime::{Builder, Runtime};

fn rt(workers: usize) -> Runtime {
    Builder::new().worker_threads(workers).build().unwrap()
}

/// A waker that counts its wake-ups.
struct CountWake(AtomicUsize);

impl Wake for CountWake {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn ten_awaiters_share_one_run() {
    within(20, || {
        let rt = rt(4);
        let runs = Arc::new(AtomicUsize::new(0));
        let gate = Gate::new();
        let (r, wait) = (runs.clone(), gate.wait());
        let shared = rt
            .spawn(async move {
                r.fetch_add(1, Ordering::SeqCst);
                wait.await;
                String::from("payload")
            })
            .shared();
        let (ready_tx, ready_rx) = mpsc::channel();
        let awaiters: Vec<_> = (0..10)
            .map(|_| {
                let s = shared.clone();
                let ready = ready_tx.clone();
                rt.spawn(async move {
                    ready.send(()).unwrap();
                    s.await
                })
            })
            .collect();
        for _ in 0..10 {
            ready_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        }
        gate.open();
        for a in awaiters {
            assert_eq!(rt.block_on(a).unwrap().unwrap(), "payload");
        }
        // The original and a fresh clone, after completion, give it again.
        assert_eq!(rt.block_on(shared.clone()).unwrap(), "payload");
        assert_eq!(rt.block_on(shared).unwrap(), "payload");
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn every_waiting_clone_is_woken_once() {
    within(20, || {
        let rt = rt(2);
        let gate = Gate::new();
        let wait = gate.wait();
        let shared = rt
            .spawn(async move {
                wait.await;
                5u8
            })
            .shared();
        let counters: Vec<Arc<CountWake>> = (0..4)
            .map(|_| Arc::new(CountWake(AtomicUsize::new(0))))
            .collect();
        let mut clones: Vec<Shared<u8>> = (0..4).map(|_| shared.clone()).collect();
        for (clone, counter) in clones.iter_mut().zip(&counters) {
            let waker = Waker::from(counter.clone());
            let polled = pin!(clone).poll(&mut Context::from_waker(&waker));
            assert!(polled.is_pending());
        }
        // A clone that waited and is dropped leaves the others waiting.
        clones.pop();
        gate.open();
        assert!(common::eventually(10, || counters[..3]
            .iter()
            .all(|c| c.0.load(Ordering::SeqCst) > 0)));
        for (clone, counter) in clones.iter_mut().zip(&counters) {
            let waker = Waker::from(counter.clone());
            let polled = pin!(clone).poll(&mut Context::from_waker(&waker));
            assert!(matches!(polled, Poll::Ready(Ok(5))));
            assert_eq!(counter.0.load(Ordering::SeqCst), 1, "woken once");
        }
        assert_eq!(
            counters[3].0.load(Ordering::SeqCst),
            0,
            "a dropped clone is not woken"
        );
    });
}

#[test]
fn a_shared_made_after_completion_is_ready_at_once() {
    within(20, || {
        let rt = rt(2);
        let handle = rt.spawn(async { vec![1, 2, 3] });
        assert!(common::eventually(10, || handle.is_finished()));
        let mut shared = handle.shared();
        let waker = Waker::from(Arc::new(CountWake(AtomicUsize::new(0))));
        let first = pin!(&mut shared).poll(&mut Context::from_waker(&waker));
        assert!(matches!(first, Poll::Ready(Ok(v)) if v == [1, 2, 3]));
        // Polling again (or awaiting by reference) gives the remembered result again.
        let again = pin!(&mut shared).poll(&mut Context::from_waker(&waker));
        assert!(matches!(again, Poll::Ready(Ok(v)) if v == [1, 2, 3]));
    });
}

#[test]
fn a_panic_reaches_every_awaiter_as_its_message() {
    within(20, || {
        let rt = rt(2);
        let shared: Shared<u32> = rt
            .spawn(async {
                let status = 404;
                assert!(status == 200, "download failed: {status}");
                0
            })
            .shared();
        let awaiters: Vec<_> = (0..3).map(|_| rt.spawn(shared.clone())).collect();
        for a in awaiters {
            let err = rt.block_on(a).unwrap().unwrap_err();
            assert!(err.is_panic());
            let payload = err.into_panic();
            assert_eq!(
                payload.downcast_ref::<String>().map(String::as_str),
                Some("download failed: 404")
            );
        }
        let err = rt.block_on(shared).unwrap_err();
        assert!(err.to_string().contains("download failed: 404"), "{err}");
    });
}

#[test]
fn an_aborted_task_is_cancelled_for_every_clone() {
    within(20, || {
        let rt = rt(2);
        let handle = rt.spawn(std::future::pending::<()>());
        let abort = handle.abort_handle();
        let shared = handle.shared();
        let other = shared.clone();
        abort.abort();
        assert!(rt.block_on(shared).unwrap_err().is_cancelled());
        let err = rt.block_on(other).unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(err.id(), abort.id());
    });
}

#[test]
fn clones_on_plain_threads_share_the_run() {
    within(20, || {
        let rt = rt(2);
        let runs = Arc::new(AtomicUsize::new(0));
        let r = runs.clone();
        let gate = Gate::new();
        let wait = gate.wait();
        let shared = rt
            .spawn(async move {
                r.fetch_add(1, Ordering::SeqCst);
                wait.await;
                42u64
            })
            .shared();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let s = shared.clone();
                let handle = rt.handle().clone();
                std::thread::spawn(move || handle.block_on(s).unwrap())
            })
            .collect();
        gate.open();
        for t in threads {
            assert_eq!(t.join().unwrap(), 42);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn dropping_every_clone_detaches_the_task() {
    within(20, || {
        let rt = rt(2);
        let (tx, rx) = mpsc::channel();
        let gate = Gate::new();
        let wait = gate.wait();
        let shared = rt
            .spawn(async move {
                wait.await;
                tx.send("still ran").unwrap();
            })
            .shared();
        drop(shared);
        gate.open();
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(10)).unwrap(),
            "still ran"
        );
    });
}

#[test]
fn shared_is_send_sync_and_clone() {
    fn assert_traits<T: Send + Sync + Clone + Unpin>() {}
    assert_traits::<Shared<String>>();
    assert_traits::<Shared<Arc<Vec<u8>>>>();
}
