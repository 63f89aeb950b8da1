//! The reactor (io/driver.rs, rules D1–D3) and the readiness word (io/scheduled_io.rs,
//! rules R1–R3), on the real worker loop: a worker that parks in the reactor
//! (scheduler/park.rs, `park_in_driver`, state `PARKED_DRIVER`) against an unpark or
//! an I/O event from a thread outside; a waiter's clear, and waiters' registrations,
//! against a new event.
//!
//! The reactor's epoll is io/sys.rs's model: an event or a wake of the reactor's
//! waker (the eventfd) makes the current or next wait return; loom has no clock, so a
//! wait with a timeout does not block, and only a worker that blocks without one (no
//! timer, no monitor under loom) can sleep through a lost wake-up. With one worker and
//! a reactor, every park of that worker is a park in the reactor: its `plan_park`
//! try-locks the selector, and the only other thread that ever takes it is that same
//! worker (its zero-timeout turn at an injector check, over by then). The plants
//! `driver_wake` and `driver_park` change only that path, and `spawn_vs_driver_park`
//! catches both: it does reach it.
//!
//! With one worker, a reactor turn and the polls of the tasks it wakes share a thread;
//! the readiness word's races (R2, R3) are modelled on a bare `ScheduledIo`, with the
//! event reported from another thread, as by another worker's turn (cheap, at bound
//! 3), and on two workers (at bound 1).
#![cfg(loom)]

use std::future::poll_fn;
use std::task::Poll;

use loom::sync::atomic::{AtomicBool, Ordering::Relaxed};
use loom::sync::Arc;
use loom::thread;
use loom_tests::{block_on, model, Probe};
use runtime::__loom::io::{Resource, ScheduledIo};
use runtime::__loom::scheduler::Workers;
use runtime::io::{Interest, Ready};

/// A remote spawn racing with the only worker parking in the reactor: the task always
/// runs. The pusher's unpark finds the worker announced (idle.rs, rule 3) and either
/// leaves a token before the worker decides to drive (`park_in_driver`'s CAS from
/// EMPTY fails, and it does not wait), or finds `PARKED_DRIVER` and wakes the
/// reactor's waker, which makes the worker's current or next wait return.
///
/// Catches `driver_wake` (the unpark signals the condition variable nobody waits on)
/// and `driver_park` (a swap into `PARKED_DRIVER` erases the token of an unpark that
/// came between the rescan and the decision): the worker sleeps in the model epoll,
/// the joiner next to it, and loom reports the deadlock.
#[test]
fn spawn_vs_driver_park() {
    model(2, 900, || {
        let workers = Workers::start_with_io(1);
        let probe = Probe::new();
        let join = workers.spawn(probe.future(0));
        let out = block_on(join).expect("the task ran");
        assert_eq!(out.polls(), 1);
        drop(out);
        workers.shutdown();
        assert_eq!(probe.future_drops(), 1);
        assert_eq!(probe.output_drops(), 1);
    });
}

/// A task on the worker waits for a model resource to become readable while a thread
/// outside makes it ready: the event always reaches the task. Whether the event comes
/// before the task's first poll, between its `Pending` and the worker's park, or while
/// the worker blocks in the reactor, some turn dispatches it (D2: the readiness is set
/// before the waiters are collected, R1/R3) and the wake brings the worker back.
/// Shutdown then closes the reactor (D3) with the resource still registered.
///
/// (Checked by hand: with the driver's return from `park_in_driver` treated as an
/// untimed park's, so the worker goes back to sleep while the task its turn woke waits
/// in its queue, loom reports the deadlock; `spawn_vs_driver_park` does not catch that.)
#[test]
fn readiness_vs_driver_park() {
    model(2, 1500, || {
        let workers = Workers::start_with_io(1);
        let resource = Resource::register(&workers).expect("the reactor is open");
        let readable = resource.scheduled_io().readiness(Interest::READABLE);
        let join = workers.spawn(readable);
        resource.make_ready(Ready::READABLE);
        let ev = block_on(join)
            .expect("the task ran")
            .expect("not shut down");
        assert!(ev.ready().is_readable());
        workers.shutdown();
        assert!(
            resource
                .scheduled_io()
                .ready_now(Interest::READABLE)
                .is_err(),
            "D3: shutdown closed the registration"
        );
        drop(resource);
    });
}

/// `readiness_vs_driver_park` on two workers: the worker that polls the task and the
/// one that turns the reactor (and dispatches the event) may differ, the second
/// worker to park finds the selector taken and parks on its condition variable, and
/// the worker that drives may leave the reactor with the other asleep. The event
/// still reaches the task: the waiter's R3 against a turn on another worker, and
/// the driver role passed on by whoever parks next (D1).
///
/// Preemption bound 1 (about 32 000 executions, a few seconds); at bound 2 it passes
/// too (about 2 million, four minutes). (Checked by hand: with `poll_waiter`'s reload
/// under the mutex removed, loom reports the deadlock here too.)
#[test]
fn readiness_vs_driver_park_two_workers() {
    model(1, 8000, || {
        let workers = Workers::start_with_io(2);
        let resource = Resource::register(&workers).expect("the reactor is open");
        let readable = resource.scheduled_io().readiness(Interest::READABLE);
        let join = workers.spawn(readable);
        resource.make_ready(Ready::READABLE);
        let ev = block_on(join)
            .expect("the task ran")
            .expect("not shut down");
        assert!(ev.ready().is_readable());
        workers.shutdown();
        drop(resource);
    });
}

/// Rule R2 on a bare `ScheduledIo`: `poll_io`'s loop (poll for readiness, try the
/// operation, clear on `WouldBlock`) against data arriving with a new event. The
/// word starts readable (an earlier event whose data is gone); the waiter sees that,
/// its read finds nothing, and it clears with the event it read, while the other
/// thread stores the data and reports the event (R1). The waiter always gets the
/// data: the clear leaves a newer event's bits (its tick moved), or the event comes
/// after the clear and wakes the waiter (R3).
///
/// Catches `io_clear_tick` (the clear ignores the tick and erases the new event): the
/// waiter waits for an event that has come and gone, and loom reports the deadlock.
/// (Checked by hand: it also catches `poll_ready` without R3's reload under the mutex.)
#[test]
fn clear_vs_new_event() {
    model(3, 12, || {
        let io = ScheduledIo::new();
        io.set_readiness(Ready::READABLE);
        let data = Arc::new(AtomicBool::new(false));
        // The waiter on a thread of its own that joins nothing: its waker may stay in
        // the reader slot after it returns, and loom's `Thread::unpark` would wake a
        // thread blocked in a join with it (loom 0.7 asserts on that).
        let (i, d) = (io.clone(), data.clone());
        let waiter = thread::spawn(move || {
            let mut would_block = 0;
            block_on(poll_fn(|cx| loop {
                let ev = match i.poll_read_ready(cx) {
                    Poll::Ready(ev) => ev.expect("not shut down"),
                    Poll::Pending => return Poll::Pending,
                };
                // The "read": the data if it is there, else WouldBlock. (A load, not a
                // swap: loom 0.7 lets an RMW read its own thread's earlier store even
                // when a plain store happens-before it, a false deadlock here.)
                if d.load(Relaxed) {
                    return Poll::Ready(());
                }
                would_block += 1;
                i.clear_readiness(ev);
            }));
            would_block
        });
        // Relaxed: the readiness word's Release (R1) publishes it to the waiter whose
        // Acquire load sees the new event.
        data.store(true, Relaxed);
        io.set_readiness(Ready::READABLE);
        let would_block = waiter.join().unwrap();
        assert!(would_block <= 1, "one stale readiness, cleared once");
    });
}

/// Rule R3 for the waiter list (`readiness()` futures, `poll_waiter`) on a bare
/// `ScheduledIo`: two tasks' waits against an event reported from another thread, as
/// by a worker turning the reactor while the waiters' tasks are polled elsewhere (in
/// the one-worker models above the turn and the polls share a thread, so they cannot
/// race). Both waiters complete: a waiter's reload under the mutex sees the event, or
/// the event's wake, under the same mutex later, finds its waker. (Checked by hand:
/// with `poll_waiter`'s reload removed, loom reports the deadlock.)
#[test]
fn waiters_vs_event() {
    model(3, 375, || {
        let io = ScheduledIo::new();
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let readable = io.readiness(Interest::READABLE);
                thread::spawn(move || block_on(readable).expect("not shut down").ready())
            })
            .collect();
        io.set_readiness(Ready::READABLE);
        for waiter in waiters {
            assert!(waiter.join().unwrap().is_readable());
        }
    });
}
