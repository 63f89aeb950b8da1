//! `Sleep`, `sleep` and `sleep_until`.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::driver::{self, Global, Key, Registered, Timer};
use crate::context;
use crate::scheduler::Scheduler;
use crate::sync::{Arc, Ordering, StaticAtomicU64};

/// Sequence numbers that make every sleep's key unique.
static NEXT_SEQ: StaticAtomicU64 = StaticAtomicU64::new(0);

/// About 30 years: the deadline of a sleep whose duration overflows `Instant`.
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// Which timer a sleep is registered with.
enum TimerRef {
    /// The runtime that was current when the sleep was made; its workers drive it.
    Runtime(Arc<Scheduler>),
    /// The global timer thread (sleeps made outside a runtime, or whose runtime shut
    /// down).
    Global(&'static Global),
}

impl TimerRef {
    fn current() -> TimerRef {
        match crate::Handle::try_current() {
            Ok(handle) => TimerRef::Runtime(handle.shared),
            Err(_) => TimerRef::Global(driver::global()),
        }
    }

    fn timer(&self) -> &Timer {
        match self {
            TimerRef::Runtime(shared) => shared.timer(),
            TimerRef::Global(global) => &global.timer,
        }
    }

    /// Does what a registration asks (time/mod.rs, rules T2 and T3). Returns `false`
    /// when the timer is closed.
    fn follow_up(&self, registered: Registered) -> bool {
        match (registered, self) {
            (Registered::Armed, _) => {}
            (Registered::Closed, _) => return false,
            (Registered::WakeDriver(index), TimerRef::Runtime(shared)) => {
                shared.unpark_worker(index);
            }
            (Registered::NoDriver, TimerRef::Runtime(shared)) => {
                // Rule T3: a worker of this runtime will park (and drive) or fire the
                // entry at its maintenance check; from any other thread, wake a
                // parked worker to drive (it parks again, now with a deadline).
                let on_worker = context::with_core(|core| {
                    core.is_some_and(|c| c.is_worker_of(crate::sync::Arc::as_ptr(shared)))
                });
                if !on_worker {
                    shared.notify_parked();
                }
            }
            (Registered::WakeDriver(_) | Registered::NoDriver, TimerRef::Global(global)) => {
                global.parker.unpark();
            }
        }
        true
    }
}

/// A future that completes at a deadline: made by [`sleep`] and [`sleep_until`].
///
/// It completes no earlier than its deadline and, on an idle machine, within about
/// 2 ms after. Dropping it removes its timer entry. `Sleep` is `Send + Sync + 'static`
/// (and `Unpin`), so libraries can store it as their timer.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use runtime::time::{sleep, Instant};
///
/// let rt = runtime::Runtime::new()?;
/// rt.block_on(async {
///     let start = Instant::now();
///     sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Sleep {
    deadline: Instant,
    seq: u64,
    /// The timer, chosen at the first registration (not at creation), so a sleep made
    /// outside a runtime and spawned onto one uses the runtime's timer.
    timer: Option<TimerRef>,
    /// Whether an entry with this key may be pending in `timer` (it may also have
    /// fired since; removal then finds nothing). Implies `timer.is_some()`.
    registered: bool,
}

/// Waits until `duration` has elapsed.
///
/// The deadline is fixed now; the timer is chosen at the first poll: polled inside a
/// runtime (a task, `block_on`, a `spawn_blocking` closure), the runtime's workers
/// drive it; elsewhere a global timer thread does, started on first use, so
/// `runtime::block_on(sleep(d))` works too. A duration too large for `Instant` means
/// "about 30 years".
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let start = std::time::Instant::now();
/// runtime::block_on(runtime::time::sleep(Duration::from_millis(5)));
/// assert!(start.elapsed() >= Duration::from_millis(5));
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    sleep_until(saturating_add(Instant::now(), duration))
}

/// `at + duration`, or about 30 years after `at` when that overflows `Instant`
/// (shared by `sleep` and `Interval`).
///
/// `at` is an instant that has already been reached (the present, or a deadline that
/// passed), so adding 30 years to it cannot overflow in turn.
pub(super) fn saturating_add(at: Instant, duration: Duration) -> Instant {
    at.checked_add(duration).unwrap_or(at + FAR_FUTURE)
}

/// Waits until `deadline`; a deadline in the past completes at the first poll.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use runtime::time::Instant;
///
/// let deadline = Instant::now() + Duration::from_millis(5);
/// runtime::block_on(runtime::time::sleep_until(deadline));
/// assert!(Instant::now() >= deadline);
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        // Relaxed: only uniqueness matters, which the read-modify-write gives.
        seq: NEXT_SEQ.fetch_add(1, Ordering::Relaxed),
        timer: None,
        registered: false,
    }
}

impl Sleep {
    fn key(&self) -> Key {
        (self.deadline, self.seq)
    }

    /// The instant this sleep completes at.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use runtime::time::{sleep_until, Instant};
    ///
    /// let at = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(sleep_until(at).deadline(), at);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }

    /// Whether the deadline has passed (the next poll completes).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use runtime::time::sleep;
    ///
    /// assert!(sleep(Duration::ZERO).is_elapsed());
    /// assert!(!sleep(Duration::from_secs(60)).is_elapsed());
    /// ```
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Moves the deadline to `deadline`, re-arming the sleep in place (no new
    /// allocation; a pending entry keeps its waker, so the task waiting on it wakes at
    /// the new deadline). A sleep that already completed becomes pending again if
    /// `deadline` is in the future.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::pin::pin;
    /// use std::time::Duration;
    /// use runtime::time::{sleep, Instant};
    ///
    /// runtime::block_on(async {
    ///     let mut s = pin!(sleep(Duration::from_secs(3600)));
    ///     let start = Instant::now();
    ///     s.as_mut().reset(start + Duration::from_millis(5));
    ///     s.await;
    ///     assert!(start.elapsed() < Duration::from_secs(3600));
    /// });
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.get_mut();
        let old = this.key();
        this.deadline = deadline;
        if let (true, Some(timer)) = (this.registered, &this.timer) {
            let new = this.key();
            this.registered = match timer.timer().reset(old, new) {
                Some(registered) => timer.follow_up(registered),
                // It fired (its task was woken and will poll), or the timer closed.
                None => false,
            };
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        // The cooperative budget (task/coop.rs): a due timer is ready at once.
        let spent = std::task::ready!(crate::task::coop::poll_proceed(cx));
        // Never early: the check is against the clock, not against "the timer fired".
        if Instant::now() >= this.deadline {
            this.deregister();
            spent.made_progress();
            return Poll::Ready(());
        }
        let key = this.key();
        let timer = this.timer.get_or_insert_with(TimerRef::current);
        loop {
            let registered = timer.timer().register(key, cx.waker());
            if timer.follow_up(registered) {
                this.registered = true;
                return Poll::Pending;
            }
            // Rule T4: our runtime shut down and nobody drives its timer any more.
            *timer = TimerRef::Global(driver::global());
        }
    }
}

impl Sleep {
    fn deregister(&mut self) {
        if let (true, Some(timer)) = (std::mem::take(&mut self.registered), &self.timer) {
            timer.timer().deregister(self.key());
        }
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.deregister();
    }
}

impl fmt::Debug for Sleep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sleep")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}
