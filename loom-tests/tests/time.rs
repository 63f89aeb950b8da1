//! The timer (time/mod.rs, rules T1–T3) against the real worker loop: a `Sleep`
//! registered from a thread outside the workers while the only worker parks, takes the
//! driver role, or parks without one. This is the seam an I/O reactor parks on too: a
//! registration from one thread must reach a driver that is going to sleep on another.
//!
//! loom has no clock: a timed park returns at once as timed out (runtime/src/sync.rs),
//! so a driver parked *with* a deadline always wakes, and only a worker parked without
//! one can sleep through a lost wake-up. The deadlines are chosen so the model does not
//! depend on real time: first an hour away (never due while the model runs), then
//! moved to the present by `reset` (due from then on, whenever the driver looks).
#![cfg(loom)]

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;

use loom_tests::model;
use runtime::__loom::scheduler::Workers;
use runtime::time::{sleep, Instant};

/// Records that it was woken and unparks the model thread that waits for it.
struct Flag {
    woken: AtomicBool,
    thread: loom::thread::Thread,
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, SeqCst);
        self.thread.unpark();
    }
}

/// A sleep registered from outside the workers, then moved to a deadline that has
/// passed, while the one worker goes to sleep: the timer fires it and wakes its task.
/// A registration that leaves an idle worker parked without a deadline (rule T3's
/// `notify_parked` lost, or a driver not re-armed by T2) leaves this thread parked
/// for ever next to a sleeping worker: loom reports the deadlock. (Checked by hand:
/// with `follow_up`'s `notify_parked` removed, loom reports it.)
#[test]
fn sleep_registered_from_outside_vs_parking_driver() {
    model(3, 150, || {
        let workers = Workers::start(1);
        let entered = runtime::__loom::time::enter(&workers);
        let flag = Arc::new(Flag {
            woken: AtomicBool::new(false),
            thread: loom::thread::current(),
        });
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);

        // Registration (T2 or T3), racing with the worker's park and `try_drive`.
        let mut sleep = Box::pin(sleep(Duration::from_secs(3600)));
        assert!(sleep.as_mut().poll(&mut cx).is_pending());
        // Due from now on: a re-registration under the timer's lock (T2 or T3 again).
        sleep.as_mut().reset(Instant::now());
        // Only the timer can wake us: nothing polls the sleep until it fires.
        while !flag.woken.load(SeqCst) {
            loom::thread::park();
        }
        assert!(sleep.as_mut().poll(&mut cx).is_ready());

        drop(sleep);
        drop(entered);
        workers.shutdown();
    });
}
