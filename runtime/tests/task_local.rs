//! `task_local!`: a value set for one future follows it across yields and workers, is
//! invisible elsewhere (other tasks, spawned children, the worker between polls), and
//! is dropped when its scope ends.

mod common;

use std::cell::Cell;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::{self, ThreadId};
use std::time::Duration;

use common::{within, DropCounter, DropToken, Gate};
use runtime::task::AccessError;
use runtime::{Builder, Runtime};

runtime::task_local! {
    /// A plain `Copy` key.
    pub static REQUEST_ID: u64;
    #[allow(dead_code)]
    pub(crate) static NAME: String;
    static TRACKED: Tracked;
    static LAST_WORDS: LastWords;
    static NOT_SEND: Rc<Cell<u32>>
}

/// Records, when dropped, what `LAST_WORDS` holds then.
struct LastWords {
    id: u64,
    heard: Arc<Mutex<Vec<Result<u64, AccessError>>>>,
}

impl Drop for LastWords {
    fn drop(&mut self) {
        let now = LAST_WORDS.try_with(|w| w.id);
        self.heard.lock().unwrap().push(now);
    }
}

/// A value whose drop is counted, and which says which request it belongs to.
struct Tracked {
    id: u64,
    _token: DropToken,
}

/// What a destructor inside a scope saw of `TRACKED`, and how many values were
/// dropped at that moment.
type Seen = Arc<Mutex<Option<(Result<u64, AccessError>, usize)>>>;

/// Records, when dropped, what `TRACKED` holds then.
struct Witness {
    seen: Seen,
    drops: DropCounter,
}

impl Drop for Witness {
    fn drop(&mut self) {
        let value = TRACKED.try_with(|t| t.id);
        *self.seen.lock().unwrap() = Some((value, self.drops.dropped()));
    }
}

const LIMIT: Duration = Duration::from_secs(10);

fn rt(workers: usize) -> Runtime {
    Builder::new()
        .worker_threads(workers)
        .thread_name("tl")
        .build()
        .unwrap()
}

fn outside() -> bool {
    REQUEST_ID.try_with(|_| ()).is_err()
}

#[test]
fn the_value_is_visible_across_yields() {
    within(20, || {
        let rt = rt(2);
        let seen = rt
            .block_on(rt.spawn(REQUEST_ID.scope(7, async {
                let mut seen = Vec::new();
                for _ in 0..100 {
                    runtime::yield_now().await;
                    seen.push(REQUEST_ID.get());
                }
                seen
            })))
            .unwrap();
        assert_eq!(seen, vec![7; 100]);
        assert!(outside());
    });
}

#[test]
fn the_value_follows_the_task_to_another_worker() {
    within(30, || {
        let rt = rt(2);
        let gate = Gate::new();
        let wait = gate.wait();
        let (first_tx, first_rx) = mpsc::channel();
        let task = rt.spawn(REQUEST_ID.scope(11, async move {
            first_tx.send(thread::current().id()).unwrap();
            wait.await;
            (thread::current().id(), REQUEST_ID.get())
        }));
        let first: ThreadId = first_rx.recv_timeout(LIMIT).unwrap();

        // Occupy the worker the task ran on, with a task that blocks its thread. Spawns
        // from here go to the global queue; if the first blocker lands on the other
        // worker it blocks that one, so the next can only be run by the task's worker.
        let mut others = Vec::new();
        let mut on_first = None;
        for _ in 0..4 {
            let (where_tx, where_rx) = mpsc::channel();
            let (release, released) = mpsc::channel::<()>();
            drop(rt.spawn(async move {
                where_tx.send((thread::current().id(), outside())).unwrap();
                // Returns when `release` is dropped (or, if the test fails, times out).
                let _ = released.recv_timeout(Duration::from_secs(30));
            }));
            let (thread, empty) = where_rx.recv_timeout(LIMIT).unwrap();
            // Between the task's polls its worker's thread holds no value.
            assert!(empty);
            if thread == first {
                on_first = Some(release);
                break;
            }
            others.push(release);
        }
        let on_first = on_first.expect("a blocker reached the task's worker");
        drop(others); // the other worker is free again

        // Woken from outside, the task goes to the global queue; its first worker is
        // blocked, so another one polls it.
        gate.open();
        let (second, value) = rt.block_on(task).unwrap();
        drop(on_first);
        assert_ne!(second, first, "the task did not move");
        assert_eq!(value, 11);
    });
}

#[test]
fn the_value_follows_the_task_from_the_spawn_immediate_thread_to_a_worker() {
    within(20, || {
        let rt = rt(2);
        let caller = thread::current().id();
        let gate = Gate::new();
        let wait = gate.wait();
        let (before, after) = rt.block_on(async move {
            let task = runtime::spawn_immediate(REQUEST_ID.scope(5, async move {
                let before = (thread::current().id(), REQUEST_ID.get());
                wait.await;
                (before, (thread::current().id(), REQUEST_ID.get()))
            }));
            // The prefix ran here, and took its value with it.
            assert!(outside());
            gate.open();
            task.await.unwrap()
        });
        assert_eq!(before, (caller, 5));
        assert_ne!(after.0, caller);
        assert_eq!(after.1, 5);
    });
}

#[test]
fn tasks_interleaved_on_one_worker_never_see_each_others_value() {
    within(20, || {
        let rt = rt(1);
        let log = Arc::new(Mutex::new(Vec::new()));
        let started = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = [1u64, 2]
            .into_iter()
            .map(|id| {
                let (log, started) = (log.clone(), started.clone());
                rt.spawn(REQUEST_ID.scope(id, async move {
                    // Wait for the other, so that both are in the worker's queue and
                    // each yield lets the other run.
                    started.fetch_add(1, Ordering::SeqCst);
                    while started.load(Ordering::SeqCst) < 2 {
                        runtime::yield_now().await;
                    }
                    for _ in 0..50 {
                        log.lock().unwrap().push((id, REQUEST_ID.get()));
                        runtime::yield_now().await;
                    }
                }))
            })
            .collect();
        // A task with no scope, in between them, sees nothing.
        let plain = rt.spawn(async {
            let mut empty = true;
            for _ in 0..50 {
                empty &= outside();
                runtime::yield_now().await;
            }
            empty
        });
        for task in tasks {
            rt.block_on(task).unwrap();
        }
        assert!(rt.block_on(plain).unwrap());
        let log = log.lock().unwrap();
        assert_eq!(log.len(), 100);
        assert!(log.iter().all(|(task, seen)| task == seen), "{log:?}");
        // They did interleave: the log switches task many times.
        let switches = log.windows(2).filter(|w| w[0].0 != w[1].0).count();
        assert!(switches >= 50, "only {switches} switches: {log:?}");
    });
}

#[test]
fn nested_scopes_shadow_and_restore() {
    within(20, || {
        let rt = rt(2);
        let seen = rt
            .block_on(rt.spawn(REQUEST_ID.scope(1, async {
                let mut seen = vec![REQUEST_ID.get()];
                let inner = REQUEST_ID.scope(2, async {
                    runtime::yield_now().await;
                    let inner = REQUEST_ID.get();
                    let innermost = REQUEST_ID.sync_scope(3, || REQUEST_ID.get());
                    (inner, innermost, REQUEST_ID.get())
                });
                let (a, b, c) = inner.await;
                seen.extend([a, b, c]);
                runtime::yield_now().await;
                seen.push(REQUEST_ID.get());
                seen
            })))
            .unwrap();
        assert_eq!(seen, [1, 2, 3, 2, 1]);
        assert!(outside());
    });
}

#[test]
fn a_spawned_child_does_not_inherit_the_value() {
    within(20, || {
        let rt = rt(2);
        let (parent, child) = rt
            .block_on(rt.spawn(REQUEST_ID.scope(8, async {
                let child = runtime::spawn(async { REQUEST_ID.try_with(|id| *id) });
                let child = child.await.unwrap();
                (REQUEST_ID.get(), child)
            })))
            .unwrap();
        assert_eq!(parent, 8);
        assert!(child.unwrap_err().is_outside_scope());
    });
}

#[test]
fn the_value_is_dropped_when_the_scope_completes() {
    let drops = DropCounter::new();
    let value = Tracked {
        id: 4,
        _token: drops.token(),
    };
    let d = drops.clone();
    let mut scoped = pin!(TRACKED.scope(value, async move {
        runtime::yield_now().await;
        (TRACKED.with(|t| t.id), d.dropped())
    }));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(scoped.as_mut().poll(&mut cx).is_pending());
    assert_eq!(drops.dropped(), 0, "dropped while pending");
    assert_eq!(scoped.as_mut().poll(&mut cx), Poll::Ready((4, 0)));
    // Completion ends the scope: the value is gone though the future is not dropped.
    assert_eq!(drops.dropped(), 1);
    assert!(TRACKED.try_with(|_| ()).is_err());
}

#[test]
fn a_scope_dropped_early_drops_its_future_inside_the_scope_then_the_value() {
    let drops = DropCounter::new();
    let seen = Seen::default();
    let witness = Witness {
        seen: seen.clone(),
        drops: drops.clone(),
    };
    let value = Tracked {
        id: 6,
        _token: drops.token(),
    };
    let mut scoped = Box::pin(TRACKED.scope(value, async move {
        let _witness = witness;
        std::future::pending::<()>().await;
    }));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(scoped.as_mut().poll(&mut cx).is_pending());
    assert!(seen.lock().unwrap().is_none());
    drop(scoped);
    // The inner future's destructor ran in the scope, before the value was dropped.
    assert_eq!(*seen.lock().unwrap(), Some((Ok(6), 0)));
    assert_eq!(drops.dropped(), 1);
    assert!(TRACKED.try_with(|_| ()).is_err());
}

#[test]
fn aborting_a_scoped_task_drops_its_value_on_the_worker() {
    within(20, || {
        let rt = rt(2);
        let drops = DropCounter::new();
        let seen = Seen::default();
        let witness = Witness {
            seen: seen.clone(),
            drops: drops.clone(),
        };
        let value = Tracked {
            id: 9,
            _token: drops.token(),
        };
        let gate = Gate::new();
        let wait = gate.wait();
        let task = rt.spawn(TRACKED.scope(value, async move {
            let _witness = witness;
            wait.await;
        }));
        assert!(common::eventually(10, || gate.has_waiter()));
        task.abort();
        assert!(rt.block_on(task).unwrap_err().is_cancelled());
        assert_eq!(*seen.lock().unwrap(), Some((Ok(9), 0)));
        assert_eq!(drops.dropped(), 1);
    });
}

#[test]
fn outside_a_scope_try_with_is_an_error_and_with_panics_with_its_message() {
    let err = REQUEST_ID.try_with(|id| *id).unwrap_err();
    assert!(err.is_outside_scope());
    assert!(!err.is_thread_local_destroyed());
    assert_eq!(err.clone(), err);
    let message = err.to_string();
    assert!(message.contains("outside its scope"), "{message}");
    assert_eq!(format!("{err:?}"), format!("AccessError({message})"));

    for panic in [
        panic::catch_unwind(|| REQUEST_ID.with(|id| *id)).unwrap_err(),
        panic::catch_unwind(|| REQUEST_ID.get()).unwrap_err(),
    ] {
        assert_eq!(panic.downcast_ref::<String>(), Some(&message));
    }

    // Inside a task but outside any scope: the same.
    within(20, || {
        let rt = rt(1);
        let err = rt
            .block_on(rt.spawn(async { REQUEST_ID.try_with(|id| *id) }))
            .unwrap()
            .unwrap_err();
        assert!(err.is_outside_scope());
        let join = rt.block_on(rt.spawn(async { REQUEST_ID.get() }));
        let panic = join.unwrap_err().into_panic();
        assert_eq!(panic.downcast_ref::<String>(), Some(&err.to_string()));
    });
}

#[test]
fn a_panic_inside_the_scope_restores_the_outer_value() {
    within(20, || {
        REQUEST_ID.sync_scope(1, || {
            let poll_panic = panic::catch_unwind(|| {
                runtime::block_on(REQUEST_ID.scope(2, async {
                    runtime::yield_now().await;
                    assert_eq!(REQUEST_ID.get(), 2);
                    panic!("boom in poll");
                }))
            });
            assert!(poll_panic.is_err());
            assert_eq!(REQUEST_ID.get(), 1);

            let closure_panic = panic::catch_unwind(|| REQUEST_ID.sync_scope(3, || panic!("boom")));
            assert!(closure_panic.is_err());
            assert_eq!(REQUEST_ID.get(), 1);
        });
        assert!(outside());
    });
}

#[test]
fn a_task_that_panics_in_its_scope_leaves_nothing_on_its_worker() {
    within(20, || {
        let rt = rt(1);
        let drops = DropCounter::new();
        let value = Tracked {
            id: 3,
            _token: drops.token(),
        };
        let failed = rt.block_on(rt.spawn(TRACKED.scope(value, async {
            runtime::yield_now().await;
            assert_eq!(TRACKED.with(|t| t.id), 3);
            panic!("boom");
        })));
        assert!(failed.unwrap_err().is_panic());
        assert_eq!(drops.dropped(), 1);
        // The one worker runs the next task with no value left behind.
        let next = rt.block_on(rt.spawn(async { TRACKED.try_with(|t| t.id) }));
        assert!(next.unwrap().unwrap_err().is_outside_scope());
    });
}

#[test]
fn entering_a_scope_inside_with_of_the_same_key_panics_with_a_message() {
    REQUEST_ID.sync_scope(1, || {
        REQUEST_ID.with(|_| {
            let nested = panic::catch_unwind(|| REQUEST_ID.sync_scope(2, || ())).unwrap_err();
            let message = nested.downcast_ref::<String>().unwrap();
            assert!(message.contains("inside `with`"), "{message}");
            // Polling a scope there panics too; dropping it does not.
            let mut scoped = Box::pin(REQUEST_ID.scope(2, async {}));
            let mut cx = Context::from_waker(Waker::noop());
            let polled = panic::catch_unwind(AssertUnwindSafe(|| scoped.as_mut().poll(&mut cx)));
            assert!(polled.is_err());
            drop(scoped);
        });
        assert_eq!(REQUEST_ID.get(), 1);
    });
}

#[test]
fn the_scope_future_is_send_when_its_value_and_future_are() {
    within(20, || {
        fn assert_send<T: Send>(_: &T) {}
        let scoped = NAME.scope("a".to_owned(), async { NAME.with(String::len) });
        assert_send(&scoped);
        assert_eq!(runtime::block_on(scoped), 1);
    });
}

#[test]
fn a_value_is_dropped_after_the_key_is_restored() {
    within(20, || {
        let heard = Arc::new(Mutex::new(Vec::new()));
        let words = |id| LastWords {
            id,
            heard: heard.clone(),
        };
        runtime::block_on(LAST_WORDS.scope(words(1), async {
            LAST_WORDS.scope(words(2), runtime::yield_now()).await;
            LAST_WORDS.sync_scope(words(3), || ());
        }));
        // Each value's destructor saw the value of the scope around it, the last none.
        let heard = heard.lock().unwrap();
        assert_eq!(heard[..2], [Ok(1), Ok(1)]);
        assert!(heard[2].as_ref().unwrap_err().is_outside_scope());
    });
}

#[test]
fn a_value_that_is_not_send_works_where_nothing_needs_send() {
    within(20, || {
        let counter = Rc::new(Cell::new(0));
        let total = runtime::block_on(NOT_SEND.scope(counter.clone(), async {
            for _ in 0..3 {
                NOT_SEND.with(|c| c.set(c.get() + 1));
                runtime::yield_now().await;
            }
            NOT_SEND.with(|c| c.get())
        }));
        assert_eq!((total, counter.get()), (3, 3));
        assert_eq!(Rc::strong_count(&counter), 1, "the scope dropped its clone");
    });
}
