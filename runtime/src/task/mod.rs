//! Tasks: hot, like a C# `Task`.
//!
//! A Rust future is *cold*: it is a recipe that does nothing until something polls it.
//! A C# `Task` (or JavaScript `Promise`) is *hot*: it is already running when you get
//! it, and awaiting it only waits for the result. [`spawn`](crate::spawn) turns a cold
//! future into a hot task: it is queued on the runtime before `spawn` returns and runs
//! to completion whether or not its [`JoinHandle`] is awaited. Dropping the handle
//! detaches the task; [`JoinHandle::abort`] cancels it.
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use std::sync::Arc;
//!
//! let rt = runtime::Runtime::new()?;
//! let polls = Arc::new(AtomicUsize::new(0));
//!
//! // Cold: making the future runs none of it.
//! let p = polls.clone();
//! let cold = async move { p.fetch_add(1, Ordering::SeqCst) };
//! assert_eq!(polls.load(Ordering::SeqCst), 0);
//!
//! // Hot: the task runs although nobody awaits its handle.
//! let handle = rt.spawn(cold);
//! drop(handle); // detaches; does not cancel
//! # let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
//! while polls.load(Ordering::SeqCst) == 0 {
//! #   assert!(std::time::Instant::now() < deadline);
//!     std::thread::yield_now();
//! }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # Inside a task
//!
//! One heap allocation holds each task (`raw.rs`): a `Header` with the
//! state word, the vtable, the id and the registry links; the scheduler handle; the
//! *stage* (the future, then its output); and the join waker. The allocation is a
//! block of a size class that workers recycle for their next spawns (`alloc.rs`), so
//! a task freed on one worker does not cost a contended `free` into another's arena.
//!
//! ## References
//!
//! The allocation is freed when the reference count in the state word reaches zero.
//! References are held by:
//!
//! - the `JoinHandle` (one, until it is dropped);
//! - each `AbortHandle` and each `Waker` (one each);
//! - a `Notified` (one): the entry in a run queue; it exists exactly while `NOTIFIED` is
//!   set and the task is not running;
//! - the runner: the `Notified` that a worker dequeues becomes the runner's reference
//!   while it holds `RUNNING`;
//! - the registry's `Task` (one, from the first time the task waits; rule L2): the
//!   runtime's list of waiting tasks, so shutdown reaches tasks that sit in no queue.
//!   It is released when the task completes.
//!
//! At spawn the count is 2: `JoinHandle` and the first `Notified`.
//!
//! ## The state word
//!
//! ```text
//! | 63 … 6    | 5          | 4             | 3         | 2        | 1        | 0       |
//! | ref count | JOIN_WAKER | JOIN_INTEREST | CANCELLED | NOTIFIED | COMPLETE | RUNNING |
//! ```
//!
//! - `RUNNING`: a thread is polling (or cancelling) the task. Set by the holder of a
//!   `Notified` (or by shutdown, for an idle task); cleared when the poll returns
//!   `Pending` or when the task completes. Never set with `COMPLETE`.
//! - `COMPLETE`: the output is stored and the future is gone. Set once; never cleared.
//! - `NOTIFIED`: a wake-up is pending. Set by a wake; cleared by the runner when it
//!   starts the poll. While set, further wakes do nothing: a task is queued at most once.
//! - `CANCELLED`: `abort()` or shutdown. Set once; never cleared. Whoever next holds
//!   `RUNNING` drops the future instead of polling it.
//! - `JOIN_INTEREST`: the `JoinHandle` is alive. Cleared once, when it is dropped.
//! - `JOIN_WAKER`: the join waker field holds a waker the completer may read.
//!
//! The initial value is `2 refs | JOIN_INTEREST | NOTIFIED`.
//!
//! ## Rules
//!
//! - **R1.** Only the holder of `RUNNING` polls the future; `RUNNING` is taken only by
//!   consuming a `Notified` (`transition_to_running`) or by shutdown on an idle task.
//!   So the future is never polled by two threads at once.
//! - **R2.** A wake while `RUNNING` only sets `NOTIFIED`. When the poll returns
//!   `Pending`, the runner sees `NOTIFIED` in the same CAS that clears `RUNNING`, and
//!   turns its own reference into the new `Notified` (queued at the back: a yield). A
//!   wake is never lost and never polls the task twice at once.
//! - **R3.** A thread whose references are *all* the references (the count equals
//!   what it holds, and it read that count with `Acquire`) is alone with the task: only
//!   a holder can create, release or hand out a reference, so no other thread can read
//!   or write the state word until this one hands a reference out. It may then change
//!   the word with a plain store instead of a CAS, or free the task without writing it
//!   at all. Two transitions use this: a runner whose `Notified` is the only reference
//!   (a detached task nobody else can wake) takes `RUNNING` with a load and a store,
//!   and a completer holding every reference, with no `JoinHandle` left, frees the task
//!   without setting `COMPLETE`. The `Acquire` load reads the last release of every
//!   other reference, so what their holders did to the task happens before.
//! - **O1.** While the task is not `COMPLETE`, only the `RUNNING` holder touches the
//!   stage.
//! - **O2.** The completer stores the output *before* setting `COMPLETE` (AcqRel). If
//!   `JOIN_INTEREST` was set at that moment, the output belongs to the `JoinHandle`,
//!   which takes it, or drops it when the handle is dropped; otherwise the completer
//!   drops it at once. Clearing `JOIN_INTEREST` and setting `COMPLETE` are CASes on
//!   the same word, so exactly one side drops the output. Two shortcuts keep this
//!   rule: a completer that sees `JOIN_INTEREST` already clear drops the output
//!   without storing it (the bit never comes back); and when nothing is left to do
//!   after completion (no join waker, no stored output without a reader) the completer
//!   sets `COMPLETE` and releases its references in one CAS. A handle being dropped
//!   drops a completed task's output *before* the CAS that clears `JOIN_INTEREST` and
//!   releases its reference; that CAS fails if the task completed since the handle
//!   looked, and the handle goes round again.
//! - **J1.** While `JOIN_WAKER` is clear and the task is not complete, the waker field
//!   belongs to the `JoinHandle`: it writes its waker, then sets `JOIN_WAKER` with a
//!   CAS that fails if `COMPLETE` was set meanwhile (then it reads the output).
//! - **J2.** While `JOIN_WAKER` is set, nobody writes the field. To change the waker,
//!   the handle first clears `JOIN_WAKER` (a CAS that fails once `COMPLETE` is set).
//! - **J3.** A completer that saw `JOIN_INTEREST | JOIN_WAKER` when it set `COMPLETE`
//!   wakes the waker, then clears `JOIN_WAKER`. If `JOIN_INTEREST` was gone by then, the
//!   handle has left the waker to it and it drops the waker.
//! - **J4.** A `JoinHandle` dropped before completion clears `JOIN_WAKER` together with
//!   `JOIN_INTEREST` and drops the waker itself; one dropped after completion drops the
//!   waker only if `JOIN_WAKER` is already clear. Otherwise the completer owns it: it
//!   drops it in J3 if the interest is gone by then, or it goes with the cell.
//! - **L1.** A task's registry links are only touched under the lock of the registry
//!   shard chosen by its id.
//! - **L2.** A task enters the registry the first time its poll returns `Pending`
//!   without a wake-up pending, i.e. when it is about to wait where only a waker can
//!   reach it; the runner registers it *before* giving up `RUNNING`, and if the
//!   registry is closed (shutdown) cancels it at once. A task that completes on its
//!   first poll, or only ever yields, never touches the registry's lock. At shutdown
//!   every unfinished task is therefore reachable: in the registry (waiting), in a run
//!   queue (shutdown cancels each discarded `Notified` in place), or running (its
//!   runner registers it after the poll, finds the registry closed, and cancels it).
//!   The `registered` flag in the header belongs to the `RUNNING` holder.
//!
//! # Many tasks, shared results
//!
//! - [`JoinSet`] (`join_set.rs`): results in completion order; each task's join waker
//!   is an entry that moves itself to the set's ready list (rules E1–E3 there).
//! - [`join_all`] (`join_all.rs`): every result, in input order.
//! - [`Shared`] (`shared.rs`, from [`JoinHandle::shared`]): one run, awaited by any
//!   number of clones (rules S1–S4 there).

mod abort;
mod abort_on_drop;
pub(crate) mod alloc;
mod builder;
pub(crate) mod coop;
pub(crate) mod error;
mod harness;
mod id;
mod join;
mod join_all;
mod join_set;
pub(crate) mod raw;
mod registry;
mod shared;
mod state;
mod task_local;
pub(crate) mod trace;
pub(crate) mod waker;
mod yield_now;

use std::ptr::NonNull;

pub use self::abort::AbortHandle;
pub use self::abort_on_drop::AbortOnDropHandle;
pub use self::builder::Builder;
pub use self::coop::{consume_budget, unconstrained, Unconstrained};
pub use self::error::JoinError;
pub use self::id::Id;
pub use self::join::JoinHandle;
pub use self::join_all::{join_all, JoinAll};
pub use self::join_set::JoinSet;
pub(crate) use self::raw::new_task;
pub(crate) use self::registry::Registry;
pub use self::shared::Shared;
pub use self::task_local::{AccessError, LocalKey, TaskLocalFuture};
pub use self::yield_now::yield_now;
/// Lives with the blocking pool (`blocking.rs`): it lends the worker's core.
pub use crate::blocking::block_in_place;

use self::raw::Header;

pub(crate) type Result<T> = std::result::Result<T, JoinError>;

/// Why a task is being put in a run queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    /// A new task (a spawn).
    Spawned,
    /// Woken by a waker (or an abort): it runs next where it was woken.
    Woken,
    /// It woke itself during its own poll: it goes behind the tasks that are already
    /// ready (rule R2).
    Yielded,
}

/// Where a task goes when it is woken, who keeps the registry, and how its cell is
/// freed.
pub(crate) trait Schedule: Send + Sync + 'static {
    /// Puts a woken task in a run queue (`Woken` or `Yielded`).
    fn schedule(&self, task: Notified, reason: Reason);

    /// The task is about to wait for the first time (rule L2): list it in the
    /// registry, which takes the reference. Fails, handing it back, once the registry is
    /// closed; the caller then cancels the task.
    fn register(&self, task: Task) -> std::result::Result<(), Task>;

    /// A registered task completed: take it out of the registry, returning the
    /// registry's reference (or `None` when shutdown already took it).
    fn release(&self, task: TaskRef) -> Option<Task>;

    /// The task's poll panicked (the runtime's `UnhandledPanic` policy decides what
    /// else happens; `payload` still goes to the `JoinHandle`).
    fn panicked(&self, _payload: &(dyn std::any::Any + Send)) {}

    /// The task's cell is being freed: everything in it but this handle is dropped
    /// already. Calls `free_block` once, with this thread's block cache if the
    /// scheduler keeps one (alloc.rs), and gives this handle up; a scheduler that
    /// needs to know which thread it is on for both looks once.
    fn release_cell(self, free_block: impl FnOnce(Option<alloc::BlockCache<'_>>))
    where
        Self: Sized,
    {
        free_block(None);
        drop(self);
    }
}

/// A queued task: owns the `Notified` reference.
pub(crate) struct Notified {
    raw: NonNull<Header>,
}

// SAFETY: tasks are `Send` (their future and output are), and a `Notified` only runs,
// schedules or releases the task, all of which are thread-safe through the state word.
unsafe impl Send for Notified {}

impl Notified {
    pub(super) fn from_raw(raw: NonNull<Header>) -> Notified {
        Notified { raw }
    }

    /// Gives up ownership of this reference as a raw pointer, for a slot that holds
    /// it (scheduler/lifo.rs); `from_raw_owned` takes it back.
    pub(crate) fn into_raw(self) -> NonNull<()> {
        let raw = self.raw;
        std::mem::forget(self);
        raw.cast()
    }

    /// # Safety
    ///
    /// `ptr` came from `into_raw`, and this is the only `from_raw_owned` for it.
    pub(crate) unsafe fn from_raw_owned(ptr: NonNull<()>) -> Notified {
        Notified { raw: ptr.cast() }
    }

    pub(crate) fn header(&self) -> &Header {
        // SAFETY: we own a reference, so the task is alive.
        unsafe { self.raw.as_ref() }
    }

    /// What a dump reads of the task (trace.rs).
    pub(crate) fn trace(&self) -> &trace::Trace {
        &self.header().trace
    }

    pub(crate) fn id(&self) -> Id {
        self.header().id
    }

    pub(crate) fn spawned_at(&self) -> u32 {
        self.header().spawned_at
    }

    /// Lists a task that was just created, and is not queued yet, in `registry` (a
    /// named task: the scheduler's `bind`). Rule L2 lets only the `RUNNING` holder
    /// touch `registered`; a task nobody else has seen yet is as exclusively ours. If
    /// the registry is closed (shutdown) it stays unlisted, like a task spawned then
    /// always is, and its queue's drain cancels it.
    pub(crate) fn register_new(&self, registry: &Registry, name: Box<str>) {
        let header = self.header();
        debug_assert!(header.named);
        header.state.ref_inc();
        // SAFETY: the task is new and unpublished (above): nobody else reads the flag.
        header.registered.with_mut(|r| unsafe { *r = true });
        if let Err(task) = registry.insert_named(Task::from_raw(self.raw), name) {
            // SAFETY: as above.
            header.registered.with_mut(|r| unsafe { *r = false });
            drop(task);
        }
    }

    /// Polls (or cancels) the task, consuming this reference.
    pub(crate) fn run(self) {
        let raw = self.raw;
        std::mem::forget(self);
        // SAFETY: we own a `Notified` reference, which `poll` consumes.
        unsafe { (raw.as_ref().vtable.poll)(raw) };
    }

    /// Marks a task that has never run cancelled, so that whoever dequeues this
    /// `Notified` drops its future instead of polling it (`NOTIFIED` is set, so this
    /// queues nothing: it only sets `CANCELLED`).
    pub(crate) fn cancel(&self) {
        // SAFETY: we own a reference.
        let header = unsafe { self.raw.as_ref() };
        let _ = header.state.transition_to_notified_and_cancel();
    }

    /// Discards a queued task: cancels it in place unless it is running (its runner
    /// then cancels it), consuming this reference. Dropping a `Notified` does the same:
    /// a task that is queued is reachable only through its `Notified` (rule L2), so
    /// one that is thrown away (a queue drained at shutdown, a push after shutdown)
    /// must not be left half-alive.
    pub(crate) fn shutdown(self) {
        drop(self);
    }
}

impl Drop for Notified {
    fn drop(&mut self) {
        // SAFETY: we own a reference, which `shutdown` consumes.
        unsafe { (self.raw.as_ref().vtable.shutdown)(self.raw) };
    }
}

/// The registry's reference to a live task.
pub(crate) struct Task {
    raw: NonNull<Header>,
}

// SAFETY: as for `Notified`.
unsafe impl Send for Task {}

impl Task {
    pub(super) fn from_raw(raw: NonNull<Header>) -> Task {
        Task { raw }
    }

    /// Cancels the task in place if nobody is running it (the runner cancels it after
    /// its poll otherwise), consuming this reference.
    pub(crate) fn shutdown(self) {
        let raw = self.raw;
        std::mem::forget(self);
        // SAFETY: we own the registry's reference, which `shutdown` consumes.
        unsafe { (raw.as_ref().vtable.shutdown)(raw) };
    }
}

impl Drop for Task {
    fn drop(&mut self) {
        release_ref(self.raw);
    }
}

/// What state a task is in, read from its state word (a dump's snapshot: it may
/// change the moment after).
pub(crate) fn dump_state(header: &Header) -> crate::dump::TaskState {
    use crate::dump::TaskState;
    let state = header.state.load();
    if state.is_complete() {
        TaskState::Complete
    } else if state.is_running() {
        TaskState::Running
    } else if state.is_notified() {
        TaskState::Scheduled
    } else {
        TaskState::Idle
    }
}

/// A borrowed pointer to a task whose reference the caller holds.
#[derive(Copy, Clone)]
pub(crate) struct TaskRef(NonNull<Header>);

fn release_ref(raw: NonNull<Header>) {
    // SAFETY: the caller owns a reference, released here.
    let header = unsafe { raw.as_ref() };
    let vtable = header.vtable;
    if header.state.ref_dec() {
        // SAFETY: that was the last reference.
        unsafe { (vtable.dealloc)(raw) };
    }
}

/// Futures larger than this many bytes are moved to the heap by the spawn function
/// that receives them, before anything else moves them: spawning never copies a
/// future of unbounded size through the stack (a 1 MiB future spawned from a task
/// would otherwise be copied several times on the way into its task cell, and
/// overflow the worker's 2 MiB stack). An unoptimised build copies a value at every
/// call layer, so it switches earlier; an optimised one inlines most of them.
pub(crate) const BOX_FUTURE_THRESHOLD: usize = if cfg!(debug_assertions) {
    2 * 1024
} else {
    16 * 1024
};

/// Evaluates `$spawn` with the variable `$future` boxed first (shadowed by
/// `Pin<Box<_>>`) if its type is larger than [`BOX_FUTURE_THRESHOLD`]. A macro, not a
/// function: passing the future to a helper would be one more copy of it on the
/// stack, and the two branches need two instantiations of the generic spawn.
macro_rules! spawn_maybe_boxed {
    ($future:ident, $spawn:expr) => {
        if ::std::mem::size_of_val(&$future) > $crate::task::BOX_FUTURE_THRESHOLD {
            let $future = ::std::boxed::Box::pin($future);
            $spawn
        } else {
            $spawn
        }
    };
}
pub(crate) use spawn_maybe_boxed;

/// The id of the task being polled on this thread.
///
/// # Panics
///
/// Panics when called outside a task; see [`try_id`].
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// let handle = rt.spawn(async { runtime::task::id() });
/// let id = handle.id();
/// assert_eq!(rt.block_on(handle)?, id);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn id() -> Id {
    try_id().expect("runtime::task::id() called outside a task; use task::try_id() to check")
}

/// The id of the task being polled on this thread, or `None` outside a task.
///
/// # Examples
///
/// ```
/// assert_eq!(runtime::task::try_id(), None);
/// let rt = runtime::Runtime::new()?;
/// let task = rt.spawn(async { runtime::task::try_id() });
/// let id = task.id();
/// assert_eq!(rt.block_on(task)?, Some(id));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn try_id() -> Option<Id> {
    crate::context::current_task_id()
}
