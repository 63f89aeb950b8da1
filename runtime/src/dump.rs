//! Seeing inside a running runtime: [`Handle::dump`](crate::Handle::dump) lists every
//! live task with what it is doing.
//!
//! When a service hangs, the question is *which task is stuck, and where was it
//! spawned*. A dump answers it without a debugger, stable, on the multi-thread
//! scheduler: each task's id, [name](crate::task::Builder::name), spawn location
//! (recorded by every spawn through `#[track_caller]`), state, how often it was
//! polled, its age, how long since its last poll began, and for a waiting task how
//! long it has waited. `Display` prints a table with the likely culprits first: the
//! tasks whose last poll is longest ago (a task stuck inside one poll, a task waiting
//! for a wake-up that never comes, a task queued and never run).
//!
//! ```
//! let rt = runtime::Runtime::new()?;
//! let stuck = runtime::task::Builder::new()
//!     .name("waits for a wake-up that never comes")
//!     .spawn_on(std::future::pending::<()>(), rt.handle())?; // its spawn location
//! let spawn_line = line!() - 1;
//! let dump = rt.handle().dump();
//! let task = dump.tasks().find(|t| t.id() == stuck.id()).expect("every live task is listed");
//! assert_eq!(task.name(), Some("waits for a wake-up that never comes"));
//! assert_eq!(task.location().line(), spawn_line);
//! println!("{dump}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What it costs
//!
//! Taking a dump pauses each worker between two polls for as long as it takes to read
//! the run queues (microseconds; [`Dump::paused`] says how long), then walks the list
//! of waiting tasks while the workers run; it never waits for a task's poll to end (a
//! worker stuck in one poll is reported as such, and its queue is read without it).
//! Keeping what a dump reads costs every poll a few stores to memory the worker owns,
//! and a spawn one pointer for its location. How the dump finds every task once, and
//! the one assumption it makes, is in the scheduler's `dump.rs`.
//!
//! Not listed: `spawn_blocking` closures (they are threads' work, not tasks that can
//! wait), tasks that have finished (even if their output waits in a handle nobody
//! awaited), and a task that is inside `block_in_place` and has never waited (its
//! worker's core has moved to another thread).

use std::fmt;
use std::panic::Location;
use std::time::Duration;

use crate::task::Id;

/// A snapshot of a runtime's live tasks, from [`Handle::dump`](crate::Handle::dump).
///
/// `Display` prints one row per task, sorted by time since the last poll, longest
/// first.
#[derive(Debug)]
pub struct Dump {
    pub(crate) tasks: Vec<TaskDump>,
    pub(crate) paused: Duration,
    pub(crate) taken: Duration,
}

impl Dump {
    /// The tasks, sorted by [`since_last_poll`](TaskDump::since_last_poll), longest
    /// first.
    pub fn tasks(&self) -> std::slice::Iter<'_, TaskDump> {
        self.tasks.iter()
    }

    /// Number of tasks listed.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no task is listed.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// At most how long the workers were held between polls while the dump read the
    /// run queues.
    pub fn paused(&self) -> Duration {
        self.paused
    }

    /// How long taking the dump took, pause and registry walk included.
    pub fn elapsed(&self) -> Duration {
        self.taken
    }
}

/// What a task is doing, as a dump saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskState {
    /// Waiting for a wake-up (its last poll returned `Pending`).
    Idle,
    /// In a run queue: woken, or spawned and not yet polled.
    Scheduled,
    /// Being polled by a worker.
    Running,
    /// Finished: a dump never lists such a task; the variant exists for readings
    /// taken at the moment a task completes.
    Complete,
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            TaskState::Idle => "idle",
            TaskState::Scheduled => "scheduled",
            TaskState::Running => "running",
            TaskState::Complete => "complete",
        })
    }
}

/// One task in a [`Dump`].
#[derive(Debug, Clone)]
pub struct TaskDump {
    pub(crate) id: u64,
    pub(crate) name: Option<String>,
    pub(crate) location: &'static Location<'static>,
    pub(crate) state: TaskState,
    pub(crate) polls: u32,
    pub(crate) age: Duration,
    pub(crate) since_last_poll: Duration,
    pub(crate) waiting: Option<Duration>,
    pub(crate) worker: Option<usize>,
}

impl TaskDump {
    /// The task's id (the same as its [`JoinHandle::id`](crate::JoinHandle::id)).
    pub fn id(&self) -> Id {
        Id::from_u64(self.id)
    }

    /// The name given by [`task::Builder::name`](crate::task::Builder::name).
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Where the task was spawned.
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }

    /// What it was doing.
    pub fn state(&self) -> TaskState {
        self.state
    }

    /// How many times it has been polled (its current poll included).
    pub fn polls(&self) -> u64 {
        u64::from(self.polls)
    }

    /// Time since it was spawned.
    pub fn age(&self) -> Duration {
        self.age
    }

    /// Time since its last poll began (for a running task: how long it has been in
    /// this poll; for a task never polled: its age).
    pub fn since_last_poll(&self) -> Duration {
        self.since_last_poll
    }

    /// For an idle task, how long it has been waiting: measured, like
    /// [`since_last_poll`](Self::since_last_poll), from the start of its last poll
    /// (a poll is short next to a wait worth looking at, and the runtime keeps one
    /// time per poll, not two, to keep polls cheap).
    pub fn waiting(&self) -> Option<Duration> {
        self.waiting
    }

    /// For a running task seen inside a long poll, the worker polling it.
    pub fn worker(&self) -> Option<usize> {
        self.worker
    }
}

/// A duration in the unit that keeps it short: `12µs`, `3.4ms`, `5.02s`, `2m05s`.
struct Short(Duration);

impl fmt::Display for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        let text = if d < Duration::from_millis(1) {
            format!("{}µs", d.as_micros())
        } else if d < Duration::from_secs(1) {
            format!("{:.1}ms", d.as_secs_f64() * 1e3)
        } else if d < Duration::from_secs(60) {
            format!("{:.2}s", d.as_secs_f64())
        } else {
            let s = d.as_secs();
            format!("{}m{:02}s", s / 60, s % 60)
        };
        f.pad(&text)
    }
}

impl fmt::Display for Dump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} live tasks (dump took {}, workers held {})",
            self.tasks.len(),
            Short(self.taken),
            Short(self.paused)
        )?;
        writeln!(
            f,
            "{:>8}  {:<11}  {:>7}  {:>8}  {:>10}  {:>8}  {:<20}  SPAWNED AT",
            "ID", "STATE", "POLLS", "AGE", "SINCE POLL", "WAITING", "NAME"
        )?;
        for t in &self.tasks {
            let waiting = t.waiting.map(|w| Short(w).to_string());
            let state = match t.worker {
                Some(w) => format!("{}@w{w}", t.state),
                None => t.state.to_string(),
            };
            writeln!(
                f,
                "{:>8}  {:<11}  {:>7}  {:>8}  {:>10}  {:>8}  {:<20}  {}",
                t.id,
                state,
                t.polls,
                Short(t.age),
                Short(t.since_last_poll),
                waiting.as_deref().unwrap_or("-"),
                t.name.as_deref().unwrap_or("-"),
                t.location
            )?;
        }
        Ok(())
    }
}
