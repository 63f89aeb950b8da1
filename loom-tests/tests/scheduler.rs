//! The worker loop's park/notify protocol (scheduler/idle.rs rules 1–3, `Parker`) and
//! shutdown, on the real `worker::run` running on loom threads
//! (`runtime::__loom::scheduler::Workers`).
//!
//! A wake-up lost between a push and a worker going to sleep leaves the joiner's
//! `block_on` parked forever next to sleeping workers: loom reports that as a deadlock.
//! A task left queued after shutdown keeps its `Probe` (a loom `Arc`) alive: loom's
//! leak check reports it.
#![cfg(loom)]

use loom::thread;
use loom_tests::{block_on, model, Probe};
use runtime::__loom::scheduler::Workers;

/// A remote spawn racing with the only worker going to sleep: the task always runs
/// (the worker's rescan after its announcement sees the task, or the pusher sees the
/// announcement and unparks it).
#[test]
fn spawn_vs_park_one_worker() {
    model(2, 900, || {
        let workers = Workers::start(1);
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

/// A remote wake racing with the worker going to sleep after the task's first poll:
/// the wake is never lost, so the second poll always happens.
#[test]
fn remote_wake_vs_park() {
    model(2, 75000, || {
        let workers = Workers::start(1);
        let probe = Probe::new();
        let join = workers.spawn(probe.future(1));
        // Wait for the first poll (it stores the waker) without a spin loop: a second
        // task, spawned after it, completes after it on the one worker (FIFO injector
        // and local queue).
        block_on(workers.spawn(async {})).unwrap();
        assert_eq!(probe.polls(), 1, "FIFO: the earlier task was polled first");
        // The worker is now running, searching or going to sleep: wake from here.
        probe.wake(probe.waker());
        let out = block_on(join).expect("the wake was not lost");
        assert_eq!(out.polls(), 2);
        drop(out);
        workers.shutdown();
        assert_eq!(probe.future_drops(), 1);
    });
}

/// Shutdown racing with a worker that polls a never-ready task and goes to sleep:
/// every worker exits (the shutdown's unpark is never lost), the task is cancelled
/// exactly once, and everything is freed.
#[test]
fn shutdown_vs_park() {
    model(2, 35, || {
        let workers = Workers::start(1);
        let probe = Probe::new();
        let join = workers.spawn(probe.future(usize::MAX));
        workers.shutdown();
        assert_eq!(probe.future_drops(), 1);
        assert!(probe.polls() <= 1);
        assert!(join.is_finished());
        assert!(block_on(join).unwrap_err().is_cancelled());
    });
}

/// A spawn from another thread racing with shutdown: the task is run or cancelled,
/// never left in the injector (the `SeqCst` fence in `push_remote` against the one in
/// `shutdown`), and the joiner always gets an answer.
#[test]
fn spawn_vs_shutdown() {
    model(2, 1100, || {
        let workers = Workers::start(1);
        let spawner = workers.spawner();
        let probe = Probe::new();
        let p = probe.clone();
        let a = thread::spawn(move || spawner.spawn(p.future(0)));
        workers.shutdown();
        let join = a.join().unwrap();
        assert!(
            join.is_finished(),
            "after shutdown no task is left unfinished"
        );
        assert_eq!(probe.future_drops(), 1);
        match block_on(join) {
            Ok(out) => assert_eq!(out.polls(), 1),
            Err(e) => {
                assert!(e.is_cancelled());
                assert_eq!(probe.polls(), 0);
            }
        }
    });
}

/// Two workers, a push racing with both going to sleep: the task always runs (a
/// searcher finds it, or a parked worker is notified; idle.rs rule 2).
///
/// Preemption bound 2 (about 1.6 million executions, three minutes): at bound 1 this
/// model does not catch a park without its rescan (the `park_rescan` plant,
/// `.ci/loom.sh --broken`); at 2 it does.
#[test]
fn spawn_vs_park_two_workers() {
    model(2, 400_000, || {
        let workers = Workers::start(2);
        let probe = Probe::new();
        let join = workers.spawn(probe.future(0));
        drop(block_on(join).expect("the task ran"));
        workers.shutdown();
        assert_eq!(probe.future_drops(), 1);
    });
}

/// scheduler/runtime_ref.rs, rules C1–C3: tasks count their references to the runtime
/// without an `Arc` clone each. A task spawned from outside (the count's 0 → 1 takes
/// a strong count), a child spawned on the worker (a credit), and an outside spawn
/// racing with both; a `JoinHandle` outlives the runtime. After shutdown the workers
/// hold no credits (only the kept task is counted), and dropping that handle releases
/// the last reference, which frees the shared state: loom's leak check fails the
/// model if any reference is lost, and its `Arc` fails it if one is released twice.
#[test]
fn task_refs_outlive_the_runtime() {
    model(2, 25000, || {
        let workers = Workers::start(1);
        let spawner = workers.spawner();
        let s = spawner.clone();
        let other = thread::spawn(move || s.spawn(async { 2 }));
        let join = workers.spawn(async { runtime::spawn(async { 1 }).await.unwrap() + 1 });
        assert_eq!(block_on(join).unwrap(), 2);
        let kept = other.join().unwrap();
        workers.shutdown();
        assert!(kept.is_finished());
        assert_eq!(spawner.task_refs(), 1, "only the kept task is counted");
        drop(spawner);
        drop(kept);
    });
}

/// `Parker` (scheduler/park.rs): two unparks racing with a park. Whatever the second
/// unparker wrote before its `unpark` is visible once the parker has consumed the
/// token that unpark left, or the token is still there for the next park, so a loop
/// that parks until it sees the write always ends. (A plain store consuming a token
/// that arrived between the fast path and the lock erased the second token without
/// synchronising with it: the worker then missed shutdown's flag and slept forever.)
#[test]
fn two_unparks_vs_park() {
    use loom::sync::atomic::{AtomicBool, Ordering::Relaxed};
    use loom::sync::Arc;
    use runtime::__loom::scheduler::Parker;

    model(3, 450, || {
        let parker = Arc::new(Parker::new());
        let flag = Arc::new(AtomicBool::new(false));
        let p = parker.clone();
        let first = thread::spawn(move || p.unpark());
        let (p, f) = (parker.clone(), flag.clone());
        let second = thread::spawn(move || {
            // Relaxed: the unpark's token hand-off is what must publish it.
            f.store(true, Relaxed);
            p.unpark();
        });
        while !flag.load(Relaxed) {
            parker.park();
        }
        first.join().unwrap();
        second.join().unwrap();
    });
}

/// scheduler/spill.rs: a task spawns more children than its worker's local queue holds
/// (2 under loom), so half of the queue is spilled as one batch while the other worker
/// steals, takes the batch, searches or parks. Every child runs exactly once, whoever
/// takes it, and shutdown leaves nothing behind (loom's leak check).
#[test]
fn spill_vs_park_two_workers() {
    model(1, 50000, || {
        let workers = Workers::start(2);
        let probes: Vec<Probe> = (0..4).map(|_| Probe::new()).collect();
        let futures: Vec<_> = probes.iter().map(|p| p.future(0)).collect();
        let root = workers.spawn(async move {
            let children: Vec<_> = futures.into_iter().map(runtime::spawn).collect();
            let mut done = 0;
            for child in children {
                drop(child.await.expect("a spilled child ran"));
                done += 1;
            }
            done
        });
        assert_eq!(block_on(root).unwrap(), 4);
        workers.shutdown();
        for probe in &probes {
            assert_eq!(probe.polls(), 1);
            assert_eq!(probe.future_drops(), 1);
            assert_eq!(probe.output_drops(), 1);
        }
    });
}
