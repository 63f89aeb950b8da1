//! `#[runtime::main]` without options on `async fn main()`: the body runs inside the
//! runtime, on the calling thread, and tasks it spawns run on the workers.

#[runtime::main]
async fn main() {
    // Inner attributes of the body are kept.
    #![allow(clippy::let_unit_value)]
    let main_thread = std::thread::current().id();
    let handle = runtime::Handle::current();
    assert!(handle.metrics().workers() >= 1);
    let on_worker = runtime::spawn(async move { std::thread::current().id() != main_thread });
    assert!(
        on_worker.await.unwrap(),
        "spawned tasks run on worker threads"
    );
}
