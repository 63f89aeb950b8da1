//! A multi-threaded, work-stealing async runtime with hot tasks.
//!
//! - **Per-core workers.** Each worker thread owns a local queue; idle workers steal
//!   half of a busy sibling's queue; spawns from outside go through a global injector.
//!   Idle workers sleep, and are woken without lost wake-ups (the protocol is
//!   model-checked with loom).
//! - **Hot tasks.** A Rust future is cold: it does nothing until polled. A task
//!   [`spawn`]ed here is hot, like a C# `Task`: it is scheduled before `spawn` returns
//!   and runs to completion whether or not its [`JoinHandle`] is awaited. Dropping the
//!   handle detaches; [`JoinHandle::abort`] cancels.
//! - **I/O of its own** ([`net`], [`io`]): TCP, UDP and Unix sockets on a reactor
//!   (epoll) that the workers poll themselves; there is no reactor thread.
//! - **Signals** ([`signal`]): `ctrl_c()` and Unix signals as streams of deliveries,
//!   woken through that reactor.
//! - **The lending pool** ([`pool`]): a thread-safe `Vec<RefCell<T>>` that answers
//!   "checked out" instead of panicking.
//!
//! # Cargo features
//!
//! Both off by default, so a program that needs neither builds neither dependency.
//!
//! - **`hyper`**: hyper 1.x's runtime traits. [`Handle`] is a `hyper::rt::Executor`
//!   (spawns; the handle is dropped), `runtime::time::Timer` a `hyper::rt::Timer` on
//!   the runtime's [`Sleep`](time::Sleep) (its `reset` re-arms the sleep in place), and
//!   [`TcpStream`](net::TcpStream), [`UnixStream`](net::UnixStream) and their owned
//!   halves implement `hyper::rt::Read` / `hyper::rt::Write`. A hyper server or client
//!   (and hyper-util's auto builder, axum through it) needs no adapter crate; see the
//!   `http_server`, `http_client` and `axum` examples.
//! - **`tokio-io`**: the same socket types implement tokio's `AsyncRead` and
//!   `AsyncWrite` (tokio with no runtime feature), for crates written against tokio's
//!   I/O traits: tokio-util codecs, hyper-util's `TokioIo`, tokio-rustls.
//!
//! Always there: [`Handle`] implements `futures_task::Spawn` (spawns detached; after
//! shutdown `spawn_obj` fails with `SpawnError::shutdown()`).
//!
//! # A first program
//!
//! Start a runtime, spawn tasks onto it, and wait for them from the main thread:
//!
//! ```
//! use runtime::Runtime;
//!
//! let rt = Runtime::new()?;
//!
//! // Spawn ten tasks; each starts running at once, on some worker.
//! let handles: Vec<_> = (0..10u64).map(|i| rt.spawn(async move { i * i })).collect();
//!
//! // Await them all from the main thread.
//! let sum = rt.block_on(async {
//!     let mut sum = 0;
//!     for h in handles {
//!         sum += h.await.expect("the task neither panicked nor was aborted");
//!     }
//!     sum
//! });
//! assert_eq!(sum, 285);
//! # Ok::<(), std::io::Error>(())
//! ```

#![deny(unsafe_op_in_unsafe_fn)]
#![doc(test(attr(deny(warnings))))]
#![warn(
    missing_docs,
    missing_debug_implementations,
    clippy::undocumented_unsafe_blocks
)]

mod block_on;
mod blocking;
mod builder;
mod compat;
mod context;
pub mod dump;
mod handle;
pub mod io;
#[cfg(loom)]
mod loom_support;
pub mod metrics;
#[cfg(not(loom))]
pub mod net;
pub mod pool;
mod runtime;
mod scheduler;
mod scope;
#[cfg(not(loom))]
pub mod signal;
mod sync;
pub mod task;
pub mod time;

pub use crate::block_on::block_on;
pub use crate::blocking::spawn_blocking;
pub use crate::builder::{Builder, UnhandledPanic};
pub use crate::dump::Dump;
pub use crate::handle::{spawn, spawn_immediate, Handle, TryCurrentError};
pub use crate::metrics::Metrics;
pub use crate::runtime::Runtime;
pub use crate::scope::{scope, Scope, ScopedJoinHandle};
pub use crate::task::{yield_now, JoinError, JoinHandle};

// `#[runtime::main]` and `#[runtime::test]` (issue 3). No doc comment here: rustdoc
// would prepend it to the macros' own docs, which it shows inline.
#[doc(inline)]
pub use runtime_macros::{main, test};

/// Not public API: what `#[runtime::main]` and `#[runtime::test]` expand to, as
/// `::runtime::__private::…` (or `{crate = "…"}::__private::…`), so the expansion
/// needs nothing imported. Only `Builder::new()` is used from here.
#[doc(hidden)]
pub mod __private {
    pub use crate::Builder;
}

/// Not public API: the runtime's internals that the loom models in `loom-tests/`
/// drive (`cfg(loom)` only; see `loom_support.rs`).
#[cfg(loom)]
#[doc(hidden)]
pub mod __loom {
    pub use crate::loom_support::{io, lifo, scheduler, task, time};
}

/// The README's code blocks, compiled and run as doctests so its examples stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
