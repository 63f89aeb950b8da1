//! A loom-visible model of crossbeam-deque's `Worker`, `Stealer` and `Injector`.
//!
//! crossbeam-deque's `front`/`back` indices are plain core atomics that loom cannot
//! see, so under `cfg(loom)` the runtime uses this model instead: the same API over a
//! loom `Mutex<VecDeque>`, so loom explores every interleaving of the runtime's own
//! protocols around the queues (and sees the happens-before edges a real push/steal
//! carries). The model never answers `Steal::Retry` (the mutex never loses a race),
//! takes about half of the victim's tasks in a steal (as crossbeam does), and moves a
//! stolen batch in two steps, so for a moment the batch is in neither queue, as it is
//! in crossbeam between the victim's `front` update and the thief's `back` update.

use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;

pub(crate) use crossbeam_deque::Steal;

type Queue<T> = loom::sync::Arc<loom::sync::Mutex<VecDeque<T>>>;

fn lock<T>(queue: &loom::sync::Mutex<VecDeque<T>>) -> loom::sync::MutexGuard<'_, VecDeque<T>> {
    queue
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Takes up to `n` tasks from the front of `src` (one lock), returns the first and
/// pushes the rest to the back of `dest` (a second lock).
fn move_batch<T>(src: &loom::sync::Mutex<VecDeque<T>>, n: usize, dest: &Worker<T>) -> Steal<T> {
    let batch: Vec<T> = {
        let mut src = lock(src);
        let n = n.min(src.len());
        src.drain(..n).collect()
    };
    let mut batch = batch.into_iter();
    match batch.next() {
        None => Steal::Empty,
        Some(first) => {
            let rest: Vec<T> = batch.collect();
            if !rest.is_empty() {
                lock(&dest.queue).extend(rest);
            }
            Steal::Success(first)
        }
    }
}

/// The owner's end of a FIFO queue: `Send`, not `Sync`, as crossbeam's.
pub(crate) struct Worker<T> {
    queue: Queue<T>,
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

impl<T> Worker<T> {
    pub(crate) fn new_fifo() -> Worker<T> {
        Worker {
            queue: loom::sync::Arc::new(loom::sync::Mutex::new(VecDeque::new())),
            _not_sync: PhantomData,
        }
    }

    pub(crate) fn stealer(&self) -> Stealer<T> {
        Stealer {
            queue: self.queue.clone(),
        }
    }

    pub(crate) fn push(&self, task: T) {
        lock(&self.queue).push_back(task);
    }

    pub(crate) fn pop(&self) -> Option<T> {
        lock(&self.queue).pop_front()
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.queue).len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        lock(&self.queue).is_empty()
    }
}

impl<T> fmt::Debug for Worker<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Worker { .. }")
    }
}

/// Other threads' end of a worker's queue.
pub(crate) struct Stealer<T> {
    queue: Queue<T>,
}

impl<T> Stealer<T> {
    /// Steals about half of the tasks, at most `limit`, into `dest`, and pops one.
    pub(crate) fn steal_batch_with_limit_and_pop(
        &self,
        dest: &Worker<T>,
        limit: usize,
    ) -> Steal<T> {
        let n = {
            let q = lock(&self.queue);
            q.len().div_ceil(2).min(limit)
        };
        if n == 0 {
            return Steal::Empty;
        }
        move_batch(&self.queue, n, dest)
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.queue).len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        lock(&self.queue).is_empty()
    }
}

impl<T> Clone for Stealer<T> {
    fn clone(&self) -> Stealer<T> {
        Stealer {
            queue: self.queue.clone(),
        }
    }
}

impl<T> fmt::Debug for Stealer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Stealer { .. }")
    }
}

/// The global FIFO queue.
pub(crate) struct Injector<T> {
    queue: loom::sync::Mutex<VecDeque<T>>,
}

impl<T> Injector<T> {
    pub(crate) fn new() -> Injector<T> {
        Injector {
            queue: loom::sync::Mutex::new(VecDeque::new()),
        }
    }

    pub(crate) fn push(&self, task: T) {
        lock(&self.queue).push_back(task);
    }

    pub(crate) fn steal(&self) -> Steal<T> {
        match lock(&self.queue).pop_front() {
            Some(task) => Steal::Success(task),
            None => Steal::Empty,
        }
    }

    /// Steals at most `limit` tasks into `dest`, and pops one.
    pub(crate) fn steal_batch_with_limit_and_pop(
        &self,
        dest: &Worker<T>,
        limit: usize,
    ) -> Steal<T> {
        move_batch(&self.queue, limit, dest)
    }

    pub(crate) fn len(&self) -> usize {
        lock(&self.queue).len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        lock(&self.queue).is_empty()
    }
}

impl<T> Default for Injector<T> {
    fn default() -> Injector<T> {
        Injector::new()
    }
}

impl<T> fmt::Debug for Injector<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Injector { .. }")
    }
}
