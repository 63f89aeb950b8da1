//! Which thread runs which part of a task?
//!
//! The F# question "how to tell if an async computation is sent to the thread pool?"
//! has the same answer here: a task runs on whatever thread polls it, up to the first
//! `.await` that is not ready; where it continues is decided by who wakes it.
//!
//! - `runtime::spawn_immediate` (F#'s `Async.StartImmediate`) polls the new task on
//!   the calling thread, synchronously, until its first real wait, then returns; the
//!   rest runs on a worker once the wait is over.
//! - `runtime::spawn` (F#'s `Async.Start`) queues the task: all of it runs on workers,
//!   and the caller goes on at once.
//!
//! ```text
//! $ cargo run --example start_immediate
//! starting            on main
//! 1                   on main
//! 2                   on main
//! 3                   on main
//! started             on main
//! 4 (after the sleep) on runtime-worker-0
//! ```

use std::time::Duration;

fn log(what: &str) {
    let thread = std::thread::current();
    println!("{what:<19} on {}", thread.name().unwrap_or("?"));
}

async fn computation() {
    log("1");
    let x = async {
        log("2");
        42
    }
    .await; // ready at once: no thread switch
    log("3");
    runtime::time::sleep(Duration::from_millis(100)).await; // a real wait
    log("4 (after the sleep)");
    assert_eq!(x, 42);
}

fn main() -> std::io::Result<()> {
    let rt = runtime::Runtime::new()?;
    rt.block_on(async {
        log("starting");
        let handle = runtime::spawn_immediate(computation());
        log("started");
        handle.await.expect("the computation does not panic");

        println!();
        log("spawn instead");
        let handle = runtime::spawn(computation());
        log("spawned (1 to 4 run on workers)");
        handle.await.expect("the computation does not panic");
    });
    Ok(())
}
