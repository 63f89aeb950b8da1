//! Hostile user code that the runtime already survives (issue 11), pinned so it stays
//! that way: panic payloads of any type, future destructors that panic when a task is
//! aborted or the runtime shuts down, and foreign (user-written) wakers that panic when
//! woken.
//!
//! Each test bounds itself in time. The panics below print through the default panic
//! hook; that noise is expected (the hook is process-wide, so no test replaces it).

mod common;

use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use common::bounded;
use runtime::task::JoinSet;
use runtime::{Builder, JoinError, JoinHandle, Runtime};

const LIMIT: Duration = Duration::from_secs(30);

fn rt(workers: usize) -> Runtime {
    Builder::new().worker_threads(workers).build().unwrap()
}

/// Waits (bounded) for a condition another thread makes true with no way to notify us.
#[track_caller]
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::yield_now();
    }
}

/// A future that stays pending until `open` is called from any thread.
#[derive(Clone, Default)]
struct Gate(Arc<Mutex<(bool, Option<Waker>)>>);

impl Gate {
    fn open(&self) {
        let waker = {
            let mut g = self.0.lock().unwrap();
            g.0 = true;
            g.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn has_waiter(&self) -> bool {
        self.0.lock().unwrap().1.is_some()
    }

    async fn wait(self) {
        std::future::poll_fn(|cx| {
            let mut g = self.0.lock().unwrap();
            if g.0 {
                Poll::Ready(())
            } else {
                g.1 = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

/// Counts its drops, then panics: a future's destructor that panics.
struct Bomb(Arc<AtomicUsize>);

const BOMB: &str = "a destructor panics";

impl Drop for Bomb {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("{BOMB}");
    }
}

/// Counts its drops (a well-behaved neighbour of the bombs).
struct Token(Arc<AtomicUsize>);

impl Drop for Token {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Asserts that `err` is a panic whose payload is the bomb's message.
#[track_caller]
fn assert_bomb(err: JoinError) {
    assert!(err.is_panic() && !err.is_cancelled(), "{err:?}");
    let payload = err.into_panic();
    assert_eq!(
        payload.downcast_ref::<String>().map(String::as_str),
        Some(BOMB),
        "the destructor's panic payload reached the handle"
    );
}

/// A foreign waker that panics whenever it is woken, and counts the attempts.
#[derive(Default)]
struct PanickingWaker {
    wakes: AtomicUsize,
}

const WAKER_PANIC: &str = "a foreign waker panics when woken";

impl Wake for PanickingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::SeqCst);
        panic!("{WAKER_PANIC}");
    }
}

impl PanickingWaker {
    fn wakes(&self) -> usize {
        self.wakes.load(Ordering::SeqCst)
    }
}

/// Polls `fut` once with `waker`.
fn poll_once<F: Future + Unpin>(fut: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(fut).poll(&mut Context::from_waker(waker))
}

// ----------------------------------------------------------------------------------
// Panic payloads
// ----------------------------------------------------------------------------------

/// A payload that is neither a string nor `Clone`.
#[derive(Debug, PartialEq)]
struct Custom {
    code: u32,
    detail: Vec<u8>,
}

fn custom() -> Custom {
    Custom {
        code: 42,
        detail: vec![1, 2, 3],
    }
}

#[test]
fn panic_payloads_of_every_type_reach_the_join_error_intact() {
    bounded(LIMIT, || {
        let rt = rt(1);

        // `&'static str`, on the first poll.
        let h = rt.spawn(async { panic!("a static str") });
        let id = h.id();
        let err = rt.block_on(h).unwrap_err();
        assert!(err.is_panic() && !err.is_cancelled());
        assert_eq!(err.id(), id);
        assert!(err.to_string().contains("a static str"), "{err}");
        let payload = err.try_into_panic().expect("a panic gives its payload");
        assert_eq!(payload.downcast_ref::<&str>(), Some(&"a static str"));

        // `String`, on a later poll (after the task waited once).
        let n = std::hint::black_box(7);
        let h = rt.spawn(async move {
            runtime::yield_now().await;
            panic!("a String number {n}")
        });
        let err = rt.block_on(h).unwrap_err();
        assert!(err.is_panic());
        assert!(format!("{err:?}").contains("a String number 7"), "{err:?}");
        let payload = err.into_panic();
        assert_eq!(
            payload.downcast_ref::<String>().map(String::as_str),
            Some("a String number 7")
        );

        // A custom struct, through `panic_any`: the very value comes back.
        let h = rt.spawn(async { panic::panic_any(custom()) });
        let err = rt.block_on(h).unwrap_err();
        assert!(err.is_panic());
        // Display and Debug still work for a payload that is not a string.
        assert!(err.to_string().contains("panicked"), "{err}");
        assert!(!format!("{err:?}").is_empty());
        let payload = err.into_panic();
        assert_eq!(payload.downcast_ref::<Custom>(), Some(&custom()));

        // From a blocking closure, and through a JoinSet, the same.
        let err = rt
            .block_on(rt.handle().spawn_blocking(|| panic::panic_any(custom())))
            .unwrap_err();
        assert_eq!(
            err.try_into_panic().unwrap().downcast_ref::<Custom>(),
            Some(&custom())
        );
        let res = rt.block_on(async {
            let mut set = JoinSet::new();
            set.spawn(async { panic::panic_any(custom()) });
            set.join_next().await.unwrap()
        });
        let payload = res.unwrap_err().into_panic();
        assert_eq!(payload.downcast_ref::<Custom>(), Some(&custom()));

        // The single worker survived every one of them.
        assert_eq!(rt.metrics().workers(), 1);
        assert_eq!(rt.block_on(rt.spawn(async { 9 })).unwrap(), 9);
    });
}

#[test]
fn resuming_a_task_panic_re_raises_the_same_payload() {
    bounded(LIMIT, || {
        let rt = rt(1);
        let err = rt
            .block_on(rt.spawn(async { panic::panic_any(custom()) }))
            .unwrap_err();
        let resumed = panic::catch_unwind(AssertUnwindSafe(|| {
            panic::resume_unwind(err.into_panic());
        }))
        .unwrap_err();
        assert_eq!(resumed.downcast_ref::<Custom>(), Some(&custom()));
    });
}

// ----------------------------------------------------------------------------------
// Destructors that panic
// ----------------------------------------------------------------------------------

#[test]
fn a_panicking_drop_of_a_task_aborted_before_its_first_poll() {
    bounded(LIMIT, || {
        let rt = rt(1);
        // A neighbour that waits on a gate throughout: it must be unaffected.
        let gate = Gate::default();
        let neighbour = rt.spawn(gate.clone().wait());
        wait_until("the neighbour waits", || gate.has_waiter());

        // Occupy the only worker so the next task cannot start.
        let (busy_tx, busy_rx) = mpsc::channel::<()>();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let blocker = rt.spawn(async move {
            busy_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        busy_rx.recv_timeout(Duration::from_secs(10)).unwrap();

        let drops = Arc::new(AtomicUsize::new(0));
        let polled = Arc::new(AtomicUsize::new(0));
        let (bomb, p) = (Bomb(drops.clone()), polled.clone());
        let h = rt.spawn(async move {
            let _bomb = bomb;
            p.fetch_add(1, Ordering::SeqCst);
        });
        h.abort();
        release_tx.send(()).unwrap();
        rt.block_on(blocker).unwrap();

        assert_bomb(rt.block_on(h).unwrap_err());
        assert_eq!(polled.load(Ordering::SeqCst), 0, "never polled");
        assert_eq!(drops.load(Ordering::SeqCst), 1, "dropped exactly once");

        gate.open();
        rt.block_on(neighbour)
            .expect("the neighbour finished normally");
        assert_eq!(rt.block_on(rt.spawn(async { 1 })).unwrap(), 1);
    });
}

#[test]
fn panicking_drops_of_tasks_aborted_from_a_task_and_by_a_dropped_join_set() {
    bounded(LIMIT, || {
        let rt = rt(2);
        let gate = Gate::default();
        let neighbour = rt.spawn({
            let gate = gate.clone();
            async move {
                gate.wait().await;
                "unaffected"
            }
        });
        let drops = Arc::new(AtomicUsize::new(0));
        let started = Arc::new(AtomicUsize::new(0));
        let bomb_task = |drops: &Arc<AtomicUsize>| {
            let (bomb, started) = (Bomb(drops.clone()), started.clone());
            async move {
                let _bomb = bomb;
                started.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>().await;
            }
        };

        // Aborted through their handles, from inside a task, while pending.
        let handles: Vec<JoinHandle<()>> = (0..10).map(|_| rt.spawn(bomb_task(&drops))).collect();
        wait_until("the bombs are pending", || {
            started.load(Ordering::SeqCst) == 10
        });
        let errors = rt
            .block_on(rt.spawn(async move {
                for h in &handles {
                    h.abort_handle().abort();
                }
                let mut errors = Vec::new();
                for h in handles {
                    errors.push(h.await.unwrap_err());
                }
                errors
            }))
            .expect("the aborting task did not panic");
        assert_eq!(errors.len(), 10);
        errors.into_iter().for_each(assert_bomb);
        assert_eq!(drops.load(Ordering::SeqCst), 10);

        // Aborted by dropping the JoinSet that holds them (no handle left to report).
        rt.block_on(async {
            let mut set = JoinSet::new();
            for _ in 0..10 {
                set.spawn(bomb_task(&drops));
            }
            runtime::yield_now().await;
            drop(set);
        });
        wait_until("the JoinSet's bombs are dropped", || {
            drops.load(Ordering::SeqCst) == 20
        });

        gate.open();
        assert_eq!(rt.block_on(neighbour).unwrap(), "unaffected");
        assert_eq!(rt.metrics().workers(), 2);
        let sum: u32 = rt.block_on(async {
            let hs: Vec<_> = (0..10u32)
                .map(|i| runtime::spawn(async move { i }))
                .collect();
            runtime::task::join_all(hs)
                .await
                .into_iter()
                .map(Result::unwrap)
                .sum()
        });
        assert_eq!(sum, 45, "both workers still run tasks");
    });
}

#[test]
fn panicking_drops_at_shutdown_are_reported_and_the_shutdown_completes() {
    bounded(LIMIT, || {
        let stopped = Arc::new(AtomicUsize::new(0));
        let s = stopped.clone();
        let rt = Builder::new()
            .worker_threads(2)
            .on_thread_stop(move || {
                s.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .unwrap();
        let bombs = Arc::new(AtomicUsize::new(0));
        let tokens = Arc::new(AtomicUsize::new(0));
        let started = Arc::new(AtomicUsize::new(0));
        let gate = Gate::default();
        let mut bomb_handles = Vec::new();
        let mut token_handles = Vec::new();
        for i in 0..20 {
            let (bomb, token) = (Bomb(bombs.clone()), Token(tokens.clone()));
            let (s1, s2, g) = (started.clone(), started.clone(), gate.clone());
            // Half wait on a waker somebody holds, half on nothing at all (only the
            // runtime's registry reaches those).
            bomb_handles.push(rt.spawn(async move {
                let _bomb = bomb;
                s1.fetch_add(1, Ordering::SeqCst);
                if i % 2 == 0 {
                    g.wait().await;
                } else {
                    std::future::pending::<()>().await;
                }
            }));
            token_handles.push(rt.spawn(async move {
                let _token = token;
                s2.fetch_add(1, Ordering::SeqCst);
                std::future::pending::<()>().await;
            }));
        }
        wait_until("every task is pending", || {
            started.load(Ordering::SeqCst) == 40
        });

        let dropped = panic::catch_unwind(AssertUnwindSafe(|| drop(rt)));
        assert!(
            dropped.is_ok(),
            "a task's destructor panic escaped drop(rt)"
        );
        assert_eq!(stopped.load(Ordering::SeqCst), 2, "both workers stopped");
        assert_eq!(bombs.load(Ordering::SeqCst), 20);
        assert_eq!(
            tokens.load(Ordering::SeqCst),
            20,
            "the neighbours were dropped"
        );
        for h in bomb_handles {
            assert!(h.is_finished());
            assert_bomb(runtime::block_on(h).unwrap_err());
        }
        for h in token_handles {
            assert!(runtime::block_on(h).unwrap_err().is_cancelled());
        }
        // The gate's stored waker points at a finished task: waking it does nothing.
        gate.open();
    });
}

#[test]
fn panicking_drops_of_never_polled_tasks_at_shutdown_timeout() {
    bounded(LIMIT, || {
        let rt = rt(1);
        // Block the only worker, so every later spawn stays queued, never polled, and
        // `shutdown_timeout` gives up waiting for the worker. The queued tasks are
        // cancelled by the worker once it is free, never on the caller's thread
        // (README, "Failure model").
        let (busy_tx, busy_rx) = mpsc::channel::<()>();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let blocker = rt.spawn(async move {
            busy_tx.send(()).unwrap();
            release_rx.recv().unwrap();
        });
        busy_rx.recv_timeout(Duration::from_secs(10)).unwrap();

        let bombs = Arc::new(AtomicUsize::new(0));
        let tokens = Arc::new(AtomicUsize::new(0));
        let bomb_handles: Vec<_> = (0..5)
            .map(|_| {
                let bomb = Bomb(bombs.clone());
                rt.spawn(async move { drop(bomb) })
            })
            .collect();
        let token_handles: Vec<_> = (0..5)
            .map(|_| {
                let token = Token(tokens.clone());
                rt.spawn(async move { drop(token) })
            })
            .collect();

        let res = panic::catch_unwind(AssertUnwindSafe(|| {
            rt.shutdown_timeout(Duration::from_millis(100));
        }));
        assert!(
            res.is_ok(),
            "a task's destructor panic escaped shutdown_timeout"
        );
        assert_eq!(
            bombs.load(Ordering::SeqCst),
            0,
            "the caller ran no destructor"
        );
        assert_eq!(
            tokens.load(Ordering::SeqCst),
            0,
            "the caller ran no destructor"
        );
        release_tx.send(()).unwrap();
        for h in bomb_handles {
            assert_bomb(runtime::block_on(h).unwrap_err());
        }
        for h in token_handles {
            assert!(runtime::block_on(h).unwrap_err().is_cancelled());
        }
        assert_eq!(bombs.load(Ordering::SeqCst), 5);
        assert_eq!(tokens.load(Ordering::SeqCst), 5);
        let res = runtime::block_on(blocker);
        assert!(res.is_ok() || res.unwrap_err().is_cancelled());
    });
}

#[test]
fn a_panicking_drop_spawned_after_shutdown_does_not_reach_the_caller() {
    bounded(LIMIT, || {
        let rt = rt(1);
        let handle = rt.handle().clone();
        drop(rt);
        let drops = Arc::new(AtomicUsize::new(0));
        let bomb = Bomb(drops.clone());
        let spawned =
            panic::catch_unwind(AssertUnwindSafe(|| handle.spawn(async move { drop(bomb) })));
        let h = spawned.expect("the destructor's panic escaped into spawn's caller");
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        assert_bomb(runtime::block_on(h).unwrap_err());
    });
}

// ----------------------------------------------------------------------------------
// Foreign wakers that panic
// ----------------------------------------------------------------------------------

#[test]
fn a_panicking_join_handle_waker_is_woken_on_the_worker_which_survives() {
    bounded(LIMIT, || {
        let rt = rt(1);
        let gate = Gate::default();
        let mut h = rt.spawn({
            let gate = gate.clone();
            async move {
                gate.wait().await;
                "the output"
            }
        });
        wait_until("the task waits", || gate.has_waiter());
        let hostile = Arc::new(PanickingWaker::default());
        let waker = Waker::from(hostile.clone());
        assert!(poll_once(&mut h, &waker).is_pending());
        drop(waker);

        // The task completes on the only worker, which wakes the hostile waker.
        gate.open();
        wait_until("the worker woke the join waker", || hostile.wakes() == 1);
        assert!(h.is_finished());

        // That worker still runs tasks.
        assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap(), 5);
        assert_eq!(rt.metrics().workers(), 1);
        // The output was kept for the handle.
        assert_eq!(rt.block_on(&mut h).unwrap(), "the output");
        drop(h);
        // Every clone of the hostile waker was released with the task.
        wait_until("the task's clone of the waker is dropped", || {
            Arc::strong_count(&hostile) == 1
        });
    });
}

#[test]
fn a_task_that_wakes_a_panicking_foreign_waker_fails_alone() {
    bounded(LIMIT, || {
        let rt = rt(1);
        let hostile = Arc::new(PanickingWaker::default());
        let waker = Waker::from(hostile.clone());
        // The waker reaches the task's future (as a library's stored waker would).
        let h = rt.spawn(async move {
            waker.wake_by_ref();
            "unreachable"
        });
        let err = rt.block_on(h).unwrap_err();
        assert!(err.is_panic());
        assert_eq!(
            err.into_panic()
                .downcast_ref::<String>()
                .map(String::as_str),
            Some(WAKER_PANIC)
        );
        assert_eq!(hostile.wakes(), 1);
        assert_eq!(
            Arc::strong_count(&hostile),
            1,
            "the task's future and its waker were dropped"
        );
        assert_eq!(rt.block_on(rt.spawn(async { 6 })).unwrap(), 6);
    });
}

#[test]
fn a_task_that_polls_another_with_a_panicking_waker_keeps_running() {
    bounded(LIMIT, || {
        let rt = rt(1);
        let hostile = Arc::new(PanickingWaker::default());
        let h2 = hostile.clone();
        let out = rt.block_on(rt.spawn(async move {
            let gate = Gate::default();
            let mut inner = runtime::spawn({
                let gate = gate.clone();
                async move {
                    gate.wait().await;
                    7
                }
            });
            // Register the foreign waker as `inner`'s join waker, on this worker.
            let waker = Waker::from(h2.clone());
            let first = poll_once(&mut inner, &waker);
            assert!(first.is_pending());
            gate.open();
            // `inner` completes on this same worker, which wakes the hostile waker.
            while !inner.is_finished() {
                runtime::yield_now().await;
            }
            inner.await.unwrap()
        }));
        assert_eq!(out.unwrap(), 7);
        assert_eq!(hostile.wakes(), 1);
        assert_eq!(rt.block_on(rt.spawn(async { 8 })).unwrap(), 8);
    });
}

#[test]
fn a_panicking_waker_on_join_next_leaves_the_join_set_consistent() {
    bounded(LIMIT, || {
        let rt = rt(1);
        let gate = Gate::default();
        let mut set = JoinSet::new();
        {
            let gate = gate.clone();
            set.spawn_on(
                async move {
                    gate.wait().await;
                    11
                },
                rt.handle(),
            );
        }
        wait_until("the task waits", || gate.has_waiter());
        let hostile = Arc::new(PanickingWaker::default());
        let waker = Waker::from(hostile.clone());
        // The same `join_next` future is kept across the wake (a set may forget the
        // waker of a dropped one) and polled again once the hostile wake is done.
        let mut next = Box::pin(set.join_next());
        assert!(next
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        drop(waker);
        gate.open();
        wait_until("the worker woke the set's waker", || hostile.wakes() == 1);
        assert_eq!(rt.block_on(rt.spawn(async { 12 })).unwrap(), 12);
        // The finished task is there to be joined, exactly once.
        assert_eq!(rt.block_on(next.as_mut()).unwrap().unwrap(), 11);
        drop(next);
        assert!(set.is_empty());
        assert!(rt.block_on(set.join_next()).is_none());
    });
}

/// A `Sleep` of `after`, made in `rt`'s context (so on its timer) or, with `None`,
/// outside any runtime (so on the global timer), and polled once with `hostile`.
fn sleep_polled_by(
    rt: Option<&Runtime>,
    after: Duration,
    hostile: &Arc<PanickingWaker>,
) -> Pin<Box<runtime::time::Sleep>> {
    let waker = Waker::from(hostile.clone());
    let make = || {
        let mut sleep = Box::pin(runtime::time::sleep(after));
        let first = sleep.as_mut().poll(&mut Context::from_waker(&waker));
        assert!(first.is_pending());
        sleep
    };
    match rt {
        Some(rt) => {
            let mut slot = None;
            rt.block_on(async { slot = Some(make()) });
            slot.unwrap()
        }
        None => make(),
    }
}

/// A timer that fires for a `Sleep` polled with a panicking waker must not kill the
/// worker that fires it (nor lose the other wake-ups due at the same time).
#[test]
fn a_sleep_polled_with_a_panicking_waker_does_not_kill_the_worker() {
    bounded(LIMIT, || {
        let rt = rt(1);
        let hostile = Arc::new(PanickingWaker::default());
        // Made in the runtime's context, so it is on the runtime's timer; kept alive
        // (registered) until the end of the test.
        let _sleep = sleep_polled_by(Some(&rt), Duration::from_millis(10), &hostile);
        // A well-behaved sleeper due at about the same time.
        let sleeper = rt.spawn(runtime::time::sleep(Duration::from_millis(10)));
        wait_until("the timer fired the hostile waker", || hostile.wakes() == 1);
        let (tx, rx) = mpsc::channel();
        let probe = rt.spawn(async move {
            sleeper.await.unwrap();
            tx.send(()).unwrap();
        });
        rx.recv_timeout(Duration::from_secs(5))
            .expect("the worker stopped running tasks after a waker panicked in its timer");
        rt.block_on(probe).unwrap();
    });
}

/// Shutdown wakes every pending timer entry; a panicking one must not escape `drop`.
#[test]
fn a_pending_sleep_with_a_panicking_waker_does_not_break_shutdown() {
    bounded(LIMIT, || {
        let stopped = Arc::new(AtomicUsize::new(0));
        let s = stopped.clone();
        let rt = Builder::new()
            .worker_threads(1)
            .on_thread_stop(move || {
                s.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .unwrap();
        let hostile = Arc::new(PanickingWaker::default());
        let sleep = sleep_polled_by(Some(&rt), Duration::from_secs(3600), &hostile);
        let tokens = Arc::new(AtomicUsize::new(0));
        let token = Token(tokens.clone());
        let pending = rt.spawn(async move {
            let _token = token;
            std::future::pending::<()>().await;
        });
        let res = panic::catch_unwind(AssertUnwindSafe(|| drop(rt)));
        assert!(res.is_ok(), "a waker's panic escaped drop(rt)");
        assert_eq!(stopped.load(Ordering::SeqCst), 1, "the worker was joined");
        assert_eq!(
            tokens.load(Ordering::SeqCst),
            1,
            "the pending task was dropped"
        );
        assert!(runtime::block_on(pending).unwrap_err().is_cancelled());
        drop(sleep);
    });
}

/// The global timer thread (sleeps made outside any runtime) must survive the same.
/// Run alone: with the bug present it kills the process-wide timer thread.
#[test]
fn a_sleep_outside_a_runtime_with_a_panicking_waker_does_not_kill_the_global_timer() {
    bounded(LIMIT, || {
        let hostile = Arc::new(PanickingWaker::default());
        // Made outside any runtime: the global timer thread drives it.
        let _sleep = sleep_polled_by(None, Duration::from_millis(10), &hostile);
        wait_until("the timer fired the hostile waker", || hostile.wakes() == 1);
        // A later sleep outside a runtime still fires.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            runtime::block_on(runtime::time::sleep(Duration::from_millis(10)));
            let _ = tx.send(());
        });
        rx.recv_timeout(Duration::from_secs(5))
            .expect("the global timer stopped firing after a waker panicked in it");
    });
}

#[test]
fn a_panicking_shared_awaiter_waker_does_not_strand_the_other_awaiters() {
    bounded(LIMIT, || {
        let rt = rt(2);
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let task = rt.spawn(async move {
            runtime::task::block_in_place(|| release_rx.recv().unwrap());
            7
        });
        let shared = task.shared();
        // The first awaiter registered is a foreign one whose waker panics.
        let hostile = Arc::new(PanickingWaker::default());
        let mut first = shared.clone();
        assert!(poll_once(&mut first, &Waker::from(hostile.clone())).is_pending());
        // Real tasks await the same result after it.
        let (polled_tx, polled_rx) = mpsc::channel();
        let others: Vec<_> = (0..3)
            .map(|_| {
                let mut s = shared.clone();
                let polled = polled_tx.clone();
                rt.spawn(std::future::poll_fn(move |cx| {
                    let poll = Pin::new(&mut s).poll(cx);
                    let _ = polled.send(());
                    poll
                }))
            })
            .collect();
        for _ in 0..3 {
            polled_rx.recv_timeout(Duration::from_secs(10)).unwrap();
        }
        release_tx.send(()).unwrap();
        // The hostile waker panicked (caught), and every other awaiter was woken.
        for h in others {
            assert_eq!(rt.block_on(h).unwrap().unwrap(), 7);
        }
        assert_eq!(hostile.wakes(), 1);
    });
}

#[test]
fn a_panicking_pool_waiter_waker_does_not_unwind_out_of_a_guard_drop() {
    bounded(LIMIT, || {
        let pool = runtime::pool::LendingPool::new(vec![0u32]);
        let guard = pool.try_borrow_mut(0).unwrap();
        let hostile = Arc::new(PanickingWaker::default());
        let mut waiter = Box::pin(pool.borrow_mut(0));
        assert!(waiter
            .as_mut()
            .poll(&mut Context::from_waker(&Waker::from(hostile.clone())))
            .is_pending());
        // Releasing the item wakes the waiter: its waker panics, which must stay
        // out of the releasing code (a drop, here; during an unwind it would abort).
        let released = panic::catch_unwind(AssertUnwindSafe(|| drop(guard)));
        assert!(
            released.is_ok(),
            "the waker's panic escaped the guard's drop"
        );
        assert_eq!(hostile.wakes(), 1);
        // The waiter was handed the item: its next poll gets it.
        let got = waiter
            .as_mut()
            .poll(&mut Context::from_waker(&Waker::from(Arc::new(
                PanickingWaker::default(),
            ))));
        assert!(matches!(got, Poll::Ready(Ok(_))));
    });
}
