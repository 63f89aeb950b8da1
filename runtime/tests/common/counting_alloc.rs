//! A global allocator that counts live heap bytes, for the tests that check nothing
//! is leaked. A test binary installs it with
//!
//! ```ignore
//! #[path = "common/counting_alloc.rs"]
//! mod counting_alloc;
//! #[global_allocator]
//! static ALLOC: counting_alloc::Counting = counting_alloc::Counting;
//! ```
//!
//! It counts process-wide, so such a binary holds tests that do not run at once (one
//! test, or tests that each read the count only around their own work while no other
//! test of the binary allocates).

#![allow(unreachable_pub)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// Forwards to the system allocator, counting bytes.
pub struct Counting;

/// Bytes allocated and not yet freed, process-wide.
static LIVE: AtomicIsize = AtomicIsize::new(0);

/// Bytes allocated and not yet freed now.
pub fn live() -> isize {
    // SeqCst: read after the threads that allocate were joined (or seen gone), which
    // orders their updates before this read; SeqCst costs nothing here and needs no
    // further argument.
    LIVE.load(Ordering::SeqCst)
}

// SAFETY: forwards every call to the system allocator unchanged; only counts bytes.
// (`realloc` and `alloc_zeroed` keep their default bodies, which call these two.)
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Relaxed: a statistic; `live` is read only after the threads that allocate
        // have been joined, which orders their updates before the read.
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's layout contract is forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Relaxed: as in `alloc`.
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System.alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}
