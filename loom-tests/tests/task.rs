//! The task state machine (task/mod.rs: R1, R2, O1, O2, J1–J4), driven through the real
//! harness on a test scheduler (`runtime::__loom::task::Scheduler`).
//!
//! Every model ends with loom's leak check: each task's future holds a loom `Arc` (the
//! `Probe`), so a task allocation that is never freed fails the model.
#![cfg(loom)]

use loom::thread;
use loom_tests::{block_on, model, Probe};
use runtime::__loom::task::Scheduler;

/// Wake vs. poll-complete: a wake racing with the poll that completes the task never
/// polls it again, never polls it twice at once, and the output reaches the joiner.
///
/// Thread A wakes through one waker; thread B wakes through another and runs what is
/// queued (the poll that completes). Afterwards whatever is still queued is run.
#[test]
fn wake_vs_poll_complete() {
    model(3, 150, || {
        let sched = Scheduler::new();
        let probe = Probe::new();
        let join = sched.spawn(probe.future(1));
        assert!(
            sched.run_one(),
            "the first poll stores the waker and returns Pending"
        );
        let (w1, w2) = (probe.waker(), probe.waker());

        let (p, s) = (probe.clone(), sched.clone());
        let a = thread::spawn(move || p.wake(w1));
        let (p, s2) = (probe.clone(), sched.clone());
        let b = thread::spawn(move || {
            p.wake(w2);
            s2.run_all();
        });
        a.join().unwrap();
        b.join().unwrap();
        s.run_all();

        assert_eq!(
            probe.polls(),
            2,
            "exactly one poll after the wake-ups: never after Ready"
        );
        assert_eq!(probe.future_drops(), 1);
        let out = block_on(join).expect("completed");
        assert_eq!(out.polls(), 2);
        drop(out);
        assert_eq!(probe.output_drops(), 1);
        assert_eq!(sched.queued(), 0);
    });
}

/// Wake while running (rule R2): wakes that arrive during a poll set NOTIFIED and the
/// runner re-queues the task exactly once; a wake is never lost (if a wake is not yet
/// answered by a poll, the task is queued) and the task is queued at most once.
#[test]
fn wake_while_running_requeues_exactly_once() {
    model(3, 120, || {
        let sched = Scheduler::new();
        let probe = Probe::new();
        let join = sched.spawn(probe.future(usize::MAX));
        assert!(sched.run_one());
        let (w0, w1) = (probe.waker(), probe.waker());
        // Queue the second poll; thread B runs it while thread A wakes twice.
        probe.wake(w0);
        assert_eq!(sched.queued(), 1);

        let p = probe.clone();
        let a = thread::spawn(move || {
            p.wake_by_ref(&w1);
            p.wake(w1);
        });
        let s = sched.clone();
        let b = thread::spawn(move || assert!(s.run_one()));
        a.join().unwrap();
        b.join().unwrap();

        let queued = sched.queued();
        assert!(queued <= 1, "a task is queued at most once, found {queued}");
        if probe.woken.load(std::sync::atomic::Ordering::SeqCst) {
            assert_eq!(
                queued, 1,
                "a wake not answered by a poll left the task queued"
            );
        }
        assert!(
            sched.yields() <= 1,
            "the runner re-queues at most once per poll"
        );
        assert_eq!(probe.polls(), 2);
        // Cancel the never-ready task: runs the shutdown path (and frees it).
        sched.shutdown();
        assert_eq!(probe.future_drops(), 1);
        assert!(block_on(join).unwrap_err().is_cancelled());
    });
}

/// Abort vs. complete: an abort racing with the poll that would complete the task
/// gives exactly one outcome: completed (polled once, `Ok`) or cancelled (never
/// polled, `Err(cancelled)`); the future and the output are dropped exactly once.
#[test]
fn abort_vs_complete() {
    model(3, 50, || {
        let sched = Scheduler::new();
        let probe = Probe::new();
        let join = sched.spawn(probe.future(0));
        let abort = join.abort_handle();

        let a = thread::spawn(move || abort.abort());
        let s = sched.clone();
        let b = thread::spawn(move || assert!(s.run_one()));
        a.join().unwrap();
        b.join().unwrap();
        sched.run_all();

        assert!(join.is_finished());
        assert_eq!(probe.future_drops(), 1);
        match block_on(join) {
            Ok(out) => {
                assert_eq!(out.polls(), 1);
                drop(out);
                assert_eq!(probe.output_drops(), 1);
            }
            Err(e) => {
                assert!(e.is_cancelled());
                assert_eq!(probe.polls(), 0, "cancelled before its first poll");
                assert_eq!(probe.output_drops(), 0);
            }
        }
    });
}

/// Abort vs. poll: an abort racing with a poll (the task is queued, running, or idle
/// after it) always ends with the task cancelled, its future dropped exactly once, and
/// never polled after the abort was seen.
#[test]
fn abort_vs_poll() {
    model(3, 120, || {
        let sched = Scheduler::new();
        let probe = Probe::new();
        let join = sched.spawn(probe.future(usize::MAX));
        assert!(sched.run_one());
        let w = probe.waker();
        probe.wake(w);
        let abort = join.abort_handle();

        // Polls started when `abort()` returned (loom runs every model thread on one
        // OS thread, so the probe's counter is exact at that point).
        let p = probe.clone();
        let a = thread::spawn(move || {
            abort.abort();
            p.polls()
        });
        let s = sched.clone();
        let b = thread::spawn(move || assert!(s.run_one()));
        let polls_at_abort = a.join().unwrap();
        b.join().unwrap();
        // The cancel is either done, or queued (abort of an idle task queues it).
        sched.run_all();

        assert!(
            join.is_finished(),
            "an aborted task finishes without shutdown"
        );
        assert_eq!(probe.future_drops(), 1);
        assert_eq!(
            probe.polls(),
            polls_at_abort,
            "a poll started after abort() returned"
        );
        assert!(block_on(join).unwrap_err().is_cancelled());
    });
}

/// Join-handle drop vs. complete (rule O2): whichever comes first, the output is
/// dropped exactly once, by the completer or by the handle, and the task is freed
/// exactly once (loom's leak check; a double free would be a use after free).
#[test]
fn join_handle_drop_vs_complete() {
    model(3, 45, || {
        let sched = Scheduler::new();
        let probe = Probe::new();
        let join = sched.spawn(probe.future(0));

        let a = thread::spawn(move || drop(join));
        let s = sched.clone();
        let b = thread::spawn(move || assert!(s.run_one()));
        a.join().unwrap();
        b.join().unwrap();

        assert_eq!(probe.polls(), 1);
        assert_eq!(probe.future_drops(), 1);
        assert_eq!(
            probe.output_drops(),
            1,
            "the output is dropped exactly once"
        );
    });
}

/// Join-waker registration vs. completion (rules J1, J3): a joiner that registers its
/// waker while the task completes is always woken (otherwise `block_on` would sleep
/// forever and loom would report a deadlock) and gets the output.
#[test]
fn join_waker_vs_complete() {
    model(3, 480, || {
        let sched = Scheduler::new();
        let probe = Probe::new();
        let join = sched.spawn(probe.future(0));

        let a = thread::spawn(move || {
            let out = block_on(join).expect("completed");
            assert_eq!(out.polls(), 1);
        });
        let s = sched.clone();
        let b = thread::spawn(move || assert!(s.run_one()));
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(probe.output_drops(), 1);
    });
}

/// Join-waker replacement vs. completion (rule J2): a joiner that polls with one waker
/// and then with another (taking the field back, J2 → J1) while the task completes is
/// still woken, through the waker it registered last.
#[test]
fn join_waker_replaced_vs_complete() {
    use std::future::Future;
    use std::task::{Context, Poll};

    model(3, 2400, || {
        let sched = Scheduler::new();
        let probe = Probe::new();
        let mut join = sched.spawn(probe.future(0));

        let a = thread::spawn(move || {
            // A first poll with a waker that is then abandoned: a no-op waker.
            let mut cx = Context::from_waker(std::task::Waker::noop());
            if let Poll::Ready(out) = std::pin::Pin::new(&mut join).poll(&mut cx) {
                drop(out.expect("completed"));
                return;
            }
            // Then wait with a real waker, which replaces the first one.
            drop(block_on(join).expect("completed"));
        });
        let s = sched.clone();
        let b = thread::spawn(move || assert!(s.run_one()));
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(probe.output_drops(), 1);
    });
}

/// Shutdown vs. a running poll: shutdown cancels the task in place if it is idle or
/// queued, or leaves it to its runner, which cancels it after the poll. Either way the
/// future is dropped exactly once, the joiner sees `cancelled`, and the task is freed.
#[test]
fn shutdown_vs_poll() {
    model(3, 28, || {
        let sched = Scheduler::new();
        let probe = Probe::new();
        let join = sched.spawn(probe.future(usize::MAX));

        let s = sched.clone();
        let a = thread::spawn(move || s.shutdown());
        let s = sched.clone();
        let b = thread::spawn(move || {
            s.run_one();
        });
        a.join().unwrap();
        b.join().unwrap();
        sched.run_all();

        assert_eq!(probe.future_drops(), 1);
        assert!(probe.polls() <= 1);
        assert!(block_on(join).unwrap_err().is_cancelled());
    });
}
