//! The one module that names `std::sync`, `parking_lot`, `crossbeam` or `loom`.
//!
//! Every atomic, lock, condition variable, thread, thread-local, `UnsafeCell` and
//! work-stealing deque the runtime uses comes through here, so that under `cfg(loom)`
//! the whole concurrent core can be model-checked by swapping in loom's instrumented
//! types. The rest of the crate names them as `crate::sync::…` whatever the
//! configuration.
//!
//! One file per primitive family, each with a std half and a `cfg(loom)` half that
//! export the same names with the same APIs:
//!
//! - `atomic.rs`: `AtomicBool`, `AtomicPtr`, `AtomicU64`, `AtomicUsize`, `Ordering`,
//!   `fence` (loom's under loom); `StaticAtomicU64` and `StdAtomicU64` (std's in both).
//! - `arc.rs`: `Arc` (loom's under loom); `StdArc` and `Weak` (std's in both).
//! - `mutex.rs`: `Mutex`, `MutexGuard`, `Condvar`, `WaitTimeoutResult` (parking_lot's
//!   API over loom's under loom); `StaticMutex` (parking_lot's in both).
//! - `rwlock.rs`: the lending pool's item lock, `RwLock`, `RawRwLock`, `lock_api` (a
//!   try-only lock on a loom atomic under loom).
//! - `cell.rs`: `UnsafeCell`, with loom's closure API in both.
//! - `thread.rs`: the `thread` module itself and `thread_local!` (loom's under loom).
//! - `deque.rs`: `Worker`, `Stealer`, `Injector`, `Steal` (under loom, a model over a
//!   loom mutex, `loom_deque.rs`).
//! - `cache_padded.rs`: `CachePadded` (a transparent wrapper under loom).
//!
//! What loom then checks is *our* protocols (task state word, park/notify, shutdown,
//! the pool's release-and-wake) on top of these, not the algorithms of crossbeam or
//! parking_lot, which it cannot see into; each file says what its loom half gives up.
//! The names that are the same in both halves (`Static…`, `Std…`) are for state that
//! no model checks; their files say why.

mod arc;
mod atomic;
mod cache_padded;
mod cell;
mod deque;
// crossbeam-deque's API whole, though not every method is used under loom.
#[cfg(loom)]
#[allow(dead_code)]
mod loom_deque;
mod mutex;
mod rwlock;
pub(crate) mod thread;

pub(crate) use self::arc::*;
pub(crate) use self::atomic::*;
pub(crate) use self::cache_padded::*;
pub(crate) use self::cell::*;
pub(crate) use self::deque::*;
pub(crate) use self::mutex::*;
pub(crate) use self::rwlock::*;
pub(crate) use self::thread::thread_local;
