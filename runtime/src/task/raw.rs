//! The task allocation: one `Cell<F, S>` per task, reached through a type-erased
//! `NonNull<Header>` and its `Vtable`.

use std::future::Future;
use std::ptr::NonNull;
use std::task::Waker;

use super::harness;
use super::id::Id;
use super::state::State;
use super::{JoinHandle, Notified, Schedule};
use crate::sync::UnsafeCell;

/// The type-erased start of every task allocation.
///
/// `#[repr(C)]` and first in `Cell`, so a `NonNull<Header>` can be cast back to the
/// `Cell<F, S>` it starts, which is what every `Vtable` function does.
#[repr(C)]
pub(crate) struct Header {
    /// Flags and reference count (task/mod.rs, "The state word").
    pub(super) state: State,
    /// The functions that know the task's concrete types.
    pub(super) vtable: &'static Vtable,
    /// Where it was spawned and its poll statistics: what a dump shows (trace.rs).
    /// Next to the state word, so the store a poll makes here lands on the line the
    /// poll's state transitions already own.
    pub(crate) trace: super::trace::Trace,
    /// The task's id, fixed at spawn.
    pub(super) id: Id,
    /// Intrusive links of the runtime's task registry. Only touched while holding the
    /// lock of the registry shard the task belongs to (task/mod.rs, rule L1).
    pub(super) links: UnsafeCell<Links>,
    /// Whether the task was handed to the registry (rule L2). Read and written only by
    /// the holder of `RUNNING`.
    pub(super) registered: UnsafeCell<bool>,
    /// Whether it has a name, which its registry shard keeps (registry.rs). Fixed at
    /// spawn.
    pub(super) named: bool,
    /// When it was spawned, on the runtime's dump clock (trace.rs). Fixed at spawn;
    /// here rather than in `trace` because it fits in the flags' padding.
    pub(crate) spawned_at: u32,
}

impl Header {
    pub(crate) fn id(&self) -> Id {
        self.id
    }
}

/// The registry's intrusive doubly-linked list node.
pub(super) struct Links {
    pub(super) prev: Option<NonNull<Header>>,
    pub(super) next: Option<NonNull<Header>>,
    /// Whether the task is in a registry list now.
    pub(super) linked: bool,
}

/// Functions over a type-erased task. Each takes the task's `Header` pointer; the
/// caller must hold the reference that the function's docs say it consumes or uses.
pub(super) struct Vtable {
    /// Consumes a `Notified` reference: polls or cancels the task.
    pub(super) poll: unsafe fn(NonNull<Header>),
    /// Consumes a `Notified` reference: hands it to the task's scheduler.
    pub(super) schedule: unsafe fn(NonNull<Header>),
    /// Frees the allocation; the reference count is zero.
    pub(super) dealloc: unsafe fn(NonNull<Header>),
    /// Uses the `JoinHandle`'s reference: reads the output into `*mut Poll<Result<T>>`
    /// or registers the waker.
    pub(super) try_read_output: unsafe fn(NonNull<Header>, *mut (), &Waker),
    /// Consumes the `JoinHandle`'s reference.
    pub(super) drop_join_handle: unsafe fn(NonNull<Header>),
    /// Consumes a reference (the registry's `Task`, or a `Notified` being discarded):
    /// cancels the task in place if idle.
    pub(super) shutdown: unsafe fn(NonNull<Header>),
}

/// The whole task allocation.
#[repr(C)]
pub(super) struct Cell<F: Future, S> {
    pub(super) header: Header,
    /// Where woken tasks go. Immutable after spawn.
    pub(super) scheduler: S,
    /// The future, then its output. Owned by the `RUNNING` holder until `COMPLETE`, then
    /// by the `JoinHandle` (rules O1, O2).
    pub(super) stage: UnsafeCell<Stage<F>>,
    /// The waker of the task awaiting the `JoinHandle` (rules J1–J4).
    pub(super) join_waker: UnsafeCell<Option<Waker>>,
}

/// What the task's stage field holds.
pub(super) enum Stage<F: Future> {
    Running(F),
    Finished(super::Result<F::Output>),
    Consumed,
}

struct VtableFor<F, S>(std::marker::PhantomData<(F, S)>);

impl<F, S> VtableFor<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    const VTABLE: Vtable = Vtable {
        poll: harness::poll::<F, S>,
        schedule: harness::schedule::<F, S>,
        dealloc: harness::dealloc::<F, S>,
        try_read_output: harness::try_read_output::<F, S>,
        drop_join_handle: harness::drop_join_handle::<F, S>,
        shutdown: harness::shutdown::<F, S>,
    };
}

/// Allocates a task. The two references of the initial state come back as the first
/// `Notified` and the `JoinHandle`.
#[inline]
pub(crate) fn new_task<F, S>(
    future: F,
    scheduler: S,
    id: Id,
    cache: Option<super::alloc::BlockCache<'_>>,
    location: &'static std::panic::Location<'static>,
    named: bool,
    spawned_at: u32,
) -> (Notified, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    let header = Header {
        state: State::new(),
        vtable: &VtableFor::<F, S>::VTABLE,
        id,
        links: UnsafeCell::new(Links {
            prev: None,
            next: None,
            linked: false,
        }),
        registered: UnsafeCell::new(false),
        named,
        spawned_at,
        trace: super::trace::Trace::new(location, spawned_at),
    };
    let ptr = super::alloc::allocate::<Cell<F, S>>(cache);
    let cell = ptr.as_ptr();
    // Field by field, in place: a whole `Cell` built on the stack and then written
    // would be copied with a `memcpy` call once it outgrows the size the compiler
    // copies inline (the dump's fields took a small task's cell past it).
    // Why this is sound: `allocate` returned a block with room and alignment for a
    // `Cell<F, S>`, which nothing else uses; each write below initialises one field
    // through a raw place (no reference to uninitialised memory is made), so the cell
    // is whole once they are done; `harness::dealloc` drops the cell and releases it.
    // SAFETY: the block is ours, sized and aligned for the cell (just above).
    unsafe {
        std::ptr::addr_of_mut!((*cell).header).write(header);
        std::ptr::addr_of_mut!((*cell).scheduler).write(scheduler);
        std::ptr::addr_of_mut!((*cell).stage).write(UnsafeCell::new(Stage::Running(future)));
        std::ptr::addr_of_mut!((*cell).join_waker).write(UnsafeCell::new(None));
    }
    let raw = ptr.cast::<Header>();
    (Notified::from_raw(raw), JoinHandle::from_raw(raw))
}
