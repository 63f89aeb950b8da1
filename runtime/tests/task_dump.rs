//! `Handle::dump` and `task::Builder`: names and spawn locations, each state, a dump
//! taken from inside a task and after shutdown, and no task lost or listed twice while
//! 100 000 tasks run (some of them moving between queues the whole time).
#![cfg(not(loom))]

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use common::{eventually, within, Gate};
use runtime::dump::TaskState;
use runtime::task::{Builder, JoinSet};

#[test]
fn names_and_spawn_locations_are_recorded() {
    within(30, || {
        let rt = runtime::Builder::new().worker_threads(2).build().unwrap();
        // One gate per task: a `Gate` keeps one waker.
        let gates: Vec<Gate> = (0..4).map(|_| Gate::new()).collect();
        let file = file!();

        let g = gates[0].clone();
        let named = Builder::new()
            .name("fetch user 42")
            .spawn_on(async move { g.wait().await }, rt.handle())
            .unwrap();
        let named_line = line!() - 2;
        let g = gates[1].clone();
        let plain = rt.spawn(async move { g.wait().await });
        let plain_line = line!() - 1;
        let g = gates[2].clone();
        let (inner, inner_line) =
            rt.block_on(async move { (runtime::spawn(async move { g.wait().await }), line!()) });
        let mut set = JoinSet::new();
        let g = gates[3].clone();
        set.spawn_on(async move { g.wait().await }, rt.handle());
        let set_line = line!() - 1;

        let dump = rt.handle().dump();
        let find = |id| dump.tasks().find(|t| t.id() == id).expect("listed");
        let t = find(named.id());
        assert_eq!(t.name(), Some("fetch user 42"));
        assert_eq!(
            (t.location().file(), t.location().line()),
            (file, named_line)
        );
        let t = find(plain.id());
        assert_eq!(t.name(), None);
        assert_eq!(
            (t.location().file(), t.location().line()),
            (file, plain_line)
        );
        let t = find(inner.id());
        assert_eq!(
            (t.location().file(), t.location().line()),
            (file, inner_line)
        );
        assert_eq!(dump.len(), 4, "{dump}");
        let in_set = dump
            .tasks()
            .find(|t| ![named.id(), plain.id(), inner.id()].contains(&t.id()))
            .unwrap();
        assert_eq!(in_set.location().line(), set_line);
        // The table names each task.
        let table = dump.to_string();
        assert!(table.contains("fetch user 42"), "{table}");
        assert!(table.contains(&format!("{file}:{plain_line}:")), "{table}");

        gates.iter().for_each(Gate::open);
        rt.block_on(async {
            named.await.unwrap();
            plain.await.unwrap();
            inner.await.unwrap();
            while let Some(r) = set.join_next().await {
                r.unwrap();
            }
        });
    });
}

#[test]
fn builder_spawn_outside_a_runtime_is_an_error() {
    let err = Builder::new().name("x").spawn(async {}).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    assert!(err.to_string().contains("spawn_on"), "{err}");
}

#[test]
#[cfg_attr(miri, ignore = "spins for the dump's real-time stuck judgement")]
fn each_state_and_a_worker_stuck_in_one_poll() {
    within(60, || {
        let rt = runtime::Builder::new().worker_threads(1).build().unwrap();
        let gate = Gate::new();
        let g = gate.clone();
        let idle = rt.spawn(async move { g.wait().await });
        assert!(eventually(10, || gate.has_waiter()));

        // The only worker spins inside one poll until released.
        let spinning = Arc::new(AtomicBool::new(false));
        let release = Arc::new(AtomicBool::new(false));
        let (s, r) = (spinning.clone(), release.clone());
        let spinner = Builder::new()
            .name("spinner")
            .spawn_on(
                async move {
                    s.store(true, Ordering::SeqCst);
                    while !r.load(Ordering::SeqCst) {
                        std::hint::spin_loop();
                    }
                },
                rt.handle(),
            )
            .unwrap();
        assert!(eventually(10, || spinning.load(Ordering::SeqCst)));
        // Spawned behind it: queued, never polled.
        let queued: Vec<_> = (0..10).map(|i| rt.spawn(async move { i })).collect();

        let dump = rt.handle().dump();
        let find = |id| dump.tasks().find(|t| t.id() == id).expect("listed");
        let t = find(idle.id());
        assert_eq!(t.state(), TaskState::Idle, "{dump}");
        assert_eq!(t.polls(), 1);
        assert!(t.waiting().is_some());
        let t = find(spinner.id());
        assert_eq!(t.state(), TaskState::Running, "{dump}");
        assert_eq!(t.worker(), Some(0));
        assert_eq!(t.name(), Some("spinner"));
        for q in &queued {
            let t = find(q.id());
            assert_eq!(t.state(), TaskState::Scheduled, "{dump}");
            assert_eq!(t.polls(), 0);
            assert_eq!(t.waiting(), None);
        }
        assert_eq!(dump.len(), 12, "{dump}");
        // The table puts the spinner and the idle task (polled before any queued task
        // was spawned) above the queued ones.
        let order: Vec<_> = dump.tasks().map(|t| t.id()).collect();
        let pos = |id| order.iter().position(|&x| x == id).unwrap();
        for q in &queued {
            assert!(pos(idle.id()) < pos(q.id()), "{dump}");
        }

        release.store(true, Ordering::SeqCst);
        gate.open();
        rt.block_on(async {
            spinner.await.unwrap();
            idle.await.unwrap();
            for (i, q) in queued.into_iter().enumerate() {
                assert_eq!(q.await.unwrap(), i);
            }
        });
        // Everything finished: nothing is listed.
        let dump = rt.handle().dump();
        assert!(dump.is_empty(), "{dump}");
    });
}

#[test]
fn a_task_can_dump_its_own_runtime() {
    within(30, || {
        let rt = runtime::Builder::new().worker_threads(2).build().unwrap();
        let me = rt.spawn(async {
            let dump = runtime::Handle::current().dump();
            let me = runtime::task::id();
            dump.tasks()
                .find(|t| t.id() == me)
                .map(|t| (t.state(), t.worker().is_some()))
        });
        assert_eq!(rt.block_on(me).unwrap(), Some((TaskState::Running, true)));
    });
}

#[test]
fn a_dump_after_shutdown_returns() {
    within(30, || {
        let rt = runtime::Builder::new().worker_threads(2).build().unwrap();
        let handle = rt.handle().clone();
        let _forever = rt.spawn(std::future::pending::<()>());
        drop(rt);
        assert!(handle.dump().is_empty());
    });
}

/// 100 000 live tasks: 90 000 waiting on a semaphore (listed in the registry) and
/// 10 000 that yield in a loop (never listed: always in a run queue or being polled,
/// moving between the workers' queues as they are stolen). Every dump taken while
/// they run lists each of them exactly once.
#[test]
fn a_hundred_thousand_tasks_none_lost_none_twice() {
    within(240, || {
        // Fewer under Miri, which runs the same paths a thousand times slower.
        const WAITERS: usize = if cfg!(miri) { 180 } else { 90_000 };
        const MOVERS: usize = if cfg!(miri) { 20 } else { 10_000 };
        let rt = runtime::Builder::new().worker_threads(2).build().unwrap();
        let sem = Arc::new(tokio::sync::Semaphore::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let yields = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::with_capacity(WAITERS + MOVERS);
        for i in 0..WAITERS + MOVERS {
            if i % 10 == 0 {
                let (stop, yields) = (stop.clone(), yields.clone());
                handles.push(rt.spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        yields.fetch_add(1, Ordering::Relaxed);
                        runtime::yield_now().await;
                    }
                }));
            } else {
                let sem = sem.clone();
                handles.push(rt.spawn(async move {
                    sem.acquire().await.unwrap().forget();
                }));
            }
        }
        let expected: HashSet<_> = handles.iter().map(|h| h.id()).collect();
        // The movers are moving.
        let before = yields.load(Ordering::Relaxed);
        assert!(eventually(30, || yields.load(Ordering::Relaxed) > before + 2 * MOVERS));

        for round in 0..if cfg!(miri) { 1 } else { 5 } {
            let dump = rt.handle().dump();
            let ids: Vec<_> = dump.tasks().map(|t| t.id()).collect();
            let unique: HashSet<_> = ids.iter().copied().collect();
            assert_eq!(
                unique.len(),
                ids.len(),
                "round {round}: a task listed twice"
            );
            let missing = expected.difference(&unique).count();
            assert_eq!(missing, 0, "round {round}: {missing} live tasks missing");
            assert_eq!(
                unique.len(),
                expected.len(),
                "round {round}: strangers listed"
            );
            let states = |s| dump.tasks().filter(|t| t.state() == s).count();
            println!(
                "round {round}: {} tasks ({} idle, {} scheduled, {} running) in {:?}, workers held {:?}",
                dump.len(),
                states(TaskState::Idle),
                states(TaskState::Scheduled),
                states(TaskState::Running),
                dump.elapsed(),
                dump.paused()
            );
        }

        stop.store(true, Ordering::Relaxed);
        sem.add_permits(WAITERS);
        rt.block_on(async move {
            for h in handles {
                h.await.unwrap();
            }
        });
    });
}

/// Dumps taken while the runtime shuts down: each returns, and every task is still
/// cancelled (none left behind in a queue a dump read and refilled).
#[test]
#[cfg_attr(miri, ignore = "dumps in a loop: minutes under Miri")]
fn dumps_racing_a_shutdown_leave_no_task_behind() {
    within(60, || {
        let drops = common::DropCounter::new();
        const TASKS: usize = 2_000;
        let rt = runtime::Builder::new().worker_threads(2).build().unwrap();
        for i in 0..TASKS {
            let token = drops.token();
            rt.spawn(async move {
                let _token = token;
                if i % 2 == 0 {
                    std::future::pending::<()>().await;
                } else {
                    loop {
                        runtime::yield_now().await;
                    }
                }
            });
        }
        let handle = rt.handle().clone();
        let stop = Arc::new(AtomicBool::new(false));
        let dumper = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut dumps = 0;
                while !stop.load(Ordering::SeqCst) || dumps == 0 {
                    let _ = handle.dump();
                    dumps += 1;
                }
                dumps
            })
        };
        drop(rt);
        stop.store(true, Ordering::SeqCst);
        assert!(dumper.join().unwrap() > 0);
        assert!(
            eventually(30, || drops.dropped() == TASKS),
            "{} of {TASKS} futures dropped",
            drops.dropped()
        );
    });
}
