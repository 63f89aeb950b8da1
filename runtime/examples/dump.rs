//! Finding the stuck task in a running service: `Handle::dump`.
//!
//! A small service runs on two workers: a dozen named "tickers" that wake every 10 ms,
//! a task that takes a lock and never lets go, a task that waits for that lock, and a
//! task that spins inside one poll (a CPU loop with no `.await`, the classic way to
//! block a worker). On Ctrl-C, or after two seconds, the program takes a dump and
//! prints it: one row per live task, sorted by the time since each task's last poll,
//! so the task waiting for the lock, the lock's holder and the spinner (running on a
//! worker for two seconds) come first, and the tickers (polled a few milliseconds
//! ago) last. Then it checks that order, stops the spinner and exits.
//!
//! ```text
//! $ cargo run --release --example dump
//! 15 live tasks (dump took 2.4ms, workers held 2.4ms)
//!       ID  STATE          POLLS       AGE  SINCE POLL   WAITING  NAME                  SPAWNED AT
//!        1  idle               1     2.01s       2.01s     2.01s  holds the lock        runtime/examples/dump.rs:42:47
//!        2  idle               1     2.01s       2.01s     2.01s  waits for the lock    runtime/examples/dump.rs:52:10
//!        3  running@w1         1     2.01s       2.01s         -  spinner               runtime/examples/dump.rs:58:50
//!        4  idle             201     2.01s       4.0ms     4.0ms  ticker 0              runtime/examples/dump.rs:67:49
//!      ...
//! ```
//!
//! The dump waited 2 ms for the spinner's worker before judging it stuck in one poll
//! (then it read that worker's queue without it); the other worker was held that long.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{select, Either};
use runtime::dump::TaskState;
use runtime::task::Builder;

#[runtime::main(worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let lock = Arc::new(async_lock::Mutex::new(()));
    let (locked_tx, locked_rx) = async_channel::bounded::<()>(1);

    // Takes the lock and keeps it for ever: a forgotten guard across an await.
    let holder = {
        let lock = lock.clone();
        Builder::new().name("holds the lock").spawn(async move {
            let _guard = lock.lock().await;
            let _ = locked_tx.send(()).await;
            std::future::pending::<()>().await;
        })?
    };
    locked_rx.recv().await?;
    // Waits for it: stuck on the lock.
    let waiter = Builder::new()
        .name("waits for the lock")
        .spawn(async move {
            let _guard = lock.lock().await;
        })?;
    // Spins inside one poll: a worker is lost to it until `stop` is set.
    let stop = Arc::new(AtomicBool::new(false));
    let spinning = stop.clone();
    let spinner = Builder::new().name("spinner").spawn(async move {
        while !spinning.load(Ordering::Relaxed) {
            std::hint::spin_loop();
        }
    })?;
    // The healthy part of the service.
    let mut tickers = Vec::new();
    for i in 0..12 {
        let name = format!("ticker {i}");
        tickers.push(Builder::new().name(&name).spawn(async move {
            let mut interval = runtime::time::interval(Duration::from_millis(10));
            loop {
                interval.tick().await;
            }
        })?);
    }

    // Ctrl-C, or two seconds.
    let ctrl_c = Box::pin(runtime::signal::ctrl_c());
    let timer = Box::pin(runtime::time::sleep(Duration::from_secs(2)));
    if let Either::Left((result, _)) = select(ctrl_c, timer).await {
        result?;
        println!("Ctrl-C: dumping");
    }
    let dump = runtime::Handle::current().dump();
    print!("{dump}");

    // The three problem tasks are the first three rows, the tickers after them.
    let top: Vec<_> = dump.tasks().take(3).map(|t| t.id()).collect();
    for task in [&holder, &waiter] {
        assert!(top.contains(&task.id()), "a stuck task is at the top");
    }
    assert!(top.contains(&spinner.id()), "the spinner is at the top");
    let spin = dump.tasks().find(|t| t.id() == spinner.id()).unwrap();
    assert_eq!(spin.state(), TaskState::Running);
    let wait = dump.tasks().find(|t| t.id() == waiter.id()).unwrap();
    assert_eq!(wait.state(), TaskState::Idle);
    assert_eq!(wait.name(), Some("waits for the lock"));
    for t in &tickers {
        assert!(
            dump.tasks().any(|d| d.id() == t.id()),
            "every ticker is listed"
        );
    }

    stop.store(true, Ordering::Relaxed);
    spinner.await?;
    for t in tickers {
        t.abort();
    }
    Ok(())
}
