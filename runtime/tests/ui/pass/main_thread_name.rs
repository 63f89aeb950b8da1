//! `thread_name = "..."` reaches `Builder::thread_name`: workers are `{name}-{index}`.

#[runtime::main(thread_name = "ui-pass", worker_threads = 2)]
async fn main() {
    let mut names = Vec::new();
    for _ in 0..8 {
        let task = runtime::spawn(async { std::thread::current().name().map(str::to_owned) });
        names.push(task.await.unwrap().expect("workers are named"));
    }
    for name in &names {
        assert!(name == "ui-pass-0" || name == "ui-pass-1", "{name}");
    }
    // The body itself runs on the main thread, not on a worker.
    assert_eq!(std::thread::current().name(), Some("main"));
}
