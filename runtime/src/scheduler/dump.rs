//! Task dumps (`Handle::dump`): every live task, with what it is doing, taken while
//! the runtime runs.
//!
//! # Where a live task can be
//!
//! - **Listed in the registry** (task/registry.rs): every task that has waited at
//!   least once, from its first wait to its end, and every named task from its spawn.
//!   A walk of the registry, one shard at a time under its lock, sees each task that
//!   stays listed throughout it exactly once. It needs no pause.
//! - **In a run queue, never having waited**: a worker's local queue or LIFO slot, the
//!   injector, a spilled batch. These tasks move (a worker pops one and polls it, a
//!   sibling steals a batch), so a walk could miss one that moves from a queue not yet
//!   read to one already read.
//! - **Being polled, never having waited**: on a worker, whose running slot (below)
//!   names it.
//!
//! # The pause
//!
//! So a dump first stops the tasks that are not listed from moving, for as long as it
//! takes to read the queues (microseconds per worker, not the registry walk):
//!
//! - **P1.** The dumper sets each worker's `requested` flag and wakes every worker (a parked worker's
//!   local queue is empty, but it may wake and take work, so it must pause too).
//! - **P2.** A worker checks its flag (one relaxed load of a line it writes at every
//!   poll anyway, its running slot's) before it takes each task
//!   to poll: at the top of its loop and in its LIFO chain. Seeing it, it reads its
//!   own local queue and LIFO slot into the dump (popping each task and pushing it
//!   back in the same order), reports, and waits until the dumper closes the dump.
//!   A paused worker takes no task, so no task leaves a queue but through a stealer
//!   that has not paused yet, which then holds it in its own queue (read when it
//!   pauses) or polls it (its slot).
//! - **P3.** The dumper waits until every worker has paused, except one that is stuck
//!   in one poll: its slot has named the same running task for `STUCK_AFTER`. For a
//!   stuck worker the dumper records the running task from its slot, and takes its
//!   LIFO slot and local queue through their stealers (as the monitor does, worker.rs
//!   rule M2), recording each task and handing it to the injector, where the paused
//!   workers find it after the dump. If the stuck poll ends during the dump, the
//!   worker pauses at its next check like any other (P2): each task it or the dumper
//!   takes out of its queue is recorded by whoever took it.
//! - **P4.** With the workers paused, the dumper reads the injector and the spilled
//!   batches (taking every task and putting it back), then closes the dump; the
//!   workers go on. Then it walks the registry.
//!
//! A task is recorded more than once when it sits in a queue and in the registry, or
//! moves between two readings; the dump keeps one record per task id (the registry's,
//! read last, or the slot's for a task that a stuck worker is polling). A task that is
//! live throughout the dump is found in one of the three places, so none is lost.
//!
//! One assumption, about time, not memory ordering: a worker is judged stuck from two
//! readings of its slot `STUCK_AFTER` apart, which assumes its last write to the slot
//! is visible to the dumper by then (true on every real machine, where stores drain
//! in nanoseconds; C++'s memory model only promises "in a reasonable amount of
//! time"). A wrong judgement could lose a task from that one dump; it never affects
//! the tasks themselves, since taking a task through a stealer is ordinary work
//! stealing. No model checks the dump (it is cfg'd out under loom); tests/task_dump.rs
//! checks the no-loss, no-duplicate claim on a runtime with 100 000 tasks.
//!
//! # The running slot
//!
//! Each worker publishes the task it is polling in a seqlock of plain values (id,
//! spawn location, spawn time, poll count, poll start): the dumper cannot follow a
//! pointer into a task that it holds no reference to (the task may complete and be
//! freed the moment after), so it copies. A name is not among them, which is why a
//! named task is listed from its spawn (scheduler/mod.rs, `bind`): the registry walk
//! supplies it.

// Under loom only the slot and the gate are compiled (no model takes a dump).
#![cfg_attr(loom, allow(unused_imports))]

use std::collections::HashMap;
use std::panic::Location;
use std::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::Scheduler;
use crate::dump::{Dump, TaskDump, TaskState};
use crate::sync::{StaticCondvar, StaticMutex, Steal};
use crate::task::raw::Header;
use crate::task::trace::Clock;
use crate::task::Notified;

/// A worker whose slot names the same poll for this long is stuck (rule P3).
const STUCK_AFTER: Duration = Duration::from_millis(2);

/// However the workers behave, the dumper waits no longer than this for them.
const MAX_WAIT: Duration = Duration::from_millis(200);

/// One task as some part of the runtime saw it.
pub(crate) struct Record {
    pub(crate) id: u64,
    pub(crate) name: Option<String>,
    pub(crate) location: &'static Location<'static>,
    pub(crate) state: TaskState,
    pub(crate) polls: u32,
    pub(crate) spawned_at: u32,
    pub(crate) last_poll: u32,
    /// Which worker is polling it, when read from a running slot.
    pub(crate) worker: Option<usize>,
    /// Read from the registry, or a running slot: wins over a queue's reading.
    pub(crate) authoritative: bool,
}

impl Record {
    /// A task as its header shows it: what every source but a running slot reads.
    fn from_header(
        header: &Header,
        name: Option<&str>,
        state: TaskState,
        authoritative: bool,
    ) -> Record {
        let trace = &header.trace;
        let (polls, last_poll) = trace.polls_and_last_poll();
        Record {
            id: header.id().as_u64(),
            name: name.map(str::to_owned),
            location: trace.location,
            state,
            polls,
            spawned_at: header.spawned_at,
            last_poll,
            worker: None,
            authoritative,
        }
    }

    /// A task read from a run queue; the caller holds its `Notified`. (A named task
    /// is in the registry too, whose record brings the name.)
    pub(crate) fn queued(task: &Notified) -> Record {
        Record::from_header(task.header(), None, TaskState::Scheduled, false)
    }
}

/// The task a worker is polling: copies of what a dump shows of it (module docs),
/// written only by the thread driving the worker's core. A seqlock whose sequence is
/// the task id itself: ids are unique and never 0, so `id` is 0 while the fields
/// change, and a reading bracketed by the same non-zero id on both sides describes
/// that task (if it was polled twice meanwhile, the packed `stamp` is one poll's,
/// whole). All std atomics (no model reads them).
pub(crate) struct RunningSlot {
    /// Rule P2's flag, set by a dumper. Here, on the line the worker writes at every
    /// poll, so checking it costs the worker no cache miss (a flag shared by all the
    /// workers would sit on some line other threads write).
    requested: AtomicBool,
    /// The task being polled; 0 while none is, or while the fields below change.
    id: AtomicU64,
    location: AtomicPtr<Location<'static>>,
    spawned_at: AtomicU32,
    /// Polls (high 32 bits) and when this one began (low 32), as `Trace` packs them.
    stamp: AtomicU64,
}

/// A consistent reading of a `RunningSlot`.
#[derive(Clone, Copy)]
struct Running {
    id: u64,
    location: &'static Location<'static>,
    spawned_at: u32,
    polls: u32,
    started: u32,
}

impl RunningSlot {
    pub(crate) fn new() -> RunningSlot {
        RunningSlot {
            requested: AtomicBool::new(false),
            id: AtomicU64::new(0),
            location: AtomicPtr::new(std::ptr::null_mut()),
            spawned_at: AtomicU32::new(0),
            stamp: AtomicU64::new(0),
        }
    }

    /// Rule P2's check: one relaxed load.
    #[inline]
    pub(crate) fn dump_requested(&self) -> bool {
        // Relaxed: a worker that misses a request that was just made pauses at its
        // next check; the dumper waits for it (rule P3).
        self.requested.load(Ordering::Relaxed)
    }

    /// The worker starts polling `task`: its `polls`-th poll, begun at `now`.
    #[inline]
    pub(crate) fn begin(&self, task: &Notified, polls: u32, now: u32) {
        let trace = task.trace();
        self.begin_raw(
            task.id().as_u64(),
            trace.location,
            task.spawned_at(),
            polls,
            now,
        );
    }

    #[inline]
    fn begin_raw(
        &self,
        id: u64,
        location: &'static Location<'static>,
        spawned_at: u32,
        polls: u32,
        started: u32,
    ) {
        // `id` is 0 here (`new`, or `end`). Release fence: a reader whose Acquire fence
        // follows a load of any store below also sees that 0 (or later), and so
        // discards its reading unless it also saw the id stored last.
        fence(Ordering::Release);
        self.location.store(
            location as *const Location<'static> as *mut _,
            Ordering::Relaxed,
        );
        self.spawned_at.store(spawned_at, Ordering::Relaxed);
        self.stamp.store(
            (u64::from(polls) << 32) | u64::from(started),
            Ordering::Relaxed,
        );
        // Release: a reader that loads this id sees the stores above.
        self.id.store(id, Ordering::Release);
    }

    /// The poll returned.
    #[inline]
    pub(crate) fn end(&self) {
        // Relaxed: the next `begin`'s fence orders it before that poll's stores.
        self.id.store(0, Ordering::Relaxed);
    }

    /// The task being polled, if any, read consistently (`None` too if the worker
    /// kept changing it).
    fn read(&self) -> Option<Running> {
        for _ in 0..64 {
            // Acquire: pairs with the writer's Release store of the id.
            let id = self.id.load(Ordering::Acquire);
            if id == 0 {
                return None;
            }
            let location = self.location.load(Ordering::Relaxed);
            let spawned_at = self.spawned_at.load(Ordering::Relaxed);
            let stamp = self.stamp.load(Ordering::Relaxed);
            // Acquire fence: the loads above come before the re-read of the id (pairs
            // with the writer's Release fence).
            fence(Ordering::Acquire);
            if self.id.load(Ordering::Relaxed) != id || location.is_null() {
                std::hint::spin_loop();
                continue;
            }
            // SAFETY: a non-null `location` was stored from a
            // `&'static Location<'static>` (`begin_raw`).
            let location = unsafe { &*location };
            return Some(Running {
                id,
                location,
                spawned_at,
                polls: (stamp >> 32) as u32,
                started: stamp as u32,
            });
        }
        None
    }
}

/// Where the dumper and the workers meet (rules P1–P4).
pub(crate) struct DumpGate {
    state: StaticMutex<GateState>,
    cond: StaticCondvar,
    /// One dump at a time.
    one_at_a_time: StaticMutex<()>,
}

struct GateState {
    /// Whether a dump is collecting now.
    open: bool,
    /// Bumped by each dump, so a worker waits for the end of its own.
    generation: u64,
    /// Workers that have read their queues into `records` for this dump.
    reported: Vec<bool>,
    records: Vec<Record>,
}

impl DumpGate {
    pub(crate) fn new(workers: usize) -> DumpGate {
        DumpGate {
            state: StaticMutex::new(GateState {
                open: false,
                generation: 0,
                reported: vec![false; workers],
                records: Vec::new(),
            }),
            cond: StaticCondvar::new(),
            one_at_a_time: StaticMutex::new(()),
        }
    }

    /// Rule P2: worker `index` reads its queues with `snapshot` (unless it already
    /// did for this dump) and waits until the dump closes.
    pub(crate) fn pause(&self, index: usize, snapshot: impl FnOnce(&mut Vec<Record>)) {
        let mut state = self.state.lock();
        if !state.open {
            return;
        }
        if !state.reported[index] {
            snapshot(&mut state.records);
            state.reported[index] = true;
            self.cond.notify_all();
        }
        let generation = state.generation;
        while state.open && state.generation == generation {
            self.cond.wait(&mut state);
        }
    }
}

/// Closes the dump when dropped: the paused workers go on.
#[cfg(not(loom))]
struct Close<'a>(&'a Scheduler);

#[cfg(not(loom))]
impl Close<'_> {
    /// Takes what the workers reported into `records` and closes, in one critical
    /// section, so that no report comes in between.
    fn finish(self, records: &mut Vec<Record>) {
        self.close(Some(records));
        std::mem::forget(self);
    }

    fn close(&self, records: Option<&mut Vec<Record>>) {
        let gate = &self.0.dump;
        let mut state = gate.state.lock();
        match records {
            Some(records) => records.append(&mut state.records),
            None => state.records.clear(),
        }
        state.open = false;
        for remote in self.0.remotes.iter() {
            // Relaxed: the workers wait on the condition variable, not on the flag.
            remote.running.requested.store(false, Ordering::Relaxed);
        }
        gate.cond.notify_all();
    }
}

#[cfg(not(loom))]
impl Drop for Close<'_> {
    fn drop(&mut self) {
        self.close(None);
    }
}

// Not under loom: no model takes a dump, and loom's deque model has no single-task
// `steal`.
#[cfg(not(loom))]
impl Scheduler {
    /// `Handle::dump` (module docs).
    pub(crate) fn dump(&self, me: Option<&super::worker::Core>) -> Dump {
        let gate = &self.dump;
        let _one = gate.one_at_a_time.lock();
        let began = Instant::now();
        let n = self.remotes.len();
        let me = me.map(super::worker::Core::index);
        // Rule P1.
        let mut stuck_since: Vec<(Option<Running>, Instant)> = Vec::with_capacity(n);
        {
            let mut state = gate.state.lock();
            state.open = true;
            state.generation = state.generation.wrapping_add(1);
            state.reported.iter_mut().for_each(|r| *r = false);
            state.records.clear();
        }
        // Relaxed: a plain flag; the workers' relaxed loads see it within moments, and
        // the wait below does not depend on when.
        for remote in self.remotes.iter() {
            remote.running.requested.store(true, Ordering::Relaxed);
        }
        // Whatever happens from here (a panic included), the workers go on at the end.
        let close = Close(self);
        for (i, remote) in self.remotes.iter().enumerate() {
            stuck_since.push((remote.running.read(), began));
            if Some(i) != me {
                self.unpark_worker(i);
            }
        }
        // Rule P3: wait for every worker but the stuck ones. The dumper's own worker
        // (a task called `dump`) is in a poll: it counts as stuck at once.
        let mut given_up = vec![false; n];
        let mut running: Vec<Record> = Vec::new();
        loop {
            let mut state = gate.state.lock();
            let now = Instant::now();
            let mut waiting = false;
            for i in 0..n {
                if state.reported[i] || given_up[i] {
                    continue;
                }
                let slot = self.remotes[i].running.read();
                let (seen, since) = &mut stuck_since[i];
                // The same poll: the same task, at the same poll count.
                let same_poll = matches!(
                    (slot, *seen),
                    (Some(a), Some(b)) if (a.id, a.polls, a.started) == (b.id, b.polls, b.started)
                );
                if !same_poll {
                    *seen = slot;
                    *since = now;
                }
                let polling = slot.is_some();
                let stuck = Some(i) == me
                    || (polling && now.saturating_duration_since(*since) >= STUCK_AFTER)
                    || now.saturating_duration_since(began) >= MAX_WAIT
                    || self.is_shutdown();
                if stuck {
                    given_up[i] = true;
                    if let Some(slot) = slot {
                        running.push(Record {
                            id: slot.id,
                            name: None,
                            location: slot.location,
                            state: TaskState::Running,
                            polls: slot.polls,
                            spawned_at: slot.spawned_at,
                            last_poll: slot.started,
                            worker: Some(i),
                            authoritative: true,
                        });
                    }
                } else {
                    waiting = true;
                }
            }
            if !waiting {
                break;
            }
            gate.cond.wait_for(&mut state, Duration::from_micros(500));
        }
        // Rule P3: the queues of the workers that did not pause.
        let mut taken = Vec::new();
        for (i, remote) in self.remotes.iter().enumerate() {
            if !given_up[i] {
                continue;
            }
            if let Some(task) = remote.lifo.steal() {
                taken.push(task);
            }
            loop {
                match remote.stealer.steal() {
                    Steal::Success(task) => taken.push(task),
                    Steal::Empty => break,
                    Steal::Retry => {}
                }
            }
        }
        let mut records: Vec<Record> = taken.iter().map(Record::queued).collect();
        for task in taken {
            self.injector.push(task);
        }
        // Rule P4: the injector and the spilled batches, read and put back.
        let mut injected = Vec::new();
        while let Some(task) = self.pop_injector_one() {
            injected.push(task);
        }
        records.extend(injected.iter().map(Record::queued));
        for task in injected {
            self.injector.push(task);
        }
        // What went back into the injector must not outlive a shutdown that finished
        // meanwhile (its last drain done, every worker gone, none paused): the same
        // check as a push after shutdown (scheduler/mod.rs, `push_after_shutdown`).
        // SeqCst fence: our pushes come before the read of `finished`.
        fence(Ordering::SeqCst);
        self.cancel_if_finished();
        records.extend(self.spilled.with_each(Record::queued));
        // Close: the workers go on.
        close.finish(&mut records);
        let resumed = Instant::now();
        if given_up.iter().any(|&g| g) {
            // Tasks moved to the injector: a sibling should run them.
            self.notify_parked();
        }
        // The registry, with the workers running.
        records.extend(running);
        self.registry.for_each(|header, name| {
            let state = crate::task::dump_state(header);
            records.push(Record::from_header(header, name, state, true));
        });
        let now = self.clock.refresh_now();
        let taken_in = began.elapsed();
        // The first worker paused after `began`: an upper bound on any pause.
        build(
            records,
            now,
            resumed.saturating_duration_since(began),
            taken_in,
        )
    }
}

/// One record per task id, then the public form, most suspicious first.
#[cfg(not(loom))]
fn build(records: Vec<Record>, now: u32, paused: Duration, taken: Duration) -> Dump {
    let mut by_id: HashMap<u64, Record> = HashMap::with_capacity(records.len());
    for record in records {
        match by_id.get_mut(&record.id) {
            None => {
                by_id.insert(record.id, record);
            }
            Some(old) => {
                let name = old.name.take().or_else(|| record.name.clone());
                // A stuck worker's slot knows best that the task is running; else the
                // registry, read last; else the later reading.
                let keep_old = old.worker.is_some() || (old.authoritative && !record.authoritative);
                if !keep_old {
                    *old = record;
                }
                if old.name.is_none() {
                    old.name = name;
                }
            }
        }
    }
    let mut tasks: Vec<TaskDump> = by_id
        .into_values()
        .map(|r| {
            let age = Clock::since(now, r.spawned_at);
            let since_last_poll = if r.polls == 0 {
                age
            } else {
                Clock::since(now, r.last_poll)
            };
            TaskDump {
                id: r.id,
                name: r.name,
                location: r.location,
                state: r.state,
                polls: r.polls,
                age,
                since_last_poll,
                waiting: (r.state == TaskState::Idle).then_some(since_last_poll),
                worker: r.worker,
            }
        })
        .collect();
    tasks.sort_by(|a, b| {
        b.since_last_poll
            .cmp(&a.since_last_poll)
            .then(a.id.cmp(&b.id))
    });
    Dump {
        tasks,
        paused,
        taken,
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::RunningSlot;
    use std::panic::Location;
    use std::sync::Arc;

    #[test]
    fn a_slot_reads_what_was_written() {
        let slot = RunningSlot::new();
        assert!(slot.read().is_none(), "nothing polled yet");
        let here = Location::caller();
        slot.begin_raw(7, here, 100, 3, 250);
        let r = slot.read().unwrap();
        assert_eq!((r.id, r.spawned_at, r.polls, r.started), (7, 100, 3, 250));
        assert_eq!(r.location, here);
        slot.end();
        assert!(slot.read().is_none(), "the poll ended");
    }

    /// A reader never sees a mix of two writes: each field of a reading is a function
    /// of its id.
    #[test]
    fn readings_are_never_torn() {
        let slot = Arc::new(RunningSlot::new());
        let writes: u32 = if cfg!(miri) { 200 } else { 100_000 };
        let writer = {
            let slot = slot.clone();
            std::thread::spawn(move || {
                for id in 1..=writes {
                    slot.begin_raw(u64::from(id), Location::caller(), id * 3, id, id * 5);
                    slot.end();
                }
            })
        };
        while !writer.is_finished() {
            if let Some(r) = slot.read() {
                assert_eq!(
                    (
                        u64::from(r.spawned_at),
                        u64::from(r.polls),
                        u64::from(r.started)
                    ),
                    (r.id * 3, r.id, r.id * 5)
                );
            }
        }
        writer.join().unwrap();
    }
}
