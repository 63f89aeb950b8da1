//! `Shared` (task/shared.rs, rules S1–S4) and `JoinSet` (task/join_set.rs, rules E1–E3):
//! their wake-ups, on the real task harness.
#![cfg(loom)]

use loom::thread;
use loom_tests::{block_on, model, Probe};
use runtime::__loom::scheduler::Workers;
use runtime::__loom::task::Scheduler;
use runtime::task::JoinSet;

/// `Shared`: two clones awaited on two threads while a third completes the task. Every
/// clone is woken (rule S1: a clone lists its waker before it polls the handle, so
/// the completer's wake finds it) and gets the one result; the task ran once.
#[test]
fn shared_clones_vs_complete() {
    model(2, 600, || {
        let sched = Scheduler::new();
        let probe = Probe::new();
        let fut = probe.future(0);
        let shared = sched.spawn(async move { fut.await.polls() }).shared();
        let other = shared.clone();

        let a = thread::spawn(move || block_on(shared));
        let b = thread::spawn(move || block_on(other));
        assert!(sched.run_one());
        assert_eq!(a.join().unwrap().expect("completed"), 1);
        assert_eq!(b.join().unwrap().expect("completed"), 1);
        assert_eq!(probe.polls(), 1, "one run for every clone");
        assert_eq!(probe.future_drops(), 1);
        assert_eq!(probe.output_drops(), 1);
    });
}

/// `Shared` of an aborted task: the clone waiting on one thread and the abort on
/// another; the clone is always woken and sees `cancelled` (or the result, if the task
/// completed first).
#[test]
fn shared_vs_abort() {
    model(2, 1000, || {
        let sched = Scheduler::new();
        let probe = Probe::new();
        let fut = probe.future(usize::MAX);
        let join = sched.spawn(async move { fut.await.polls() });
        assert!(sched.run_one());
        let abort = join.abort_handle();
        let shared = join.shared();

        let a = thread::spawn(move || block_on(shared));
        let b = thread::spawn(move || abort.abort());
        b.join().unwrap();
        // The abort queued the idle task; its run drops the future and completes.
        sched.run_all();
        assert!(a.join().unwrap().unwrap_err().is_cancelled());
        assert_eq!(probe.future_drops(), 1);
    });
}

/// `JoinSet` on the real worker loop: two tasks finishing on a worker while the set's
/// owner waits in `join_next`. No result is missed (rule E2: the ready list's lock
/// orders each wake against the owner's registration) and both come out; then `None`.
#[test]
fn join_set_join_next_vs_complete() {
    model(2, 20000, || {
        let workers = Workers::start(1);
        let handle = workers.handle();
        let (p1, p2) = (Probe::new(), Probe::new());
        let mut set = JoinSet::new();
        set.spawn_on(p1.future(0), &handle);
        set.spawn_on(p2.future(0), &handle);
        let mut polls = 0;
        for _ in 0..2 {
            polls += block_on(set.join_next())
                .expect("two results")
                .expect("completed")
                .polls();
        }
        assert_eq!(polls, 2);
        assert!(block_on(set.join_next()).is_none());
        drop(set);
        drop(handle);
        workers.shutdown();
        assert_eq!(p1.output_drops() + p2.output_drops(), 2);
    });
}

/// Dropping a `JoinSet` aborts what is left, racing with the worker running it: the
/// task is cancelled or completes, exactly once, and everything is freed.
#[test]
fn join_set_drop_vs_run() {
    model(2, 2500, || {
        let workers = Workers::start(1);
        let handle = workers.handle();
        let probe = Probe::new();
        let mut set = JoinSet::new();
        set.spawn_on(probe.future(1), &handle);
        drop(set);
        drop(handle);
        workers.shutdown();
        assert_eq!(probe.future_drops(), 1);
        assert!(
            probe.polls() <= 1,
            "the wake that would re-poll it never comes"
        );
    });
}
