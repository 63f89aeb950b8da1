//! The thread-local context: which runtime is current, which worker this thread is,
//! which task is being polled.

use crate::sync::StdArc;
use std::cell::{Cell, RefCell};
use std::ptr::NonNull;

use crate::handle::Handle;
use crate::scheduler::worker::Core;
use crate::scheduler::Scheduler;
use crate::task::Id;

struct Context {
    /// The runtime `Handle::current()` returns; set by workers for their lifetime, and
    /// by `block_on` and blocking-pool threads for their duration.
    handle: RefCell<Option<Handle>>,
    /// The address of `handle`'s runtime (null without one), to tell cheaply whether
    /// this thread's worker core belongs to the current runtime.
    current: Cell<*const ()>,
    /// The worker core this thread drives, if any (a raw pointer: read on every spawn
    /// and wake). Set only while `core_owner` holds the core.
    core: Cell<Option<NonNull<Core>>>,
    /// Keeps `core` alive while this thread drives it. A worker thread drives its
    /// core for its life, unless `block_in_place` lends the core to a new thread
    /// (worker.rs, "Lending a core").
    core_owner: RefCell<Option<StdArc<Core>>>,
    /// The task being polled on this thread.
    task_id: Cell<Option<Id>>,
    /// How many `block_on` calls are running on this thread.
    block_on_depth: Cell<usize>,
    /// The cooperative budget of the task being polled (task/coop.rs): `None` outside
    /// a task and inside `unconstrained`.
    budget: Cell<Option<u8>>,
}

crate::sync::thread_local! {
    static CONTEXT: Context = const {
        Context {
            handle: RefCell::new(None),
            current: Cell::new(std::ptr::null()),
            core: Cell::new(None),
            core_owner: RefCell::new(None),
            task_id: Cell::new(None),
            block_on_depth: Cell::new(0),
            budget: Cell::new(None),
        }
    };
}

/// Why there is no current runtime.
pub(crate) enum NoRuntime {
    NoContext,
    ThreadLocalDestroyed,
}

/// The current runtime's handle.
pub(crate) fn try_current() -> Result<Handle, NoRuntime> {
    CONTEXT
        .try_with(|cx| cx.handle.borrow().clone())
        .map_err(|_| NoRuntime::ThreadLocalDestroyed)?
        .ok_or(NoRuntime::NoContext)
}

/// Restores the previous current runtime when dropped.
pub(crate) struct EnterGuard {
    prev: Option<Handle>,
    kind: EnterKind,
}

/// Why a runtime is entered on a thread.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum EnterKind {
    /// A `block_on`: the thread is in an async context until the guard drops
    /// (see [`in_async_context`]).
    BlockOn,
    /// Anything else: a worker's or blocking thread's whole life, a `spawn_immediate`
    /// prefix.
    Plain,
}

fn runtime_addr(handle: Option<&Handle>) -> *const () {
    handle.map_or(std::ptr::null(), |h| {
        crate::sync::Arc::as_ptr(&h.shared).cast()
    })
}

/// Makes `handle` the current runtime until the guard is dropped.
///
/// The current runtime is the one entered most recently on this thread: a worker
/// enters its own for its whole life, a blocking-pool thread likewise, and
/// `block_on` and a `spawn_immediate` prefix enter theirs for their duration. It is
/// the one `Handle::current()`, `spawn`, `spawn_immediate`, `JoinSet::spawn` and
/// `spawn_blocking` use, on a worker too: inside `handle_b.spawn_immediate(..)` run
/// on a worker of runtime A, they all mean B ([`with_current`]).
pub(crate) fn enter(handle: Handle, kind: EnterKind) -> EnterGuard {
    CONTEXT.with(|cx| {
        if kind == EnterKind::BlockOn {
            cx.block_on_depth.set(cx.block_on_depth.get() + 1);
        }
        cx.current.set(runtime_addr(Some(&handle)));
        EnterGuard {
            prev: cx.handle.replace(Some(handle)),
            kind,
        }
    })
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|cx| {
            cx.current.set(runtime_addr(self.prev.as_ref()));
            *cx.handle.borrow_mut() = self.prev.take();
            if self.kind == EnterKind::BlockOn {
                cx.block_on_depth.set(cx.block_on_depth.get() - 1);
            }
        });
    }
}

/// Makes this thread the driver of `core` (a worker thread as it starts, or the
/// thread a core is lent to).
pub(crate) fn set_core(core: StdArc<Core>) {
    CONTEXT.with(|cx| {
        let mut owner = cx.core_owner.borrow_mut();
        assert!(owner.is_none(), "a thread drives one worker core at a time");
        cx.core.set(Some(NonNull::from(&*core)));
        *owner = Some(core);
    });
}

/// Stops this thread from driving its core and returns it (`block_in_place`): from
/// now on this thread is no worker, so its spawns and wakes go to the injector.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) fn take_core() -> Option<StdArc<Core>> {
    CONTEXT
        .try_with(|cx| {
            cx.core.set(None);
            cx.core_owner.borrow_mut().take()
        })
        .ok()
        .flatten()
}

/// Runs `f` with this thread's worker core, if it is a worker.
#[inline]
pub(crate) fn with_core<R>(f: impl FnOnce(Option<&Core>) -> R) -> R {
    let mut f = Some(f);
    CONTEXT
        .try_with(|cx| (f.take().unwrap())(current_core(cx)))
        .unwrap_or_else(|_| (f.take().unwrap())(None))
}

fn current_core(cx: &Context) -> Option<&Core> {
    // SAFETY: `core` is set only while `core_owner` holds an `Arc` of that core, and
    // cleared before the `Arc` is taken out (`set_core`, `take_core`); the reference
    // does not outlive the borrow of this thread's context.
    cx.core.get().map(|ptr| unsafe { ptr.as_ref() })
}

/// Runs `f` with this thread's worker core if it is a worker of the runtime whose
/// `Scheduler` is at `scheduler`: the one look at the context a spawn through a
/// handle needs.
#[inline]
pub(crate) fn with_worker_of<R>(
    scheduler: *const Scheduler,
    f: impl FnOnce(Option<&Core>) -> R,
) -> R {
    with_core(|core| f(core.filter(|core| core.is_worker_of(scheduler))))
}

/// The current runtime (see [`enter`]) as a spawn that names none needs it.
pub(crate) enum Current<'a> {
    /// This thread is a worker of the current runtime: spawn through its core.
    Worker(&'a Core),
    /// Elsewhere: the current runtime's handle.
    Handle(Handle),
    /// No runtime is current.
    None(NoRuntime),
}

/// Runs `f` with the current runtime, looked up once.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(Current<'_>) -> R) -> R {
    let mut f = Some(f);
    CONTEXT
        .try_with(|cx| {
            let f = f.take().unwrap();
            let worker = current_core(cx).filter(|core| core.is_worker_of(cx.current.get().cast()));
            match worker {
                Some(core) => f(Current::Worker(core)),
                None => {
                    // Cloned, so no borrow of the context is held while `f` runs.
                    let handle = cx.handle.borrow().clone();
                    match handle {
                        Some(handle) => f(Current::Handle(handle)),
                        None => f(Current::None(NoRuntime::NoContext)),
                    }
                }
            }
        })
        .unwrap_or_else(|_| (f.take().unwrap())(Current::None(NoRuntime::ThreadLocalDestroyed)))
}

/// Whether this thread is a worker of any runtime.
pub(crate) fn is_worker() -> bool {
    with_core(|core| core.is_some())
}

/// Whether this thread is inside a runtime's async context: a worker, or a `block_on`.
pub(crate) fn in_async_context() -> bool {
    CONTEXT
        .try_with(|cx| cx.core.get().is_some() || cx.block_on_depth.get() > 0)
        .unwrap_or(false)
}

/// Sets the current task id, and a fresh cooperative budget (task/coop.rs), for the
/// duration of a poll.
pub(crate) struct CurrentTask {
    prev: Option<Id>,
    prev_budget: Option<u8>,
}

impl CurrentTask {
    pub(crate) fn enter(id: Id) -> CurrentTask {
        let (prev, prev_budget) = CONTEXT
            .try_with(|cx| {
                (
                    cx.task_id.replace(Some(id)),
                    cx.budget.replace(Some(crate::task::coop::BUDGET)),
                )
            })
            .unwrap_or((None, None));
        CurrentTask { prev, prev_budget }
    }
}

impl Drop for CurrentTask {
    fn drop(&mut self) {
        let _ = CONTEXT.try_with(|cx| {
            cx.task_id.set(self.prev);
            cx.budget.set(self.prev_budget);
        });
    }
}

/// Runs `f` with this thread's budget cell (`None` if the thread is exiting).
pub(crate) fn with_budget<R>(f: impl FnOnce(Option<&Cell<Option<u8>>>) -> R) -> R {
    let mut f = Some(f);
    CONTEXT
        .try_with(|cx| (f.take().unwrap())(Some(&cx.budget)))
        .unwrap_or_else(|_| (f.take().unwrap())(None))
}

pub(crate) fn current_task_id() -> Option<Id> {
    CONTEXT.try_with(|cx| cx.task_id.get()).unwrap_or(None)
}

/// The message of the panic that `block_on` on a worker thread raises.
pub(crate) const BLOCK_ON_IN_WORKER: &str = "block_on called on a runtime worker thread: \
     blocking a worker would stall every task queued on it (and deadlock if the future \
     waits on one of them); `.await` the future instead, or move the blocking call into \
     `runtime::spawn_blocking`";

/// Panics with [`BLOCK_ON_IN_WORKER`] on a worker thread.
#[track_caller]
pub(crate) fn assert_not_worker() {
    if is_worker() {
        panic!("{}", BLOCK_ON_IN_WORKER);
    }
}
