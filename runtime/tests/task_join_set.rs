//! `JoinSet` and `join_all`: completion order, cancel safety, abort on drop, shutdown,
//! failures that cancel nothing else.

mod common;

use std::collections::BTreeSet;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::mpsc;
use std::task::Poll;
use std::time::Duration;

use common::{within, DropCounter, Gate};
use runtime::task::{join_all, JoinSet};
use runtime::{Builder, Handle, Runtime};

fn rt(workers: usize) -> Runtime {
    Builder::new().worker_threads(workers).build().unwrap()
}

#[test]
fn join_next_returns_results_in_completion_order() {
    within(20, || {
        let rt = rt(4);
        rt.block_on(async {
            let gates: Vec<Gate> = (0..5).map(|_| Gate::new()).collect();
            let mut set = JoinSet::new();
            for (i, gate) in gates.iter().enumerate() {
                let wait = gate.wait();
                set.spawn(async move {
                    wait.await;
                    i
                });
            }
            // Each gate releases one task; that task is the only one that can finish,
            // so it must be the next result.
            for (done, i) in [3, 1, 4, 0, 2].into_iter().enumerate() {
                gates[i].open();
                assert_eq!(set.join_next().await.unwrap().unwrap(), i);
                assert_eq!(set.len(), gates.len() - done - 1);
            }
            assert!(set.is_empty());
            assert!(set.join_next().await.is_none());
        });
    });
}

#[test]
fn finished_tasks_come_out_before_running_ones() {
    within(20, || {
        let rt = rt(2);
        rt.block_on(async {
            let gate = Gate::new();
            let mut set = JoinSet::new();
            let wait = gate.wait();
            set.spawn(async move {
                wait.await;
                "slow"
            });
            set.spawn(async { "fast" });
            // The first spawned task cannot finish before its gate opens.
            assert_eq!(set.join_next().await.unwrap().unwrap(), "fast");
            assert_eq!(set.try_join_next().map(|r| r.unwrap()), None);
            gate.open();
            assert_eq!(set.join_next().await.unwrap().unwrap(), "slow");
        });
    });
}

#[test]
fn a_dropped_join_next_future_loses_no_result() {
    within(20, || {
        let rt = rt(2);
        rt.block_on(async {
            let gate = Gate::new();
            let mut set = JoinSet::new();
            let wait = gate.wait();
            set.spawn(async move {
                wait.await;
                7
            });
            // Poll `join_next` once (nothing is ready, so it registers its waker), then
            // drop it, as a select! whose other branch won would.
            {
                let mut next = pin!(set.join_next());
                let first = poll_fn(|cx| Poll::Ready(next.as_mut().poll(cx))).await;
                assert!(first.is_pending());
            }
            gate.open();
            assert_eq!(set.join_next().await.unwrap().unwrap(), 7);
        });
    });
}

/// Polls `a` and `b` (in that order) until one is ready; drops the other.
async fn select<A: Future, B: Future>(a: A, b: B) -> Result<A::Output, B::Output> {
    let (mut a, mut b) = (pin!(a), pin!(b));
    poll_fn(|cx| {
        if let Poll::Ready(out) = a.as_mut().poll(cx) {
            return Poll::Ready(Ok(out));
        }
        b.as_mut().poll(cx).map(Err)
    })
    .await
}

#[test]
fn join_next_in_a_select_loop_loses_nothing() {
    within(30, || {
        let rt = rt(4);
        rt.block_on(async {
            // Smaller under Miri, which interprets every step.
            const N: usize = if cfg!(miri) { 20 } else { 200 };
            let gates: Vec<Gate> = (0..N).map(|_| Gate::new()).collect();
            let mut set = JoinSet::new();
            for (i, gate) in gates.iter().enumerate() {
                let wait = gate.wait();
                set.spawn(async move {
                    wait.await;
                    i
                });
            }
            let mut seen = BTreeSet::new();
            let mut opened = 0;
            let mut lost_races = 0;
            while !set.is_empty() {
                // The other branch is ready on its second poll: whenever no result is
                // ready, join_next loses and its (polled, waker-registering) future is
                // dropped. Only then is one more task released.
                match select(set.join_next(), runtime::yield_now()).await {
                    Ok(result) => assert!(seen.insert(result.unwrap().unwrap())),
                    Err(()) => {
                        lost_races += 1;
                        if opened < N {
                            gates[opened].open();
                            opened += 1;
                        }
                    }
                }
            }
            assert_eq!(seen, (0..N).collect::<BTreeSet<_>>());
            assert!(
                lost_races >= N,
                "every task was released after a dropped join_next"
            );
        });
    });
}

#[test]
fn dropping_the_set_aborts_what_is_left() {
    within(20, || {
        let rt = rt(2);
        let counter = DropCounter::new();
        let (started_tx, started_rx) = mpsc::channel();
        let mut set = JoinSet::new();
        for _ in 0..10 {
            let token = counter.token();
            let started = started_tx.clone();
            set.spawn_on(
                async move {
                    let _token = token;
                    started.send(()).unwrap();
                    std::future::pending::<()>().await
                },
                rt.handle(),
            );
        }
        for _ in 0..10 {
            started_rx
                .recv_timeout(Duration::from_secs(10))
                .expect("every task started");
        }
        assert_eq!(counter.dropped(), 0);
        drop(set);
        // The runtime drops each aborted future soon after; wait for that, bounded.
        assert!(
            common::eventually(10, || counter.dropped() == 10),
            "dropped {}",
            counter.dropped()
        );
        // The runtime is still alive: it was the set, not a shutdown, that cancelled.
        assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    });
}

#[test]
fn shutdown_drops_every_future_before_it_returns() {
    // Smaller under Miri, which interprets every step.
    const TASKS: usize = if cfg!(miri) { 10 } else { 100 };
    within(20, || {
        let rt = rt(4);
        let counter = DropCounter::new();
        rt.block_on(async {
            let mut set = JoinSet::new();
            for i in 0..TASKS {
                let token = counter.token();
                set.spawn(async move {
                    let _token = token;
                    // Some tasks keep yielding (running or queued at shutdown), the
                    // others wait forever.
                    if i % 2 == 0 {
                        loop {
                            runtime::yield_now().await;
                        }
                    }
                    std::future::pending::<()>().await
                });
            }
            runtime::yield_now().await;
            set.shutdown().await;
            assert_eq!(counter.dropped(), TASKS);
            assert!(set.is_empty());
            assert!(set.join_next().await.is_none());
        });
    });
}

#[test]
fn abort_handles_and_abort_all_give_cancelled_results() {
    within(20, || {
        let rt = rt(2);
        rt.block_on(async {
            let mut set = JoinSet::new();
            let first = set.spawn(std::future::pending::<u32>());
            set.spawn(std::future::pending::<u32>());
            first.abort();
            let err = set.join_next().await.unwrap().unwrap_err();
            assert!(err.is_cancelled());
            assert_eq!(err.id(), first.id());
            assert_eq!(set.len(), 1);
            set.abort_all();
            assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
            assert!(set.is_empty());
        });
    });
}

#[test]
fn a_panic_is_one_result_among_the_others() {
    within(20, || {
        let rt = rt(2);
        rt.block_on(async {
            let mut set = JoinSet::new();
            for i in 0..10u32 {
                set.spawn(async move {
                    assert!(i != 5, "task five fails");
                    i
                });
            }
            let (mut ok, mut panics) = (Vec::new(), 0);
            while let Some(result) = set.join_next().await {
                match result {
                    Ok(i) => ok.push(i),
                    Err(e) => {
                        assert!(e.is_panic());
                        panics += 1;
                    }
                }
            }
            ok.sort();
            assert_eq!(ok, [0, 1, 2, 3, 4, 6, 7, 8, 9]);
            assert_eq!(panics, 1);
        });
    });
}

#[test]
fn many_tasks_all_come_out_once() {
    // Smaller under Miri, which interprets every step.
    const N: u64 = if cfg!(miri) { 200 } else { 20_000 };
    within(60, || {
        let rt = rt(4);
        let before = rt.metrics().spawned();
        let sum = rt.block_on(async {
            let mut set = JoinSet::new();
            for i in 0..N {
                set.spawn(async move { i });
            }
            assert_eq!(set.len() as u64, N);
            let mut sum = 0;
            while let Some(r) = set.join_next().await {
                sum += r.unwrap();
            }
            sum
        });
        assert_eq!(sum, N * (N - 1) / 2);
        // JoinSet::spawn counts in the metrics like any spawn.
        assert_eq!(rt.metrics().spawned() - before, N);
    });
}

#[test]
fn try_join_next_never_waits() {
    within(20, || {
        let rt = rt(2);
        rt.block_on(async {
            let mut set = JoinSet::<u8>::new();
            assert!(set.try_join_next().is_none());
            let gate = Gate::new();
            let wait = gate.wait();
            set.spawn(async move {
                wait.await;
                9
            });
            assert!(set.try_join_next().is_none());
            gate.open();
            // The task finishes on a worker; spin (yielding) until its result is there.
            let nine = loop {
                if let Some(result) = set.try_join_next() {
                    break result.unwrap();
                }
                runtime::yield_now().await;
            };
            assert_eq!(nine, 9);
            assert!(set.is_empty());
            assert!(set.try_join_next().is_none());
        });
    });
}

#[test]
fn spawn_outside_a_runtime_panics_clearly_and_spawn_on_works() {
    within(20, || {
        let mut set = JoinSet::new();
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            set.spawn(async { 1 });
        }))
        .unwrap_err();
        let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(msg.contains("no runtime"), "{msg}");
        assert!(set.is_empty());

        let rt = rt(1);
        set.spawn_on(async { 2 }, rt.handle());
        assert_eq!(set.len(), 1);
        let handle: Handle = rt.handle().clone();
        assert_eq!(handle.block_on(set.join_next()).unwrap().unwrap(), 2);
    });
}

#[test]
fn join_all_keeps_every_result_in_input_order() {
    within(20, || {
        let rt = rt(2);
        rt.block_on(async {
            let gate = Gate::new();
            let wait = gate.wait();
            let counter = DropCounter::new();
            let token = counter.token();
            let panics = runtime::spawn(async { panic!("boom") });
            let aborted = runtime::spawn(async move {
                let _token = token;
                std::future::pending::<&str>().await
            });
            aborted.abort();
            let slow = runtime::spawn(async move {
                wait.await;
                "slow"
            });
            let fast = runtime::spawn(async { "fast" });
            // Both failures are final before `join_all` first looks at them.
            while !(panics.is_finished() && aborted.is_finished()) {
                runtime::task::yield_now().await;
            }
            let mut all = pin!(join_all(vec![panics, aborted, slow, fast]));
            // One poll: `join_all` takes in both failures and then waits for the slow
            // task, which cannot finish before the gate opens. A `join_all` that
            // cancelled the rest on a failure would have aborted it by now.
            assert!(poll_fn(|cx| Poll::Ready(all.as_mut().poll(cx).is_pending())).await);
            gate.open();
            let results = all.await;
            assert_eq!(results.len(), 4);
            let panic = results[0].as_ref().unwrap_err();
            assert!(panic.is_panic());
            assert!(results[1].as_ref().unwrap_err().is_cancelled());
            assert_eq!(*results[2].as_ref().unwrap(), "slow");
            assert_eq!(*results[3].as_ref().unwrap(), "fast");
            assert_eq!(counter.dropped(), 1);
        });
    });
}

#[test]
fn join_all_of_nothing_is_empty() {
    within(10, || {
        let results = runtime::block_on(join_all(Vec::<runtime::JoinHandle<()>>::new()));
        assert!(results.is_empty());
    });
}

#[test]
fn join_set_is_send_and_its_futures_too() {
    fn send<T: Send>(_: &T) {}
    let mut set = JoinSet::<u32>::new();
    send(&set);
    send(&set.join_next());
    send(&set.shutdown());
}
