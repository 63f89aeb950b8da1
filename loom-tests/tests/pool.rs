//! loom models of the lending pool's release-and-wake protocol (`runtime/src/pool/wait.rs`).
//!
//! They drive the real pool code; under `cfg(loom)` only the item lock is a stand-in
//! (a try-only reader-writer lock on a loom atomic, `runtime/src/sync/rwlock.rs`), and the
//! queue mutex, the `waiting` counts and the fences are loom's. Waiters run on the
//! `block_on` below, which parks the model thread until its waker unparks it: a waiter
//! left asleep while its item is free ends the model in a deadlock that loom reports.
//!
//! Each model runs with a preemption bound of 2 and states the fewest executions it
//! must explore (`loom_tests::model`). Run: `.ci/loom.sh`, or
//! `RUSTFLAGS="--cfg loom" cargo test -p loom-tests --release --test pool`
#![cfg(loom)]

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use loom::cell::UnsafeCell;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;
use runtime::pool::LendingPool;

/// Wakes a parked model thread.
struct Unparker(thread::Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Polls `future` on this model thread, parking between wake-ups.
fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unparker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}

/// A waker that only counts its wake-ups (in a loom atomic).
struct Counter(AtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// The classic lost wake-up: the holder returns the item while the waiter is
/// between its failed try and its registration. The waiter must still get it.
#[test]
fn a_release_racing_a_registration_wakes_the_waiter() {
    loom_tests::model(2, 3, || {
        let pool = Arc::new(LendingPool::new(vec![0]));
        let held = pool.try_borrow_mut_owned(0).unwrap();
        let waiter = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || *block_on(pool.borrow_mut(0)).unwrap() += 1)
        };
        drop(held);
        waiter.join().unwrap();
        assert_eq!(*pool.try_borrow(0).unwrap(), 1);
    });
}

/// Two waiters, one writer and one reader, behind a writer that returns the item:
/// every waiter is served and the exclusion holds (the item is a loom `UnsafeCell`,
/// so a reader and a writer inside it at once would be reported as a race).
#[test]
fn queued_readers_and_writers_are_all_served_with_exclusion() {
    loom_tests::model(2, 90, || {
        // loom's `UnsafeCell` is not `Sync`, so neither is this pool: on purpose, loom
        // checks every access to it (and its threads do not require `Send`).
        #[allow(clippy::arc_with_non_send_sync)]
        let pool = Arc::new(LendingPool::new(vec![UnsafeCell::new(0_usize)]));
        let held = pool.try_borrow_mut_owned(0).unwrap();
        let writer = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || {
                let item = block_on(pool.borrow_mut(0)).unwrap();
                // SAFETY: the exclusive borrow; loom checks that nobody else is inside.
                item.with_mut(|n| unsafe { *n += 1 });
            })
        };
        let reader = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || {
                let item = block_on(pool.borrow(0)).unwrap();
                // SAFETY: a shared borrow; loom checks that no writer is inside.
                item.with(|n| unsafe { *n })
            })
        };
        // SAFETY: the exclusive borrow taken above.
        held.with_mut(|n| unsafe { *n += 10 });
        drop(held);
        let seen = reader.join().unwrap();
        writer.join().unwrap();
        assert!(seen == 10 || seen == 11, "the reader saw {seen}");
        // SAFETY: a shared borrow, and every other thread has finished.
        pool.try_borrow(0)
            .unwrap()
            .with(|n| assert_eq!(unsafe { *n }, 11));
    });
}

/// A waiter that may already have been handed the turn is dropped (cancelled) while
/// another waits behind it: the turn must be passed on, or the second sleeps for ever.
#[test]
fn a_cancelled_waiter_passes_its_turn_on() {
    loom_tests::model(2, 30, || {
        let pool = Arc::new(LendingPool::new(vec![0]));
        let held = pool.try_borrow_mut_owned(0).unwrap();
        let quitter = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || {
                let wakes = Arc::new(Counter(AtomicUsize::new(0)));
                let waker = Waker::from(Arc::clone(&wakes));
                let mut future = pin!(pool.borrow_mut(0));
                // One poll: it either gets the item or queues; then it gives up.
                let _ = future.as_mut().poll(&mut Context::from_waker(&waker));
            })
        };
        let patient = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || *block_on(pool.borrow_mut(0)).unwrap() += 1)
        };
        drop(held);
        quitter.join().unwrap();
        patient.join().unwrap();
        assert_eq!(*pool.try_borrow(0).unwrap(), 1);
    });
}

/// The object pool: a `borrow_any_mut` waiter while every item is out; one item
/// comes back on another thread and the waiter must get it.
#[test]
fn an_any_waiter_gets_a_returned_item() {
    loom_tests::model(2, 8, || {
        let pool = Arc::new(LendingPool::new(vec![0, 1]));
        let first = pool.try_borrow_mut_owned(0).unwrap();
        let second = pool.try_borrow_mut_owned(1).unwrap();
        let waiter = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || block_on(pool.borrow_any_mut()).map(|(index, _)| index))
        };
        let returner = thread::spawn(move || drop(second));
        assert_eq!(waiter.join().unwrap(), Some(1));
        returner.join().unwrap();
        drop(first);
    });
}

/// A synchronous `try_borrow_mut` may take the item between its return and the woken
/// waiter's poll; the waiter keeps its place and must be woken again.
#[test]
fn a_waiter_overtaken_by_a_try_borrow_is_woken_again() {
    loom_tests::model(2, 14, || {
        let pool = Arc::new(LendingPool::new(vec![0]));
        let held = pool.try_borrow_mut_owned(0).unwrap();
        let waiter = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || *block_on(pool.borrow_mut(0)).unwrap() += 1)
        };
        let barger = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || {
                if let Ok(mut item) = pool.try_borrow_mut(0) {
                    *item += 10;
                }
            })
        };
        drop(held);
        waiter.join().unwrap();
        barger.join().unwrap();
        let value = *pool.try_borrow(0).unwrap();
        assert!(value == 1 || value == 11, "{value}");
    });
}

/// Waiters for the item come before any waiters, so a release may skip the any
/// queue; if the item's waiter then gives up (cancelled), the any waiter must still
/// be woken.
#[test]
fn an_item_waiter_that_gives_up_hands_over_to_an_any_waiter() {
    loom_tests::model(2, 20, || {
        let pool = Arc::new(LendingPool::new(vec![0]));
        let held = pool.try_borrow_mut_owned(0).unwrap();
        let quitter = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || {
                let wakes = Arc::new(Counter(AtomicUsize::new(0)));
                let waker = Waker::from(Arc::clone(&wakes));
                let mut future = pin!(pool.borrow_mut(0));
                let _ = future.as_mut().poll(&mut Context::from_waker(&waker));
            })
        };
        let any = {
            let pool = Arc::clone(&pool);
            thread::spawn(move || block_on(pool.borrow_any_mut()).map(|(index, _)| index))
        };
        drop(held);
        quitter.join().unwrap();
        assert_eq!(any.join().unwrap(), Some(0));
    });
}
