//! `runtime::scope`: tasks that borrow from the caller's stack. Miri runs these
//! (.ci/miri.sh): the lifetime erasure in `Scope::spawn` is sound only if every
//! scoped future is gone before `scope` returns.

mod common;

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use common::bounded;
use runtime::task::block_in_place;
use runtime::{Builder, Runtime};

fn rt() -> Runtime {
    Builder::new().worker_threads(2).build().unwrap()
}

fn message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn scoped_tasks_write_to_borrowed_data() {
    bounded(Duration::from_secs(60), || {
        let rt = rt();
        let mut slots = vec![0usize; 8];
        let label = String::from("slot");
        rt.block_on(async {
            block_in_place(|| {
                runtime::scope(|s| {
                    for (i, slot) in slots.iter_mut().enumerate() {
                        let label = &label;
                        s.spawn(async move {
                            runtime::yield_now().await;
                            assert_eq!(label, "slot");
                            *slot = i + 1;
                        });
                    }
                })
            })
        });
        // `scope` returned, so every task has written.
        assert_eq!(slots, (1..=8).collect::<Vec<_>>());
    });
}

#[test]
fn handles_give_results_and_scoped_tasks_spawn_more() {
    bounded(Duration::from_secs(60), || {
        let rt = rt();
        let data = vec![1u64, 2, 3, 4];
        let nested = AtomicUsize::new(0);
        let total = rt.block_on(async {
            block_in_place(|| {
                runtime::scope(|s| {
                    let h = s.spawn(async {
                        // A scoped task spawns more scoped tasks on the same scope.
                        for x in &data {
                            let nested = &nested;
                            s.spawn(async move {
                                nested.fetch_add(*x as usize, Ordering::SeqCst);
                            });
                        }
                        data.iter().sum::<u64>()
                    });
                    runtime::block_on(h).unwrap()
                })
            })
        });
        assert_eq!(total, 10);
        assert_eq!(
            nested.load(Ordering::SeqCst),
            10,
            "the nested tasks finished too"
        );
    });
}

#[test]
fn an_unobserved_panic_is_re_raised_after_every_task_finished() {
    bounded(Duration::from_secs(60), || {
        let rt = rt();
        let finished = AtomicUsize::new(0);
        let res = panic::catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                block_in_place(|| {
                    runtime::scope(|s| {
                        s.spawn(async { panic!("scoped boom") });
                        for _ in 0..4 {
                            s.spawn(async {
                                for _ in 0..10 {
                                    runtime::yield_now().await;
                                }
                                finished.fetch_add(1, Ordering::SeqCst);
                            });
                        }
                    })
                })
            })
        }));
        let payload = res.expect_err("scope re-raises the task's panic");
        assert_eq!(message(&*payload), "scoped boom");
        assert_eq!(
            finished.load(Ordering::SeqCst),
            4,
            "after the others finished"
        );
    });
}

#[test]
fn a_panic_taken_through_the_handle_is_not_re_raised() {
    bounded(Duration::from_secs(60), || {
        let rt = rt();
        let seen = rt.block_on(async {
            block_in_place(|| {
                runtime::scope(|s| {
                    let h = s.spawn(async { panic!("handled") });
                    let err = runtime::block_on(h).unwrap_err();
                    assert!(err.is_panic());
                    message(&*err.into_panic())
                })
            })
        });
        assert_eq!(seen, "handled");
    });
}

#[test]
fn a_panicking_closure_still_waits_for_its_tasks() {
    bounded(Duration::from_secs(60), || {
        let rt = rt();
        let finished = AtomicUsize::new(0);
        let res = panic::catch_unwind(AssertUnwindSafe(|| {
            rt.block_on(async {
                block_in_place(|| {
                    runtime::scope(|s| {
                        for _ in 0..4 {
                            s.spawn(async {
                                for _ in 0..10 {
                                    runtime::yield_now().await;
                                }
                                finished.fetch_add(1, Ordering::SeqCst);
                            });
                        }
                        panic!("closure boom");
                    })
                })
            })
        }));
        assert_eq!(message(&*res.unwrap_err()), "closure boom");
        assert_eq!(finished.load(Ordering::SeqCst), 4);
    });
}

#[test]
fn a_runtime_shut_down_under_a_waiting_scope_ends_it() {
    bounded(Duration::from_secs(60), || {
        let rt = rt();
        let handle = rt.handle().clone();
        let (started_tx, started_rx) = mpsc::channel();
        let waiter = std::thread::spawn(move || {
            handle.block_on(async {
                runtime::scope(|s| {
                    let h = s.spawn(async {
                        started_tx.send(()).unwrap();
                        std::future::pending::<()>().await
                    });
                    runtime::block_on(h).unwrap_err().is_cancelled()
                })
            })
        });
        started_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        drop(rt);
        assert!(
            waiter.join().unwrap(),
            "the scoped task was cancelled, the scope ended"
        );
    });
}

#[test]
fn on_a_worker_scope_panics_unless_in_block_in_place() {
    bounded(Duration::from_secs(60), || {
        let rt = rt();
        let msg = rt
            .block_on(rt.spawn(async {
                let res = panic::catch_unwind(|| runtime::scope(|_| ()));
                message(&*res.unwrap_err())
            }))
            .unwrap();
        assert!(
            msg.contains("worker thread") && msg.contains("block_in_place"),
            "{msg}"
        );
        let msg = message(&*panic::catch_unwind(|| runtime::scope(|_| ())).unwrap_err());
        assert!(msg.contains("outside a runtime"), "{msg}");
    });
}
