//! A tour of the runtime, printed step by step:
//!
//! 1. a plain Rust future is *cold*: nothing happens until something polls it;
//! 2. a spawned task is *hot*: it runs although nobody awaits its handle;
//! 3. dropping a handle detaches the task, `abort()` cancels it;
//! 4. a work-stealing run: one task spawns many on its worker, idle siblings steal
//!    them, and the per-worker metrics table shows who did what.
//!
//! Run it with `cargo run --release --example tour`. Every claim it prints is also
//! asserted, so a runtime that breaks one makes the tour exit with an error (CI runs
//! it).

use std::error::Error;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use runtime::{Builder, Runtime};

fn main() -> Result<(), Box<dyn Error>> {
    let rt = Builder::new().thread_name("tour").build()?;
    let workers = rt.metrics().workers();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("A runtime with {workers} worker threads (one per core).\n");
    assert_eq!(workers, cores, "one worker per core");

    cold_futures(&rt);
    hot_tasks(&rt)?;
    detach_and_abort(&rt)?;
    work_stealing(&rt)?;
    Ok(())
}

/// 1. Making a future runs none of it.
fn cold_futures(rt: &Runtime) {
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let future = async move { flag.store(true, Ordering::SeqCst) };
    let before = ran.load(Ordering::SeqCst);
    println!("1. Cold: made a plain future;     has it run? {before}");
    assert!(!before, "a future runs nothing until polled");
    rt.block_on(future);
    let after = ran.load(Ordering::SeqCst);
    println!("   ...after awaiting it:          has it run? {after}\n");
    assert!(after, "awaiting it ran it");
}

/// 2. A spawned task starts at once, like a C# `Task`.
fn hot_tasks(rt: &Runtime) -> Result<(), Box<dyn Error>> {
    let (tx, rx) = mpsc::channel();
    let _never_awaited = rt.spawn(async move {
        let me = std::thread::current().name().unwrap_or("?").to_owned();
        tx.send(me).expect("main is listening");
    });
    let worker = rx.recv_timeout(Duration::from_secs(5))?;
    println!("2. Hot: spawned a task and never awaited its handle; it ran on thread {worker}.\n");
    assert!(worker.starts_with("tour-"), "it ran on a worker: {worker}");
    Ok(())
}

/// 3. Dropping the handle detaches; `abort` cancels.
fn detach_and_abort(rt: &Runtime) -> Result<(), Box<dyn Error>> {
    let (done_tx, done_rx) = mpsc::channel();
    let handle = rt.spawn(async move {
        // Give main time to drop the handle: yield to the scheduler a few times.
        for _ in 0..3 {
            runtime::yield_now().await;
        }
        done_tx.send("finished").ok();
    });
    drop(handle);
    let said = done_rx.recv_timeout(Duration::from_secs(5))?;
    println!("3. Detach: dropped the handle, then the task {said} anyway.");
    assert_eq!(said, "finished");

    let forever = rt.spawn(std::future::pending::<()>());
    forever.abort();
    let err = rt
        .block_on(forever)
        .expect_err("an aborted task has no value");
    println!("   Abort: a task waiting forever was aborted: \"{err}\".\n");
    assert!(err.is_cancelled(), "{err:?}");
    Ok(())
}

/// 4. Work stealing: everything is spawned from one worker; the others steal.
fn work_stealing(rt: &Runtime) -> Result<(), Box<dyn Error>> {
    const TASKS: u64 = 200_000;
    let before = rt.metrics();
    let checksum = Arc::new(AtomicU64::new(0));
    let sum = checksum.clone();
    let start = Instant::now();
    rt.block_on(rt.spawn(async move {
        let handles: Vec<_> = (0..TASKS)
            .map(|i| {
                let sum = sum.clone();
                runtime::spawn(async move {
                    sum.fetch_add(mix(i) & 1, Ordering::Relaxed);
                })
            })
            .collect();
        for h in handles {
            h.await.expect("no task panics");
        }
    }))?;
    let elapsed = start.elapsed();
    let after = rt.metrics();
    // The same mix, computed here: every task ran exactly once.
    let expected: u64 = (0..TASKS).map(|i| mix(i) & 1).sum();
    assert_eq!(
        checksum.load(Ordering::Relaxed),
        expected,
        "every task ran once"
    );
    println!(
        "4. Work stealing: one task spawned {TASKS} tasks on its worker; all done in {elapsed:.1?} \
         (checksum {}).",
        checksum.load(Ordering::Relaxed)
    );
    println!();
    println!("   | worker | polls    | stolen   | steal attempts | parks | queued now |");
    println!("   |--------|----------|----------|----------------|-------|------------|");
    let mut polls = 0;
    for i in 0..after.workers() {
        let (w, b) = (after.worker(i), before.worker(i));
        polls += w.polls() - b.polls();
        assert_eq!(w.local_queue_depth(), 0, "all done: nothing queued");
        println!(
            "   | {:>6} | {:>8} | {:>8} | {:>14} | {:>5} | {:>10} |",
            i,
            w.polls() - b.polls(),
            w.steals() - b.steals(),
            w.steal_attempts() - b.steal_attempts(),
            w.parks() - b.parks(),
            w.local_queue_depth(),
        );
    }
    println!(
        "\n   {} tasks spawned in all; {} spawns and wake-ups arrived from outside the workers.",
        after.spawned(),
        after.injected()
    );
    // The spawner and its children, each polled at least once (a worker may not have
    // counted its last poll yet when the snapshot is taken: at most one each).
    assert_eq!(after.spawned() - before.spawned(), TASKS + 1);
    assert!(
        polls + after.workers() as u64 > TASKS,
        "{polls} polls for {} tasks",
        TASKS + 1
    );
    Ok(())
}

/// A little work per task: a few rounds of a hash mix.
fn mix(i: u64) -> u64 {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for _ in 0..64 {
        x ^= x >> 31;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    }
    x
}
