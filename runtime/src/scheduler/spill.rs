//! Where a worker's full local queue moves half of its tasks: batches, each pushed and
//! taken whole under one lock.
//!
//! crossbeam's `Injector` has no batch push, so a spill used to push 128 tasks one by
//! one (two atomic read-modify-writes each) and idle workers then took them back a
//! batch at a time. Spilled tasks now travel as the batch they left in: one lock to
//! push, one lock to take, and the taker moves the batch into its local queue.
//!
//! The spilled batches count as part of the injector everywhere the injector is
//! consulted: a worker with an empty local queue takes from either (alternating which
//! it tries first, so neither outside spawns nor spilled tasks can starve the other),
//! the fairness check takes a batch when the local queue has room for it, the parking
//! rescan (idle.rs, rule 3) reads `len`, and shutdown drains them.
//!
//! `len` is written under the lock and read without it: by `is_empty` on the fast paths
//! and by the rescan. A spill is followed by `notify_parked`'s `SeqCst` fence, and the
//! rescan follows the parker's fence, so the Dekker argument of idle.rs covers `len`
//! as it covers the injector; the accesses themselves are `SeqCst` for the same reason
//! (they happen once per batch, not per task).

use std::collections::VecDeque;

use crate::sync::{AtomicUsize, Mutex, Ordering, Worker};
use crate::task::Notified;

pub(crate) struct Spilled {
    batches: Mutex<VecDeque<Vec<Notified>>>,
    /// Tasks in `batches`.
    len: AtomicUsize,
}

impl Spilled {
    pub(crate) fn new() -> Spilled {
        Spilled {
            batches: Mutex::new(VecDeque::new()),
            len: AtomicUsize::new(0),
        }
    }

    /// Adds a batch (oldest task first). The caller then calls `notify_parked`.
    pub(crate) fn push(&self, batch: Vec<Notified>) {
        if batch.is_empty() {
            return;
        }
        let n = batch.len();
        let mut batches = self.batches.lock();
        batches.push_back(batch);
        // SeqCst: module docs.
        self.len.fetch_add(n, Ordering::SeqCst);
    }

    pub(crate) fn is_empty(&self) -> bool {
        // SeqCst: module docs.
        self.len.load(Ordering::SeqCst) == 0
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::SeqCst)
    }

    /// Takes the oldest batch if it holds at most `limit` tasks: returns its first task
    /// and pushes the others into `dest` (which has room for `limit - 1` more).
    pub(crate) fn pop_into(&self, dest: &Worker<Notified>, limit: usize) -> Option<Notified> {
        if self.is_empty() {
            return None;
        }
        let batch = {
            let mut batches = self.batches.lock();
            if batches.front()?.len() > limit {
                return None;
            }
            let batch = batches.pop_front()?;
            self.len.fetch_sub(batch.len(), Ordering::SeqCst);
            batch
        };
        let mut tasks = batch.into_iter();
        let first = tasks.next();
        for task in tasks {
            dest.push(task);
        }
        first
    }

    /// Takes every batch (shutdown). The caller drops them outside the lock: dropping
    /// a `Notified` cancels its task, which runs its destructor.
    /// `f` of every spilled task, under the lock (a dump's reading: dump.rs).
    pub(crate) fn with_each<R>(&self, f: impl FnMut(&Notified) -> R) -> Vec<R> {
        let batches = self.batches.lock();
        batches.iter().flatten().map(f).collect()
    }

    pub(crate) fn take_all(&self) -> VecDeque<Vec<Notified>> {
        let mut batches = self.batches.lock();
        self.len.store(0, Ordering::SeqCst);
        std::mem::take(&mut *batches)
    }
}
