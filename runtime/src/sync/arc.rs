//! Reference counting: `Arc` is loom's under `cfg(loom)`; `StdArc` and `Weak` are
//! std's in both halves.
//!
//! loom's `Arc` brings loom's leak check to the scheduler's shared state: a task left
//! behind in a queue at the end of a model keeps `Scheduler` alive and is reported. The
//! models also wrap every task future in a tracker holding a `loom::sync::Arc`, so the
//! leak check proves every task allocation (and its future or output) is freed.
//!
//! loom's `Arc` can be neither a method receiver (`self: &Arc<Self>`) nor coerced to
//! `Arc<dyn Fn()>`, so `Scheduler`'s spawn paths are associated functions
//! (`Scheduler::spawn(&shared, future, worker)`) and what needs the real thing names `StdArc`: the
//! builder's callbacks, `futures-task` wakers, the lending pool's `self: &Arc<Self>`
//! receivers (its public API), and `JoinSet` entries (with std's `Weak`).

#[cfg(not(loom))]
pub(crate) use std::sync::Arc;

#[cfg(loom)]
pub(crate) use loom::sync::Arc;

pub(crate) use std::sync::Arc as StdArc;
pub(crate) use std::sync::Weak;
