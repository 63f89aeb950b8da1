//! The cooperative budget (task/coop.rs): tasks whose every await is ready at once
//! still let the rest of the runtime run.
// Uses sockets: not in the loom build.
#![cfg(not(loom))]

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::within;
use runtime::io::AsyncWriteExt;
use runtime::net::UnixStream;
use runtime::pool::LendingPool;
use runtime::time::{interval, sleep};
use runtime::Builder;

/// Both workers hog: one task awaits `readable()` on a socket whose peer always has
/// data (nobody reads it, so it stays ready), one awaits a due `Sleep` and a free pool
/// item in a loop. Without the budget neither ever returns `Pending`, both workers
/// are stuck in them for ever, and nothing below runs (the test fails on its time
/// bound). With it: a 1 ms interval ticks, and spawns from outside start.
#[test]
fn always_ready_tasks_do_not_starve_timers_or_outside_spawns() {
    within(60, || {
        let rt = Builder::new().worker_threads(2).build().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let spins = Arc::new(AtomicU64::new(0));
        let (a, mut b) = rt.block_on(async { UnixStream::pair() }).unwrap();
        let a = Arc::new(a);
        rt.block_on(async { b.write_all(&[7; 64]).await }).unwrap();
        for _ in 0..2 {
            let (stop, spins) = (stop.clone(), spins.clone());
            let a = a.clone();
            let pool = LendingPool::new(vec![0u8]);
            rt.spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    a.readable().await.unwrap();
                    sleep(Duration::ZERO).await;
                    drop(pool.borrow(0).await.unwrap());
                    spins.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        // The interval: 100 ticks, each late by how much?
        let ticker = rt.spawn(async {
            let mut ticks = interval(Duration::from_millis(1));
            let start = Instant::now();
            let mut worst = Duration::ZERO;
            for i in 0..100u32 {
                ticks.tick().await;
                let due = start + Duration::from_millis(i.into());
                worst = worst.max(Instant::now().saturating_duration_since(due));
            }
            worst
        });
        // Outside spawns: how long until each starts?
        let mut worst_start = Duration::ZERO;
        for _ in 0..100 {
            let sent = Instant::now();
            let started = rt
                .block_on(rt.spawn(async move { Instant::now() }))
                .unwrap();
            worst_start = worst_start.max(started.saturating_duration_since(sent));
        }
        let worst_tick = rt.block_on(ticker).unwrap();
        stop.store(true, Ordering::Relaxed);
        assert!(spins.load(Ordering::Relaxed) > 0, "the hogs ran too");
        // What the issue targets (ticks within 2 ms, spawns within 1 ms) is printed;
        // the bounds asserted are loose, for a shared 2-core CI machine: what they
        // prove is that nothing starves.
        eprintln!("worst tick lateness {worst_tick:?}, worst outside-spawn start {worst_start:?}");
        assert!(worst_tick < Duration::from_secs(2), "{worst_tick:?}");
        assert!(worst_start < Duration::from_secs(2), "{worst_start:?}");
        drop(a);
    });
}

/// Inside `unconstrained` a task's awaits never yield for budget: a thousand due
/// sleeps in a row complete in one poll of the task.
#[test]
fn unconstrained_never_yields_and_consume_budget_does() {
    within(20, || {
        let rt = Builder::new().worker_threads(1).build().unwrap();
        // A probe counts how often the task was polled: a yield re-polls it.
        let constrained = rt
            .block_on(rt.spawn(async {
                let polls = PollCount;
                polls
                    .run(async {
                        for _ in 0..1_000 {
                            runtime::task::consume_budget().await;
                        }
                    })
                    .await
            }))
            .unwrap();
        assert!(
            constrained >= 1_000 / 128,
            "a budgeted loop yields every 128 units: {constrained} polls"
        );
        let free = rt
            .block_on(rt.spawn(runtime::task::unconstrained(async {
                PollCount
                    .run(async {
                        for _ in 0..1_000 {
                            runtime::task::consume_budget().await;
                        }
                    })
                    .await
            })))
            .unwrap();
        assert_eq!(free, 1, "unconstrained: one poll");
    });
}

/// Counts the polls of the future it runs.
struct PollCount;

impl PollCount {
    async fn run(self, fut: impl std::future::Future<Output = ()>) -> u32 {
        let mut fut = std::pin::pin!(fut);
        let mut polls = 0;
        std::future::poll_fn(|cx| {
            polls += 1;
            fut.as_mut().poll(cx)
        })
        .await;
        polls
    }
}
