//! Side-by-side benchmarks of `runtime` against tokio (multi-thread),
//! async-executor (smol's executor) and `futures::executor::ThreadPool`
//! (issue 7).
//!
//! - [`workload`]: every workload, written once, generic over [`Executor`].
//! - [`net`]: the network workloads of issue 13 (`tcp_echo`, `tcp_churn`,
//!   `tcp_stream`) and the socket traits each runtime implements for them.
//! - [`http`]: the `http` workload (issue 14): a hyper server on ours, tokio
//!   and smol, driven by `wrk` in its own process.
//! - [`exec`]: the [`Executor`] / [`Spawner`] traits and shared helpers.
//! - [`peers`]: the adapters for tokio, async-executor, the futures pool and
//!   smol (async-executor threads driving async-io's reactor).
//! - [`ours`]: the adapter for our runtime.
//! - [`harness`]: the list of runtimes, the worker count
//!   (`BENCH_WORKERS`, default 2) and the reference lines (the floor of a
//!   spawn, rayon's `join` for `fib`).
//!
//! Run the criterion benches with `cargo bench -p benches --bench runtimes`
//! and the interleaved comparison table with
//! `cargo run --release -p benches --bin compare -- --help`.

pub mod exec;
pub mod harness;
pub mod http;
pub mod net;
pub mod ours;
pub mod peers;
pub mod workload;

pub use exec::{Executor, Spawner};
pub use harness::{workers, AnyRuntime};
pub use workload::Workload;
