//! Atomics and fences: std's, or loom's under `cfg(loom)`, so loom explores every
//! ordering the runtime's protocols rely on.
//!
//! Two names are std's `AtomicU64` in both halves, for state that is no protocol under
//! test:
//!
//! - `StaticAtomicU64`, for a `static` (the task-id counter, the sleeps' sequence
//!   numbers): loom's types cannot be `static`s (their constructors are not `const`,
//!   and a loom object cannot outlive one execution).
//! - `StdAtomicU64`, for a field that only code compiled out under loom touches (the
//!   task block depot's trim deadline, task/alloc.rs: a rate limit on the clock,
//!   which loom's executions must not depend on).

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering,
};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering,
};

/// An `AtomicU64` that can be a `static` in every configuration (never modeled).
pub(crate) use std::sync::atomic::AtomicU64 as StaticAtomicU64;

/// An `AtomicU64` that is std's in every configuration, for state no model touches.
pub(crate) use std::sync::atomic::AtomicU64 as StdAtomicU64;
