//! Atomics and fences: std's, or loom's under `cfg(loom)`, so loom explores every
//! ordering the runtime's protocols rely on.
//!
//! `StaticAtomicU64` is std's `AtomicU64` in both halves, for a `static` that is no
//! protocol under test (the task-id counter, the sleeps' sequence numbers): loom's
//! types cannot be `static`s (their constructors are not `const`, and a loom object
//! cannot outlive one execution).

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
