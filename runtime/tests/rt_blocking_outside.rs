//! `runtime::spawn_blocking` outside a runtime: a panic whose message names it.

use std::panic;

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .unwrap_or_default(),
    }
}

#[test]
fn the_no_runtime_panic_names_spawn_blocking() {
    let payload = panic::catch_unwind(|| drop(runtime::spawn_blocking(|| ()))).unwrap_err();
    let msg = panic_message(payload);
    assert!(msg.contains("there is no runtime here"), "{msg}");
    assert!(msg.contains("`runtime::spawn_blocking`"), "{msg}");
    assert!(
        !msg.contains("Handle::current()"),
        "names another entry point: {msg}"
    );
    assert!(
        msg.contains("Handle::spawn_blocking"),
        "names the fix: {msg}"
    );
}

#[test]
fn the_closure_is_not_run_outside_a_runtime() {
    let ran = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = ran.clone();
    let result = panic::catch_unwind(move || {
        drop(runtime::spawn_blocking(move || {
            flag.store(true, std::sync::atomic::Ordering::SeqCst)
        }))
    });
    assert!(result.is_err());
    assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
}
