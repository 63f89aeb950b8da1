//! The free `block_on`: run one future to completion on the current thread, parking
//! the thread between wake-ups.

use std::cell::RefCell;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll};

use futures_task::{waker_ref, ArcWake};

use crate::context;
use crate::sync::{thread, AtomicBool, Ordering, StdArc};

/// Wakes a thread parked in `block_on`.
struct ThreadNotify {
    thread: thread::Thread,
    /// Set by a wake, cleared by `block_on` before it re-polls.
    unparked: AtomicBool,
}

impl ArcWake for ThreadNotify {
    fn wake_by_ref(arc_self: &StdArc<Self>) {
        // Release: whatever the waker's thread did before waking (say, filling a
        // channel) is visible to the re-poll, which starts with an Acquire swap.
        if !arc_self.unparked.swap(true, Ordering::Release) {
            arc_self.thread.unpark();
        }
    }
}

crate::sync::thread_local! {
    /// This thread's notifier, reused by every `block_on` on it so a call allocates
    /// nothing. A call borrows it mutably for as long as it runs, so a nested
    /// `block_on` (one called from inside the future of another on this thread) finds
    /// it borrowed and makes its own: sharing it, the nested call would clear (and
    /// could consume) a wake-up meant for the outer future, which would then park
    /// for ever.
    static NOTIFY: RefCell<StdArc<ThreadNotify>> = RefCell::new(new_notify());
}

fn new_notify() -> StdArc<ThreadNotify> {
    StdArc::new(ThreadNotify {
        thread: thread::current(),
        unparked: AtomicBool::new(false),
    })
}

/// Runs a future to completion on the current thread, with no runtime.
///
/// The thread parks between wake-ups, so it uses no CPU while the future waits. Tasks
/// need a runtime to run on; use [`Runtime::block_on`](crate::Runtime::block_on) when the
/// future spawns tasks.
///
/// Calls may nest: a `block_on` inside a future that another `block_on` runs on the
/// same thread has its own wake-ups, and runs to completion before the outer future's
/// poll goes on (the outer future is not polled meanwhile, so it must not be what the
/// inner one waits for).
///
/// # Panics
///
/// Panics on a runtime worker thread: blocking a worker would stall its tasks (and
/// deadlock if the future waits for one of them). Use `.await` there instead.
///
/// # Examples
///
/// ```
/// let answer = runtime::block_on(async { 6 * 7 });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn block_on<F: Future>(future: F) -> F::Output {
    context::assert_not_worker();
    run(future)
}

/// `block_on` without the worker check; callers have made it.
pub(crate) fn run<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut run_with = |notify: &StdArc<ThreadNotify>| {
        let waker = waker_ref(notify);
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            // Acquire: pairs with the Release in `wake_by_ref`.
            while !notify.unparked.swap(false, Ordering::Acquire) {
                thread::park();
            }
        }
    };
    NOTIFY
        .try_with(|cell| match cell.try_borrow_mut() {
            // Held until this call returns: nested calls cannot share the notifier.
            Ok(notify) => {
                // Drop a stale wake-up left by a previous `block_on` on this thread.
                notify.unparked.store(false, Ordering::Relaxed);
                Some(run_with(&notify))
            }
            Err(_) => None,
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| run_with(&new_notify()))
}
