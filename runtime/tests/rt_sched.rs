//! Scheduling: fairness, stealing, the injector interval, parking, configuration.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};
use std::time::Duration;

use common::{eventually, within};
use runtime::{Builder, Handle, Runtime};

/// Wakes itself on every poll, forever (until `stop` is set).
struct Spinner {
    stop: Arc<AtomicBool>,
    polls: Arc<AtomicUsize>,
}

impl Future for Spinner {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.polls.fetch_add(1, Ordering::Relaxed);
        if self.stop.load(Ordering::Relaxed) {
            return Poll::Ready(());
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn a_task_that_wakes_itself_forever_does_not_starve_others() {
    within(30, || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let polls = Arc::new(AtomicUsize::new(0));
        let spinner = rt.spawn(Spinner {
            stop: stop.clone(),
            polls: polls.clone(),
        });
        // Tasks spawned from inside the worker (local queue) and from outside (injector)
        // both finish while the spinner keeps running on the only worker.
        let local = rt.block_on(rt.spawn(async {
            let hs: Vec<_> = (0..100).map(|i| runtime::spawn(async move { i })).collect();
            let mut sum = 0;
            for h in hs {
                sum += h.await.unwrap();
            }
            sum
        }));
        assert_eq!(local.unwrap(), 4950);
        let remote: Vec<_> = (0..100).map(|i| rt.spawn(async move { i * 2 })).collect();
        for (i, h) in remote.into_iter().enumerate() {
            assert_eq!(rt.block_on(h).unwrap(), i * 2);
        }
        assert!(polls.load(Ordering::Relaxed) > 0);
        stop.store(true, Ordering::Relaxed);
        rt.block_on(spinner).unwrap();
    });
}

#[test]
fn yield_now_lets_the_other_ready_tasks_run() {
    within(30, || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let o = order.clone();
        rt.block_on(rt.spawn(async move {
            let o2 = o.clone();
            let other = runtime::spawn(async move { o2.lock().unwrap().push("other") });
            runtime::yield_now().await;
            o.lock().unwrap().push("yielder");
            other.await.unwrap();
        }))
        .unwrap();
        assert_eq!(*order.lock().unwrap(), ["other", "yielder"]);
    });
}

#[test]
fn an_idle_sibling_steals_work_spawned_on_a_busy_worker() {
    within(30, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let (tx, rx) = mpsc::channel::<()>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        let names = rt.block_on(rt.spawn(async move {
            // Spawn from this worker, then block it until one of the children ran
            // elsewhere: only a steal can get them to the other worker.
            let hs: Vec<_> = (0..64)
                .map(|_| {
                    let tx = tx.clone();
                    runtime::spawn(async move {
                        let _ = tx.send(());
                        std::thread::current().name().unwrap().to_owned()
                    })
                })
                .collect();
            rx.lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(10))
                .expect("a sibling stole a task");
            let mut names = Vec::new();
            for h in hs {
                names.push(h.await.unwrap());
            }
            names
        }));
        let me = names.unwrap();
        assert_eq!(me.len(), 64);
        let m = rt.metrics();
        let steals: u64 = (0..2).map(|i| m.worker(i).steals()).sum();
        assert!(steals > 0, "{m:?}");
    });
}

#[test]
fn outside_spawns_run_while_every_worker_is_busy_with_local_work() {
    // Both workers run tasks that keep re-spawning local work and never go idle; a task
    // from outside must still be picked up through the injector interval.
    within(30, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let mut busy = Vec::new();
        for _ in 0..2 {
            let stop = stop.clone();
            busy.push(rt.spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    runtime::spawn(async {}).await.unwrap();
                }
            }));
        }
        for i in 0..20 {
            assert_eq!(rt.block_on(rt.spawn(async move { i })).unwrap(), i);
        }
        stop.store(true, Ordering::Relaxed);
        for h in busy {
            rt.block_on(h).unwrap();
        }
    });
}

#[test]
fn idle_workers_park() {
    within(30, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        rt.block_on(rt.spawn(async {})).unwrap();
        // With nothing to do, both workers go to sleep (and stay asleep: polls stop).
        assert!(eventually(10, || {
            let m = rt.metrics();
            m.worker(0).parks() > 0 && m.worker(1).parks() > 0
        }));
        let before = rt.metrics().polls();
        // A later spawn wakes one up.
        assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap(), 5);
        assert_eq!(rt.metrics().polls(), before + 1);
    });
}

#[test]
fn block_on_inside_a_worker_panics_with_a_clear_message() {
    within(20, || {
        let rt = Runtime::new().unwrap();
        let err = rt
            .block_on(rt.spawn(async {
                runtime::block_on(async {});
            }))
            .unwrap_err();
        assert!(err.is_panic());
        let msg = err.into_panic().downcast::<String>().unwrap();
        assert!(
            msg.contains("block_on called on a runtime worker thread"),
            "{msg}"
        );

        let handle = rt.handle().clone();
        let err = rt
            .block_on(rt.spawn(async move { handle.block_on(async {}) }))
            .unwrap_err();
        assert!(err.is_panic(), "Handle::block_on on a worker panics too");
    });
}

#[test]
fn outside_a_runtime() {
    let err = Handle::try_current().unwrap_err();
    assert!(err.is_missing_context() && !err.is_thread_local_destroyed());
    assert!(err.to_string().contains("there is no runtime here"));
    let panic = std::panic::catch_unwind(|| runtime::spawn(async {})).unwrap_err();
    let msg = panic.downcast::<String>().unwrap();
    assert!(msg.contains("there is no runtime here"), "{msg}");
    // The free block_on needs no runtime.
    assert_eq!(runtime::block_on(async { 1 + 1 }), 2);
}

#[test]
fn builder_validates_and_names_threads() {
    let err = Builder::new().worker_threads(0).build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("worker_threads"));
    let err = Builder::new().max_blocking_threads(0).build().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);

    within(20, || {
        let started = Arc::new(AtomicUsize::new(0));
        let stopped = Arc::new(AtomicUsize::new(0));
        let (s1, s2) = (started.clone(), stopped.clone());
        let rt = Builder::new()
            .worker_threads(3)
            .thread_name("custom")
            .thread_stack_size(256 * 1024)
            .on_thread_start(move || {
                s1.fetch_add(1, Ordering::SeqCst);
            })
            .on_thread_stop(move || {
                s2.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .unwrap();
        let name =
            rt.block_on(rt.spawn(async { std::thread::current().name().unwrap().to_owned() }));
        let name = name.unwrap();
        assert!(
            ["custom-0", "custom-1", "custom-2"].contains(&name.as_str()),
            "{name}"
        );
        assert!(eventually(10, || started.load(Ordering::SeqCst) == 3));
        drop(rt);
        assert_eq!(stopped.load(Ordering::SeqCst), 3, "drop joins the workers");
    });
}

#[test]
fn metrics_count_spawns_polls_and_injections() {
    within(20, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let m0 = rt.metrics();
        assert_eq!((m0.workers(), m0.spawned(), m0.polls()), (2, 0, 0));
        rt.block_on(async {
            let hs: Vec<_> = (0..10).map(|i| runtime::spawn(async move { i })).collect();
            for h in hs {
                h.await.unwrap();
            }
        });
        let m = rt.metrics();
        assert_eq!(m.spawned(), 10);
        assert_eq!(
            m.injected(),
            10,
            "spawned from the block_on thread: all injected"
        );
        assert_eq!(m.polls(), 10);
        assert_eq!(m.global_queue_depth(), 0);
        assert_eq!(
            m.worker(0).local_queue_depth() + m.worker(1).local_queue_depth(),
            0
        );
        let panic = std::panic::catch_unwind(|| m.worker(2)).unwrap_err();
        assert!(panic
            .downcast::<String>()
            .unwrap()
            .contains("has 2 workers"));
    });
}
