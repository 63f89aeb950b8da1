//! `Builder::unhandled_panic`: what a panicking task does to its runtime.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;

use common::within;
use runtime::{Builder, UnhandledPanic};

fn message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast::<String>()
        .map(|s| *s)
        .expect("the original message as a String payload")
}

/// A panic in a task whose handle nobody awaits shuts the runtime down, and a
/// `block_on` waiting on something else entirely panics with the original message
/// instead of hanging.
#[test]
fn shutdown_runtime_re_raises_in_a_waiting_block_on() {
    within(20, || {
        let rt = Builder::new()
            .worker_threads(2)
            .unhandled_panic(UnhandledPanic::ShutdownRuntime)
            .build()
            .unwrap();
        let (tx, rx) = mpsc::channel::<()>();
        let victim = rt.spawn(async move {
            // Cancelled by the shutdown: its channel end is dropped.
            let _tx = tx;
            std::future::pending::<()>().await;
        });
        let h = rt.handle().clone();
        let waiter = std::thread::spawn(move || {
            catch_unwind(AssertUnwindSafe(|| {
                h.block_on(std::future::pending::<()>());
            }))
        });
        rt.spawn(async { panic!("the original message") });
        let payload = waiter.join().unwrap().unwrap_err();
        assert_eq!(message(payload), "the original message");
        // Every task was cancelled, as by dropping the runtime.
        assert!(rx.recv().is_err(), "the pending task's future was dropped");
        // A later block_on panics at once, with the same message.
        let payload = catch_unwind(AssertUnwindSafe(|| rt.block_on(async {}))).unwrap_err();
        assert_eq!(message(payload), "the original message");
        let err = catch_unwind(AssertUnwindSafe(|| rt.block_on(victim))).unwrap_err();
        assert_eq!(message(err), "the original message");
    });
}

/// The default: the panic goes to the handle, and the runtime goes on.
#[test]
fn ignore_is_the_default_and_keeps_running() {
    within(20, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let err = rt
            .block_on(rt.spawn(async { panic!("only this task") }))
            .unwrap_err();
        assert!(err.is_panic());
        assert_eq!(rt.block_on(rt.spawn(async { 5 })).unwrap(), 5);
    });
}
