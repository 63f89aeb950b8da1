//! The hand-written `RawWakerVTable`: a task's waker is a pointer to its header and
//! one reference in its state word.

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::task::{RawWaker, RawWakerVTable, Waker};

use super::raw::Header;
use super::state::TransitionToNotified;

static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, wake_by_val, wake_by_ref, drop_waker);

/// A waker for the task that owns no reference of its own.
///
/// # Safety
///
/// The caller holds a reference to the task for as long as the returned waker (and
/// nothing cloned from it, which takes its own reference) is used.
pub(super) unsafe fn borrowed(ptr: NonNull<Header>) -> ManuallyDrop<Waker> {
    let raw = RawWaker::new(ptr.as_ptr() as *const (), &VTABLE);
    // SAFETY: the vtable's functions uphold the `RawWaker` contract for a header
    // pointer whose reference is held, as the caller guarantees.
    ManuallyDrop::new(unsafe { Waker::from_raw(raw) })
}

/// # Safety
///
/// `ptr` is a task header and the caller holds one of its references.
unsafe fn header<'a>(ptr: *const ()) -> &'a Header {
    // SAFETY: the caller's contract.
    unsafe { &*(ptr as *const Header) }
}

/// The waker's data pointer as the task pointer, for calls that may free the task.
///
/// Freeing must go through a pointer with the allocation's own provenance (this one,
/// a copy of the block pointer that `alloc::allocate` returned), never through one
/// derived from a `&Header`: such a reference only grants read access, and
/// deallocating through it is undefined behaviour (Miri, Tree Borrows: "deallocation
/// through a Frozen tag").
fn raw(ptr: *const ()) -> NonNull<Header> {
    NonNull::new(ptr as *mut Header).expect("a waker's data pointer is a task header")
}

unsafe fn clone(ptr: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned holds (or borrows) a reference.
    unsafe { header(ptr) }.state.ref_inc();
    RawWaker::new(ptr, &VTABLE)
}

unsafe fn wake_by_val(ptr: *const ()) {
    // SAFETY: this waker owns a reference, consumed below.
    let header = unsafe { header(ptr) };
    let raw = raw(ptr);
    match header.state.transition_to_notified_by_val() {
        // SAFETY: the waker's reference became a `Notified` reference.
        TransitionToNotified::Submit => unsafe { (header.vtable.schedule)(raw) },
        // SAFETY: we released the last reference.
        TransitionToNotified::Dealloc => unsafe { (header.vtable.dealloc)(raw) },
        TransitionToNotified::DoNothing => {}
    }
}

unsafe fn wake_by_ref(ptr: *const ()) {
    // SAFETY: the waker holds (or borrows) a reference for this call.
    let header = unsafe { header(ptr) };
    if header.state.transition_to_notified_by_ref() == TransitionToNotified::Submit {
        // SAFETY: the transition took a new reference for the `Notified`.
        unsafe { (header.vtable.schedule)(raw(ptr)) };
    }
}

unsafe fn drop_waker(ptr: *const ()) {
    // SAFETY: this waker owns a reference, released here.
    let header = unsafe { header(ptr) };
    if header.state.ref_dec() {
        // SAFETY: that was the last reference.
        unsafe { (header.vtable.dealloc)(raw(ptr)) };
    }
}

/// Wakes a waker that is user code (a sleep's, a pool waiter's, a `Shared` awaiter's):
/// a panic in it is reported by the panic hook, like a task's, and goes no further.
/// So it cannot kill the thread that wakes (a worker, the timer thread), unwind out
/// of a guard's `drop`, or keep the other wakers of the same batch from being woken.
pub(crate) fn wake_caught(waker: Waker) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| waker.wake()));
}
