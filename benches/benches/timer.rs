//! Timer benches (issue 5): 10 000 concurrent sleeps on this runtime and on tokio,
//! both with `BENCH_WORKERS` workers (default 2).
//!
//! - `sleep_10k`: 10 000 tasks each sleep 1–10 ms (deadlines spread evenly) and are
//!   joined. The wall time is about 10 ms of waiting plus the timers' overhead and
//!   lateness, so the difference between the two is what counts.
//! - `register_cancel_10k`: 10 000 tasks each start a 1 s `timeout` around a future
//!   that is ready after one yield: every sleep is registered and then removed before
//!   it fires. No waiting: pure timer-structure cost (insert + remove).
//!
//! `cargo bench -p benches --bench timer`.

use std::time::{Duration, Instant};

use benches::harness;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

const SLEEPS: u64 = 10_000;

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

fn ours(workers: usize) -> runtime::Runtime {
    runtime::Builder::new()
        .worker_threads(workers)
        .build()
        .expect("runtime")
}

fn tokio_rt(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_time()
        .build()
        .expect("tokio runtime")
}

fn spread(i: u64) -> Duration {
    Duration::from_micros(1_000 + (i * 9_000) / SLEEPS)
}

fn sleep_10k(c: &mut Criterion) {
    let workers = harness::workers();
    let rt = ours(workers);
    let tk = tokio_rt(workers);
    let mut group = c.benchmark_group("sleep_10k");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(SLEEPS));
    group.bench_function("runtime", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                rt.block_on(async {
                    let handles: Vec<_> = (0..SLEEPS)
                        .map(|i| runtime::spawn(runtime::time::sleep(spread(i))))
                        .collect();
                    for h in handles {
                        h.await.expect("sleep task");
                    }
                });
            }
            start.elapsed()
        });
    });
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                tk.block_on(async {
                    let handles: Vec<_> = (0..SLEEPS)
                        .map(|i| tokio::spawn(tokio::time::sleep(spread(i))))
                        .collect();
                    for h in handles {
                        h.await.expect("sleep task");
                    }
                });
            }
            start.elapsed()
        });
    });
    group.finish();
}

fn register_cancel_10k(c: &mut Criterion) {
    let workers = harness::workers();
    let rt = ours(workers);
    let tk = tokio_rt(workers);
    let mut group = c.benchmark_group("register_cancel_10k");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(SLEEPS));
    group.bench_function("runtime", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                rt.block_on(async {
                    let handles: Vec<_> = (0..SLEEPS)
                        .map(|_| {
                            runtime::spawn(runtime::time::timeout(
                                Duration::from_secs(1),
                                runtime::yield_now(),
                            ))
                        })
                        .collect();
                    for h in handles {
                        h.await.expect("task").expect("not timed out");
                    }
                });
            }
            start.elapsed()
        });
    });
    group.bench_function("tokio", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                tk.block_on(async {
                    let handles: Vec<_> = (0..SLEEPS)
                        .map(|_| {
                            tokio::spawn(tokio::time::timeout(
                                Duration::from_secs(1),
                                tokio::task::yield_now(),
                            ))
                        })
                        .collect();
                    for h in handles {
                        h.await.expect("task").expect("not timed out");
                    }
                });
            }
            start.elapsed()
        });
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = sleep_10k, register_cancel_10k
}
criterion_main!(benches);
