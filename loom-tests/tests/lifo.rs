//! A worker's LIFO slot (scheduler/lifo.rs): the owner's `replace` and `take` against
//! a thief's `steal` (the monitor taking work stranded behind a stuck poll, worker.rs
//! rule M2). Every task put in the slot is taken out exactly once: run exactly once,
//! never lost, never freed twice (loom's leak check and the task's own state checks).
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use loom_tests::{block_on, model, Probe};
use runtime::__loom::lifo::Slot;
use runtime::__loom::task::Scheduler;

/// The owner takes its slot's task back while a thief steals it: exactly one of them
/// gets it.
#[test]
fn owner_take_vs_steal() {
    model(3, 2, || {
        let sched = Scheduler::new();
        let probe = Probe::new();
        let join = sched.spawn(probe.future(0));
        let task = sched.pop().expect("the spawned task is queued");
        let slot = Arc::new(Slot::new());
        assert!(slot.replace(task).is_none(), "the slot was empty");

        let thief_slot = slot.clone();
        let thief = thread::spawn(move || match thief_slot.steal() {
            Some(task) => {
                task.run();
                true
            }
            None => false,
        });
        let owner_took = match slot.take() {
            Some(task) => {
                task.run();
                true
            }
            None => false,
        };
        let thief_took = thief.join().unwrap();
        assert!(
            owner_took != thief_took,
            "exactly one of them took the task"
        );
        assert_eq!(probe.polls(), 1, "the task ran once");
        assert!(slot.take().is_none() && slot.steal().is_none());
        drop(block_on(join).expect("completed"));
    });
}

/// The owner refills its slot (getting the previous task back, unless stolen) and
/// then takes the new one, while a thief steals: each task runs exactly once.
#[test]
fn owner_replace_and_take_vs_steal() {
    model(3, 6, || {
        let sched = Scheduler::new();
        let (p1, p2) = (Probe::new(), Probe::new());
        let j1 = sched.spawn(p1.future(0));
        let j2 = sched.spawn(p2.future(0));
        let t1 = sched.pop().expect("queued");
        let t2 = sched.pop().expect("queued");
        let slot = Arc::new(Slot::new());
        assert!(slot.replace(t1).is_none());

        let thief_slot = slot.clone();
        let thief = thread::spawn(move || {
            if let Some(task) = thief_slot.steal() {
                task.run();
            }
        });
        if let Some(prev) = slot.replace(t2) {
            prev.run();
        }
        if let Some(task) = slot.take() {
            task.run();
        }
        thief.join().unwrap();
        // Whatever the thief did not take, the owner did: nothing is left behind.
        assert!(slot.steal().is_none(), "nothing left in the slot");
        assert_eq!(p1.polls(), 1, "the first task ran exactly once");
        assert_eq!(p2.polls(), 1, "the second task ran exactly once");
        drop(block_on(j1).expect("completed"));
        drop(block_on(j2).expect("completed"));
    });
}
