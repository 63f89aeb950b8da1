//! The two traits every runtime is adapted to, and the small pieces the
//! workloads share (a result-unwrapping handle, a fair `yield_now`, a latch).
//!
//! The split mirrors how programs use a runtime: an [`Executor`] is the thing
//! a `main` owns (build it, spawn from outside, `block_on`), a [`Spawner`] is
//! what code running *inside* a task uses to spawn more tasks (tokio's and our
//! free `spawn`, or a cheap clone of the executor for the peers that have no
//! thread-local context).

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures::channel::oneshot;

use crate::workload::{Measurement, Workload};

/// Spawning from inside a task that runs on one of the executor's workers.
///
/// Implementations are cheap to clone (a zero-sized type or one `Arc`), so a
/// task can carry one into the tasks it spawns.
pub trait Spawner: Clone + Send + Sync + 'static {
    /// An awaitable handle to a spawned task's output.
    ///
    /// Awaiting it panics if the task panicked or was cancelled; the
    /// workloads never do either.
    type Handle<T: Send + 'static>: Future<Output = T> + Send + Unpin + 'static;

    /// Spawns `fut` from inside a task and returns a handle to its output.
    fn spawn<F>(&self, fut: F) -> Self::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// Spawns `fut` from inside a task and detaches it (no handle is kept).
    fn spawn_detached<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static;

    /// Yields once to the scheduler: the task is woken and goes back to a
    /// queue, letting others run before it is polled again.
    fn yield_now(&self) -> impl Future<Output = ()> + Send + 'static;
}

/// A multi-threaded executor with a fixed number of workers.
///
/// Construction ([`Executor::new`]) is never timed.
pub trait Executor: Sized + Send + Sync + 'static {
    /// The name printed in tables and benchmark ids.
    const NAME: &'static str;

    /// Whether this is our runtime (`runtime`), as opposed to a peer.
    const OURS: bool = false;

    /// Whether this is a baseline build of our runtime (`ab.sh`): shown next
    /// to ours for before/after ratios, never counted as a peer.
    const BASELINE: bool = false;

    /// Whether a task that wakes itself while being polled is polled again in
    /// place instead of going back to a queue. When true, `yield_now` does not
    /// reach the scheduler and the `yield_many` figure measures no scheduling.
    const YIELD_REPOLLS_IN_PLACE: bool = false;

    /// What tasks running on this executor use to spawn.
    type Spawner: Spawner;

    /// Builds the executor with `workers` worker threads.
    fn new(workers: usize) -> Self;

    /// The number of worker threads it was built with.
    fn workers(&self) -> usize;

    /// The spawner to move into tasks running on this executor.
    fn spawner(&self) -> Self::Spawner;

    /// Spawns `fut` from a thread that is not one of the workers.
    fn spawn<F>(&self, fut: F) -> <Self::Spawner as Spawner>::Handle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static;

    /// The executor's own counters (name, cumulative value), for the ones
    /// that have any; `compare --metrics` prints how much one iteration of
    /// each workload moves them.
    fn counters(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }

    /// Whether this executor runs `workload`. By default the scheduling
    /// workloads only; the network ones need sockets (see [`crate::net`]),
    /// and an executor that has them says so here and implements
    /// [`Executor::measure_net`].
    fn runs(&self, workload: Workload) -> bool {
        !workload.is_net()
    }

    /// Runs `iters` iterations of a network workload that [`Executor::runs`]
    /// accepts (with `crate::net::measure`).
    ///
    /// # Panics
    ///
    /// By default, always: the executor has no sockets.
    fn measure_net(&self, workload: Workload, iters: u64) -> Measurement {
        let _ = iters;
        panic!(
            "{} cannot run {}: it has no sockets",
            Self::NAME,
            workload.name()
        )
    }

    /// Runs `fut` to completion on the calling thread (not a worker) while
    /// the workers run the tasks, and returns its output.
    fn block_on<F: Future>(&self, fut: F) -> F::Output;
}

/// A handle whose output is a `Result`, unwrapped: the workloads never panic
/// or cancel, so an error is a bug in the harness.
#[derive(Debug)]
pub struct Unwrap<H>(pub H);

impl<H, T, E> Future for Unwrap<H>
where
    H: Future<Output = Result<T, E>> + Unpin,
    E: Debug,
{
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|res| res.expect("a benchmark task failed"))
    }
}

/// `yield_now` for executors without one: wake ourselves, return `Pending`
/// once. On a queue-based scheduler the wake puts the task at the back of a
/// queue, exactly like tokio's and our `yield_now`.
#[derive(Debug, Default)]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

/// Counts tasks down to zero, then fires a `futures` oneshot: how the
/// workloads wait for many detached tasks with the same channel type on
/// every runtime.
#[derive(Debug)]
pub struct Countdown {
    remaining: AtomicUsize,
    done: Mutex<Option<oneshot::Sender<()>>>,
}

impl Countdown {
    /// A latch for `n` tasks (`n > 0`) and the receiver that completes when
    /// the last one has called [`Countdown::count_down`].
    pub fn new(n: usize) -> (Arc<Self>, oneshot::Receiver<()>) {
        assert!(n > 0, "a countdown needs at least one task");
        let (tx, rx) = oneshot::channel();
        let latch = Countdown {
            remaining: AtomicUsize::new(n),
            done: Mutex::new(Some(tx)),
        };
        (Arc::new(latch), rx)
    }

    /// Marks one task done; the last one fires the oneshot.
    pub fn count_down(&self) {
        // AcqRel: the last decrement sees every other task's writes, and the
        // oneshot then carries that to the waiter.
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            let tx = self
                .done
                .lock()
                .expect("countdown lock poisoned")
                .take()
                .expect("countdown fired twice");
            // The waiter may have given up (a panicking bench); nothing to do.
            let _ = tx.send(());
        }
    }
}

/// Waits for a [`Countdown`]'s receiver, panicking if the latch was dropped
/// before reaching zero (a task was lost: a bug in the runtime under test).
pub async fn wait(done: oneshot::Receiver<()>) {
    done.await.expect("a task was dropped before counting down");
}
