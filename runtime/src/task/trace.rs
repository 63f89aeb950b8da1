//! What a task dump reads of each task (`Handle::dump`, scheduler/dump.rs): where the
//! task was spawned, its name, when, how often it was polled, and when last.
//!
//! Times are milliseconds on the runtime's [`Clock`], a coarse clock that the workers
//! keep current as a side effect of what they already do (their injector check every
//! ~100 µs while busy, every park and wake-up, the monitor's tick): stamping a poll
//! costs one relaxed load of it, not a clock read. Every field here is a statistic,
//! never used to synchronise, so every access is `Relaxed`, and the atomics are std's
//! even under loom (no model reads them; instrumenting them would only grow every
//! model's state space).

use std::panic::Location;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What a spawn records about its task: where it was called, and the name a
/// [`task::Builder`](crate::task::Builder) gave it.
///
/// `Copy`, with the name borrowed until the registry copies it: the spawn path moves
/// it through several calls, and a value with a destructor costs each of them
/// cleanup code.
#[derive(Clone, Copy)]
pub(crate) struct SpawnMeta<'a> {
    pub(crate) location: &'static Location<'static>,
    pub(crate) name: Option<&'a str>,
}

impl SpawnMeta<'_> {
    /// An unnamed task spawned by our caller's caller (`#[track_caller]` all the way
    /// up from the public spawn function).
    #[track_caller]
    #[inline]
    pub(crate) fn caller() -> SpawnMeta<'static> {
        SpawnMeta {
            location: Location::caller(),
            name: None,
        }
    }
}

/// The per-task record, in the task's `Header` (with `Header::spawned_at`, which sits
/// in padding): 16 bytes. A task's header is on the hot path of every spawn and poll,
/// so what a dump needs is packed: the poll count and the start of the last poll
/// share one word, written with one store per poll.
pub(crate) struct Trace {
    pub(crate) location: &'static Location<'static>,
    /// Polls begun (high 32 bits, saturating) and when the last one began (low 32
    /// bits, clock ms; the spawn time until the first poll). Written only by the
    /// thread about to poll (which owns the task's one `Notified`), read by dumps.
    stamp: AtomicU64,
}

impl Trace {
    pub(crate) fn new(location: &'static Location<'static>, spawned_at: u32) -> Trace {
        Trace {
            location,
            stamp: AtomicU64::new(u64::from(spawned_at)),
        }
    }

    /// A poll begins at `now`. Returns the number of polls, this one included.
    #[inline]
    pub(crate) fn begin_poll(&self, now: u32) -> u32 {
        // Relaxed (module docs); a load and a store, not a read-modify-write: one
        // thread at a time polls a task, and the handover between pollers (a run queue)
        // orders their writes.
        let polls = ((self.stamp.load(Ordering::Relaxed) >> 32) as u32).saturating_add(1);
        self.stamp
            .store((u64::from(polls) << 32) | u64::from(now), Ordering::Relaxed);
        polls
    }

    /// Polls begun, and when the last one began.
    pub(crate) fn polls_and_last_poll(&self) -> (u32, u32) {
        // Relaxed: module docs.
        let stamp = self.stamp.load(Ordering::Relaxed);
        ((stamp >> 32) as u32, stamp as u32)
    }
}

/// The runtime's coarse clock: milliseconds since the runtime started, modulo 2^32
/// (49.7 days), as last refreshed by a worker (module docs). A duration between two
/// readings is exact below 49.7 days, and wraps beyond (`since`).
pub(crate) struct Clock {
    epoch: Instant,
    now: AtomicU32,
}

impl Clock {
    pub(crate) fn new(epoch: Instant) -> Clock {
        Clock {
            epoch,
            now: AtomicU32::new(0),
        }
    }

    /// The last refreshed time. One relaxed load.
    #[inline]
    pub(crate) fn tick(&self) -> u32 {
        // Relaxed: a statistic (module docs).
        self.now.load(Ordering::Relaxed)
    }

    /// Refreshes the clock with a time the caller read anyway; returns it.
    #[inline]
    pub(crate) fn refresh(&self, now: Instant) -> u32 {
        let ms = self.millis(now);
        // Relaxed: a statistic. Two refreshers may store out of order, moving the
        // clock back by the moment between their reads; `since` treats a time a
        // little in the future as now. Stored only when it changed: at most once a
        // millisecond, so the workers reading it (every spawn and poll) rarely miss
        // the line however often their siblings park and wake.
        if self.now.load(Ordering::Relaxed) != ms {
            self.now.store(ms, Ordering::Relaxed);
        }
        ms
    }

    /// Reads the real clock and refreshes.
    pub(crate) fn refresh_now(&self) -> u32 {
        self.refresh(Instant::now())
    }

    fn millis(&self, now: Instant) -> u32 {
        // Truncation is the point: the clock counts modulo 2^32 ms.
        now.saturating_duration_since(self.epoch).as_millis() as u32
    }

    /// The duration from clock time `then` to `now`: exact below 49.7 days. A `then`
    /// up to a minute after `now` (refreshers that stored out of order) gives zero.
    pub(crate) fn since(now: u32, then: u32) -> Duration {
        let ms = now.wrapping_sub(then);
        if ms > u32::MAX - 60_000 {
            Duration::ZERO
        } else {
            Duration::from_millis(u64::from(ms))
        }
    }
}
