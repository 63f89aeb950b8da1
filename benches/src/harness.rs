//! What the criterion benches and the `compare` binary drive: the list of
//! runtimes behind one object-safe trait, the worker count, and the
//! reference lines (the floor, rayon's `join`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use crate::exec::Executor;
use crate::ours::Ours;
use crate::peers::{AsyncExecutor, FuturesPool, Smol, Tokio};
use crate::workload::{self, Measurement, Workload, FIB_N, FIB_RESULT};

/// The environment variable that sets the number of workers of every runtime.
pub const WORKERS_VAR: &str = "BENCH_WORKERS";

/// The worker count when [`WORKERS_VAR`] is not set.
pub const DEFAULT_WORKERS: usize = 2;

/// The number of workers every runtime gets: `$BENCH_WORKERS`, or 2.
///
/// # Panics
///
/// If `BENCH_WORKERS` is set to anything but a positive integer.
pub fn workers() -> usize {
    match std::env::var(WORKERS_VAR) {
        Err(_) => DEFAULT_WORKERS,
        Ok(value) => match value.trim().parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => panic!("{WORKERS_VAR} must be a positive integer, got {value:?}"),
        },
    }
}

/// A runtime under test, type-erased so the runtimes can sit in one list.
pub trait AnyRuntime {
    /// Its name in tables and benchmark ids.
    fn name(&self) -> &'static str;
    /// Whether it is ours rather than a peer.
    fn is_ours(&self) -> bool;
    /// Whether it is a baseline build of ours (see `ab.sh`).
    fn is_baseline(&self) -> bool;
    /// Whether its figure for `workload` measures scheduling (see
    /// [`Workload::is_meaningful_for`]).
    fn is_meaningful(&self, workload: Workload) -> bool;
    /// Whether it runs `workload` (see [`Executor::runs`]).
    fn runs(&self, workload: Workload) -> bool;
    /// Runs `iters` iterations of `workload` and returns the time taken,
    /// setup excluded.
    fn time(&self, workload: Workload, iters: u64) -> Duration;
    /// [`AnyRuntime::time`], plus the p99 latency of the workloads that
    /// record one.
    fn measure(&self, workload: Workload, iters: u64) -> Measurement;
    /// How much one iteration of `workload` moves the runtime's own counters,
    /// averaged over `iters` iterations (empty for runtimes without counters).
    fn counters_per_iteration(&self, workload: Workload, iters: u64) -> Vec<(&'static str, u64)>;
}

impl<E: Executor> AnyRuntime for E {
    fn name(&self) -> &'static str {
        E::NAME
    }

    fn is_ours(&self) -> bool {
        E::OURS
    }

    fn is_baseline(&self) -> bool {
        E::BASELINE
    }

    fn is_meaningful(&self, workload: Workload) -> bool {
        workload.is_meaningful_for::<E>()
    }

    fn runs(&self, workload: Workload) -> bool {
        Executor::runs(self, workload)
    }

    fn time(&self, workload: Workload, iters: u64) -> Duration {
        workload.time(self, iters)
    }

    fn measure(&self, workload: Workload, iters: u64) -> Measurement {
        workload.measure(self, iters)
    }

    fn counters_per_iteration(&self, workload: Workload, iters: u64) -> Vec<(&'static str, u64)> {
        let iters = iters.max(1);
        let before = self.counters();
        workload.time(self, iters);
        let after = self.counters();
        before
            .into_iter()
            .zip(after)
            .map(|((name, b), (_, a))| (name, a.wrapping_sub(b) / iters))
            .collect()
    }
}

/// Every runtime's name, in table order, whether or not it is built.
pub const RUNTIMES: &[&str] = &[
    Tokio::NAME,
    AsyncExecutor::NAME,
    FuturesPool::NAME,
    Smol::NAME,
    Ours::NAME,
    // ab.sh: baseline name here
];

/// Builds the runtimes whose names `keep` accepts, each with `workers`
/// workers, in table order. Adding a runtime is one line here.
///
/// `tokio` is built twice: without its I/O driver for the scheduling
/// workloads, with it for the network ones (each instance runs one family,
/// see [`AnyRuntime::runs`]). `smol` runs the network workloads only.
pub fn runtimes(workers: usize, keep: impl Fn(&str) -> bool) -> Vec<Box<dyn AnyRuntime>> {
    let mut list: Vec<Box<dyn AnyRuntime>> = Vec::new();
    if keep(Tokio::NAME) {
        list.push(Box::new(Tokio::new(workers)));
        list.push(Box::new(Tokio::with_io(workers)));
    }
    if keep(AsyncExecutor::NAME) {
        list.push(Box::new(AsyncExecutor::new(workers)));
    }
    if keep(FuturesPool::NAME) {
        list.push(Box::new(FuturesPool::new(workers)));
    }
    if keep(Smol::NAME) {
        list.push(Box::new(Smol::new(workers)));
    }
    if keep(Ours::NAME) {
        list.push(Box::new(Ours::new(workers)));
    }
    // ab.sh: baseline runtime here
    list
}

/// rayon's thread pool with the same number of threads: the reference line
/// for `fib`.
#[derive(Debug)]
pub struct Rayon {
    pool: rayon::ThreadPool,
}

impl Rayon {
    /// Its name in tables and benchmark ids.
    pub const NAME: &'static str = "rayon join";

    /// A rayon pool with `workers` threads.
    pub fn new(workers: usize) -> Rayon {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("rayon-{i}"))
            .build()
            .expect("cannot build the rayon pool");
        Rayon { pool }
    }

    /// Runs `fib(FIB_N)` with `rayon::join` `iters` times in the pool.
    pub fn time_fib(&self, iters: u64) -> Duration {
        self.pool.install(|| {
            let start = Instant::now();
            for _ in 0..iters {
                assert_eq!(workload::rayon_fib(black_box(FIB_N)), FIB_RESULT);
            }
            start.elapsed()
        })
    }
}

/// The name of the floor in tables and benchmark ids.
pub const FLOOR_NAME: &str = "floor";

/// The name of the floor with the workload's latch in tables.
pub const FLOOR_LATCH_NAME: &str = "floor + latch";

/// Runs [`workload::floor_with_latch`] `iters` times on the calling thread.
pub fn time_floor_with_latch(iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        workload::floor_with_latch();
    }
    start.elapsed()
}

/// Runs [`workload::floor`] `iters` times on the calling thread.
pub fn time_floor(iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        workload::floor();
    }
    start.elapsed()
}
