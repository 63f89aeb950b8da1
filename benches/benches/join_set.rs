//! `JoinSet` with 100 000 tasks: ours against tokio's, with the same number of
//! workers (`BENCH_WORKERS`, default 2).
//!
//! One iteration spawns 100 000 trivial tasks into a set from inside `block_on`, then
//! drains the set with `join_next` and checks the sum. It measures the set's
//! bookkeeping (one ready-list entry per task) plus the spawn and completion of each
//! task.
//!
//! `cargo bench -p benches --bench join_set`

use std::time::Duration;

use benches::harness;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

const TASKS: u64 = 100_000;
const SUM: u64 = TASKS * (TASKS - 1) / 2;

fn join_set(c: &mut Criterion) {
    let workers = harness::workers();
    let ours = runtime::Builder::new()
        .worker_threads(workers)
        .build()
        .unwrap();
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .build()
        .unwrap();

    let mut group = c.benchmark_group("join_set");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(TASKS));

    group.bench_function("runtime", |b| {
        b.iter(|| {
            ours.block_on(async {
                let mut set = runtime::task::JoinSet::new();
                for i in 0..TASKS {
                    set.spawn(async move { i });
                }
                let mut sum = 0;
                while let Some(r) = set.join_next().await {
                    sum += r.unwrap();
                }
                assert_eq!(sum, SUM);
            })
        })
    });

    group.bench_function("tokio", |b| {
        b.iter(|| {
            tokio.block_on(async {
                let mut set = tokio::task::JoinSet::new();
                for i in 0..TASKS {
                    set.spawn(async move { i });
                }
                let mut sum = 0;
                while let Some(r) = set.join_next().await {
                    sum += r.unwrap();
                }
                assert_eq!(sum, SUM);
            })
        })
    });

    group.finish();
}

/// Short runs: the box is shared.
fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
}

criterion_group! {
    name = benches;
    config = config();
    targets = join_set
}
criterion_main!(benches);
