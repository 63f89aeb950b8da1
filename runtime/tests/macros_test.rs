//! `#[runtime::test]` and `#[runtime::main]` at run time (issue 3): the options reach
//! the runtime, each test gets a fresh one, the body runs on the test's thread while
//! spawned tasks run on the workers, a panic fails a test as in a plain `#[test]`
//! (so `#[should_panic]` works), and other attributes are kept.
//!
//! Every test that waits on the runtime holds a [`Deadline`]: a hang fails the run
//! (the process exits with a message) instead of blocking CI.

use std::collections::HashSet;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Fails the whole test binary if it is still alive after its time bound.
///
/// The bound is kept outside the runtime (a plain thread), so it works even when the
/// runtime under test is stuck. Dropping the guard disarms it.
struct Deadline {
    _disarm_on_drop: mpsc::Sender<()>,
}

impl Deadline {
    fn after(secs: u64, what: &'static str) -> Deadline {
        let (tx, rx) = mpsc::channel::<()>();
        thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(Duration::from_secs(secs))
            {
                eprintln!("{what}: still running after {secs} s; the runtime hangs");
                std::process::exit(101);
            }
        });
        Deadline {
            _disarm_on_drop: tx,
        }
    }
}

/// The name of the thread running this code, owned.
fn thread_name() -> String {
    thread::current().name().unwrap_or("<unnamed>").to_owned()
}

#[runtime::test]
async fn default_options_run_the_body_inside_a_fresh_runtime() {
    let _deadline = Deadline::after(30, "default_options");
    let handle = runtime::Handle::current();
    // Fresh: other tests spawn on their own runtimes at the same time, never on this one.
    assert_eq!(handle.metrics().spawned(), 0);
    assert!(handle.metrics().workers() >= 1);
    let task = runtime::spawn(async { 6 * 7 });
    assert_eq!(task.await.unwrap(), 42);
    assert_eq!(handle.metrics().spawned(), 1);
}

#[runtime::test(worker_threads = 1)]
async fn worker_threads_1_gives_one_worker() {
    let _deadline = Deadline::after(30, "worker_threads_1");
    assert_eq!(runtime::Handle::current().metrics().workers(), 1);
    // Every task runs on the one worker, which has the default name.
    let mut names = HashSet::new();
    for _ in 0..16 {
        names.insert(runtime::spawn(async { thread_name() }).await.unwrap());
    }
    assert_eq!(names, HashSet::from(["runtime-worker-0".to_owned()]));
}

#[runtime::test(worker_threads = 3, thread_name = "macro-test")]
async fn thread_name_names_the_workers_and_not_the_body_thread() {
    let _deadline = Deadline::after(30, "thread_name");
    assert_eq!(runtime::Handle::current().metrics().workers(), 3);
    let tasks: Vec<_> = (0..32)
        .map(|_| runtime::spawn(async { thread_name() }))
        .collect();
    for task in tasks {
        let name = task.await.unwrap();
        assert!(
            ["macro-test-0", "macro-test-1", "macro-test-2"].contains(&name.as_str()),
            "{name}"
        );
    }
    // The body runs on the test's own thread (`block_on`), not on a worker.
    assert!(
        !thread_name().starts_with("macro-test"),
        "{}",
        thread_name()
    );
}

#[runtime::test]
async fn question_mark_and_result_work() -> Result<(), Box<dyn std::error::Error>> {
    let _deadline = Deadline::after(30, "question_mark");
    let n: u64 = "20".parse()?;
    let m = runtime::spawn(async move { n + 22 }).await?;
    assert_eq!(m, 42);
    Ok(())
}

#[runtime::test]
#[should_panic(expected = "a panic in the body fails the test")]
async fn a_panic_in_the_body_propagates() {
    let _deadline = Deadline::after(30, "panic_propagates");
    // Yield to the runtime first, so the panic happens in a later poll of the body.
    let _ = runtime::spawn(async {}).await;
    panic!("a panic in the body fails the test");
}

#[runtime::test]
#[ignore = "shows that #[ignore] is kept: this test is listed as ignored"]
async fn ignore_is_kept() {
    panic!("an ignored test does not run");
}

/// Unit tests sit in a `mod tests`; the attribute works there the same way.
mod tests {
    #[runtime::test(worker_threads = 2)]
    async fn inside_a_module() {
        let _deadline = super::Deadline::after(30, "inside_a_module");
        assert_eq!(runtime::Handle::current().metrics().workers(), 2);
        assert_eq!(runtime::spawn(async { "ok" }).await.unwrap(), "ok");
    }
}

/// `#[runtime::main]` on a function that is not `main`: a plain function that blocks.
#[runtime::main(worker_threads = 2, thread_name = "sum")]
async fn sum_on_workers(numbers: Vec<u64>) -> (u64, HashSet<String>) {
    let tasks: Vec<_> = numbers
        .into_iter()
        .map(|n| runtime::spawn(async move { (n, thread_name()) }))
        .collect();
    let mut sum = 0;
    let mut names = HashSet::new();
    for task in tasks {
        let (n, name) = task.await.unwrap();
        sum += n;
        names.insert(name);
    }
    (sum, names)
}

#[test]
fn main_on_another_function_blocks_on_its_own_runtime() {
    let _deadline = Deadline::after(30, "main_on_another_function");
    assert!(runtime::Handle::try_current().is_err(), "no runtime before");
    let (sum, names) = sum_on_workers((1..=100).collect());
    assert_eq!(sum, 5050);
    assert!(!names.is_empty());
    for name in &names {
        assert!(name == "sum-0" || name == "sum-1", "{name}");
    }
    assert!(runtime::Handle::try_current().is_err(), "no runtime after");
    // A second call builds a second runtime.
    assert_eq!(sum_on_workers(vec![1, 2]).0, 3);
}
