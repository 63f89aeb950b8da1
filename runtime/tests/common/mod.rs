//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

/// Runs `f` on its own thread and fails the test if it does not finish within `secs`
/// (a hang becomes a failure, not a stuck CI job). Panics inside `f` propagate.
pub fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let thread = std::thread::spawn(move || {
        let out = f();
        let _ = tx.send(());
        out
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(()) => thread.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // `f` panicked: re-raise its panic here.
            match thread.join() {
                Ok(_) => unreachable!("the sender is dropped only by a panic"),
                Err(payload) => std::panic::resume_unwind(payload),
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("test body did not finish within {secs} s"),
    }
}

/// [`within`] with the bound as a `Duration` (rounded up to whole seconds).
pub fn bounded<T: Send + 'static>(limit: Duration, body: impl FnOnce() -> T + Send + 'static) -> T {
    within(limit.as_secs() + u64::from(limit.subsec_nanos() > 0), body)
}

/// A one-shot gate: a future that completes once `open` is called, from any thread.
#[derive(Clone, Default)]
pub struct Gate {
    inner: Arc<Mutex<(bool, Option<Waker>)>>,
}

impl Gate {
    pub fn new() -> Gate {
        Gate::default()
    }

    pub fn open(&self) {
        let waker = {
            let mut inner = self.inner.lock().unwrap();
            inner.0 = true;
            inner.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Whether a task is waiting on the gate now.
    pub fn has_waiter(&self) -> bool {
        self.inner.lock().unwrap().1.is_some()
    }

    pub fn wait(&self) -> GateWait {
        GateWait { gate: self.clone() }
    }
}

pub struct GateWait {
    gate: Gate,
}

impl Future for GateWait {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut inner = self.gate.inner.lock().unwrap();
        if inner.0 {
            Poll::Ready(())
        } else {
            inner.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

/// Counts how many values were dropped.
#[derive(Clone, Default)]
pub struct DropCounter(Arc<AtomicUsize>);

impl DropCounter {
    pub fn new() -> DropCounter {
        DropCounter::default()
    }
    pub fn token(&self) -> DropToken {
        DropToken(self.0.clone())
    }
    pub fn dropped(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

pub struct DropToken(Arc<AtomicUsize>);

impl Drop for DropToken {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Waits (bounded) until `cond` holds, yielding the thread in between. For conditions
/// that another thread makes true with no way to be notified (metrics, thread exit).
pub fn eventually(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::yield_now();
    }
    cond()
}
