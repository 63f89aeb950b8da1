//! The work-stealing deques (`Worker`, `Stealer`, `Injector`, `Steal`):
//! crossbeam-deque's, or under `cfg(loom)` a model with the same API
//! (`loom_deque.rs`).
//!
//! **crossbeam-deque cannot be model-checked**: its `front`/`back` indices are plain
//! core atomics that loom does not see, so loom would neither explore their
//! interleavings nor see the happens-before edges they carry. Under loom the three
//! types are therefore replaced by a model over a loom `Mutex<VecDeque>`, and the
//! scheduler shrinks its local queues (`LOCAL_QUEUE_CAPACITY`, scheduler/worker.rs)
//! so that spills happen within a model. loom checks *our* protocols (task state
//! word, park/notify, shutdown) on top of that model, not crossbeam's own algorithm;
//! the deque itself is covered by crossbeam's tests, Miri and ThreadSanitizer.

#[cfg(not(loom))]
pub(crate) use crossbeam_deque::{Injector, Steal, Stealer, Worker};

#[cfg(loom)]
pub(crate) use super::loom_deque::{Injector, Steal, Stealer, Worker};
