//! One registration's shared state: its readiness word and its waiters.
//!
//! - **The readiness word** (`readiness`): the `Ready` bits the reactor reported,
//!   a `SHUTDOWN` bit, and a *tick* counting the events that set bits. The reactor
//!   ORs bits in and bumps the tick in one read-modify-write (R1); a waiter that
//!   got `WouldBlock` clears the bits it saw only if the tick is still the one it
//!   read them at (R2), so an event between its read and its clear is never erased.
//! - **The waiters**: one slot for the task that reads (`AsyncRead::poll_read`), one
//!   for the task that writes, and a list for `readiness()` futures (any number of
//!   tasks may await `readable()`), under one mutex.
//!
//! **No lost wake-up (R3).** A waiter registers its waker under the mutex and then
//! loads the word again before returning `Pending`; the reactor updates the word
//! (R1) before it takes the mutex to collect wakers. The two critical sections are
//! ordered: if the reactor's comes first, the waiter's load, inside its own later
//! section, sees the update; if the waiter's comes first, the reactor finds its waker.
//! Wakers are called after the mutex is released (they are user code: a waker may
//! drop this very socket), each under `catch_unwind`.

use std::task::{Context, Poll, Waker};

use super::ready::{Interest, Ready};
use super::registration::{Direction, ReadyEvent};
use crate::sync::{AtomicUsize, Mutex, Ordering};

/// Bits 0..5: `Ready`. Bit 5: shut down (the registration was deregistered, or its
/// runtime shut down). Bits 16..: the tick.
const READY_MASK: usize = Ready::ALL.bits() as usize;
const SHUTDOWN: usize = 1 << 5;
const TICK_SHIFT: u32 = 16;
const TICK_MASK: usize = (u32::MAX as usize) & (usize::MAX >> TICK_SHIFT);

fn tick_of(word: usize) -> u32 {
    ((word >> TICK_SHIFT) & TICK_MASK) as u32
}

fn ready_of(word: usize) -> Ready {
    Ready::from_bits((word & READY_MASK) as u8)
}

/// What a waiter sees in the word: shut down, ready (for its interest), or not yet.
enum Seen {
    Shutdown,
    Ready(ReadyEvent),
    NotReady,
}

fn see(word: usize, interest: Interest) -> Seen {
    if word & SHUTDOWN != 0 {
        return Seen::Shutdown;
    }
    let ready = ready_of(word).intersection(interest.mask());
    if ready.is_empty() {
        Seen::NotReady
    } else {
        Seen::Ready(ReadyEvent {
            ready,
            tick: tick_of(word),
        })
    }
}

pub(crate) struct ScheduledIo {
    readiness: AtomicUsize,
    waiters: Mutex<Waiters>,
}

#[derive(Default)]
struct Waiters {
    reader: Option<Waker>,
    writer: Option<Waker>,
    /// `readiness()` futures, by slot; `None` is a free slot.
    list: Vec<Option<Waiter>>,
    free: Vec<usize>,
}

struct Waiter {
    interest: Interest,
    waker: Option<Waker>,
}

/// The outcome of a poll for readiness: the event, or an error (shut down).
pub(crate) type PollReady = Poll<Result<ReadyEvent, ()>>;

impl ScheduledIo {
    pub(crate) fn new() -> ScheduledIo {
        ScheduledIo {
            readiness: AtomicUsize::new(0),
            waiters: Mutex::new(Waiters::default()),
        }
    }

    /// R1: the reactor reports `ready`; wakes every waiter it satisfies. Returns how
    /// many wakers were called.
    pub(crate) fn set_readiness(&self, ready: Ready) -> usize {
        // AcqRel: Release publishes the event to waiters that load the word
        // (Acquire); the waker side is ordered by the mutex (R3). Acquire is not
        // needed for our own logic but keeps the RMW chain simple to reason about.
        let mut current = self.readiness.load(Ordering::Acquire);
        loop {
            let tick = (tick_of(current) as usize + 1) & TICK_MASK;
            let new =
                (current & (READY_MASK | SHUTDOWN)) | ready.bits() as usize | (tick << TICK_SHIFT);
            match self.readiness.compare_exchange_weak(
                current,
                new,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        self.wake(ready)
    }

    /// The registration is gone or its runtime shut down: every wait, now and later,
    /// fails. Wakes every waiter.
    pub(crate) fn shutdown(&self) -> usize {
        // AcqRel: as in `set_readiness`.
        self.readiness.fetch_or(SHUTDOWN, Ordering::AcqRel);
        self.wake(Ready::ALL)
    }

    /// R2: clears `ev`'s readable/writable bits unless an event came since it was
    /// read. The closed and error bits stay: they are final.
    pub(crate) fn clear_readiness(&self, ev: ReadyEvent) {
        let clear = ev
            .ready
            .intersection(Ready::READABLE | Ready::WRITABLE)
            .bits() as usize;
        let mut current = self.readiness.load(Ordering::Acquire);
        loop {
            #[cfg(not(loom_broken = "io_clear_tick"))]
            if tick_of(current) != ev.tick {
                // A newer event: what `ev` saw is stale, and the newer bits must stay.
                return;
            }
            let new = current & !clear;
            if new == current {
                return;
            }
            // AcqRel: the clear is ordered with the reactor's RMWs on the same word
            // (one modification order); no other memory is published through it.
            match self.readiness.compare_exchange_weak(
                current,
                new,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return,
                Err(actual) => current = actual,
            }
        }
    }

    /// The readiness now, for `interest`, without registering anything.
    pub(crate) fn ready_now(&self, interest: Interest) -> Result<Option<ReadyEvent>, ()> {
        match see(self.readiness.load(Ordering::Acquire), interest) {
            Seen::Shutdown => Err(()),
            Seen::Ready(ev) => Ok(Some(ev)),
            Seen::NotReady => Ok(None),
        }
    }

    /// Polls with the single waiter slot of `dir` (R3).
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> PollReady {
        let interest = dir.interest();
        // Acquire: pairs with the reactor's Release in `set_readiness`.
        match see(self.readiness.load(Ordering::Acquire), interest) {
            Seen::Shutdown => return Poll::Ready(Err(())),
            Seen::Ready(ev) => return Poll::Ready(Ok(ev)),
            Seen::NotReady => {}
        }
        let mut waiters = self.waiters.lock();
        let slot = match dir {
            Direction::Read => &mut waiters.reader,
            Direction::Write => &mut waiters.writer,
        };
        match slot {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => *slot = Some(cx.waker().clone()),
        }
        // R3: the load again, under the mutex.
        let seen = see(self.readiness.load(Ordering::Acquire), interest);
        drop(waiters);
        match seen {
            Seen::Shutdown => Poll::Ready(Err(())),
            Seen::Ready(ev) => Poll::Ready(Ok(ev)),
            Seen::NotReady => Poll::Pending,
        }
    }

    /// Polls for a `readiness()` future holding list slot `slot` (allocated here on
    /// its first poll; the future frees it with `drop_waiter`).
    pub(crate) fn poll_waiter(
        &self,
        cx: &mut Context<'_>,
        interest: Interest,
        slot: &mut Option<usize>,
    ) -> PollReady {
        match see(self.readiness.load(Ordering::Acquire), interest) {
            Seen::Shutdown => {
                self.drop_waiter(slot);
                return Poll::Ready(Err(()));
            }
            Seen::Ready(ev) => {
                self.drop_waiter(slot);
                return Poll::Ready(Ok(ev));
            }
            Seen::NotReady => {}
        }
        let mut waiters = self.waiters.lock();
        let waiters = &mut *waiters;
        let index = match *slot {
            Some(index) => index,
            None => {
                let waiter = Some(Waiter {
                    interest,
                    waker: None,
                });
                let index = match waiters.free.pop() {
                    Some(index) => {
                        waiters.list[index] = waiter;
                        index
                    }
                    None => {
                        waiters.list.push(waiter);
                        waiters.list.len() - 1
                    }
                };
                *slot = Some(index);
                index
            }
        };
        let waiter = waiters.list[index]
            .as_mut()
            .expect("a waiter's slot is its own until it frees it");
        match &waiter.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => waiter.waker = Some(cx.waker().clone()),
        }
        // R3: the load again, under the mutex.
        match see(self.readiness.load(Ordering::Acquire), interest) {
            Seen::Shutdown => Poll::Ready(Err(())),
            Seen::Ready(ev) => Poll::Ready(Ok(ev)),
            Seen::NotReady => Poll::Pending,
        }
        // (On Ready the slot stays allocated until the future frees it; it is woken
        // at most once more, harmlessly.)
    }

    /// Frees a `readiness()` future's list slot, if it has one.
    pub(crate) fn drop_waiter(&self, slot: &mut Option<usize>) {
        if let Some(index) = slot.take() {
            let mut waiters = self.waiters.lock();
            waiters.list[index] = None;
            waiters.free.push(index);
        }
    }

    /// Takes the wakers `ready` satisfies (under the mutex), then calls them (after).
    fn wake(&self, ready: Ready) -> usize {
        // The reader and writer slots without an allocation (every event of a plain
        // read/write loop); listed waiters, rarer, in a vector.
        let mut slots: [Option<Waker>; 2] = [None, None];
        let mut listed: Vec<Waker> = Vec::new();
        {
            let mut waiters = self.waiters.lock();
            if !ready.intersection(Interest::READABLE.mask()).is_empty() {
                slots[0] = waiters.reader.take();
            }
            if !ready.intersection(Interest::WRITABLE.mask()).is_empty() {
                slots[1] = waiters.writer.take();
            }
            for waiter in waiters.list.iter_mut().flatten() {
                if !ready.intersection(waiter.interest.mask()).is_empty() {
                    listed.extend(waiter.waker.take());
                }
            }
        }
        let mut n = 0;
        for waker in slots.into_iter().flatten().chain(listed) {
            crate::task::waker::wake_caught(waker);
            n += 1;
        }
        n
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};

    use super::ScheduledIo;
    use crate::io::registration::Direction;
    use crate::io::{Interest, Ready};

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counter() -> (Arc<Count>, Waker) {
        let c = Arc::new(Count(AtomicUsize::new(0)));
        (c.clone(), Waker::from(c))
    }

    #[test]
    fn pending_until_an_event_then_woken_once() {
        let io = ScheduledIo::new();
        let (count, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        assert!(io.poll_ready(&mut cx, Direction::Read).is_pending());
        assert_eq!(io.set_readiness(Ready::WRITABLE), 0, "not the reader's");
        assert_eq!(count.0.load(Ordering::SeqCst), 0);
        assert_eq!(io.set_readiness(Ready::READABLE), 1);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        match io.poll_ready(&mut cx, Direction::Read) {
            Poll::Ready(Ok(ev)) => assert!(ev.ready.is_readable()),
            _ => panic!("readable after the event"),
        }
    }

    #[test]
    fn a_clear_after_a_newer_event_keeps_the_newer_bits() {
        let io = ScheduledIo::new();
        io.set_readiness(Ready::READABLE);
        let ev = io.ready_now(Interest::READABLE).unwrap().unwrap();
        // An event arrives between the read and the WouldBlock's clear.
        io.set_readiness(Ready::READABLE);
        io.clear_readiness(ev);
        assert!(
            io.ready_now(Interest::READABLE).unwrap().is_some(),
            "the newer event survives the stale clear"
        );
        let ev = io.ready_now(Interest::READABLE).unwrap().unwrap();
        io.clear_readiness(ev);
        assert!(io.ready_now(Interest::READABLE).unwrap().is_none());
    }

    #[test]
    fn closed_bits_are_final() {
        let io = ScheduledIo::new();
        io.set_readiness(Ready::READABLE | Ready::READ_CLOSED);
        let ev = io.ready_now(Interest::READABLE).unwrap().unwrap();
        io.clear_readiness(ev);
        let ev = io.ready_now(Interest::READABLE).unwrap().unwrap();
        assert!(ev.ready.is_read_closed() && !ev.ready.is_readable());
    }

    #[test]
    fn every_listed_waiter_is_woken_and_slots_are_reused() {
        let io = ScheduledIo::new();
        let (count, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        let mut slots = vec![None; 10];
        for slot in &mut slots {
            assert!(io
                .poll_waiter(&mut cx, Interest::READABLE, slot)
                .is_pending());
        }
        let mut writer = None;
        assert!(io
            .poll_waiter(&mut cx, Interest::WRITABLE, &mut writer)
            .is_pending());
        assert_eq!(io.set_readiness(Ready::READABLE), 10);
        assert_eq!(count.0.load(Ordering::SeqCst), 10);
        for slot in &mut slots {
            assert!(io.poll_waiter(&mut cx, Interest::READABLE, slot).is_ready());
            io.drop_waiter(slot);
        }
        io.drop_waiter(&mut writer);
        let mut again = None;
        let _ = io.poll_waiter(&mut cx, Interest::WRITABLE, &mut again);
        assert!(again.unwrap() < 11, "a freed slot is reused");
        io.drop_waiter(&mut again);
    }

    #[test]
    fn shutdown_fails_every_wait_and_wakes_everyone() {
        let io = ScheduledIo::new();
        let (count, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        assert!(io.poll_ready(&mut cx, Direction::Write).is_pending());
        let mut slot = None;
        assert!(io
            .poll_waiter(&mut cx, Interest::READABLE, &mut slot)
            .is_pending());
        assert_eq!(io.shutdown(), 2);
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
        assert!(matches!(
            io.poll_ready(&mut cx, Direction::Read),
            Poll::Ready(Err(()))
        ));
        assert!(matches!(
            io.poll_waiter(&mut cx, Interest::READABLE, &mut slot),
            Poll::Ready(Err(()))
        ));
        assert!(io.ready_now(Interest::WRITABLE).is_err());
    }

    #[test]
    fn a_panicking_waker_does_not_stop_the_others() {
        struct Panics;
        impl Wake for Panics {
            fn wake(self: Arc<Self>) {
                panic!("a hostile waker");
            }
        }
        let io = ScheduledIo::new();
        let bad = Waker::from(Arc::new(Panics));
        let (count, good) = counter();
        let mut s1 = None;
        let mut s2 = None;
        let _ = io.poll_waiter(&mut Context::from_waker(&bad), Interest::READABLE, &mut s1);
        let _ = io.poll_waiter(&mut Context::from_waker(&good), Interest::READABLE, &mut s2);
        io.set_readiness(Ready::READABLE);
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
    }
}
