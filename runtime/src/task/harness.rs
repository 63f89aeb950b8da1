//! The monomorphised half of every `Vtable` function: polling, completing, cancelling,
//! reading the output and freeing one `Cell<F, S>`.
//!
//! Every function here is `unsafe` with the same precondition: `ptr` points to the
//! `Header` of a live `Cell<F, S>` of exactly these `F` and `S` (the vtable stored in
//! that header is the one for `F` and `S`, so calls through it satisfy this), and the
//! caller holds the reference that the function consumes or uses.

use std::future::Future;
use std::mem;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll, Waker};

use super::raw::{Cell, Header, Stage};
use super::state::{
    JoinHandleDropped, Snapshot, TransitionToIdle, TransitionToRunning, TransitionToShutdown,
};
use super::{waker, JoinError, Notified, Schedule, Task, TaskRef};
use crate::context;

/// A typed view of one task, built from its type-erased header pointer.
struct Harness<F: Future, S> {
    cell: NonNull<Cell<F, S>>,
}

impl<F: Future, S> Clone for Harness<F, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F: Future, S> Copy for Harness<F, S> {}

impl<F, S> Harness<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    /// # Safety
    ///
    /// `ptr` is the header of a live `Cell<F, S>` (module docs).
    unsafe fn from_raw(ptr: NonNull<Header>) -> Self {
        Harness { cell: ptr.cast() }
    }

    fn cell(&self) -> &Cell<F, S> {
        // SAFETY: `from_raw`'s contract: the cell is alive while the caller holds its
        // reference, and we only ever take shared references to it (mutation goes
        // through the `UnsafeCell` fields).
        unsafe { self.cell.as_ref() }
    }

    fn header(&self) -> &Header {
        &self.cell().header
    }

    fn header_ptr(&self) -> NonNull<Header> {
        self.cell.cast()
    }

    /// Consumes a `Notified` reference (rule R1).
    fn poll(self) {
        match self.header().state.transition_to_running() {
            TransitionToRunning::Success => {
                if self.poll_future().is_pending() {
                    self.after_pending();
                }
            }
            TransitionToRunning::Cancelled => self.cancel_and_complete(),
            TransitionToRunning::Failed => {}
            TransitionToRunning::Dealloc => self.dealloc(),
        }
    }

    /// We hold `RUNNING` and the poll returned `Pending`.
    fn after_pending(self) {
        if !self.header().state.load().is_notified() && !self.is_registered() {
            // Rule L2: the task is about to wait on a waker, where nothing but the
            // registry can reach it at shutdown. (Woken during the poll it goes back to
            // a run queue instead, where shutdown finds it too; NOTIFIED cannot be
            // cleared while we hold RUNNING, so this check is not racy in that
            // direction, and registering a task woken just after it is harmless.)
            self.set_registered(true);
            self.header().state.ref_inc();
            if let Err(task) = self
                .cell()
                .scheduler
                .register(Task::from_raw(self.header_ptr()))
            {
                // The registry is closed: the runtime is shutting down. We still hold
                // RUNNING, so cancel now rather than leave the task unreachable.
                self.set_registered(false);
                drop(task);
                self.cancel_and_complete();
                return;
            }
        }
        match self.header().state.transition_to_idle() {
            TransitionToIdle::Ok => {}
            TransitionToIdle::OkNotified => {
                // Woken during its own poll: a yield, so it goes behind the ready tasks.
                self.cell().scheduler.schedule(
                    Notified::from_raw(self.header_ptr()),
                    super::Reason::Yielded,
                );
            }
            TransitionToIdle::OkDealloc => self.dealloc(),
            TransitionToIdle::Cancelled => self.cancel_and_complete(),
        }
    }

    /// Polls the future once. We hold `RUNNING`. Completes the task on `Ready` or panic.
    fn poll_future(&self) -> Poll<()> {
        // SAFETY: we hold a reference (the runner's) for the whole poll, so the waker
        // needs no reference of its own; `ManuallyDrop` keeps it from releasing one.
        let waker = unsafe { waker::borrowed(self.header_ptr()) };
        let mut cx = Context::from_waker(&waker);
        let _current = context::CurrentTask::enter(self.header().id);
        let res = panic::catch_unwind(AssertUnwindSafe(|| {
            // A panicking poll drops the future during the unwind, not after the catch,
            // so its destructors see `std::thread::panicking()` (drop guards that roll
            // back only on unwind work in tasks as anywhere else).
            let guard = DropFutureOnUnwind(*self);
            let poll = self.cell().stage.with_mut(|stage| {
                // SAFETY: we hold RUNNING (rule O1), so no other thread touches the stage.
                let stage = unsafe { &mut *stage };
                let Stage::Running(future) = stage else {
                    unreachable!("a RUNNING task's stage holds its future")
                };
                // SAFETY: the future lives inside the heap cell and is never moved out
                // of it: it is dropped in place when the stage is overwritten.
                unsafe { Pin::new_unchecked(future) }.poll(&mut cx)
            });
            mem::forget(guard);
            poll
        }));
        let output = match res {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => {
                // The future is done; drop it now. A panic in its destructor cannot
                // change a result that is already there.
                let _ = panic::catch_unwind(AssertUnwindSafe(|| self.drop_stage()));
                Ok(output)
            }
            // The guard dropped the future during the unwind.
            Err(payload) => {
                self.cell().scheduler.panicked(&*payload);
                Err(JoinError::panic(self.header().id, payload))
            }
        };
        self.complete(output);
        Poll::Ready(())
    }

    /// We hold `RUNNING` and the task is cancelled: drop the future and complete.
    fn cancel_and_complete(self) {
        let id = self.header().id;
        let err = match panic::catch_unwind(AssertUnwindSafe(|| self.drop_stage())) {
            Ok(()) => JoinError::cancelled(id),
            Err(payload) => JoinError::panic(id, payload),
        };
        self.complete(Err(err));
    }

    fn is_registered(&self) -> bool {
        // SAFETY: rule L2: `registered` belongs to the RUNNING holder, which we are
        // (callers hold RUNNING, or the task is complete and nobody writes it again).
        self.header().registered.with(|r| unsafe { *r })
    }

    fn set_registered(&self, value: bool) {
        // SAFETY: rule L2: we hold RUNNING.
        self.header().registered.with_mut(|r| unsafe { *r = value });
    }

    /// Replaces the stage with `Consumed`, dropping what it held.
    fn drop_stage(&self) {
        self.set_stage(Stage::Consumed);
    }

    fn set_stage(&self, stage: Stage<F>) {
        self.cell().stage.with_mut(|ptr| {
            // SAFETY: callers own the stage: they hold RUNNING (rule O1), or the task is
            // complete and they are its output's owner (rule O2).
            unsafe { *ptr = stage };
        });
    }

    /// We hold `RUNNING`; the future is gone. Leave the registry, store the output,
    /// set `COMPLETE`, notify the joiner, release the runner's reference.
    fn complete(self, output: super::Result<F::Output>) {
        let state = &self.header().state;
        // The runner's reference, plus the registry's if it was still there.
        let mut n = 1;
        if self.is_registered() {
            if let Some(task) = self.cell().scheduler.release(TaskRef(self.header_ptr())) {
                mem::forget(task);
                n += 1;
            }
        }
        // Rule O2, early: JOIN_INTEREST never comes back once cleared, so if the handle
        // is gone now, nobody will ever read the output: drop it instead of storing it.
        let stored = state.load().is_join_interested();
        if stored {
            self.set_stage(Stage::Finished(output));
        } else {
            let _ = panic::catch_unwind(AssertUnwindSafe(|| drop(output)));
        }
        match state.transition_to_complete_and_release(n, stored) {
            // Nothing to wake and nothing to drop: one CAS, and the cell is not touched
            // again unless ours was the last reference.
            Ok(dealloc) => {
                if dealloc {
                    self.dealloc();
                }
            }
            Err(()) => {
                let prev = state.transition_to_complete();
                // Nothing below may unwind into the worker: the join waker is user code.
                let _ = panic::catch_unwind(AssertUnwindSafe(|| self.notify_join(prev)));
                if state.ref_dec_n(n) {
                    self.dealloc();
                }
            }
        }
    }

    fn notify_join(&self, prev: Snapshot) {
        if !prev.is_join_interested() {
            // Rule O2: nobody will read the output, so its owner (us) drops it.
            self.drop_stage();
        } else if prev.is_join_waker_set() {
            // Rule J3: COMPLETE is set and JOIN_WAKER was set before it, so the waker is
            // ours to read until we clear JOIN_WAKER.
            self.cell().join_waker.with(|w| {
                // SAFETY: rule J3, as above: the handle does not write the field while
                // JOIN_WAKER is set.
                let w = unsafe { &*w };
                w.as_ref()
                    .expect("JOIN_WAKER is set only with a waker in place")
                    .wake_by_ref();
            });
            let after = self.header().state.unset_join_waker_bit_after_complete();
            if !after.is_join_interested() {
                // Rule J3: the handle was dropped meanwhile and left the waker to us.
                self.set_join_waker(None);
            }
        }
    }

    fn set_join_waker(&self, waker: Option<Waker>) {
        self.cell().join_waker.with_mut(|ptr| {
            // SAFETY: callers own the field by rules J1, J3 or J4.
            unsafe { *ptr = waker };
        });
    }

    /// The `JoinHandle`'s poll. Returns whether the output is ready to take.
    fn can_read_output(&self, waker: &Waker) -> bool {
        let state = &self.header().state;
        let snapshot = state.load();
        if snapshot.is_complete() {
            return true;
        }
        let res = if !snapshot.is_join_waker_set() {
            self.publish_join_waker(waker.clone())
        } else {
            let same = self.cell().join_waker.with(|w| {
                // SAFETY: rule J2: with JOIN_WAKER set nobody writes the field, so
                // reading it here, concurrently with the completer, is fine.
                let w = unsafe { &*w };
                w.as_ref().is_some_and(|w| w.will_wake(waker))
            });
            if same {
                return false;
            }
            state
                .unset_join_waker_bit()
                .and_then(|()| self.publish_join_waker(waker.clone()))
        };
        match res {
            Ok(()) => false,
            Err(snapshot) => {
                debug_assert!(snapshot.is_complete());
                true
            }
        }
    }

    /// Rule J1: JOIN_WAKER is unset and the task is not complete, so the field is ours.
    fn publish_join_waker(&self, waker: Waker) -> Result<(), Snapshot> {
        self.set_join_waker(Some(waker));
        let res = self.header().state.set_join_waker_bit();
        if res.is_err() {
            // Completed first: the field is still ours and nobody will read it.
            self.set_join_waker(None);
        }
        res
    }

    fn take_output(&self) -> super::Result<F::Output> {
        self.cell().stage.with_mut(|ptr| {
            // SAFETY: rule O2: the task is complete and the handle, which calls this,
            // owns the output.
            match mem::replace(unsafe { &mut *ptr }, Stage::Consumed) {
                Stage::Finished(output) => output,
                _ => panic!("JoinHandle polled after it returned Ready"),
            }
        })
    }

    fn drop_join_handle(self) {
        let state = &self.header().state;
        let mut saw_complete = false;
        loop {
            let snapshot = state.load();
            if snapshot.is_complete() && !saw_complete {
                // Rule O2: completed with our interest set, so the output is ours.
                let _ = panic::catch_unwind(AssertUnwindSafe(|| self.drop_stage()));
                if !snapshot.is_join_waker_set() {
                    // Rule J4: after completion, a clear JOIN_WAKER leaves the field to
                    // us. (If it is still set the completer owns it: it drops it if it
                    // sees our interest gone, else it is dropped with the cell.)
                    self.set_join_waker(None);
                }
                saw_complete = true;
            }
            match state.transition_to_join_handle_dropped(saw_complete) {
                JoinHandleDropped::Released { dealloc } => {
                    if dealloc {
                        self.dealloc();
                    }
                    return;
                }
                JoinHandleDropped::Completed => {}
                JoinHandleDropped::TakeWaker => {
                    // Rule J4: taken back before completion.
                    self.set_join_waker(None);
                    if state.ref_dec() {
                        self.dealloc();
                    }
                    return;
                }
            }
        }
    }

    fn dealloc(self) {
        let cell = self.cell.as_ptr();
        // The reference count reached zero, so nothing else can reach the cell, which
        // `new_task` wrote into a block from `alloc::allocate::<Cell<F, S>>()`. Every
        // field but the scheduler handle is dropped in place; the handle is moved out
        // (read once, never dropped in place) and frees the block, once.
        // SAFETY: as just said: the cell is ours alone, each field is dropped or moved
        // out exactly once.
        let scheduler = unsafe {
            std::ptr::drop_in_place(std::ptr::addr_of_mut!((*cell).stage));
            std::ptr::drop_in_place(std::ptr::addr_of_mut!((*cell).join_waker));
            std::ptr::drop_in_place(std::ptr::addr_of_mut!((*cell).header));
            std::ptr::read(std::ptr::addr_of!((*cell).scheduler))
        };
        let block = self.cell;
        scheduler.release_cell(|cache| {
            // SAFETY: as above: the block's contents are gone, and this is its only
            // release.
            unsafe { super::alloc::release(block, cache) }
        });
    }
}

/// Drops the future of a task whose poll is unwinding, during the unwind
/// (`Harness::poll_future`). We hold `RUNNING` for the whole poll (rule O1).
struct DropFutureOnUnwind<F, S>(Harness<F, S>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule;

impl<F, S> Drop for DropFutureOnUnwind<F, S>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    fn drop(&mut self) {
        // A destructor that panics too is caught here, inside this drop: a panic
        // escaping a destructor during an unwind would abort the process. The poll's
        // own panic is the one the `JoinHandle` reports.
        let _ = panic::catch_unwind(AssertUnwindSafe(|| self.0.drop_stage()));
    }
}

/// # Safety
///
/// Module docs; consumes a `Notified` reference.
pub(super) unsafe fn poll<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: forwarded from the caller.
    unsafe { Harness::<F, S>::from_raw(ptr) }.poll();
}

/// # Safety
///
/// Module docs; consumes a `Notified` reference.
pub(super) unsafe fn schedule<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: forwarded from the caller.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    harness
        .cell()
        .scheduler
        .schedule(Notified::from_raw(ptr), super::Reason::Woken);
}

/// # Safety
///
/// Module docs; the reference count is zero.
pub(super) unsafe fn dealloc<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: forwarded from the caller.
    unsafe { Harness::<F, S>::from_raw(ptr) }.dealloc();
}

/// # Safety
///
/// Module docs; uses the `JoinHandle`'s reference; `dst` points to a valid
/// `Poll<Result<F::Output, JoinError>>`.
pub(super) unsafe fn try_read_output<F, S>(ptr: NonNull<Header>, dst: *mut (), waker: &Waker)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: forwarded from the caller.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    if harness.can_read_output(waker) {
        // SAFETY: the caller passes a `&mut Poll<Result<F::Output>>` as `dst`.
        let dst = unsafe { &mut *dst.cast::<Poll<super::Result<F::Output>>>() };
        *dst = Poll::Ready(harness.take_output());
    }
}

/// # Safety
///
/// Module docs; consumes the `JoinHandle`'s reference.
pub(super) unsafe fn drop_join_handle<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: forwarded from the caller.
    unsafe { Harness::<F, S>::from_raw(ptr) }.drop_join_handle();
}

/// # Safety
///
/// Module docs; consumes a reference (the registry's `Task`, or a discarded
/// `Notified`).
pub(super) unsafe fn shutdown<F, S>(ptr: NonNull<Header>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // SAFETY: forwarded from the caller.
    let harness = unsafe { Harness::<F, S>::from_raw(ptr) };
    if harness.header().state.transition_to_shutdown() == TransitionToShutdown::Cancel {
        // We hold RUNNING now; the reference we were given serves as the runner's
        // reference, which `complete` releases.
        harness.cancel_and_complete();
    } else if harness.header().state.ref_dec() {
        // Running elsewhere (the runner sees CANCELLED after its poll) or complete.
        harness.dealloc();
    }
}
