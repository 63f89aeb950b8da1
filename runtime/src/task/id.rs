//! Task ids.

use std::cell::Cell;
use std::fmt;
use std::num::NonZeroU64;

use crate::sync::{Ordering, StaticAtomicU64};

/// An opaque id that is unique among all tasks of the process, for as long as it runs.
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// let a = rt.spawn(async { runtime::task::id() });
/// let b = rt.spawn(async {});
/// assert_ne!(a.id(), b.id());
/// let inside = rt.block_on(async { a.await })?;
/// # let _ = inside;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Id(NonZeroU64);

/// Ids are handed out to threads in blocks, so spawning on two workers at once never
/// contends on one counter.
const BLOCK: u64 = 1024;

/// std's atomic in every configuration (loom's cannot be a `static`); ids are not a
/// protocol under test.
static NEXT_BLOCK: StaticAtomicU64 = StaticAtomicU64::new(1);

crate::sync::thread_local! {
    /// The next id of this thread's block, and the end of the block.
    static LOCAL: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

impl Id {
    /// A fresh id, never handed out before.
    pub(crate) fn next() -> Id {
        let n = LOCAL
            .try_with(|local| {
                let (next, end) = local.get();
                let (next, end) = if next == end {
                    Id::take_block()
                } else {
                    (next, end)
                };
                local.set((next + 1, end));
                next
            })
            // The thread is exiting and its block is gone: take a one-id block.
            .unwrap_or_else(|_| NEXT_BLOCK.fetch_add(1, Ordering::Relaxed));
        Id(NonZeroU64::new(n).expect("task ids start at 1 and never wrap in a u64"))
    }

    fn take_block() -> (u64, u64) {
        // Relaxed: the counter only has to hand out disjoint ranges; nothing else is
        // published through it.
        let start = NEXT_BLOCK.fetch_add(BLOCK, Ordering::Relaxed);
        (start, start + BLOCK)
    }

    /// The id as a number: the same as its `Display`, and never zero.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let id = rt.spawn(async {}).id();
    /// assert_ne!(id.as_u64(), 0);
    /// assert_eq!(id.as_u64().to_string(), id.to_string());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn as_u64(&self) -> u64 {
        self.0.get()
    }

    /// The id whose `as_u64` is `n` (a dump's record of it).
    pub(crate) fn from_u64(n: u64) -> Id {
        Id(std::num::NonZeroU64::new(n).expect("a task id is never zero"))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::Id;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_across_threads() {
        let per_thread = if cfg!(miri) { 50 } else { 5000 };
        let threads: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(move || (0..per_thread).map(|_| Id::next()).collect::<Vec<_>>())
            })
            .collect();
        let mut all = HashSet::new();
        for t in threads {
            for id in t.join().unwrap() {
                assert!(all.insert(id), "duplicate id {id}");
            }
        }
        assert_eq!(all.len(), 4 * per_thread);
    }
}
