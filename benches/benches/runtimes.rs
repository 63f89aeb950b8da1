//! Criterion benches of issue 7: one group per workload, one bench per
//! runtime (all with `BENCH_WORKERS` workers, default 2), plus rayon's `join`
//! in the `fib` group and the floor of a spawn. The network workloads of
//! issue 13 (`tcp_echo`, `tcp_churn`, `tcp_stream`) run at their small size
//! (`benches::net::Scale::Small`) on tokio, smol and ours.
//!
//! `cargo bench -p benches --bench runtimes` (a few minutes on 2 cores);
//! filter with e.g. `-- fib/` or `-- tokio`. For the interleaved table of
//! medians and ratios use the `compare` binary instead.

use std::time::Duration;

use benches::harness::{self, Rayon, FLOOR_LATCH_NAME, FLOOR_NAME};
use benches::net::Scale;
use benches::workload::SPAWN_MANY;
use benches::Workload;
use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

/// Short runs: 35 benches must fit in a few minutes on a shared 2-core box.
fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

fn runtimes(c: &mut Criterion) {
    let workers = harness::workers();
    // Built once, outside every timed region; idle runtimes park their workers.
    let runtimes = harness::runtimes(workers, |_| true);
    let rayon = Rayon::new(workers);

    for workload in Workload::ALL.map(|w| w.at_scale(Scale::Small)) {
        let mut group = c.benchmark_group(workload.name());
        // Iterations take 0.1–30 ms (the network ones up to ~100 ms): flat
        // sampling keeps the run short.
        group.sampling_mode(SamplingMode::Flat);
        if let Workload::TcpStream(_) = workload {
            group.throughput(Throughput::Bytes(workload.elements()));
        } else {
            group.throughput(Throughput::Elements(workload.elements()));
        }
        if workload.is_net() {
            group.sample_size(10);
        }
        for rt in runtimes.iter().filter(|rt| rt.runs(workload)) {
            group.bench_function(rt.name(), |b| {
                b.iter_custom(|iters| rt.time(workload, iters));
            });
        }
        if workload == Workload::Fib {
            group.bench_function(Rayon::NAME, |b| {
                b.iter_custom(|iters| rayon.time_fib(iters))
            });
        }
        group.finish();
    }
}

fn floor(c: &mut Criterion) {
    let mut group = c.benchmark_group("floor");
    group.throughput(Throughput::Elements(SPAWN_MANY as u64));
    group.bench_function(FLOOR_NAME, |b| b.iter_custom(harness::time_floor));
    group.bench_function(FLOOR_LATCH_NAME, |b| {
        b.iter_custom(harness::time_floor_with_latch)
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = config();
    targets = runtimes, floor
}
criterion_main!(benches);
