//! loom models of the runtime's concurrent core.
//!
//! The models live in `tests/`, one file per area; each drives the runtime's real
//! internals through `runtime::__loom` (compiled only under `cfg(loom)`) and states the
//! property it checks as assertions. Run them with
//!
//! ```text
//! RUSTFLAGS="--cfg loom" LOOM_MAX_BRANCHES=10000 \
//!     CARGO_TARGET_DIR=target/loom cargo test -p loom-tests --release
//! ```
//!
//! (`.ci/loom.sh` does exactly that.) Every task future is wrapped in a [`Probe`]d
//! future that holds a `loom::sync::Arc`, so loom's leak check at the end of each
//! execution proves that every task allocation, and with it its future or output, was
//! freed. The probe's counters are std atomics on purpose: they are bookkeeping for the
//! assertions, not part of any protocol, and loom would otherwise explore their
//! interleavings too (loom runs all model threads on one OS thread, so they are exact).
//!
//! # Proving the models can fail
//!
//! Each protocol has a bug planted in the runtime behind `cfg(loom_broken = "<name>")`,
//! a one-line alternative at the site, compiled only when asked for:
//!
//! | plant | site | the bug | caught by |
//! |---|---|---|---|
//! | `complete_order` | `task/state.rs`, `transition_to_complete` | `Relaxed` instead of `AcqRel`: the output is not published to the joiner that sees `COMPLETE` | `task::join_waker_replaced_vs_complete` (causality violation on the stage) |
//! | `fast_complete` | `task/state.rs`, `transition_to_complete_and_release` | the fast completion path clears a registered join waker without waking it | `task::join_waker_vs_complete` (deadlock) |
//! | `r3_store` | `task/state.rs`, `transition_to_running` | the rule-R3 plain store taken while a second reference is alive, erasing its holder's CAS | `task::join_handle_drop_vs_complete` |
//! | `park_rescan` | `scheduler/worker.rs`, `park` | no rescan after announcing the park | `scheduler::spawn_vs_park_two_workers` (deadlock; needs preemption bound 2) |
//! | `pool_wake` | `pool/wait.rs`, `after_release` | no `SeqCst` fence between the unlock and the read of `waiting` | `pool::a_release_racing_a_registration_wakes_the_waiter` (deadlock) |
//! | `credits` | `scheduler/runtime_ref.rs`, `Credits::give_back` | a freed task's reference is neither kept as a credit nor given back | `scheduler::task_refs_outlive_the_runtime` |
//! | `lifo_take` | `scheduler/lifo.rs`, `LifoSlot::take` | the owner claims the task with a load and a store, not a swap, so a thief may take it too | `lifo::owner_take_vs_steal` (the task state word's debug assertion) |
//! | `driver_wake` | `scheduler/park.rs`, `Parker::unpark_with` | an unpark that finds `PARKED_DRIVER` signals the condition variable, not the reactor's waker: a worker blocked in the reactor sleeps through it | `io::spawn_vs_driver_park` (deadlock) |
//! | `driver_park` | `scheduler/park.rs`, `Parker::park_in_driver` | `PARKED_DRIVER` announced with a swap, not a CAS from `EMPTY`: the token of an unpark that raced the decision to drive is lost | `io::spawn_vs_driver_park` (deadlock) |
//! | `io_clear_tick` | `io/scheduled_io.rs`, `ScheduledIo::clear_readiness` | the clear ignores the tick: an event between a waiter's read and its `WouldBlock` clear is erased | `io::clear_vs_new_event` (deadlock) |
//!
//! `.ci/loom.sh --broken` (run by CI) rebuilds the runtime once per plant, runs the
//! model that must catch it, and fails unless every plant is caught. The ordinary run
//! never sets `loom_broken`.
#![cfg(loom)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll, Waker};

/// Bookkeeping shared by a test future, its output and the model's threads.
#[derive(Debug, Default)]
pub struct ProbeState {
    /// Polls of the future so far.
    pub polls: AtomicUsize,
    /// Set while a poll runs: two polls at once would be a violation of rule R1.
    in_poll: AtomicBool,
    /// How many times the future was dropped (polled to completion or cancelled).
    pub future_drops: AtomicUsize,
    /// How many times the output was dropped.
    pub output_drops: AtomicUsize,
    /// Set by a model thread just before it wakes the task; cleared when a poll starts.
    /// Still set at the end means a wake no poll has answered yet.
    pub woken: AtomicBool,
    /// The waker of the last `Pending` poll.
    waker: std::sync::Mutex<Option<Waker>>,
}

/// A handle on a [`ProbeState`], held in a loom `Arc` so loom reports it if leaked.
#[derive(Debug, Clone, Default)]
pub struct Probe(loom::sync::Arc<ProbeState>);

impl std::ops::Deref for Probe {
    type Target = ProbeState;
    fn deref(&self) -> &ProbeState {
        &self.0
    }
}

impl Probe {
    /// A fresh probe.
    pub fn new() -> Probe {
        Probe::default()
    }

    /// A future that returns `Pending` for its first `pending_polls` polls (storing the
    /// waker each time), then `Ready(Output)`.
    pub fn future(&self, pending_polls: usize) -> Script {
        Script {
            probe: self.clone(),
            pending_polls,
        }
    }

    /// A clone of the waker of the last `Pending` poll.
    ///
    /// # Panics
    ///
    /// If the future never returned `Pending`.
    pub fn waker(&self) -> Waker {
        // Take it out and put it back, so no loom operation (the clone's reference
        // count) runs while the std lock is held: a loom thread switch there would
        // block the one OS thread that runs every model thread.
        let w = self
            .waker
            .lock()
            .unwrap()
            .take()
            .expect("the future stored a waker");
        let clone = w.clone();
        let old = self.waker.lock().unwrap().replace(w);
        debug_assert!(old.is_none());
        clone
    }

    /// Marks a wake (for [`ProbeState::woken`]) and wakes through `waker`, by value.
    pub fn wake(&self, waker: Waker) {
        self.woken.store(true, SeqCst);
        waker.wake();
    }

    /// Marks a wake and wakes through `waker`, by reference.
    pub fn wake_by_ref(&self, waker: &Waker) {
        self.woken.store(true, SeqCst);
        waker.wake_by_ref();
    }

    /// Polls so far.
    pub fn polls(&self) -> usize {
        self.polls.load(SeqCst)
    }

    /// Drops of the future so far.
    pub fn future_drops(&self) -> usize {
        self.future_drops.load(SeqCst)
    }

    /// Drops of the output so far.
    pub fn output_drops(&self) -> usize {
        self.output_drops.load(SeqCst)
    }

    /// Drops the stored waker (its task reference), if any.
    pub fn clear_waker(&self) {
        let w = self.waker.lock().unwrap().take();
        drop(w);
    }
}

/// The test future of [`Probe::future`].
#[derive(Debug)]
pub struct Script {
    probe: Probe,
    pending_polls: usize,
}

/// The output of a [`Script`]: counts its drops.
#[derive(Debug)]
pub struct Output(Probe);

impl Output {
    /// The polls the future took.
    pub fn polls(&self) -> usize {
        self.0.polls()
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        self.0.output_drops.fetch_add(1, SeqCst);
    }
}

impl Future for Script {
    type Output = Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Output> {
        let probe = &self.probe;
        assert!(
            !probe.in_poll.swap(true, SeqCst),
            "R1: two polls of one task at once"
        );
        probe.woken.store(false, SeqCst);
        let n = probe.polls.fetch_add(1, SeqCst);
        assert_eq!(probe.future_drops(), 0, "polled after it was dropped");
        let res = if n < self.pending_polls {
            let w = cx.waker().clone();
            let old = probe.waker.lock().unwrap().replace(w);
            drop(old);
            Poll::Pending
        } else {
            Poll::Ready(Output(probe.clone()))
        };
        probe.in_poll.store(false, SeqCst);
        res
    }
}

impl Drop for Script {
    fn drop(&mut self) {
        let prev = self.probe.future_drops.fetch_add(1, SeqCst);
        assert_eq!(prev, 0, "the future is dropped exactly once");
        // The stored waker (a task reference) must not keep the task alive.
        self.probe.clear_waker();
    }
}

/// Runs `future` to completion on the current loom thread, parking it between polls.
///
/// The waker unparks this thread and holds a `loom::sync::Arc`, so a join waker the
/// runtime never drops is reported as a leak. A wake-up the runtime loses leaves the
/// thread parked forever, which loom reports as a deadlock.
pub fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark {
        thread: loom::thread::Thread,
        _leak_check: loom::sync::Arc<()>,
    }
    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.thread.unpark();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.thread.unpark();
        }
    }
    let waker = Waker::from(std::sync::Arc::new(Unpark {
        thread: loom::thread::current(),
        _leak_check: loom::sync::Arc::new(()),
    }));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        loom::thread::park();
    }
}

/// Runs `f` under loom with the model's own preemption bound `preemptions` (the
/// models state theirs: 3 for the small task models, 2 or 1 for the worker-loop ones)
/// and the branch bound from `LOOM_MAX_BRANCHES`. `LOOM_MAX_PREEMPTIONS` does not
/// override it.
///
/// # Panics
///
/// If loom explored fewer than `min_executions` executions. Each model states about a
/// quarter of what it explores today: a model whose threads serialise by accident (a
/// join moved before a spawn, a lock held across the race) explores a handful and
/// proves nothing, and this turns that into a failure.
pub fn model(preemptions: usize, min_executions: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(preemptions);
    let executions = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = executions.clone();
    builder.check(move || {
        counter.fetch_add(1, SeqCst);
        f();
    });
    let explored = executions.load(SeqCst);
    // Shown with `--nocapture`: how much of the state space the bounds let loom explore.
    eprintln!("loom explored {explored} executions (at least {min_executions} expected)");
    assert!(
        explored >= min_executions,
        "loom explored only {explored} executions, fewer than the {min_executions} this \
         model is known to need: do its threads still race?"
    );
}
