//! Task cell recycling: every task allocation of up to `CLASSES * GRANULE` bytes is a
//! block of one of a few size classes, and a worker keeps the blocks its tasks free for
//! its next spawns instead of handing them back to the global allocator.
//!
//! Why: a spawn-heavy program allocates a task on one worker and frees it on another
//! (the task was stolen, or its `JoinHandle` was dropped elsewhere). With the system
//! allocator every such free goes back to the *allocating* thread's arena under that
//! arena's lock, so two workers spawning and finishing tasks fight over it; profiles of
//! `spawn_many_local` spent about half their time in `malloc`/`free` and the futex
//! calls of that lock. Recycled blocks never reach the allocator on the hot path.
//!
//! How (Bonwick's magazines and depot, in miniature):
//!
//! - A block's layout depends only on its size class (`class_layout`: multiples of
//!   `GRANULE` up to `CLASSES * GRANULE` bytes, aligned to `BLOCK_ALIGN`), never on the
//!   task type, so any free block of a class can hold any task of that class, and any
//!   block can go back to the global allocator, from any thread, with its class layout.
//!   Larger or more aligned cells use the global allocator with their own layout.
//! - Each worker owns a `TaskCache`: per class, two magazines (singly linked free
//!   lists) of at most `MAGAZINE` blocks, touched only by its own thread, with no
//!   atomics at all. Spawns pop from the current magazine, frees push onto it.
//! - Each runtime owns a `Depot`: per class, a mutex-protected stack of full magazines.
//!   A worker whose two magazines are full hands one to the depot; a worker whose two
//!   are empty takes one. So blocks freed on one worker flow back to the one that
//!   spawns, one lock per `MAGAZINE` tasks, and never through the allocator.
//! - The depot holds at most what was live at the busiest moment (every block in it
//!   was a task once), and gives back what it does not need: every `TRIM_INTERVAL` a
//!   worker (at its periodic maintenance, or as it parks) frees the magazines that
//!   stayed in the depot for the whole interval (the low-water mark since the last
//!   trim). A steady load keeps its working set; a burst's leftovers are freed within
//!   two intervals of activity.
//! - Threads that are not workers (spawns from outside, a `JoinHandle` dropped on the
//!   main thread) use the global allocator with the class layout.
//!
//! Memory owned by the caches is freed when its worker exits (`TaskCache`'s drop) and
//! when the runtime's shared state is dropped (`Depot`'s drop); tests/rt_leak.rs checks
//! that nothing outlives the runtime.
//!
//! Not modeled by loom: the caches are single-threaded and the depot is a plain
//! mutex-protected stack; the unsafe list handling runs under Miri (the unit tests
//! below and tests/rt_recycle.rs).

use std::alloc::{self, Layout};
use std::cell::Cell;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use crate::sync::{Mutex, StdAtomicU64};

/// Size classes are multiples of this many bytes: as fine as the global allocator's
/// own bins, so a cell's block is no bigger than the allocator would have made it
/// (rounding to coarser classes moved cells out of glibc's fast bins, which made
/// the frees beyond the depot's limit slower than before).
const GRANULE: usize = 16;
/// Number of size classes: blocks of 16, 32, …, 512 bytes.
const CLASSES: usize = 32;
/// Alignment of every block.
const BLOCK_ALIGN: usize = 16;
/// Blocks in a full magazine: what moves between a worker and the depot at a time.
const MAGAZINE: usize = 64;
/// How often the depot returns the magazines that stayed unused since the last time.
const TRIM_INTERVAL: Duration = Duration::from_secs(1);

/// The size class of a cell of `layout`, or `None` if such cells are not cached.
const fn class_of(layout: Layout) -> Option<usize> {
    if layout.align() > BLOCK_ALIGN || layout.size() == 0 || layout.size() > CLASSES * GRANULE {
        None
    } else {
        Some((layout.size() - 1) / GRANULE)
    }
}

/// The layout of every block of class `class`.
fn class_layout(class: usize) -> Layout {
    debug_assert!(class < CLASSES);
    match Layout::from_size_align((class + 1) * GRANULE, BLOCK_ALIGN) {
        Ok(layout) => layout,
        Err(_) => unreachable!("size classes are small multiples of their alignment"),
    }
}

/// Where a free block keeps its link. Every block is at least `GRANULE` bytes and
/// `BLOCK_ALIGN`-aligned, so this fits.
struct FreeBlock {
    next: Option<NonNull<FreeBlock>>,
}

/// A worker's two magazines of one class: the current one, which pops and pushes
/// serve, holding `len` blocks, and a previous one, empty or full. Two, so that a
/// worker alternating spawns and frees at a magazine boundary does not go to the depot
/// every time.
#[derive(Default)]
struct Magazines {
    current: Cell<Option<NonNull<FreeBlock>>>,
    len: Cell<usize>,
    previous: Cell<Option<NonNull<FreeBlock>>>,
}

/// A full magazine in the depot: `MAGAZINE` free blocks linked through `next`.
struct Chain {
    head: NonNull<FreeBlock>,
}

// SAFETY: a chain owns its blocks outright (free memory no one else points to), so
// moving it to another thread moves that ownership.
unsafe impl Send for Chain {}

/// A worker's magazines, two per class.
pub(crate) struct TaskCache {
    classes: [Magazines; CLASSES],
}

/// A runtime's shared stock of full magazines, one stack per class.
pub(crate) struct Depot {
    classes: [Mutex<DepotClass>; CLASSES],
    /// When the depot was made: the origin of `next_trim`. This field, `next_trim` and
    /// `trim` are unused under loom, where trimming is compiled out (`maybe_trim`).
    #[cfg_attr(loom, allow(dead_code))]
    epoch: Instant,
    /// When the next trim is due, in nanoseconds since `epoch`. std's atomic in every
    /// configuration (`StdAtomicU64`): a rate limit, not a protocol (trimming is
    /// compiled out under loom, whose executions must not depend on the clock).
    #[cfg_attr(loom, allow(dead_code))]
    next_trim: StdAtomicU64,
}

/// The depot's magazines of one class.
#[derive(Default)]
struct DepotClass {
    /// Oldest first; `take` pops the newest.
    chains: Vec<Chain>,
    /// The fewest `chains` held since the last trim: that many of the oldest stayed
    /// unused for a whole interval, and the next trim frees them.
    low: usize,
}

/// A worker's block cache and its runtime's depot, lent to the task layer for one
/// allocation or free. The scheduler passes it down (`new_task`, `Schedule::release_cell`):
/// this module never looks up which thread it runs on.
#[derive(Clone, Copy)]
pub(crate) struct BlockCache<'a> {
    cache: &'a TaskCache,
    depot: &'a Depot,
}

impl<'a> BlockCache<'a> {
    /// The cache of the worker whose thread this is (only that thread may use it).
    pub(crate) fn new(cache: &'a TaskCache, depot: &'a Depot) -> BlockCache<'a> {
        BlockCache { cache, depot }
    }
}

/// Allocates a block for a `T` (a task cell): from `cache` when the caller is a worker
/// and passes its own, else from the global allocator. Release it with [`release`].
pub(crate) fn allocate<T>(cache: Option<BlockCache<'_>>) -> NonNull<T> {
    let layout = Layout::new::<T>();
    let Some(class) = class_of(layout) else {
        return global_alloc(layout).cast();
    };
    match cache.and_then(|c| c.cache.pop(class, c.depot)) {
        Some(block) => block.cast(),
        None => global_alloc(class_layout(class)).cast(),
    }
}

/// Releases a block that [`allocate`] returned for a `T`, whose value was already
/// dropped: into `cache` (the calling worker's own) when given, else to the global
/// allocator.
///
/// # Safety
///
/// `ptr` came from `allocate::<T>()`, is released once, and nothing uses it afterwards.
pub(crate) unsafe fn release<T>(ptr: NonNull<T>, cache: Option<BlockCache<'_>>) {
    let layout = Layout::new::<T>();
    let Some(class) = class_of(layout) else {
        // SAFETY: `allocate` made it with this layout (no class), and the caller gives
        // it up.
        unsafe { global_dealloc(ptr.cast(), layout) };
        return;
    };
    let block = ptr.cast::<FreeBlock>();
    match cache {
        // SAFETY: a block of `class` that the caller gives up.
        Some(c) => unsafe { c.cache.push(class, block, c.depot) },
        // SAFETY: every block of `class` has its class layout, whichever thread
        // allocated it, and the caller gives it up.
        None => unsafe { free_block(class, block) },
    }
}

fn global_alloc(layout: Layout) -> NonNull<u8> {
    // SAFETY: task cells are never zero-sized (they start with a `Header`), and class
    // layouts are at least `GRANULE` bytes.
    let ptr = unsafe { alloc::alloc(layout) };
    let ptr = NonNull::new(ptr).unwrap_or_else(|| alloc::handle_alloc_error(layout));
    #[cfg(all(test, not(loom)))]
    tests::LIVE.with(|live| live.set(live.get() + 1));
    ptr
}

/// # Safety
///
/// `block` is a free block of `class` that nothing else uses.
unsafe fn free_block(class: usize, block: NonNull<FreeBlock>) {
    // SAFETY: blocks of `class` are allocated with `class_layout(class)`.
    unsafe { global_dealloc(block.cast(), class_layout(class)) };
}

/// The inverse of [`global_alloc`].
///
/// # Safety
///
/// `ptr` came from `global_alloc(layout)` and nothing uses it afterwards.
unsafe fn global_dealloc(ptr: NonNull<u8>, layout: Layout) {
    // SAFETY: the caller's contract.
    unsafe { alloc::dealloc(ptr.as_ptr(), layout) };
    #[cfg(all(test, not(loom)))]
    tests::LIVE.with(|live| live.set(live.get() - 1));
}

/// Frees every block of the chain starting at `head`.
///
/// # Safety
///
/// The chain's blocks are free blocks of `class` that nothing else uses, linked
/// through valid `next` fields.
unsafe fn free_chain(class: usize, mut head: Option<NonNull<FreeBlock>>) {
    while let Some(block) = head {
        // SAFETY: a free block holds its link (written by `TaskCache::push`).
        head = unsafe { block.as_ref().next };
        // SAFETY: the caller's contract.
        unsafe { free_block(class, block) };
    }
}

impl TaskCache {
    pub(crate) fn new() -> TaskCache {
        TaskCache {
            classes: Default::default(),
        }
    }

    /// Takes a block of `class`: from the current magazine, else the previous one,
    /// else a full magazine from the depot.
    fn pop(&self, class: usize, depot: &Depot) -> Option<NonNull<u8>> {
        let mags = &self.classes[class];
        let block = match mags.current.get() {
            Some(block) => block,
            None => {
                let full = match mags.previous.take() {
                    Some(full) => full,
                    None => depot.take(class)?,
                };
                mags.len.set(MAGAZINE);
                full
            }
        };
        // SAFETY: blocks in a magazine are free blocks the magazine owns, each holding
        // its link.
        mags.current.set(unsafe { block.as_ref().next });
        mags.len.set(mags.len.get() - 1);
        Some(block.cast())
    }

    /// Keeps a freed block of `class`. A full current magazine becomes the previous
    /// one, and a previous one that was full already goes to the depot.
    ///
    /// # Safety
    ///
    /// `block` is a block of `class` that nothing else uses.
    unsafe fn push(&self, class: usize, block: NonNull<FreeBlock>, depot: &Depot) {
        let mags = &self.classes[class];
        if mags.len.get() == MAGAZINE {
            if let Some(full) = mags.previous.replace(mags.current.take()) {
                // SAFETY: a full magazine this cache owned; it gives it up.
                unsafe { depot.give(class, full) };
            }
            mags.len.set(0);
        }
        // SAFETY: the block is ours, at least `GRANULE` bytes and `BLOCK_ALIGN`-aligned,
        // so it can hold a `FreeBlock`.
        unsafe {
            block.as_ptr().write(FreeBlock {
                next: mags.current.get(),
            })
        };
        mags.current.set(Some(block));
        mags.len.set(mags.len.get() + 1);
    }
}

impl Drop for TaskCache {
    fn drop(&mut self) {
        for (class, mags) in self.classes.iter().enumerate() {
            // SAFETY: the magazines' blocks are ours and linked; they are going away.
            unsafe {
                free_chain(class, mags.current.take());
                free_chain(class, mags.previous.take());
            }
        }
    }
}

impl Depot {
    pub(crate) fn new() -> Depot {
        Depot {
            classes: std::array::from_fn(|_| Mutex::new(DepotClass::default())),
            epoch: Instant::now(),
            next_trim: StdAtomicU64::new(duration_nanos(TRIM_INTERVAL)),
        }
    }

    /// A full magazine of `class`, if the depot has one.
    fn take(&self, class: usize) -> Option<NonNull<FreeBlock>> {
        let mut depot = self.classes[class].lock();
        let chain = depot.chains.pop()?;
        depot.low = depot.low.min(depot.chains.len());
        Some(chain.head)
    }

    /// Stores a full magazine of `class`.
    ///
    /// # Safety
    ///
    /// `head` starts a chain of `MAGAZINE` free blocks of `class` that nothing else uses.
    unsafe fn give(&self, class: usize, head: NonNull<FreeBlock>) {
        self.classes[class].lock().chains.push(Chain { head });
    }

    /// Frees the magazines that stayed unused since the last trim, if `TRIM_INTERVAL`
    /// has passed since then. Workers call it at their periodic maintenance and before
    /// parking; one of them wins each interval.
    pub(crate) fn maybe_trim(&self, now: Instant) {
        #[cfg(not(loom))]
        {
            use crate::sync::Ordering::Relaxed;
            let now = duration_nanos(now.saturating_duration_since(self.epoch));
            // Relaxed: a rate limit. The magazines themselves are handed over under
            // the class mutexes, which order every access to them.
            let due = self.next_trim.load(Relaxed);
            if now < due
                || self
                    .next_trim
                    .compare_exchange(due, now + duration_nanos(TRIM_INTERVAL), Relaxed, Relaxed)
                    .is_err()
            {
                return;
            }
            self.trim();
        }
        #[cfg(loom)]
        let _ = now;
    }

    /// Frees, per class, the oldest magazines that stayed in the depot since the last
    /// trim (the low-water mark), and starts a new interval.
    #[cfg_attr(loom, allow(dead_code))]
    fn trim(&self) {
        for (class, depot) in self.classes.iter().enumerate() {
            let unused: Vec<Chain> = {
                let mut depot = depot.lock();
                let n = depot.low.min(depot.chains.len());
                let unused = depot.chains.drain(..n).collect();
                depot.low = depot.chains.len();
                unused
            };
            for chain in unused {
                // SAFETY: taken out of the depot, which owned it; nothing else reaches it.
                unsafe { free_chain(class, Some(chain.head)) };
            }
        }
    }

    /// Full magazines held now, over all classes (for tests).
    #[cfg(all(test, not(loom)))]
    fn magazines(&self) -> usize {
        self.classes.iter().map(|c| c.lock().chains.len()).sum()
    }
}

fn duration_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Drop for Depot {
    fn drop(&mut self) {
        for (class, chains) in self.classes.iter().enumerate() {
            for chain in chains.lock().chains.drain(..) {
                // SAFETY: the depot owns its chains; it is going away.
                unsafe { free_chain(class, Some(chain.head)) };
            }
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::collections::HashSet;

    std::thread_local! {
        /// Blocks this thread took from the global allocator minus those it gave back
        /// (Miri runs with its leak check off, because of crossbeam-epoch's globals).
        pub(super) static LIVE: Cell<isize> = const { Cell::new(0) };
    }

    fn live() -> isize {
        LIVE.with(Cell::get)
    }

    fn fresh(class: usize) -> NonNull<FreeBlock> {
        global_alloc(class_layout(class)).cast()
    }

    #[test]
    fn classes_follow_size_and_alignment() {
        let layout = |size, align| Layout::from_size_align(size, align).unwrap();
        assert_eq!(class_of(layout(1, 1)), Some(0));
        assert_eq!(class_of(layout(16, 8)), Some(0));
        assert_eq!(class_of(layout(17, 8)), Some(1));
        assert_eq!(class_of(layout(104, 8)), Some(6));
        assert_eq!(class_layout(6).size(), 112);
        assert_eq!(class_of(layout(512, 16)), Some(CLASSES - 1));
        assert_eq!(
            class_of(layout(513, 8)),
            None,
            "larger cells are not cached"
        );
        assert_eq!(
            class_of(layout(64, 32)),
            None,
            "over-aligned cells are not cached"
        );
        for class in 0..CLASSES {
            let l = class_layout(class);
            assert_eq!(
                class_of(l),
                Some(class),
                "a class layout is in its own class"
            );
            assert!(l.size() >= std::mem::size_of::<FreeBlock>());
        }
    }

    #[test]
    fn blocks_come_back_to_the_spawner_through_the_depot() {
        let class = 3;
        let before = live();
        let depot = Depot::new();
        let freeing = TaskCache::new();
        let spawning = TaskCache::new();
        let blocks: Vec<_> = (0..3 * MAGAZINE).map(|_| fresh(class)).collect();
        for &block in &blocks {
            // SAFETY: fresh blocks of `class`, given up.
            unsafe { freeing.push(class, block, &depot) };
        }
        // Current and previous magazines full on the freeing side, one in the depot.
        assert_eq!(depot.magazines(), 1);
        let mut got = HashSet::new();
        while let Some(block) = spawning.pop(class, &depot) {
            assert!(
                got.insert(block.as_ptr() as usize),
                "a block handed out twice"
            );
        }
        assert_eq!(got.len(), MAGAZINE, "the spawner gets the depot's magazine");
        assert_eq!(depot.magazines(), 0);
        // The freeing side serves its own two magazines, newest block first.
        assert_eq!(
            freeing.pop(class, &depot).map(|b| b.as_ptr() as usize),
            Some(blocks[3 * MAGAZINE - 1].as_ptr() as usize)
        );
        let mut own = 1;
        while freeing.pop(class, &depot).is_some() {
            own += 1;
        }
        assert_eq!(own, 2 * MAGAZINE);
        // Every block was popped exactly once in all; free them.
        for block in blocks {
            // SAFETY: popped blocks are ours again.
            unsafe { free_block(class, block) };
        }
        drop((freeing, spawning, depot));
        assert_eq!(live(), before);
    }

    #[test]
    fn caches_and_depot_free_their_blocks_when_dropped() {
        let before = live();
        let depot = Depot::new();
        let cache = TaskCache::new();
        for class in [0, 7, CLASSES - 1] {
            for _ in 0..2 * MAGAZINE + 5 {
                // SAFETY: fresh blocks of `class`, given up.
                unsafe { cache.push(class, fresh(class), &depot) };
            }
        }
        assert_eq!(depot.magazines(), 3, "one full magazine per class");
        assert_eq!(live(), before + 3 * (2 * MAGAZINE as isize + 5));
        drop(cache);
        assert_eq!(
            live(),
            before + 3 * MAGAZINE as isize,
            "the depot's are left"
        );
        drop(depot);
        assert_eq!(live(), before);
    }

    #[test]
    fn trimming_frees_only_magazines_unused_for_a_whole_interval() {
        let class = 0;
        let before = live();
        let depot = Depot::new();
        let cache = TaskCache::new();
        for _ in 0..5 * MAGAZINE {
            // SAFETY: fresh blocks of `class`, given up.
            unsafe { cache.push(class, fresh(class), &depot) };
        }
        assert_eq!(depot.magazines(), 3);
        let start = depot.epoch;
        depot.maybe_trim(start + TRIM_INTERVAL / 2);
        assert_eq!(depot.magazines(), 3, "not due yet");
        // The first interval ends: nothing was known to be unused before it.
        depot.maybe_trim(start + TRIM_INTERVAL);
        assert_eq!(depot.magazines(), 3);
        // One magazine is used during the next interval, two never are.
        let other = TaskCache::new();
        let block = other.pop(class, &depot).expect("the depot has magazines");
        assert_eq!(depot.magazines(), 2);
        depot.maybe_trim(start + TRIM_INTERVAL + TRIM_INTERVAL / 2);
        assert_eq!(depot.magazines(), 2, "at most one trim per interval");
        depot.maybe_trim(start + 2 * TRIM_INTERVAL);
        assert_eq!(depot.magazines(), 0, "the two unused ones are freed");
        assert_eq!(
            live(),
            before + 2 * MAGAZINE as isize + MAGAZINE as isize,
            "what the caches hold (two magazines and the one taken) is all that is left"
        );
        // SAFETY: popped, so ours.
        unsafe { free_block(class, block.cast()) };
        drop((cache, other));
        assert_eq!(live(), before);
    }
}
