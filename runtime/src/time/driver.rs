//! The timer: pending deadlines, the driver role, and the global timer thread.
//!
//! See the module docs of `time` (time/mod.rs) for the design and the wake-up protocol;
//! the rules cited here (T1–T4) are numbered there.

use std::collections::btree_map::{BTreeMap, Entry};
use std::fmt;
use std::task::Waker;
use std::time::Instant;

use crate::scheduler::park::Parker;
use crate::sync::{thread, AtomicU64, Mutex, Ordering, StaticMutex};

/// A pending sleep's place in the timer: its deadline, then a unique sequence number
/// so that equal deadlines are distinct entries.
pub(crate) type Key = (Instant, u64);

/// `next_due` when no entry is pending.
const NONE_DUE: u64 = u64::MAX;

/// One set of pending deadlines with its driver state (one per runtime, plus the
/// global one).
pub(crate) struct Timer {
    inner: Mutex<Inner>,
    /// The earliest pending deadline, in nanoseconds since `base`, or `NONE_DUE`.
    /// Written under the lock whenever the first entry changes; read without it by
    /// busy workers ([`Timer::maintain`]) so that a check with nothing due costs one
    /// load and, when something is pending, one `Instant::now()`.
    next_due: AtomicU64,
    base: Instant,
}

/// Guarded by `Timer::inner`.
struct Inner {
    /// Pending sleeps, ordered by deadline: the first entry is the next to fire.
    entries: BTreeMap<Key, Waker>,
    /// The worker (or the global thread, index 0) parked until `armed`: the driver.
    driver: Option<usize>,
    /// The deadline the driver parks until (`None` with a driver: parked without one).
    armed: Option<Instant>,
    /// Set by runtime shutdown: registrations fail from then on (rule T4).
    closed: bool,
}

/// What a registration asks of its caller (rules T2 and T3).
#[must_use]
pub(crate) enum Registered {
    /// Nothing: the driver wakes in time for this entry.
    Armed,
    /// The entry is earlier than the driver's deadline: unpark driver `index`. The
    /// driver's deadline is already recorded as this entry's, so later registrations
    /// compare against it.
    WakeDriver(usize),
    /// Nobody drives: make sure a worker will (rule T3).
    NoDriver,
    /// The timer is closed (its runtime shut down); nothing was registered.
    Closed,
}

impl Timer {
    pub(crate) fn new() -> Timer {
        Timer {
            inner: Mutex::new(Inner {
                entries: BTreeMap::new(),
                driver: None,
                armed: None,
                closed: false,
            }),
            next_due: AtomicU64::new(NONE_DUE),
            base: Instant::now(),
        }
    }

    /// Registers (or updates the waker of) the entry `key`.
    pub(crate) fn register(&self, key: Key, waker: &Waker) -> Registered {
        let mut inner = self.inner.lock();
        if inner.closed {
            return Registered::Closed;
        }
        match inner.entries.entry(key) {
            Entry::Occupied(mut entry) => {
                // A re-poll: the driver already knows this deadline.
                if !entry.get().will_wake(waker) {
                    entry.insert(waker.clone());
                }
                Registered::Armed
            }
            Entry::Vacant(entry) => {
                entry.insert(waker.clone());
                self.after_insert(&mut inner, key)
            }
        }
    }

    /// Moves the entry `old` to `new`, keeping its waker (`Sleep::reset`). Returns
    /// `None` when `old` is not pending (it fired, or was never registered).
    pub(crate) fn reset(&self, old: Key, new: Key) -> Option<Registered> {
        let mut inner = self.inner.lock();
        let waker = inner.entries.remove(&old)?;
        inner.entries.insert(new, waker);
        Some(self.after_insert(&mut inner, new))
    }

    /// Rule T2: an entry earlier than the armed deadline re-arms the driver.
    fn after_insert(&self, inner: &mut Inner, key: Key) -> Registered {
        self.update_next_due(inner);
        match inner.driver {
            Some(index) if inner.armed.is_none_or(|armed| key.0 < armed) => {
                inner.armed = Some(key.0);
                Registered::WakeDriver(index)
            }
            Some(_) => Registered::Armed,
            None => Registered::NoDriver,
        }
    }

    /// Removes the entry `key` if it is still pending (a dropped or reset `Sleep`).
    /// The driver is not woken: at worst it wakes at the removed deadline for nothing.
    pub(crate) fn deregister(&self, key: Key) {
        let mut inner = self.inner.lock();
        if inner.entries.remove(&key).is_some() {
            self.update_next_due(&inner);
        }
    }

    /// Rule T1: worker `index`, about to park, becomes the driver if nobody drives and
    /// an entry is pending. Returns the deadline to park until.
    pub(crate) fn try_drive(&self, index: usize) -> Option<Instant> {
        let mut inner = self.inner.lock();
        if inner.driver.is_some() || inner.closed {
            return None;
        }
        let (&(first, _), _) = inner.entries.first_key_value()?;
        inner.driver = Some(index);
        inner.armed = Some(first);
        Some(first)
    }

    /// Rule T1: worker `index` is awake again and gives up the driver role.
    pub(crate) fn stop_driving(&self, index: usize) {
        let mut inner = self.inner.lock();
        if inner.driver == Some(index) {
            inner.driver = None;
            inner.armed = None;
        }
    }

    /// The global thread is the permanent driver: records it as driving until the
    /// first pending deadline (or without deadline), which it then parks until.
    fn arm_permanent_driver(&self) -> Option<Instant> {
        let mut inner = self.inner.lock();
        let first = inner
            .entries
            .first_key_value()
            .map(|(&(first, _), _)| first);
        inner.driver = Some(0);
        inner.armed = first;
        first
    }

    /// Wakes every entry due at `now` (deadline ≤ `now`), outside the lock. Returns
    /// how many fired.
    pub(crate) fn fire_due(&self, now: Instant) -> usize {
        let mut due = Vec::new();
        {
            let mut inner = self.inner.lock();
            while let Some(entry) = inner.entries.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                due.push(entry.remove());
            }
            if !due.is_empty() {
                self.update_next_due(&inner);
            }
        }
        let fired = due.len();
        // Wakers are user code: never called under the lock.
        for waker in due {
            crate::task::waker::wake_caught(waker);
        }
        fired
    }

    /// A busy worker's check at its periodic injector check (rule T3), and a
    /// monitor's: fires what is due, returning how many fired. Cheap when nothing is.
    pub(crate) fn maintain(&self) -> usize {
        // Relaxed: a hint. A stale value only delays the firing to the next check (or
        // to the driver), or takes the lock for nothing; `fire_due` decides under it.
        let next = self.next_due.load(Ordering::Relaxed);
        if next == NONE_DUE {
            return 0;
        }
        let now = Instant::now();
        if self.nanos(now) >= next {
            self.fire_due(now)
        } else {
            0
        }
    }

    /// Rule T4: closes the timer (runtime shutdown) and wakes every pending entry, so
    /// its poller re-polls and moves to the global timer.
    pub(crate) fn close(&self) {
        let entries = {
            let mut inner = self.inner.lock();
            inner.closed = true;
            inner.driver = None;
            inner.armed = None;
            self.next_due.store(NONE_DUE, Ordering::Relaxed);
            std::mem::take(&mut inner.entries)
        };
        for (_, waker) in entries {
            crate::task::waker::wake_caught(waker);
        }
    }

    /// Pending entries (tests of memory reclamation).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.inner.lock().entries.len()
    }

    /// The deadline the driver is parked until, if any (tests of re-arming).
    #[cfg(test)]
    pub(crate) fn armed(&self) -> Option<Instant> {
        self.inner.lock().armed
    }

    fn update_next_due(&self, inner: &Inner) {
        let next = inner
            .entries
            .first_key_value()
            .map_or(NONE_DUE, |(&(first, _), _)| self.nanos(first));
        // Relaxed: see `maintain`; written under the lock, so writes are not reordered
        // among themselves.
        self.next_due.store(next, Ordering::Relaxed);
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.base).as_nanos()).unwrap_or(NONE_DUE - 1)
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.inner.lock();
        f.debug_struct("Timer")
            .field("pending", &inner.entries.len())
            .field("driver", &inner.driver)
            .field("armed", &inner.armed)
            .finish()
    }
}

/// The timer of sleeps made outside any runtime, driven by one lazily started thread
/// named `runtime-timer` that lives as long as the process and parks until the next
/// deadline (without one while nothing is pending).
pub(crate) struct Global {
    pub(crate) timer: Timer,
    pub(crate) parker: Parker,
}

/// The global timer, once started. A `StaticMutex` (never modeled by loom): held only
/// to read or publish the pointer and to start the thread.
static GLOBAL: StaticMutex<Option<&'static Global>> = StaticMutex::new(None);

/// The global timer, starting its thread on first use.
///
/// # Panics
///
/// Panics if the OS cannot start the timer thread.
pub(crate) fn global() -> &'static Global {
    let mut slot = GLOBAL.lock();
    if let Some(global) = *slot {
        return global;
    }
    // Leaked on purpose: the thread runs for the rest of the process.
    let global: &'static Global = Box::leak(Box::new(Global {
        timer: Timer::new(),
        parker: Parker::new(),
    }));
    thread::Builder::new()
        .name("runtime-timer".to_owned())
        .spawn(move || global.run())
        .unwrap_or_else(|err| {
            panic!("runtime::time: could not start the global timer thread: {err}")
        });
    *slot = Some(global);
    global
}

impl Global {
    /// The thread's loop. A registration made between `fire_due` and the re-arm is
    /// either seen by the re-arm (which reads the entries under the lock), or it came
    /// first and saw the old armed deadline: then it is earlier (it unparks us; the
    /// token makes the next `park` return at once) or the old deadline is earlier
    /// (we wake then and re-arm).
    fn run(&self) {
        loop {
            self.timer.fire_due(Instant::now());
            let deadline = self.timer.arm_permanent_driver();
            self.parker.park(deadline);
        }
    }
}
