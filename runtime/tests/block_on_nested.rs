//! The free `block_on` called from inside a future that another `block_on` on the same
//! thread is running: each call keeps its own wake-ups.

mod common;

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::mpsc;
use std::task::{Context, Poll};
use std::thread;
use std::time::Duration;

use common::{bounded, Gate};

/// The outer future is woken, then runs a nested `block_on` in the same poll and
/// returns `Pending`. The wake-up must survive the nested call: the outer call
/// re-polls instead of parking for ever.
#[test]
fn a_nested_block_on_keeps_the_outer_wake_up() {
    let polls = bounded(Duration::from_secs(10), || {
        let mut polls = 0;
        runtime::block_on(poll_fn(|cx| {
            polls += 1;
            if polls > 1 {
                return Poll::Ready(polls);
            }
            cx.waker().wake_by_ref();
            assert_eq!(runtime::block_on(async { 5 }), 5);
            Poll::Pending
        }))
    });
    assert_eq!(polls, 2);
}

/// The same with a nested call that itself waits and is woken from another thread.
#[test]
fn a_nested_block_on_that_waits_keeps_the_outer_wake_up() {
    bounded(Duration::from_secs(10), || {
        let mut polls = 0;
        runtime::block_on(poll_fn(|cx| {
            polls += 1;
            if polls > 1 {
                return Poll::Ready(());
            }
            cx.waker().wake_by_ref();
            let gate = Gate::new();
            let opener = {
                let gate = gate.clone();
                thread::spawn(move || {
                    while !gate.has_waiter() {
                        thread::yield_now();
                    }
                    gate.open();
                })
            };
            runtime::block_on(gate.wait());
            opener.join().unwrap();
            Poll::Pending
        }));
    });
}

/// A wake of the outer future that arrives, from another thread, while the nested call
/// is parked: the nested call goes on waiting for its own wake-up, and the outer call
/// re-polls afterwards.
#[test]
fn an_outer_wake_during_a_nested_park_is_kept() {
    bounded(Duration::from_secs(10), || {
        let (outer_waker_tx, outer_waker_rx) = mpsc::channel();
        let inner = Gate::new();
        let waker_thread = {
            let inner = inner.clone();
            thread::spawn(move || {
                let outer: std::task::Waker = outer_waker_rx.recv().unwrap();
                while !inner.has_waiter() {
                    thread::yield_now();
                }
                outer.wake();
                inner.open();
            })
        };
        let mut outer = Outer {
            polls: 0,
            tx: Some(outer_waker_tx),
            inner,
        };
        assert_eq!(runtime::block_on(&mut outer), 2);
        waker_thread.join().unwrap();
    });
}

struct Outer {
    polls: u32,
    tx: Option<mpsc::Sender<std::task::Waker>>,
    inner: Gate,
}

impl Future for Outer {
    type Output = u32;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
        self.polls += 1;
        if self.polls > 1 {
            return Poll::Ready(self.polls);
        }
        self.tx.take().unwrap().send(cx.waker().clone()).unwrap();
        runtime::block_on(self.inner.wait());
        Poll::Pending
    }
}

/// Three levels deep, each level woken once before it nests.
#[test]
fn three_levels_of_nesting() {
    fn level(depth: u32) -> u32 {
        let mut polls = 0;
        runtime::block_on(poll_fn(|cx| {
            polls += 1;
            if polls > 1 {
                return Poll::Ready(depth);
            }
            cx.waker().wake_by_ref();
            if depth > 0 {
                assert_eq!(level(depth - 1), depth - 1);
            }
            Poll::Pending
        }))
    }
    assert_eq!(bounded(Duration::from_secs(10), || level(3)), 3);
}

/// After nested calls, a later top-level call on the same thread still works (the
/// thread's reusable notifier is not left in use).
#[test]
fn block_on_after_nesting_still_works() {
    bounded(Duration::from_secs(10), || {
        runtime::block_on(async {
            runtime::block_on(async {});
        });
        let gate = Gate::new();
        let opener = {
            let gate = gate.clone();
            thread::spawn(move || {
                while !gate.has_waiter() {
                    thread::yield_now();
                }
                gate.open();
            })
        };
        runtime::block_on(gate.wait());
        opener.join().unwrap();
    });
}
