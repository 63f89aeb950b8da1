//! `spawn_immediate`: the prefix up to the first `Pending` runs on the caller's thread,
//! before the call returns; the rest runs on the workers.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use common::{within, Gate};
use runtime::{Builder, Runtime};

fn rt(workers: usize) -> Runtime {
    Builder::new()
        .worker_threads(workers)
        .thread_name("imm")
        .build()
        .unwrap()
}

#[test]
fn the_prefix_runs_on_the_block_on_thread_before_the_call_returns() {
    within(20, || {
        let rt = rt(2);
        let caller = thread::current().id();
        rt.block_on(async move {
            let prefix_thread = Arc::new(Mutex::new(None::<ThreadId>));
            let prefix_done = Arc::new(AtomicBool::new(false));
            let gate = Gate::new();
            let (p, d, wait) = (prefix_thread.clone(), prefix_done.clone(), gate.wait());
            let handle = runtime::spawn_immediate(async move {
                *p.lock().unwrap() = Some(thread::current().id());
                d.store(true, Ordering::SeqCst);
                wait.await; // the first Pending: spawn_immediate returns here
                thread::current().name().map(str::to_owned)
            });
            // Before anything else ran, the prefix is done, on this very thread.
            assert!(prefix_done.load(Ordering::SeqCst));
            assert_eq!(*prefix_thread.lock().unwrap(), Some(caller));
            assert!(!handle.is_finished());
            // The rest runs on a worker once the gate wakes it.
            gate.open();
            let name = handle.await.unwrap().unwrap();
            assert!(name.starts_with("imm-"), "{name}");
        });
    });
}

#[test]
fn from_a_worker_the_prefix_runs_on_that_worker() {
    within(20, || {
        let rt = rt(2);
        let (same, done) = rt
            .block_on(rt.spawn(async {
                let outer = thread::current().id();
                let ran = Arc::new(AtomicBool::new(false));
                let r = ran.clone();
                let inner = runtime::spawn_immediate(async move {
                    r.store(true, Ordering::SeqCst);
                    let here = thread::current().id();
                    runtime::yield_now().await;
                    here
                });
                let ran_before_return = ran.load(Ordering::SeqCst);
                (inner.await.unwrap() == outer, ran_before_return)
            }))
            .unwrap();
        assert!(same, "the prefix ran on the calling worker");
        assert!(done, "the prefix ran before spawn_immediate returned");
    });
}

#[test]
fn a_future_that_never_waits_is_finished_on_return() {
    within(20, || {
        let rt = rt(1);
        let before = rt.metrics().spawned();
        rt.block_on(async {
            let handle = runtime::spawn_immediate(async { 6 * 7 });
            assert!(handle.is_finished());
            assert_eq!(handle.await.unwrap(), 42);
        });
        assert_eq!(
            rt.metrics().spawned() - before,
            1,
            "spawn_immediate counts as a spawn"
        );
    });
}

#[test]
fn a_panic_in_the_prefix_goes_to_the_handle() {
    within(20, || {
        let rt = rt(1);
        rt.block_on(async {
            let handle = runtime::spawn_immediate(async { panic!("prefix panics") });
            // The caller is unharmed; the handle carries the panic.
            let err = handle.await.unwrap_err();
            assert!(err.is_panic());
            assert_eq!(
                *err.into_panic().downcast::<&str>().unwrap(),
                "prefix panics"
            );
        });
    });
}

#[test]
fn a_wake_from_another_thread_moves_the_task_to_the_workers() {
    within(20, || {
        let rt = rt(2);
        let (tx, rx) = mpsc::channel::<Gate>();
        rt.block_on(async move {
            let gate = Gate::new();
            let wait = gate.wait();
            let handle = runtime::spawn_immediate(async move {
                wait.await;
                thread::current().name().map(str::to_owned)
            });
            tx.send(gate).unwrap();
            // A plain thread opens the gate: the wake goes through the injector.
            let opener =
                thread::spawn(move || rx.recv_timeout(Duration::from_secs(10)).unwrap().open());
            let name = handle.await.unwrap().unwrap();
            assert!(name.starts_with("imm-"), "{name}");
            opener.join().unwrap();
        });
    });
}

#[test]
fn handle_spawn_immediate_works_from_a_plain_thread() {
    within(20, || {
        let rt = rt(1);
        let caller = thread::current().id();
        // The handle's runtime is current during the prefix, so it may spawn.
        let handle = rt.handle().spawn_immediate(async move {
            let inner = runtime::spawn(async { 1 });
            (thread::current().id() == caller, inner)
        });
        assert!(handle.is_finished());
        let (on_caller, inner) = rt.block_on(handle).unwrap();
        assert!(on_caller);
        assert_eq!(rt.block_on(inner).unwrap(), 1);
    });
}

#[test]
fn outside_a_runtime_it_panics_with_a_clear_message() {
    let err = std::panic::catch_unwind(|| runtime::spawn_immediate(async {})).unwrap_err();
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("runtime::spawn_immediate") && msg.contains("called outside a runtime"),
        "{msg}"
    );
}
