//! Waiting for items: async borrowers on plain threads (with a tiny executor written
//! here, so the pool is shown to need no runtime) and on our multi-threaded runtime.

mod common;

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc;
use std::sync::{Arc, Barrier, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;

use common::{within, Gate};
use runtime::pool::{LendError, LendingPool};
use runtime::{Builder, Runtime};

#[cfg(not(miri))]
const WAITERS: usize = 6;
#[cfg(miri)]
const WAITERS: usize = 3;
#[cfg(not(miri))]
const ROUNDS: usize = 50;
#[cfg(miri)]
const ROUNDS: usize = 3;

/// Wakes a parked thread.
struct Unparker(thread::Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// The smallest executor: polls `future` on this thread, parking between wake-ups,
/// and calls `on_pending` each time it returns `Pending` (so the test can tell when
/// the future has queued).
fn block_on_reporting<F: Future>(future: F, mut on_pending: impl FnMut()) -> F::Output {
    let waker = Waker::from(Arc::new(Unparker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        on_pending();
        thread::park();
    }
}

/// Runs `future` on a new thread with [`block_on_reporting`], and returns once it
/// has returned `Pending` the first time (it is queued), with the thread's handle.
fn spawn_queued<F>(future: F) -> thread::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (queued, is_queued) = mpsc::channel();
    let handle = thread::spawn(move || {
        block_on_reporting(future, || {
            let _ = queued.send(());
        })
    });
    is_queued
        .recv()
        .expect("the future must wait, not finish at once");
    handle
}

/// `future`, reporting on `queued` the first time it returns `Pending`: for a pool
/// borrow, that it has queued (and must now be woken by a release).
fn report_pending<F: Future>(future: F, queued: mpsc::Sender<()>) -> ReportPending<F> {
    ReportPending {
        future: Box::pin(future),
        queued: Some(queued),
    }
}

struct ReportPending<F> {
    future: Pin<Box<F>>,
    queued: Option<mpsc::Sender<()>>,
}

impl<F: Future> Future for ReportPending<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let poll = self.future.as_mut().poll(cx);
        if poll.is_pending() {
            if let Some(queued) = self.queued.take() {
                let _ = queued.send(());
            }
        }
        poll
    }
}

/// `first` or, if `cancel` opens first, `None` (dropping `first`): a select.
async fn unless<F: Future + Unpin>(first: F, cancel: Gate) -> Option<F::Output> {
    struct Race<F, G>(F, Pin<Box<G>>);
    impl<F: Future + Unpin, G: Future> Future for Race<F, G> {
        type Output = Option<F::Output>;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            if let Poll::Ready(output) = Pin::new(&mut self.0).poll(cx) {
                return Poll::Ready(Some(output));
            }
            self.1.as_mut().poll(cx).map(|_| None)
        }
    }
    Race(first, Box::pin(cancel.wait())).await
}

#[test]
fn waiters_on_threads_resume_in_arrival_order() {
    within(60, || {
        let pool = Arc::new(LendingPool::new(vec![Vec::new()]));
        let held = pool.try_borrow_mut(0).unwrap();
        let waiters: Vec<_> = (0..WAITERS)
            .map(|n| {
                let pool = Arc::clone(&pool);
                spawn_queued(async move { pool.borrow_mut_owned(0).await.unwrap().push(n) })
            })
            .collect();
        drop(held);
        waiters.into_iter().for_each(|w| w.join().unwrap());
        let order = pool.try_borrow(0).unwrap().clone();
        assert_eq!(order, (0..WAITERS).collect::<Vec<_>>());
    });
}

#[test]
fn readers_queued_together_are_let_in_together() {
    within(60, || {
        let pool = Arc::new(LendingPool::new(vec![0]));
        let held = pool.try_borrow_mut(0).unwrap();
        // Each reader holds its borrow until all of them hold one: this only
        // finishes if one release lets every queued reader in.
        let all_in = Arc::new(Barrier::new(WAITERS));
        let readers: Vec<_> = (0..WAITERS)
            .map(|_| {
                let (pool, all_in) = (Arc::clone(&pool), Arc::clone(&all_in));
                spawn_queued(async move {
                    let guard = pool.borrow_owned(0).await.unwrap();
                    all_in.wait();
                    *guard
                })
            })
            .collect();
        drop(held);
        for reader in readers {
            assert_eq!(reader.join().unwrap(), 0);
        }
    });
}

#[test]
fn a_cancelled_waiter_gives_way_to_the_next() {
    within(60, || {
        let pool = Arc::new(LendingPool::new(vec!["book"]));
        let held = pool.try_borrow_mut(0).unwrap();
        let cancel = Gate::new();
        let first = {
            let (pool, cancel) = (Arc::clone(&pool), cancel.clone());
            spawn_queued(async move { unless(pool.borrow_mut_owned(0), cancel).await.is_none() })
        };
        let second = {
            let pool = Arc::clone(&pool);
            spawn_queued(async move { *pool.borrow_mut_owned(0).await.unwrap() })
        };
        cancel.open();
        assert!(
            first.join().unwrap(),
            "the first waiter was cancelled, not served"
        );
        drop(held);
        assert_eq!(second.join().unwrap(), "book");
        assert_eq!(pool.is_lent(0), Ok(false));
    });
}

#[test]
fn the_free_block_on_waits_for_a_returned_item() {
    within(60, || {
        let pool = Arc::new(LendingPool::new(vec![1]));
        let held = pool.try_borrow_mut_owned(0).unwrap();
        let (queued, is_queued) = mpsc::channel();
        // Returned only once the borrow below has queued, so it must be woken.
        let returner = thread::spawn(move || {
            is_queued.recv().expect("the borrow must wait");
            drop(held);
        });
        let value =
            runtime::block_on(async { *report_pending(pool.borrow(0), queued).await.unwrap() });
        returner.join().unwrap();
        assert_eq!(value, 1);
        assert_eq!(
            runtime::block_on(pool.borrow_mut(9)).err(),
            Some(LendError::OutOfRange { index: 9, len: 1 })
        );
    });
}

fn two_workers() -> Runtime {
    Builder::new().worker_threads(2).build().unwrap()
}

#[test]
fn tasks_on_a_multi_threaded_runtime_take_turns() {
    within(60, || {
        let rt = two_workers();
        let pool = Arc::new(LendingPool::new(vec![0_u64, 0]));
        let busy = Arc::new([AtomicBool::new(false), AtomicBool::new(false)]);
        let tasks: Vec<_> = (0..WAITERS * 2)
            .map(|n| {
                let (pool, busy) = (Arc::clone(&pool), Arc::clone(&busy));
                rt.spawn(async move {
                    let index = n % 2;
                    for _ in 0..ROUNDS {
                        // The borrowed (not owned) form, held across an `.await`.
                        let mut item = pool.borrow_mut(index).await.unwrap();
                        assert!(!busy[index].swap(true, SeqCst), "two writers at once");
                        runtime::yield_now().await;
                        *item += 1;
                        busy[index].store(false, SeqCst);
                    }
                })
            })
            .collect();
        rt.block_on(async {
            for task in tasks {
                task.await.unwrap();
            }
        });
        let each = (WAITERS * ROUNDS) as u64;
        assert_eq!(*pool.try_borrow(0).unwrap(), each);
        assert_eq!(*pool.try_borrow(1).unwrap(), each);
    });
}

#[test]
fn owned_guards_live_in_spawned_tasks() {
    within(60, || {
        let rt = two_workers();
        let pool = Arc::new(LendingPool::new(vec![String::from("atlas")]));
        let release = Gate::new();
        // Borrowed "indefinitely": the guard lives in a task until the gate opens.
        let guard = pool.try_borrow_mut_owned(0).unwrap();
        let keeper = {
            let release = release.clone();
            rt.spawn(async move {
                let mut guard = guard;
                release.wait().await;
                guard.push_str(" (annotated)");
            })
        };
        assert_eq!(pool.try_borrow(0).err(), Some(LendError::CheckedOut));
        let (queued, is_queued) = mpsc::channel();
        let reader = {
            let pool = Arc::clone(&pool);
            rt.spawn(async move {
                report_pending(pool.borrow_owned(0), queued)
                    .await
                    .unwrap()
                    .clone()
            })
        };
        // The reader waits in the queue before the guard goes back.
        is_queued
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("the reader must wait for the guard");
        assert!(!reader.is_finished());
        release.open();
        rt.block_on(async {
            keeper.await.unwrap();
            assert_eq!(reader.await.unwrap(), "atlas (annotated)");
        });
    });
}

#[test]
fn a_connection_pool_serves_many_tasks() {
    within(60, || {
        let rt = two_workers();
        const CONNECTIONS: usize = 3;
        let pool = Arc::new(LendingPool::new(
            (0..CONNECTIONS).map(|_| AtomicBool::new(false)).collect(),
        ));
        let served = Arc::new(Mutex::new([0_usize; CONNECTIONS]));
        let uses = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..WAITERS * 2)
            .map(|_| {
                let (pool, served, uses) =
                    (Arc::clone(&pool), Arc::clone(&served), Arc::clone(&uses));
                rt.spawn(async move {
                    for _ in 0..ROUNDS {
                        let (index, conn) = pool.borrow_any_mut_owned().await.unwrap();
                        assert!(
                            !conn.swap(true, SeqCst),
                            "a connection was handed out twice"
                        );
                        runtime::yield_now().await;
                        conn.store(false, SeqCst);
                        served.lock().unwrap()[index] += 1;
                        uses.fetch_add(1, SeqCst);
                    }
                })
            })
            .collect();
        rt.block_on(async {
            for task in tasks {
                task.await.unwrap();
            }
        });
        assert_eq!(uses.load(SeqCst), WAITERS * 2 * ROUNDS);
        let served = *served.lock().unwrap();
        assert_eq!(served.iter().sum::<usize>(), WAITERS * 2 * ROUNDS);
        assert!(
            served.iter().all(|&n| n > 0),
            "load spreads over every connection: {served:?}"
        );
    });
}

#[test]
fn dropping_the_runtime_cancels_waiters_cleanly() {
    within(60, || {
        let rt = two_workers();
        let pool = Arc::new(LendingPool::new(vec![0]));
        let held = pool.try_borrow_mut(0).unwrap();
        let (queued, is_queued) = mpsc::channel();
        for _ in 0..WAITERS {
            let (pool, queued) = (Arc::clone(&pool), queued.clone());
            rt.spawn(async move {
                let _ = report_pending(pool.borrow_mut(0), queued).await;
            });
        }
        // Every waiter is in the queue (not merely spawned) when the runtime goes.
        for _ in 0..WAITERS {
            is_queued
                .recv_timeout(std::time::Duration::from_secs(10))
                .expect("every waiter queues");
        }
        drop(rt); // cancels the waiting tasks, dropping their futures
        drop(held);
        assert_eq!(Arc::strong_count(&pool), 1, "no waiter kept the pool");
        let _again = pool.try_borrow_mut(0).unwrap();
    });
}
