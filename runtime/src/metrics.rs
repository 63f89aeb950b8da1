//! Runtime metrics: cheap per-worker counters and a plain snapshot of them.

use std::fmt;

use crate::scheduler::Shared;
use crate::sync::{AtomicU64, Ordering};

/// A counter written by one thread only (its worker) and read by anyone.
#[derive(Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`. Only the owning worker calls this, so a load and a store suffice (no
    /// locked read-modify-write). Relaxed: a statistic, read without synchronising.
    #[inline]
    pub(crate) fn incr(&self, n: u64) {
        self.0.store(
            self.0.load(Ordering::Relaxed).wrapping_add(n),
            Ordering::Relaxed,
        );
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// The live counters of one worker.
#[derive(Default)]
pub(crate) struct WorkerCounters {
    pub(crate) polls: Counter,
    pub(crate) steals: Counter,
    pub(crate) steal_attempts: Counter,
    pub(crate) parks: Counter,
    pub(crate) spawned: Counter,
}

/// A snapshot of the runtime's counters, taken by [`Runtime::metrics`](crate::Runtime::metrics).
///
/// Counters are monotonic; subtract two snapshots to measure an interval.
///
/// # Examples
///
/// ```
/// let rt = runtime::Builder::new().worker_threads(2).build()?;
/// rt.block_on(async {
///     let handles: Vec<_> = (0..100).map(|i| runtime::spawn(async move { i })).collect();
///     for h in handles {
///         h.await.unwrap();
///     }
/// });
/// let m = rt.metrics();
/// assert_eq!(m.workers(), 2);
/// assert_eq!(m.spawned(), 100);
/// assert!(m.polls() >= 100);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Metrics {
    workers: Vec<WorkerMetrics>,
    spawned_remote: u64,
    injected: u64,
    global_queue_depth: usize,
    blocking_threads: usize,
}

/// A snapshot of one worker's counters.
#[derive(Clone, Debug, Default)]
pub struct WorkerMetrics {
    polls: u64,
    steals: u64,
    steal_attempts: u64,
    parks: u64,
    spawned: u64,
    local_queue_depth: usize,
}

impl Metrics {
    pub(crate) fn snapshot(shared: &Shared, blocking_threads: usize) -> Metrics {
        let workers = shared
            .remotes
            .iter()
            .map(|r| WorkerMetrics {
                polls: r.counters.polls.get(),
                steals: r.counters.steals.get(),
                steal_attempts: r.counters.steal_attempts.get(),
                parks: r.counters.parks.get(),
                spawned: r.counters.spawned.get(),
                local_queue_depth: r.stealer.len(),
            })
            .collect();
        Metrics {
            workers,
            // Relaxed: statistics (metrics.rs, `Counter`).
            spawned_remote: shared.spawned_remote.load(Ordering::Relaxed),
            injected: shared.injected.load(Ordering::Relaxed),
            global_queue_depth: shared.injector.len() + shared.spilled.len(),
            blocking_threads,
        }
    }

    /// Number of worker threads.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Tasks spawned (by `spawn`, `spawn_immediate` and `JoinSet::spawn`; not by
    /// `spawn_blocking`, and not `block_on` futures).
    pub fn spawned(&self) -> u64 {
        self.spawned_remote + self.workers.iter().map(|w| w.spawned).sum::<u64>()
    }

    /// Spawns and wakes that arrived from outside a worker thread (through the injector).
    pub fn injected(&self) -> u64 {
        self.injected
    }

    /// Task polls on all workers.
    pub fn polls(&self) -> u64 {
        self.workers.iter().map(|w| w.polls).sum()
    }

    /// Tasks waiting in the global (injector) queue now.
    pub fn global_queue_depth(&self) -> usize {
        self.global_queue_depth
    }

    /// Threads alive in the blocking pool now.
    pub fn blocking_threads(&self) -> usize {
        self.blocking_threads
    }

    /// The counters of worker `index` (0-based).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Builder::new().worker_threads(2).build()?;
    /// rt.block_on(rt.spawn(async {}))?;
    /// let m = rt.metrics();
    /// let polls: u64 = (0..m.workers()).map(|i| m.worker(i).polls()).sum();
    /// assert_eq!(polls, m.polls());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Panics
    ///
    /// Panics if `index >= self.workers()`, with a message that says so.
    pub fn worker(&self, index: usize) -> WorkerMetrics {
        match self.workers.get(index) {
            Some(w) => w.clone(),
            None => panic!(
                "Metrics::worker({index}): the runtime has {} workers (indices 0..{})",
                self.workers.len(),
                self.workers.len()
            ),
        }
    }
}

impl WorkerMetrics {
    /// Tasks this worker polled.
    pub fn polls(&self) -> u64 {
        self.polls
    }

    /// Tasks this worker took from siblings' queues.
    pub fn steals(&self) -> u64 {
        self.steals
    }

    /// Times this worker tried to steal from a sibling.
    pub fn steal_attempts(&self) -> u64 {
        self.steal_attempts
    }

    /// Times this worker went to sleep for lack of work.
    pub fn parks(&self) -> u64 {
        self.parks
    }

    /// Tasks in this worker's local queue now.
    pub fn local_queue_depth(&self) -> usize {
        self.local_queue_depth
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("workers", &self.workers())
            .field("spawned", &self.spawned())
            .field("injected", &self.injected)
            .field("polls", &self.polls())
            .field("global_queue_depth", &self.global_queue_depth)
            .field("blocking_threads", &self.blocking_threads)
            .field("per_worker", &self.workers)
            .finish()
    }
}
