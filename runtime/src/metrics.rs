//! Runtime metrics: cheap per-worker counters and a plain snapshot of them.

use std::fmt;

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
    /// Nanoseconds spent asleep (parked), summed over the worker's parks.
    pub(crate) parked_nanos: Counter,
}

impl WorkerCounters {
    /// A snapshot, with the worker's local queue depth.
    pub(crate) fn snapshot(
        &self,
        local_queue_depth: usize,
        uptime: std::time::Duration,
    ) -> WorkerMetrics {
        WorkerMetrics {
            parked_time: std::time::Duration::from_nanos(self.parked_nanos.get()),
            uptime,
            polls: self.polls.get(),
            steals: self.steals.get(),
            steal_attempts: self.steal_attempts.get(),
            parks: self.parks.get(),
            spawned: self.spawned.get(),
            local_queue_depth,
        }
    }
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

/// A snapshot of one worker's counters, from [`Metrics::worker`].
///
/// # Examples
///
/// ```
/// let rt = runtime::Builder::new().worker_threads(2).build()?;
/// rt.block_on(rt.spawn(async {}))?;
/// let m = rt.metrics();
/// for i in 0..m.workers() {
///     let w = m.worker(i);
///     println!(
///         "worker {i}: {} polls, {} steals in {} attempts, {} parks, {} queued",
///         w.polls(),
///         w.steals(),
///         w.steal_attempts(),
///         w.parks(),
///         w.local_queue_depth(),
///     );
/// }
/// assert_eq!(m.worker(0).polls() + m.worker(1).polls(), m.polls());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct WorkerMetrics {
    polls: u64,
    steals: u64,
    steal_attempts: u64,
    parks: u64,
    spawned: u64,
    local_queue_depth: usize,
    parked_time: std::time::Duration,
    uptime: std::time::Duration,
}

impl Metrics {
    pub(crate) fn new(
        workers: Vec<WorkerMetrics>,
        spawned_remote: u64,
        injected: u64,
        global_queue_depth: usize,
        blocking_threads: usize,
    ) -> Metrics {
        Metrics {
            workers,
            spawned_remote,
            injected,
            global_queue_depth,
            blocking_threads,
        }
    }

    /// Number of worker threads.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Builder::new().worker_threads(3).build()?;
    /// assert_eq!(rt.metrics().workers(), 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Tasks spawned (by `spawn`, `spawn_immediate` and `JoinSet::spawn`; not by
    /// `spawn_blocking`, and not `block_on` futures).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// rt.block_on(async {
    ///     runtime::spawn(async {}).await.unwrap(); // counted
    ///     runtime::spawn_blocking(|| ()).await.unwrap(); // not counted
    /// });
    /// assert_eq!(rt.metrics().spawned(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn spawned(&self) -> u64 {
        self.spawned_remote + self.workers.iter().map(|w| w.spawned).sum::<u64>()
    }

    /// Spawns and wakes that arrived from outside a worker thread (through the injector).
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// // Spawned from this thread, which is not a worker: through the injector.
    /// let handles: Vec<_> = (0..3).map(|i| rt.spawn(async move { i })).collect();
    /// for h in handles {
    ///     rt.block_on(h)?;
    /// }
    /// assert!(rt.metrics().injected() >= 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn injected(&self) -> u64 {
        self.injected
    }

    /// Task polls on all workers.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let before = rt.metrics().polls();
    /// rt.block_on(rt.spawn(async {
    ///     runtime::yield_now().await; // a second poll
    /// }))?;
    /// assert!(rt.metrics().polls() >= before + 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn polls(&self) -> u64 {
        self.workers.iter().map(|w| w.polls).sum()
    }

    /// Tasks waiting in the global (injector) queue now.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::mpsc;
    ///
    /// let rt = runtime::Builder::new().worker_threads(1).build()?;
    /// // Hold the only worker (blocking a worker is what `spawn_blocking` avoids;
    /// // here it keeps the queue from draining).
    /// let (started_tx, started) = mpsc::channel();
    /// let (release, release_rx) = mpsc::channel::<()>();
    /// let busy = rt.spawn(async move {
    ///     started_tx.send(()).unwrap();
    ///     release_rx.recv().unwrap();
    /// });
    /// started.recv().unwrap();
    /// let waiting: Vec<_> = (0..3).map(|_| rt.spawn(async {})).collect();
    /// assert_eq!(rt.metrics().global_queue_depth(), 3);
    /// release.send(()).unwrap();
    /// rt.block_on(busy)?;
    /// for task in waiting {
    ///     rt.block_on(task)?;
    /// }
    /// assert_eq!(rt.metrics().global_queue_depth(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn global_queue_depth(&self) -> usize {
        self.global_queue_depth
    }

    /// Threads alive in the blocking pool now. They start on demand and exit after
    /// 10 seconds with nothing to do.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// assert_eq!(rt.metrics().blocking_threads(), 0);
    /// rt.block_on(rt.handle().spawn_blocking(|| ()))?;
    /// assert_eq!(rt.metrics().blocking_threads(), 1); // idle, kept for the next one
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Builder::new().worker_threads(1).build()?;
    /// let tasks: Vec<_> = (0..10).map(|i| rt.spawn(async move { i })).collect();
    /// for t in tasks {
    ///     rt.block_on(t)?;
    /// }
    /// assert!(rt.metrics().worker(0).polls() >= 10); // the only worker ran them all
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn polls(&self) -> u64 {
        self.polls
    }

    /// Tasks this worker took from siblings' queues.
    ///
    /// # Examples
    ///
    /// ```
    /// // A lone worker has no sibling to steal from.
    /// let rt = runtime::Builder::new().worker_threads(1).build()?;
    /// rt.block_on(rt.spawn(async {}))?;
    /// assert_eq!(rt.metrics().worker(0).steals(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn steals(&self) -> u64 {
        self.steals
    }

    /// Times this worker tried to steal from a sibling (one attempt may take many
    /// tasks, or none).
    ///
    /// # Examples
    ///
    /// ```
    /// // A lone worker has no sibling to try.
    /// let rt = runtime::Builder::new().worker_threads(1).build()?;
    /// rt.block_on(rt.spawn(async {}))?;
    /// assert_eq!(rt.metrics().worker(0).steal_attempts(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn steal_attempts(&self) -> u64 {
        self.steal_attempts
    }

    /// Times this worker went to sleep for lack of work.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Builder::new().worker_threads(1).build()?;
    /// // With nothing to run, the worker soon parks.
    /// # let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    /// while rt.metrics().worker(0).parks() == 0 {
    /// #   assert!(std::time::Instant::now() < deadline, "the idle worker never parked");
    ///     std::thread::yield_now();
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn parks(&self) -> u64 {
        self.parks
    }

    /// Time this worker spent asleep for lack of work (parked), since the runtime
    /// started.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Builder::new().worker_threads(1).build()?;
    /// rt.block_on(rt.spawn(async {}))?;
    /// let m = rt.metrics().worker(0);
    /// assert!(m.parked_time() <= m.uptime());
    /// assert_eq!(m.busy_time(), m.uptime() - m.parked_time());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn parked_time(&self) -> std::time::Duration {
        self.parked_time
    }

    /// Time this worker was awake (running tasks, looking for work) since the runtime
    /// started: [`uptime`](Self::uptime) minus [`parked_time`](Self::parked_time). Near
    /// `uptime` on a saturated runtime, near zero on an idle one.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Builder::new().worker_threads(1).build()?;
    /// let before = rt.metrics().worker(0);
    /// // Keep the worker computing for a while.
    /// rt.block_on(rt.spawn(async {
    ///     let start = std::time::Instant::now();
    ///     while start.elapsed() < std::time::Duration::from_millis(20) {}
    /// }))?;
    /// let after = rt.metrics().worker(0);
    /// assert!(after.busy_time() - before.busy_time() >= std::time::Duration::from_millis(20));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn busy_time(&self) -> std::time::Duration {
        self.uptime.saturating_sub(self.parked_time)
    }

    /// Time since the runtime started (when this snapshot was taken).
    pub fn uptime(&self) -> std::time::Duration {
        self.uptime
    }

    /// Tasks in this worker's local queue now.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Builder::new().worker_threads(1).build()?;
    /// rt.block_on(rt.spawn(async {
    ///     let children: Vec<_> = (0..4).map(|_| runtime::spawn(async {})).collect();
    ///     for child in children {
    ///         child.await.unwrap();
    ///     }
    /// }))?;
    /// assert_eq!(rt.metrics().worker(0).local_queue_depth(), 0); // all ran
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
