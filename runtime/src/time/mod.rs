//! Time: [`sleep`], [`sleep_until`], [`timeout`], [`interval`].
//!
//! Timers complete no earlier than asked and, on an idle machine, within about 2 ms
//! after. A sleep first polled inside a runtime (a task, `block_on`, a
//! `spawn_blocking` closure) uses the runtime's own timer, driven by its workers;
//! one first polled outside any runtime uses a global timer, driven by a thread
//! (`runtime-timer`) started lazily on first use and parked while nothing is due, so
//! `runtime::block_on(sleep(d))` works as users expect.
//!
//! ```
//! use std::time::Duration;
//! use runtime::time::{sleep, timeout, Instant};
//!
//! let rt = runtime::Runtime::new()?;
//! rt.block_on(async {
//!     let start = Instant::now();
//!     // Ten tasks sleep concurrently: this takes about 20 ms, not 200.
//!     let sleepers: Vec<_> = (0..10)
//!         .map(|_| runtime::spawn(sleep(Duration::from_millis(20))))
//!         .collect();
//!     for s in sleepers {
//!         s.await.unwrap();
//!     }
//!     assert!(start.elapsed() >= Duration::from_millis(20));
//!
//!     // Give up on a slow future.
//!     let slow = sleep(Duration::from_secs(3600));
//!     assert!(timeout(Duration::from_millis(10), slow).await.is_err());
//! });
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Design
//!
//! **The structure.** A runtime has one `driver::Timer`: a `BTreeMap` from
//! `(deadline, sequence number)` to the waker of the sleep, under one mutex. It is a
//! priority queue keyed by deadline that also removes any entry in O(log n): the first
//! entry is the next to fire; a dropped or reset `Sleep` removes its own entry, so
//! memory is linear in the number of *pending* sleeps (about 100 bytes each with the
//! tree's nodes) and a cancelled sleep leaves nothing behind. Registration, removal and
//! firing are O(log n). A hierarchical timing wheel would make them O(1), at the cost
//! of a tick granularity (1 ms in tokio) and intrusive unsafe lists; at the 2 ms
//! accuracy asked for, and with a mutex held for a few hundred nanoseconds, the tree
//! is the simpler correct choice. An atomic copy of the earliest deadline (`next_due`)
//! lets busy workers check for due timers without the lock.
//!
//! A `Sleep` holds its deadline and key, not a waker slot: its poll first compares
//! the clock with the deadline (so it is never early, whatever the timer did), then
//! registers its waker. Firing removes the entry and wakes it.
//!
//! **Who drives it.** No thread ticks: a worker about to sleep for lack of work drives
//! the timer by parking until the earliest deadline (`Parker::park(Some(deadline))`),
//! and fires what is due when it wakes. The rules:
//!
//! - **T1 (one driver).** A worker in `park()` (scheduler/worker.rs), after the idle
//!   protocol's announce–fence–rescan, calls `Timer::try_drive`:
//!   under the timer's lock, if no worker drives and an entry is pending, it records
//!   itself as the driver with the earliest deadline as `armed`, and parks with that
//!   deadline; otherwise it parks without one. When a timed park ends (deadline,
//!   unpark, or a stale token) it gives up the role (`stop_driving`, under the lock),
//!   takes itself off the sleepers list (`idle.unpark_self`, idle.rs rule 3: a park
//!   that ended without a notification), fires what is due and returns to the loop;
//!   if it finds nothing to do it parks again, and drives again.
//! - **T2 (re-arm).** A registration whose deadline is earlier than `armed` (or with a
//!   driver parked without a deadline: the global thread) sets `armed` to it and,
//!   after releasing the lock, unparks the driver, which wakes, gives up the role and
//!   re-parks with the new earliest deadline. The `Parker` keeps a token, so an unpark
//!   that comes before the driver's `park` is not lost.
//! - **T3 (no driver).** A registration that finds no driver: on a worker of the same
//!   runtime it does nothing more, since that worker will either park (and drive, by
//!   T1) or keep running tasks and fire due timers at its maintenance check (the
//!   periodic injector check in `next_task`, `Timer::maintain`);
//!   from any other thread it calls `notify_parked` (the idle protocol's wake-up), so a parked
//!   worker wakes, finds no task, parks again and drives.
//! - **T4 (shutdown).** Runtime shutdown closes the timer and wakes every pending
//!   entry; a closed timer refuses registrations, and a `Sleep` refused this way moves
//!   to the global timer, so a sleep outliving its runtime (polled by a plain
//!   `block_on`) still completes.
//!
//! **No lost timer.** The driver's decision (T1) and every registration (T2, T3) run
//! under the timer's mutex, so they are totally ordered. If the registration comes
//! first, the worker's `try_drive` sees the entry and parks no later than its
//! deadline. If `try_drive` comes first, the registration either sees the driver and
//! its `armed` deadline (T2: earlier entries unpark it) or sees no driver: then the
//! worker that took no role parked without a deadline, and its announcement on the
//! sleepers list happened before its `try_drive`, hence before the registration's
//! lock section; `notify_parked` (T3, whose `SeqCst` fence and loads come after that
//! lock section) therefore sees it parked and wakes it, unless a worker is searching,
//! and a searcher reaches `park()` (and `try_drive`, after the registration) or finds
//! work. Busy workers fire due entries at their maintenance check, so timers are not
//! starved by a busy runtime, and an idle runtime with no timers parks every worker
//! without a deadline: no CPU while idle, however many sleeps are pending.
//!
//! **Outside a runtime.** The global timer uses the same `Timer`; its thread is a
//! permanent driver (T2 applies: it parks until the earliest deadline, or without a
//! deadline, and a registration earlier than that unparks it).

pub(crate) mod driver;
mod interval;
mod sleep;
mod timeout;

#[cfg(all(test, not(loom)))]
mod tests;

pub use self::interval::{interval, interval_at, Interval};
pub use self::sleep::{sleep, sleep_until, Sleep};
pub use self::timeout::{timeout, timeout_at, Elapsed};
// Feature `hyper` (issue 14): the timer hyper's builders take; lives in compat/hyper.rs.
#[cfg(all(feature = "hyper", not(loom)))]
pub use crate::compat::hyper::Timer;

/// A measurement of the monotonic clock: `std::time::Instant`, re-exported so that
/// deadlines can be named from this module.
///
/// # Examples
///
/// ```
/// let deadline = runtime::time::Instant::now() + std::time::Duration::from_millis(1);
/// let same: std::time::Instant = deadline;
/// assert_eq!(runtime::time::sleep_until(same).deadline(), deadline);
/// ```
pub use std::time::Instant;
