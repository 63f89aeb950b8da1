//! Unit tests of the pool: errors, guards, and the wait queues' notify rule, polled
//! by hand with counting wakers so that every step is deterministic (and Miri-fast).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use super::*;

/// A waker that counts its wake-ups.
#[derive(Default)]
struct Counter(StdAtomicUsize);

impl Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A hand-polled future with its own counting waker.
struct Probe<F> {
    future: Pin<Box<F>>,
    wakes: Arc<Counter>,
    waker: Waker,
}

impl<F: Future> Probe<F> {
    fn new(future: F) -> Probe<F> {
        let wakes = Arc::new(Counter::default());
        let waker = Waker::from(Arc::clone(&wakes));
        Probe {
            future: Box::pin(future),
            wakes,
            waker,
        }
    }

    fn poll(&mut self) -> Poll<F::Output> {
        self.future
            .as_mut()
            .poll(&mut Context::from_waker(&self.waker))
    }

    fn wakes(&self) -> usize {
        self.wakes.0.load(SeqCst)
    }

    #[track_caller]
    fn ready(&mut self) -> F::Output {
        match self.poll() {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("expected the future to be ready"),
        }
    }

    #[track_caller]
    fn pending(&mut self) {
        assert!(
            self.poll().is_pending(),
            "expected the future to be pending"
        );
    }
}

fn waiting(queue: &WaitQueue) -> usize {
    queue.waiting()
}

#[test]
fn auto_traits() {
    fn send_sync<S: Send + Sync>() {}
    fn send<S: Send>() {}
    send_sync::<LendingPool<String>>();
    send_sync::<LendError>();
    send_sync::<Ref<'static, String>>();
    send_sync::<RefMut<'static, String>>();
    send_sync::<OwnedRef<String>>();
    send_sync::<OwnedRefMut<String>>();
    send::<Borrow<'static, String>>();
    send::<BorrowMut<'static, String>>();
    send::<BorrowAnyMut<'static, String>>();
    send::<BorrowOwned<String>>();
    send::<BorrowMutOwned<String>>();
    send::<BorrowAnyMutOwned<String>>();
    fn unpin<U: Unpin>() {}
    unpin::<BorrowMut<'static, std::marker::PhantomPinned>>();
    fn static_<S: 'static>() {}
    static_::<OwnedRefMut<String>>();
    static_::<BorrowMutOwned<String>>();
}

#[test]
fn every_error_case() {
    let pool = Arc::new(LendingPool::new(vec![10, 20]));
    let out = LendError::OutOfRange { index: 2, len: 2 };
    assert_eq!(pool.try_borrow(2).err(), Some(out));
    assert_eq!(pool.try_borrow_mut(2).err(), Some(out));
    assert_eq!(pool.try_borrow_owned(2).err(), Some(out));
    assert_eq!(pool.try_borrow_mut_owned(2).err(), Some(out));
    assert_eq!(pool.is_lent(2), Err(out));
    assert_eq!(
        pool.try_borrow(usize::MAX).err(),
        Some(LendError::OutOfRange {
            index: usize::MAX,
            len: 2
        })
    );
    assert_eq!(Probe::new(pool.borrow(2)).ready().err(), Some(out));
    assert_eq!(Probe::new(pool.borrow_mut(2)).ready().err(), Some(out));
    assert_eq!(Probe::new(pool.borrow_owned(2)).ready().err(), Some(out));
    assert_eq!(
        Probe::new(pool.borrow_mut_owned(2)).ready().err(),
        Some(out)
    );

    let writer = pool.try_borrow_mut(0).unwrap();
    assert_eq!(pool.try_borrow(0).err(), Some(LendError::CheckedOut));
    assert_eq!(pool.try_borrow_mut(0).err(), Some(LendError::CheckedOut));
    assert_eq!(pool.try_borrow_owned(0).err(), Some(LendError::CheckedOut));
    assert_eq!(
        pool.try_borrow_mut_owned(0).err(),
        Some(LendError::CheckedOut)
    );
    drop(writer);
    let reader = pool.try_borrow(0).unwrap();
    assert_eq!(pool.try_borrow_mut(0).err(), Some(LendError::CheckedOut));
    assert_eq!(
        pool.try_borrow_mut_owned(0).err(),
        Some(LendError::CheckedOut)
    );
    drop(reader);

    let mut empty = LendingPool::<u8>::default();
    assert!(empty.try_borrow_any_mut().is_none());
    assert!(Probe::new(empty.borrow_any_mut()).ready().is_none());
    assert!(Arc::new(LendingPool::<u8>::new(vec![]))
        .try_borrow_any_mut_owned()
        .is_none());
    assert!(
        Probe::new(Arc::new(LendingPool::<u8>::new(vec![])).borrow_any_mut_owned())
            .ready()
            .is_none()
    );
    assert_eq!(
        empty.get_mut(0),
        Err(LendError::OutOfRange { index: 0, len: 0 })
    );
    assert_eq!(
        empty.try_borrow(0).err(),
        Some(LendError::OutOfRange { index: 0, len: 0 })
    );
}

#[test]
fn error_display_and_predicates() {
    assert_eq!(LendError::CheckedOut.to_string(), CHECKED_OUT);
    let out = LendError::OutOfRange { index: 7, len: 3 };
    assert_eq!(
        out.to_string(),
        "index 7 is out of range for a pool of 3 items"
    );
    assert!(out.is_out_of_range() && !out.is_checked_out());
    assert!(LendError::CheckedOut.is_checked_out());
    let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(out);
    assert!(boxed.source().is_none());
}

#[test]
fn readers_coexist_and_exclude_writers() {
    let pool = LendingPool::new(vec![String::from("a"), String::from("b")]);
    let r1 = pool.try_borrow(0).unwrap();
    let r2 = pool.try_borrow(0).unwrap();
    assert_eq!((r1.as_str(), r2.as_str()), ("a", "a"));
    assert_eq!(pool.try_borrow_mut(0).err(), Some(LendError::CheckedOut));
    // The other item is independent.
    pool.try_borrow_mut(1).unwrap().push('!');
    drop(r1);
    assert_eq!(pool.try_borrow_mut(0).err(), Some(LendError::CheckedOut));
    drop(r2);
    let mut w = pool.try_borrow_mut(0).unwrap();
    w.push('?');
    assert_eq!(pool.is_lent(0), Ok(true));
    assert_eq!(pool.is_lent(1), Ok(false));
    drop(w);
    assert_eq!(pool.into_inner(), ["a?", "b!"]);
}

#[test]
fn construction_and_accessors() {
    let mut pool: LendingPool<i32> = (1..=3).collect();
    assert_eq!(pool.len(), 3);
    pool.push(4);
    *pool.get_mut(3).unwrap() += 1;
    assert_eq!(*pool.try_borrow(3).unwrap(), 5);
    let from: LendingPool<i32> = vec![1].into();
    assert!(!from.is_empty());
    let guard = pool.try_borrow_mut(1).unwrap();
    assert_eq!(RefMut::index(&guard), 1);
    assert_eq!(format!("{pool:?}"), "[1, <checked out>, 3, 5]");
    assert_eq!(format!("{guard:?} {guard}"), "2 2");
    drop(guard);
    let reader = pool.try_borrow(0).unwrap();
    assert_eq!(
        format!("{pool:?}"),
        "[1, 2, 3, 5]",
        "a shared borrow does not hide the item"
    );
    drop(reader);
    let future = pool.borrow_mut(0);
    assert_eq!(
        format!("{future:?}"),
        "BorrowMut { index: 0, queued: false, .. }"
    );
}

#[test]
fn owned_guards_keep_the_pool_alive() {
    let pool = Arc::new(LendingPool::new(vec![vec![1]]));
    let mut guard = pool.try_borrow_mut_owned(0).unwrap();
    assert!(Arc::ptr_eq(OwnedRefMut::pool(&guard), &pool));
    drop(pool);
    guard.push(2); // the guard's Arc is now the only one
    assert_eq!(*guard, [1, 2]);
    let pool = Arc::clone(OwnedRefMut::pool(&guard));
    drop(guard);
    let reader = pool.try_borrow_owned(0).unwrap();
    let reader2 = pool.try_borrow_owned(0).unwrap();
    assert_eq!(
        (OwnedRef::index(&reader), reader.len(), reader2.len()),
        (0, 2, 2)
    );
    assert_eq!(
        pool.try_borrow_mut_owned(0).err(),
        Some(LendError::CheckedOut)
    );
}

#[test]
fn any_rotates_over_free_items() {
    let pool = LendingPool::new(vec![0, 1, 2]);
    let mut seen = Vec::new();
    for _ in 0..6 {
        let (index, guard) = pool.try_borrow_any_mut().unwrap();
        assert_eq!(*guard, index);
        seen.push(index);
    }
    assert_eq!(
        seen,
        [0, 1, 2, 0, 1, 2],
        "each search starts after the last item lent"
    );
    let held = pool.try_borrow(1).unwrap(); // a reader also makes the item unavailable
    let a = pool.try_borrow_any_mut().unwrap();
    let b = pool.try_borrow_any_mut().unwrap();
    assert_eq!((a.0, b.0), (0, 2));
    assert!(pool.try_borrow_any_mut().is_none());
    drop((held, a, b));
}

#[test]
fn a_writer_waits_and_is_woken_once_on_return() {
    let pool = LendingPool::new(vec![0]);
    let held = pool.try_borrow_mut(0).unwrap();
    let mut waiter = Probe::new(pool.borrow_mut(0));
    waiter.pending();
    waiter.pending(); // spurious polls are harmless and do not queue twice
    assert_eq!(waiting(&pool.slots[0].queue), 1);
    assert_eq!(waiter.wakes(), 0);
    drop(held);
    assert_eq!(waiter.wakes(), 1);
    *waiter.ready().unwrap() += 1;
    assert_eq!(waiting(&pool.slots[0].queue), 0);
    assert_eq!(*pool.try_borrow(0).unwrap(), 1);
}

#[test]
fn a_free_item_is_lent_at_the_first_poll() {
    let pool = Arc::new(LendingPool::new(vec![1, 2]));
    let mut reader = Probe::new(pool.borrow(0));
    let guard = reader.ready().unwrap();
    assert_eq!(*guard, 1);
    assert_eq!(*Probe::new(pool.borrow_owned(0)).ready().unwrap(), 1);
    drop(guard);
    let (index, _g) = Probe::new(pool.borrow_any_mut_owned()).ready().unwrap();
    let (other, _h) = Probe::new(pool.borrow_any_mut()).ready().unwrap();
    assert_ne!(index, other);
}

#[test]
fn readers_are_woken_together_and_a_writer_after_the_last_of_them() {
    let pool = LendingPool::new(vec![0]);
    let held = pool.try_borrow_mut(0).unwrap();
    let mut r1 = Probe::new(pool.borrow(0));
    let mut r2 = Probe::new(pool.borrow(0));
    let mut w = Probe::new(pool.borrow_mut(0));
    let mut r3 = Probe::new(pool.borrow(0)); // behind the writer
    r1.pending();
    r2.pending();
    w.pending();
    r3.pending();
    drop(held);
    assert_eq!(
        (r1.wakes(), r2.wakes(), w.wakes(), r3.wakes()),
        (1, 1, 0, 0)
    );
    let g1 = r1.ready().unwrap();
    let g2 = r2.ready().unwrap();
    r3.pending(); // not its turn: the writer is ahead
    w.pending(); // its turn, but readers hold the item
    drop(g1);
    assert_eq!(w.wakes(), 0, "one reader still holds the item");
    drop(g2);
    assert_eq!(w.wakes(), 1);
    assert_eq!(r3.wakes(), 0);
    let gw = w.ready().unwrap();
    drop(gw);
    assert_eq!(r3.wakes(), 1);
    drop(r3.ready().unwrap());
}

#[test]
fn a_queued_writer_is_not_overtaken_by_a_later_async_reader() {
    let pool = LendingPool::new(vec![0]);
    let reading = pool.try_borrow(0).unwrap();
    let mut w = Probe::new(pool.borrow_mut(0));
    w.pending();
    // A reader could share the item now, but a writer queued first.
    let mut r = Probe::new(pool.borrow(0));
    r.pending();
    drop(reading);
    assert_eq!((w.wakes(), r.wakes()), (1, 0));
    let gw = w.ready().unwrap();
    r.pending();
    drop(gw);
    assert_eq!(r.wakes(), 1);
    drop(r.ready().unwrap());
}

#[test]
fn writers_are_served_in_arrival_order() {
    let pool = LendingPool::new(vec![Vec::new()]);
    let held = pool.try_borrow_mut(0).unwrap();
    let mut waiters: Vec<_> = (0..4).map(|_| Probe::new(pool.borrow_mut(0))).collect();
    waiters.iter_mut().for_each(Probe::pending);
    let mut turn = held;
    for (n, waiter) in waiters.iter_mut().enumerate() {
        turn.push(n);
        drop(turn);
        assert_eq!(
            waiter.wakes(),
            1,
            "waiter {n} is woken by the release before it"
        );
        turn = waiter.ready().unwrap();
    }
    drop(turn);
    assert_eq!(*pool.try_borrow(0).unwrap(), [0, 1, 2, 3]);
}

#[test]
fn a_cancelled_waiter_that_was_handed_the_turn_passes_it_on() {
    let pool = LendingPool::new(vec![0]);
    let held = pool.try_borrow_mut(0).unwrap();
    let mut first = Probe::new(pool.borrow_mut(0));
    let mut second = Probe::new(pool.borrow_mut(0));
    first.pending();
    second.pending();
    drop(held);
    assert_eq!((first.wakes(), second.wakes()), (1, 0));
    drop(first); // woken, never polled again
    assert_eq!(second.wakes(), 1);
    drop(second.ready().unwrap());
    assert_eq!(
        waiting(&pool.slots[0].queue),
        0,
        "a cancelled waiter leaves no trace"
    );
}

#[test]
fn a_cancelled_writer_lets_the_readers_behind_it_in() {
    let pool = LendingPool::new(vec![0]);
    let reading = pool.try_borrow(0).unwrap(); // held "indefinitely"
    let mut w = Probe::new(pool.borrow_mut(0));
    let mut r = Probe::new(pool.borrow(0));
    w.pending();
    r.pending();
    drop(w);
    assert_eq!(
        r.wakes(),
        1,
        "the reader may now share the item with the holder"
    );
    let shared = r.ready().unwrap();
    drop((reading, shared));
    assert_eq!(waiting(&pool.slots[0].queue), 0);
}

#[test]
fn cancelling_an_idle_waiter_wakes_nobody() {
    let pool = LendingPool::new(vec![0]);
    let held = pool.try_borrow_mut(0).unwrap();
    let mut a = Probe::new(pool.borrow_mut(0));
    let mut b = Probe::new(pool.borrow_mut(0));
    a.pending();
    b.pending();
    drop(b);
    drop(a);
    assert_eq!(waiting(&pool.slots[0].queue), 0);
    drop(held);
    assert_eq!(*pool.try_borrow(0).unwrap(), 0);
}

#[test]
fn a_woken_waiter_that_loses_a_race_keeps_its_place() {
    let pool = LendingPool::new(vec![0]);
    let held = pool.try_borrow_mut(0).unwrap();
    let mut w = Probe::new(pool.borrow_mut(0));
    let mut later = Probe::new(pool.borrow_mut(0));
    w.pending();
    later.pending();
    drop(held);
    assert_eq!(w.wakes(), 1);
    let barger = pool.try_borrow_mut(0).unwrap(); // a synchronous try gets there first
    w.pending();
    drop(barger);
    assert_eq!(
        (w.wakes(), later.wakes()),
        (2, 0),
        "the head is woken again, not the one behind it"
    );
    drop(w.ready().unwrap());
}

#[test]
fn any_waiters_get_the_item_that_comes_back() {
    let pool = Arc::new(LendingPool::new(vec!["a", "b"]));
    let a = pool.try_borrow_mut_owned(0).unwrap();
    let b = pool.try_borrow(1).unwrap();
    let mut first = Probe::new(pool.borrow_any_mut());
    let mut second = Probe::new(pool.borrow_any_mut_owned());
    first.pending();
    second.pending();
    assert_eq!(waiting(&pool.any), 2);
    drop(b);
    assert_eq!(
        (first.wakes(), second.wakes()),
        (1, 0),
        "one item back, one waiter woken"
    );
    let (index, got) = first.ready().unwrap();
    assert_eq!((index, *got), (1, "b"));
    drop(a);
    assert_eq!(second.wakes(), 1);
    let (index, got) = second.ready().unwrap();
    assert_eq!((index, *got), (0, "a"));
    assert_eq!(waiting(&pool.any), 0);
}

#[test]
fn a_cancelled_any_waiter_passes_its_turn_on() {
    let pool = LendingPool::new(vec![0]);
    let held = pool.try_borrow_mut(0).unwrap();
    let mut first = Probe::new(pool.borrow_any_mut());
    let mut second = Probe::new(pool.borrow_any_mut());
    first.pending();
    second.pending();
    drop(held);
    assert_eq!((first.wakes(), second.wakes()), (1, 0));
    drop(first);
    assert_eq!(second.wakes(), 1);
    assert_eq!(second.ready().unwrap().0, 0);
}

#[test]
fn waiters_for_the_item_come_before_any_waiters() {
    let pool = LendingPool::new(vec![0]);
    let held = pool.try_borrow_mut(0).unwrap();
    let mut any = Probe::new(pool.borrow_any_mut());
    let mut item = Probe::new(pool.borrow_mut(0));
    any.pending();
    item.pending();
    drop(held);
    assert_eq!(
        (item.wakes(), any.wakes()),
        (1, 0),
        "the item's own waiter is served first"
    );
    let got = item.ready().unwrap();
    any.pending();
    drop(got);
    assert_eq!(any.wakes(), 1);
    drop(any.ready().unwrap());
}

#[test]
fn a_cancelled_item_waiter_hands_the_item_to_any_waiters() {
    let pool = LendingPool::new(vec![0]);
    let held = pool.try_borrow_mut(0).unwrap();
    let mut any = Probe::new(pool.borrow_any_mut());
    let mut item = Probe::new(pool.borrow_mut(0));
    any.pending();
    item.pending();
    drop(held);
    assert_eq!((item.wakes(), any.wakes()), (1, 0));
    drop(item);
    assert_eq!(any.wakes(), 1, "the cancelled turn goes to the any queue");
    assert_eq!(any.ready().unwrap().0, 0);
}

#[test]
fn a_barger_lets_a_woken_any_waiter_retry() {
    let pool = LendingPool::new(vec![0]);
    let held = pool.try_borrow_mut(0).unwrap();
    let mut any = Probe::new(pool.borrow_any_mut());
    any.pending();
    drop(held);
    assert_eq!(any.wakes(), 1);
    let barger = pool.try_borrow(0).unwrap();
    any.pending(); // lost the race, stays queued
    drop(barger);
    assert_eq!(any.wakes(), 2);
    drop(any.ready().unwrap());
}

#[test]
fn a_new_waker_replaces_the_old_one() {
    let pool = LendingPool::new(vec![0]);
    let held = pool.try_borrow_mut(0).unwrap();
    let mut future = Box::pin(pool.borrow_mut(0));
    let old = Arc::new(Counter::default());
    let new = Arc::new(Counter::default());
    let old_waker = Waker::from(Arc::clone(&old));
    let new_waker = Waker::from(Arc::clone(&new));
    assert!(future
        .as_mut()
        .poll(&mut Context::from_waker(&old_waker))
        .is_pending());
    assert!(future
        .as_mut()
        .poll(&mut Context::from_waker(&new_waker))
        .is_pending());
    drop(held);
    assert_eq!((old.0.load(SeqCst), new.0.load(SeqCst)), (0, 1));
    assert!(future
        .as_mut()
        .poll(&mut Context::from_waker(&new_waker))
        .is_ready());
}

#[test]
fn a_reader_waits_only_for_writers() {
    let pool = LendingPool::new(vec![0]);
    let writer = pool.try_borrow_mut(0).unwrap();
    let mut r = Probe::new(pool.borrow(0));
    r.pending();
    drop(writer);
    assert_eq!(r.wakes(), 1);
    let g = r.ready().unwrap();
    let mut r2 = Probe::new(pool.borrow(0));
    assert_eq!(
        *r2.ready().unwrap(),
        0,
        "nobody queued: a reader joins the holder at once"
    );
    drop(g);
}
