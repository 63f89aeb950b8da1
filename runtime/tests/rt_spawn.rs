//! Spawning: hot tasks, handles, ids, foreign threads, wake-ups from outside.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use common::{within, Gate};
use runtime::{Builder, Runtime};

#[test]
fn a_spawned_task_runs_without_being_awaited() {
    within(20, || {
        let rt = Runtime::new().unwrap();
        let (tx, rx) = mpsc::channel();
        let handle = rt.spawn(async move {
            tx.send(std::thread::current().name().map(str::to_owned))
                .unwrap()
        });
        // Nobody polls `handle`, yet the task runs on a worker.
        let name = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the hot task ran");
        assert!(name.unwrap().starts_with("runtime-worker-"));
        drop(handle);
    });
}

#[test]
fn dropping_the_handle_detaches_not_cancels() {
    within(20, || {
        let rt = Runtime::new().unwrap();
        let gate = Gate::new();
        let finished = Arc::new(AtomicBool::new(false));
        let (g, f) = (gate.clone(), finished.clone());
        let (tx, rx) = mpsc::channel();
        drop(rt.spawn(async move {
            g.wait().await;
            f.store(true, Ordering::SeqCst);
            tx.send(()).unwrap();
        }));
        gate.open();
        rx.recv_timeout(Duration::from_secs(10))
            .expect("the detached task finished");
        assert!(finished.load(Ordering::SeqCst));
    });
}

#[test]
fn join_handle_gives_the_output_and_is_finished() {
    within(20, || {
        let rt = Runtime::new().unwrap();
        let h = rt.spawn(async { String::from("done") });
        let id = h.id();
        let abort = h.abort_handle();
        assert_eq!(abort.id(), id);
        assert_eq!(rt.block_on(h).unwrap(), "done");
        assert!(abort.is_finished());
    });
}

#[test]
fn task_ids_are_unique_and_visible_inside() {
    within(20, || {
        let rt = Runtime::new().unwrap();
        let handles: Vec<_> = (0..100)
            .map(|_| rt.spawn(async { runtime::task::id() }))
            .collect();
        let ids: Vec<_> = handles.iter().map(|h| h.id()).collect();
        let inner: Vec<_> = handles
            .into_iter()
            .map(|h| rt.block_on(h).unwrap())
            .collect();
        assert_eq!(ids, inner);
        let unique: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), 100);
        assert_eq!(runtime::task::try_id(), None, "not inside a task here");
    });
}

#[test]
fn hundred_thousand_tasks_from_four_foreign_threads() {
    within(60, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let done = Arc::new(AtomicUsize::new(0));
        let per_thread = if cfg!(miri) { 50 } else { 25_000 };
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let handle = rt.handle().clone();
                let done = done.clone();
                std::thread::spawn(move || {
                    let hs: Vec<_> = (0..per_thread)
                        .map(|i| {
                            let done = done.clone();
                            handle.spawn(async move {
                                done.fetch_add(1, Ordering::Relaxed);
                                i
                            })
                        })
                        .collect();
                    let mut sum = 0u64;
                    for h in hs {
                        sum += handle.block_on(h).unwrap() as u64;
                    }
                    sum
                })
            })
            .collect();
        let expected: u64 = (0..per_thread as u64).sum();
        for t in threads {
            assert_eq!(t.join().unwrap(), expected);
        }
        assert_eq!(done.load(Ordering::SeqCst), 4 * per_thread);
        let m = rt.metrics();
        assert_eq!(m.spawned(), 4 * per_thread as u64);
        assert!(
            m.injected() >= 4 * per_thread as u64,
            "spawns from outside go through the injector"
        );
    });
}

#[test]
fn ten_thousand_tasks_each_woken_once_from_a_foreign_thread() {
    within(60, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let n = if cfg!(miri) { 20 } else { 10_000 };
        let gates: Vec<Gate> = (0..n).map(|_| Gate::new()).collect();
        let handles: Vec<_> = gates
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let g = g.clone();
                rt.spawn(async move {
                    g.wait().await;
                    i
                })
            })
            .collect();
        let opener = std::thread::spawn(move || {
            for g in gates {
                g.open();
            }
        });
        let results: Vec<_> = handles
            .into_iter()
            .map(|h| rt.block_on(h).unwrap())
            .collect();
        opener.join().unwrap();
        assert_eq!(results, (0..n).collect::<Vec<_>>());
    });
}

#[test]
fn spawn_from_inside_a_task_uses_the_current_runtime() {
    within(20, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let out = rt.block_on(rt.spawn(async {
            let inner = runtime::spawn(async { runtime::Handle::current().metrics().workers() });
            inner.await.unwrap()
        }));
        assert_eq!(out.unwrap(), 2);
        assert_eq!(rt.metrics().spawned(), 2);
    });
}

#[test]
fn wakes_from_a_foreign_thread_while_the_task_runs_repoll_once() {
    // A task woken many times from another thread while it is being polled is polled
    // again once per batch of wakes, never concurrently.
    within(20, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let polls = Arc::new(AtomicUsize::new(0));
        let p = polls.clone();
        let (waker_tx, waker_rx) = mpsc::channel::<std::task::Waker>();
        let (woken_tx, woken_rx) = mpsc::channel::<()>();
        // Not a worker: wakes through the waker it is sent, ten times, then reports.
        let foreign = std::thread::spawn(move || {
            let waker = waker_rx.recv().unwrap();
            for _ in 0..10 {
                waker.wake_by_ref();
            }
            woken_tx.send(()).unwrap();
        });
        let h = rt.spawn(std::future::poll_fn(move |cx| {
            let n = p.fetch_add(1, Ordering::SeqCst);
            if n == 0 {
                // The first poll lasts until the foreign thread has woken it ten times.
                waker_tx.send(cx.waker().clone()).unwrap();
                woken_rx
                    .recv_timeout(Duration::from_secs(10))
                    .expect("the foreign thread woke the task");
                std::task::Poll::Pending
            } else {
                std::task::Poll::Ready(n)
            }
        }));
        assert_eq!(rt.block_on(h).unwrap(), 1);
        foreign.join().unwrap();
        assert_eq!(
            polls.load(Ordering::SeqCst),
            2,
            "ten wakes during one poll: one re-poll"
        );
    });
}
