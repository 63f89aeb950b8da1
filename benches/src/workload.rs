//! The workloads, each written once and run unchanged on every runtime.
//!
//! Every workload function runs one iteration and returns only when every
//! task it spawned has finished. Channels are `futures::channel` ones on every
//! runtime, so only the scheduler differs. [`Workload::time`] runs a number
//! of iterations and times them, with any setup (the busy tasks of
//! `spawn_many_remote_busy`) outside the timed region.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use futures::channel::oneshot;

use crate::exec::{wait, Countdown, Executor, Spawner};
use crate::net::{Scale, CHURN_IN_FLIGHT, ECHO_CONNECTIONS, ECHO_MESSAGE_SIZE, STREAM_WRITE};

/// Tasks spawned per iteration by the `spawn_many_*` workloads (and
/// futures allocated per iteration by [`floor`], to compare per task).
pub const SPAWN_MANY: usize = 10_000;
/// Tasks in `yield_many`.
pub const YIELD_TASKS: usize = 200;
/// Yields per task in `yield_many`.
pub const YIELDS: usize = 1_000;
/// Ping-pong pairs per iteration in `ping_pong`.
pub const PINGS: usize = 1_000;
/// Length of the chain in `chained_spawn`.
pub const CHAIN_DEPTH: usize = 1_000;
/// The argument of `fib`.
pub const FIB_N: u32 = 22;
/// `fib(FIB_N)`, checked on every iteration.
pub const FIB_RESULT: u64 = 17_711;
/// Tasks in `fan_out`.
pub const FAN_OUT: usize = 100_000;
/// How long each busy task spins in `spawn_many_remote_busy` (as in tokio's
/// own `spawn_many_remote_busy` bench).
pub const BUSY_STALL: Duration = Duration::from_micros(5);

/// One workload of issue 7 (scheduling) or issue 13 (networking, see
/// [`crate::net`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Workload {
    /// [`spawn_many_local`]
    SpawnManyLocal,
    /// [`spawn_many_remote`] on idle workers.
    SpawnManyRemoteIdle,
    /// [`spawn_many_remote`] while [`Busy`] keeps every worker busy.
    SpawnManyRemoteBusy,
    /// [`yield_many`]
    YieldMany,
    /// [`ping_pong`]
    PingPong,
    /// [`chained_spawn`]
    ChainedSpawn,
    /// [`fib`]
    Fib,
    /// [`fan_out`]
    FanOut,
    /// [`crate::net::tcp_echo`]
    TcpEcho(Scale),
    /// [`crate::net::tcp_churn`]
    TcpChurn(Scale),
    /// [`crate::net::tcp_stream`]
    TcpStream(Scale),
}

/// What timing a batch of iterations gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measurement {
    /// The time the iterations took, setup excluded.
    pub elapsed: Duration,
    /// The 99th percentile of the per-message latency, for the workloads
    /// that record one (`tcp_echo`).
    pub p99: Option<Duration>,
}

impl From<Duration> for Measurement {
    fn from(elapsed: Duration) -> Measurement {
        Measurement { elapsed, p99: None }
    }
}

impl Workload {
    /// Every workload, in table order (the network ones at full size).
    pub const ALL: [Workload; 11] = [
        Workload::SpawnManyLocal,
        Workload::SpawnManyRemoteIdle,
        Workload::SpawnManyRemoteBusy,
        Workload::YieldMany,
        Workload::PingPong,
        Workload::ChainedSpawn,
        Workload::Fib,
        Workload::FanOut,
        Workload::TcpEcho(Scale::Full),
        Workload::TcpChurn(Scale::Full),
        Workload::TcpStream(Scale::Full),
    ];

    /// The name used for criterion groups, table rows and `--workload`.
    pub fn name(self) -> &'static str {
        match self {
            Workload::SpawnManyLocal => "spawn_many_local",
            Workload::SpawnManyRemoteIdle => "spawn_many_remote_idle",
            Workload::SpawnManyRemoteBusy => "spawn_many_remote_busy",
            Workload::YieldMany => "yield_many",
            Workload::PingPong => "ping_pong",
            Workload::ChainedSpawn => "chained_spawn",
            Workload::Fib => "fib",
            Workload::FanOut => "fan_out",
            Workload::TcpEcho(_) => "tcp_echo",
            Workload::TcpChurn(_) => "tcp_churn",
            Workload::TcpStream(_) => "tcp_stream",
        }
    }

    /// Whether it is a network workload (issue 13): run only on the runtimes
    /// whose [`Executor::runs`] accepts it, which have sockets.
    pub fn is_net(self) -> bool {
        matches!(
            self,
            Workload::TcpEcho(_) | Workload::TcpChurn(_) | Workload::TcpStream(_)
        )
    }

    /// The same workload at `scale` (the scheduling ones have one size).
    pub fn at_scale(self, scale: Scale) -> Workload {
        match self {
            Workload::TcpEcho(_) => Workload::TcpEcho(scale),
            Workload::TcpChurn(_) => Workload::TcpChurn(scale),
            Workload::TcpStream(_) => Workload::TcpStream(scale),
            other => other,
        }
    }

    /// The unit of [`Workload::elements`] per second, for throughput.
    pub fn unit(self) -> &'static str {
        match self {
            Workload::TcpEcho(_) => "msg/s",
            Workload::TcpChurn(_) => "conn/s",
            Workload::TcpStream(_) => "B/s",
            _ => "/s",
        }
    }

    /// What one iteration of a network workload moves, in words.
    pub fn describe(self) -> String {
        match self {
            Workload::TcpEcho(scale) => format!(
                "{ECHO_CONNECTIONS} connections × {} messages of {ECHO_MESSAGE_SIZE} B, one at a time",
                thousands(scale.echo_messages())
            ),
            Workload::TcpChurn(scale) => format!(
                "{} connections (connect, one {ECHO_MESSAGE_SIZE} B echo, close), {CHURN_IN_FLIGHT} at a time",
                thousands(scale.churn_connections())
            ),
            Workload::TcpStream(scale) => {
                let size = match scale.stream_bytes() {
                    b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
                    b => format!("{} MiB", b >> 20),
                };
                format!("one connection, {size} in {} KiB writes", STREAM_WRITE >> 10)
            }
            other => other.name().to_owned(),
        }
    }

    /// The target throughput ratio ours / tokio of a network workload
    /// (issue 13): at least 1.15× on `tcp_echo` and `tcp_churn`, 1.0× on
    /// `tcp_stream`.
    pub fn net_target(self) -> Option<f64> {
        match self {
            Workload::TcpEcho(_) | Workload::TcpChurn(_) => Some(1.15),
            Workload::TcpStream(_) => Some(1.0),
            _ => None,
        }
    }

    /// The workload called `name`, if any.
    pub fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// What one iteration does, counted for throughput: tasks spawned, or
    /// yields for `yield_many`, or round trips for `ping_pong`; messages,
    /// connections or bytes for the network workloads.
    pub fn elements(self) -> u64 {
        let n = match self {
            Workload::SpawnManyLocal
            | Workload::SpawnManyRemoteIdle
            | Workload::SpawnManyRemoteBusy => SPAWN_MANY,
            Workload::YieldMany => YIELD_TASKS * YIELDS,
            Workload::PingPong => PINGS,
            Workload::ChainedSpawn => CHAIN_DEPTH,
            // One spawn per inner node of the call tree: fib(n + 1) - 1.
            Workload::Fib => 28_656,
            Workload::FanOut => FAN_OUT,
            Workload::TcpEcho(scale) => ECHO_CONNECTIONS * scale.echo_messages(),
            Workload::TcpChurn(scale) => scale.churn_connections(),
            Workload::TcpStream(scale) => return scale.stream_bytes(),
        };
        n as u64
    }

    /// Whether the workload is one of the spawn workloads (target ≤ 0.8×).
    pub fn is_spawn(self) -> bool {
        matches!(
            self,
            Workload::SpawnManyLocal
                | Workload::SpawnManyRemoteIdle
                | Workload::SpawnManyRemoteBusy
        )
    }

    /// Whether `E`'s figure for this workload measures scheduling at all
    /// (false for `yield_many` on an executor that re-polls in place).
    pub fn is_meaningful_for<E: Executor>(self) -> bool {
        !(self == Workload::YieldMany && E::YIELD_REPOLLS_IN_PLACE)
    }

    /// Runs one untimed iteration on `ex`.
    pub fn run_once<E: Executor>(self, ex: &E) {
        match self {
            Workload::SpawnManyLocal => spawn_many_local(ex),
            Workload::SpawnManyRemoteIdle | Workload::SpawnManyRemoteBusy => spawn_many_remote(ex),
            Workload::YieldMany => yield_many(ex),
            Workload::PingPong => ping_pong(ex),
            Workload::ChainedSpawn => chained_spawn(ex),
            Workload::Fib => assert_eq!(fib(ex, FIB_N), FIB_RESULT),
            Workload::FanOut => {
                black_box(fan_out(ex));
            }
            Workload::TcpEcho(_) | Workload::TcpChurn(_) | Workload::TcpStream(_) => {
                ex.measure_net(self, 1);
            }
        }
    }

    /// Runs `iters` iterations on `ex` and returns the time they took,
    /// setup and teardown excluded.
    pub fn time<E: Executor>(self, ex: &E, iters: u64) -> Duration {
        if self.is_net() {
            return ex.measure_net(self, iters).elapsed;
        }
        let busy = (self == Workload::SpawnManyRemoteBusy).then(|| Busy::start(ex));
        let start = Instant::now();
        for _ in 0..iters {
            self.run_once(ex);
        }
        let elapsed = start.elapsed();
        if let Some(busy) = busy {
            busy.stop(ex);
        }
        elapsed
    }

    /// [`Workload::time`], plus the p99 latency of the workloads that record
    /// one.
    pub fn measure<E: Executor>(self, ex: &E, iters: u64) -> Measurement {
        if self.is_net() {
            ex.measure_net(self, iters)
        } else {
            self.time(ex, iters).into()
        }
    }
}

/// `n` with a space between groups of three digits (`20 000`).
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Spawns [`SPAWN_MANY`] empty tasks from inside a task running on a worker
/// (so onto the worker's local queue, where the scheduler has one) and waits
/// for all of them with a countdown latch; the handles are dropped at once.
/// Measures the spawn fast path, running a trivial task, and stealing while
/// the other workers drain the spawning worker's queue.
pub fn spawn_many_local<E: Executor>(ex: &E) {
    let spawner = ex.spawner();
    let root = ex.spawn(async move {
        let (latch, done) = Countdown::new(SPAWN_MANY);
        for _ in 0..SPAWN_MANY {
            let latch = Arc::clone(&latch);
            spawner.spawn_detached(async move { latch.count_down() });
        }
        wait(done).await;
    });
    ex.block_on(root);
}

/// Spawns [`SPAWN_MANY`] empty tasks from a thread outside the runtime,
/// keeping their handles, then awaits every handle from that thread.
/// Measures the injection path (the global queue and waking idle workers)
/// and join handles. `spawn_many_remote_idle` runs it on idle workers,
/// `spawn_many_remote_busy` while [`Busy`] keeps them all busy.
pub fn spawn_many_remote<E: Executor>(ex: &E) {
    let handles: Vec<_> = (0..SPAWN_MANY).map(|_| ex.spawn(async {})).collect();
    ex.block_on(async move {
        for handle in handles {
            handle.await;
        }
    });
}

/// Keeps every worker busy for `spawn_many_remote_busy`: `2 × workers`
/// chains of tasks, each spinning [`BUSY_STALL`] and then spawning its
/// successor, until stopped.
///
/// Chains of fresh tasks rather than tasks looping on `yield_now` (as tokio's
/// own bench does) because the futures ThreadPool re-polls a self-waking task
/// in place: a yielding busy task would hold its worker forever there.
#[derive(Debug)]
pub struct Busy {
    stop: Arc<AtomicBool>,
    done: oneshot::Receiver<()>,
}

impl Busy {
    /// Starts the busy chains on `ex`, two per worker.
    pub fn start<E: Executor>(ex: &E) -> Busy {
        let chains = 2 * ex.workers();
        let stop = Arc::new(AtomicBool::new(false));
        let (latch, done) = Countdown::new(chains);
        let starters: Vec<_> = (0..chains)
            .map(|_| {
                let spawner = ex.spawner();
                let stop = Arc::clone(&stop);
                let latch = Arc::clone(&latch);
                ex.spawn(async move { busy_link(spawner, stop, latch) })
            })
            .collect();
        // Await the first links (dropping a `RemoteHandle` would cancel
        // them): the chains are running when timing starts.
        ex.block_on(async move {
            for starter in starters {
                starter.await;
            }
        });
        Busy { stop, done }
    }

    /// Stops the chains and waits until their last tasks have finished.
    pub fn stop<E: Executor>(self, ex: &E) {
        self.stop.store(true, Ordering::Relaxed);
        ex.block_on(wait(self.done));
    }
}

fn busy_link<S: Spawner>(spawner: S, stop: Arc<AtomicBool>, latch: Arc<Countdown>) {
    let start = Instant::now();
    while start.elapsed() < BUSY_STALL {
        std::hint::spin_loop();
    }
    if stop.load(Ordering::Relaxed) {
        latch.count_down();
    } else {
        let next = spawner.clone();
        spawner.spawn_detached(async move { busy_link(next, stop, latch) });
    }
}

/// Spawns [`YIELD_TASKS`] tasks from outside that each call `yield_now`
/// [`YIELDS`] times, and awaits them all. Measures the cost of a task going
/// back to the queue and being polled again (wake, reschedule, poll), with
/// many runnable tasks at once.
pub fn yield_many<E: Executor>(ex: &E) {
    let handles: Vec<_> = (0..YIELD_TASKS)
        .map(|_| {
            let spawner = ex.spawner();
            ex.spawn(async move {
                for _ in 0..YIELDS {
                    spawner.yield_now().await;
                }
            })
        })
        .collect();
    ex.block_on(async move {
        for handle in handles {
            handle.await;
        }
    });
}

/// From a task on a worker, spawns [`PINGS`] tasks; each spawns a partner,
/// sends it a `futures` oneshot message and waits for the reply on another.
/// Measures waking a task blocked on a message (cross-worker and local
/// wake-ups) and spawning under that load.
pub fn ping_pong<E: Executor>(ex: &E) {
    let spawner = ex.spawner();
    let root = ex.spawn(async move {
        let (latch, done) = Countdown::new(PINGS);
        for _ in 0..PINGS {
            let latch = Arc::clone(&latch);
            let inner = spawner.clone();
            spawner.spawn_detached(async move {
                let (ping_tx, ping_rx) = oneshot::channel::<()>();
                let (pong_tx, pong_rx) = oneshot::channel::<()>();
                inner.spawn_detached(async move {
                    ping_rx.await.expect("ping sender dropped");
                    pong_tx.send(()).expect("pong receiver dropped");
                });
                ping_tx.send(()).expect("ping receiver dropped");
                pong_rx.await.expect("pong sender dropped");
                latch.count_down();
            });
        }
        wait(done).await;
    });
    ex.block_on(root);
}

/// Each task spawns the next, [`CHAIN_DEPTH`] deep; the last one fires a
/// oneshot. Only one task is runnable at a time, so this measures the
/// latency of one spawn-to-run hop (and how the scheduler avoids bouncing
/// the chain between workers).
pub fn chained_spawn<E: Executor>(ex: &E) {
    let spawner = ex.spawner();
    let (done_tx, done_rx) = oneshot::channel();
    let root = ex.spawn(async move { chain_link(spawner, CHAIN_DEPTH, done_tx) });
    ex.block_on(async move {
        root.await;
        done_rx.await.expect("the chain was dropped");
    });
}

fn chain_link<S: Spawner>(spawner: S, left: usize, done: oneshot::Sender<()>) {
    if left == 0 {
        let _ = done.send(());
    } else {
        let next = spawner.clone();
        spawner.spawn_detached(async move { chain_link(next, left - 1, done) });
    }
}

type BoxedFib = Pin<Box<dyn Future<Output = u64> + Send>>;

/// `fib(n)` by recursive spawn-and-join: `fib(n - 1)` is spawned, `fib(n -
/// 2)` is computed in the current task, then the spawned one is joined (the
/// shape of rayon's `join`). `fib(22)` spawns 28 656 tasks, nested, most of
/// them joined while still queued or running elsewhere: fork-join
/// parallelism, join wake-ups and stealing.
pub fn fib<E: Executor>(ex: &E, n: u32) -> u64 {
    let root = ex.spawn(fib_task(ex.spawner(), n));
    ex.block_on(root)
}

fn fib_task<S: Spawner>(spawner: S, n: u32) -> BoxedFib {
    Box::pin(async move {
        if n < 2 {
            return u64::from(n);
        }
        let left = spawner.spawn(fib_task(spawner.clone(), n - 1));
        let right = fib_task(spawner, n - 2).await;
        left.await + right
    })
}

/// The reference line for [`fib`]: the same recursion with `rayon::join`
/// (run it inside a rayon pool of the same size with `install`).
pub fn rayon_fib(n: u32) -> u64 {
    if n < 2 {
        return u64::from(n);
    }
    let (left, right) = rayon::join(|| rayon_fib(n - 1), || rayon_fib(n - 2));
    left + right
}

/// From a task on a worker, spawns [`FAN_OUT`] short tasks keeping their
/// handles (fan-out), then awaits the handles in order and sums the results
/// (fan-in). Measures spawn-with-handle, stealing and join-handle
/// completion at volume.
pub fn fan_out<E: Executor>(ex: &E) -> u64 {
    let spawner = ex.spawner();
    let root = ex.spawn(async move {
        let handles: Vec<_> = (0..FAN_OUT as u64)
            .map(|i| spawner.spawn(async move { short_work(i) }))
            .collect();
        let mut sum = 0u64;
        for handle in handles {
            sum = sum.wrapping_add(handle.await);
        }
        sum
    });
    ex.block_on(root)
}

/// A few nanoseconds of arithmetic the optimiser cannot remove.
fn short_work(i: u64) -> u64 {
    let mut x = black_box(i);
    for _ in 0..8 {
        x = x.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(23);
    }
    x
}

/// The floor of a spawn: on one thread, [`SPAWN_MANY`] times, box a future
/// that is ready on its first poll (as a `dyn Future`, like a type-erased
/// task), poll it once with a no-op waker and free it. The cost of a task
/// with no scheduling and no synchronisation at all; compare it with
/// `spawn_many_local`, which spawns the same number of tasks.
pub fn floor() {
    let mut cx = Context::from_waker(Waker::noop());
    for i in 0..SPAWN_MANY {
        let fut: Pin<Box<dyn Future<Output = usize> + Send>> = Box::pin(async move { i });
        let mut fut = black_box(fut);
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(v) => {
                black_box(v);
            }
            Poll::Pending => unreachable!("the floor future is ready at once"),
        }
        drop(fut);
    }
}

/// [`floor`] plus the per-task work of `spawn_many_local`'s own tasks: on one thread,
/// [`SPAWN_MANY`] times, clone the latch's `Arc`, box a future that counts the latch
/// down, poll it once and free it. The part of a `spawn_many_local` task's cost that is
/// the workload's, not the scheduler's (uncontended here: on two workers the latch's
/// cache line also moves between cores, which no single-thread line can show).
pub fn floor_with_latch() {
    let mut cx = Context::from_waker(Waker::noop());
    let (latch, done) = Countdown::new(SPAWN_MANY);
    for _ in 0..SPAWN_MANY {
        let latch = Arc::clone(&latch);
        let fut: Pin<Box<dyn Future<Output = ()> + Send>> =
            Box::pin(async move { latch.count_down() });
        let mut fut = black_box(fut);
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(()) => {}
            Poll::Pending => unreachable!("the floor future is ready at once"),
        }
        drop(fut);
    }
    let mut done = std::pin::pin!(wait(done));
    assert!(
        done.as_mut().poll(&mut cx).is_ready(),
        "every future counted down"
    );
}
