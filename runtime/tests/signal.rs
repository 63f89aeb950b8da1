//! `runtime::signal`: deliveries reach every listener, are kept until `recv`, and end
//! with `None` at shutdown. Signals are raised with `raise(3)`: the calling thread runs
//! the handler before `raise` returns, so the delivery is recorded when it returns (a
//! signal from outside, as with the `kill` command the doctests use, goes to the main
//! thread, where ThreadSanitizer defers it while that thread waits in a futex, which
//! can be for ever). Only SIGUSR1 and SIGUSR2 go to this process; SIGINT and SIGTERM
//! go to a child process: this test binary re-run with `SIGNAL_CHILD` naming the case.
//!
//! Tests in one binary run in parallel and a signal goes to the whole process, so each
//! in-process test may see extra deliveries from its neighbours: they check "at least
//! one delivery arrives", never an exact count.

// Real signals need the real reactor: not in the loom build.
#![cfg(not(loom))]

mod common;

use std::io;
use std::process::Command;
use std::time::{Duration, Instant};

use common::bounded;
use runtime::signal::unix::{signal, SignalKind};
use runtime::Builder;

const CHILD_ENV: &str = "SIGNAL_CHILD";
const LIMIT: Duration = Duration::from_secs(20);

/// Raises `sig` in the calling thread; its handlers have run when this returns.
fn raise(sig: i32) {
    // SAFETY: raise(3) has no memory-safety preconditions; the signals raised here
    // all have a listener (the handler is installed), so none ends the process.
    let r = unsafe { libc::raise(sig) };
    assert_eq!(r, 0, "raise({sig})");
}

fn rt() -> runtime::Runtime {
    Builder::new().worker_threads(2).build().unwrap()
}

#[test]
fn usr1_is_seen_by_a_waiting_listener() {
    bounded(LIMIT, || {
        rt().block_on(async {
            let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
            // The listener waits first (on a worker), then the signal comes.
            let waiter = runtime::spawn(async move { usr1.recv().await });
            runtime::yield_now().await;
            raise(libc::SIGUSR1);
            assert_eq!(waiter.await.unwrap(), Some(()));
        })
    });
}

#[test]
fn two_listeners_both_see_one_delivery() {
    bounded(LIMIT, || {
        rt().block_on(async {
            let mut a = signal(SignalKind::user_defined2()).unwrap();
            let mut b = signal(SignalKind::user_defined2()).unwrap();
            let wa = runtime::spawn(async move { a.recv().await });
            let wb = runtime::spawn(async move { b.recv().await });
            raise(libc::SIGUSR2);
            assert_eq!(wa.await.unwrap(), Some(()));
            assert_eq!(wb.await.unwrap(), Some(()));
        })
    });
}

#[test]
fn a_delivery_before_recv_is_kept() {
    bounded(LIMIT, || {
        rt().block_on(async {
            let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
            // Raised (twice) before `recv` is first polled; they may coalesce.
            raise(libc::SIGUSR1);
            raise(libc::SIGUSR1);
            assert_eq!(usr1.recv().await, Some(()));
        })
    });
}

#[test]
fn many_deliveries_keep_coming() {
    bounded(LIMIT, || {
        rt().block_on(async {
            let mut usr2 = signal(SignalKind::user_defined2()).unwrap();
            for _ in 0..5 {
                raise(libc::SIGUSR2);
                assert_eq!(usr2.recv().await, Some(()));
            }
        })
    });
}

#[test]
fn forbidden_signals_are_invalid_input() {
    bounded(LIMIT, || {
        rt().block_on(async {
            // The uncatchable and the fault signals, and no signal at all.
            for kind in [
                libc::SIGKILL,
                libc::SIGSTOP,
                libc::SIGSEGV,
                libc::SIGBUS,
                libc::SIGILL,
                libc::SIGFPE,
                0,
                -1,
            ] {
                let err = signal(SignalKind::from_raw(kind)).unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "signal {kind}");
            }
            // A number past the last signal: the OS says EINVAL.
            let err = signal(SignalKind::from_raw(1000)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        })
    });
}

#[test]
fn forbidden_signals_are_rejected_outside_a_runtime_too() {
    let err = signal(SignalKind::from_raw(libc::SIGKILL)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn signal_types_are_send_sync_unpin() {
    fn check<T: Send + Sync + Unpin>(_: &T) {}
    fn check_send<T: Send>(_: &T) {}
    check_send(&runtime::signal::ctrl_c());
    bounded(LIMIT, || {
        rt().block_on(async {
            let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
            check(&usr1);
            check_send(&usr1.recv());
        })
    });
}

#[test]
fn signal_outside_a_runtime_panics_naming_the_fix() {
    let payload = std::panic::catch_unwind(|| signal(SignalKind::user_defined1()))
        .expect_err("signal() outside a runtime panics");
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        msg.contains("outside a runtime") && msg.contains("runtime::signal::unix::signal"),
        "{msg}"
    );
}

#[test]
fn drop_then_listen_again() {
    bounded(LIMIT, || {
        rt().block_on(async {
            for _ in 0..20 {
                let first = signal(SignalKind::user_defined1()).unwrap();
                drop(first);
            }
            let mut again = signal(SignalKind::user_defined1()).unwrap();
            raise(libc::SIGUSR1);
            assert_eq!(again.recv().await, Some(()));
            drop(again);
            // Deliveries with no listener at all are ignored (not the default action,
            // which would end the process).
            raise(libc::SIGUSR1);
            let mut third = signal(SignalKind::user_defined1()).unwrap();
            raise(libc::SIGUSR1);
            assert_eq!(third.recv().await, Some(()));
        })
    });
}

#[test]
fn dropping_listeners_frees_their_fds() {
    bounded(LIMIT, || {
        let rt = rt();
        let count = || std::fs::read_dir("/proc/self/fd").map(|d| d.count()).ok();
        rt.block_on(async {
            // Warm up whatever the first listener allocates once.
            drop(signal(SignalKind::user_defined2()).unwrap());
            let before = count();
            for _ in 0..200 {
                drop(signal(SignalKind::user_defined2()).unwrap());
            }
            // Other tests open fds concurrently, so allow some slack; 200 leaked
            // listeners would be 400 fds.
            if let (Some(before), Some(after)) = (before, count()) {
                assert!(after < before + 100, "fds: {before} -> {after}");
            }
        })
    });
}

#[test]
fn recv_after_shutdown_is_none() {
    bounded(LIMIT, || {
        let rt = rt();
        let mut usr1 = rt.block_on(async { signal(SignalKind::user_defined1()).unwrap() });
        drop(rt);
        assert_eq!(runtime::block_on(usr1.recv()), None);
        // Also with a delivery pending: the runtime is gone, so None.
        raise(libc::SIGUSR1);
        assert_eq!(runtime::block_on(usr1.recv()), None);
    });
}

#[test]
fn pending_recv_completes_with_none_at_shutdown() {
    bounded(LIMIT, || {
        let rt = rt();
        let mut usr2 = rt.block_on(async { signal(SignalKind::user_defined2()).unwrap() });
        let (tx, rx) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let r = runtime::block_on(async {
                let mut first = true;
                std::future::poll_fn(|cx| loop {
                    let p = usr2.poll_recv(cx);
                    if first {
                        first = false;
                        tx.send(()).unwrap();
                    }
                    // Extra deliveries from neighbouring tests are not the end: poll
                    // again, until `Pending` (waker registered) or `None`.
                    match p {
                        std::task::Poll::Ready(Some(())) => continue,
                        p => return p,
                    }
                })
                .await
            });
            r
        });
        rx.recv().unwrap();
        drop(rt);
        assert_eq!(waiter.join().unwrap(), None);
    });
}

// ---- In a child process: SIGINT and SIGTERM ----

/// Runs test `name` of this binary in a child process (where `child_case(name)` is
/// true) and returns it; the caller signals it and waits.
fn spawn_child(name: &str) -> std::process::Child {
    let exe = std::env::current_exe().expect("the test binary's path");
    Command::new(exe)
        .args(["--exact", name, "--nocapture", "--test-threads", "1"])
        .env(CHILD_ENV, name)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the child test process")
}

fn child_case(name: &str) -> bool {
    std::env::var(CHILD_ENV).is_ok_and(|v| v == name)
}

/// Waits for `child` to exit within `limit`; kills it (and fails) otherwise.
fn wait_child(child: &mut std::process::Child, name: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            assert!(status.success(), "child case `{name}` failed: {status}");
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child case `{name}` did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The child sends itself SIGINT (after its listener exists) and exits 0 once
/// `ctrl_c` completes; a SIGINT with no listener would kill it instead.
#[test]
fn ctrl_c_in_a_child() {
    const NAME: &str = "ctrl_c_in_a_child";
    if child_case(NAME) {
        rt().block_on(async {
            let waiter = runtime::spawn(runtime::signal::ctrl_c());
            // `ctrl_c` registers when first polled: resend until it has seen one,
            // with a listener of our own in place so no SIGINT ends the process.
            let mut guard = signal(SignalKind::interrupt()).unwrap();
            while !waiter.is_finished() {
                raise(libc::SIGINT);
                assert_eq!(guard.recv().await, Some(()));
            }
            waiter.await.unwrap().unwrap();
        });
        return;
    }
    let mut child = spawn_child(NAME);
    wait_child(&mut child, NAME, LIMIT);
}

/// A graceful shutdown on SIGTERM: the child stops its work and exits 0 once its
/// listener sees the SIGTERM it raises (as a service manager would send it).
#[test]
fn sigterm_graceful_in_a_child() {
    const NAME: &str = "sigterm_graceful_in_a_child";
    if child_case(NAME) {
        let rt = rt();
        let done = rt.block_on(async {
            let mut term = signal(SignalKind::terminate()).unwrap();
            // The work the service does until told to stop.
            let worker = runtime::spawn(std::future::pending::<()>());
            runtime::spawn(async { raise(libc::SIGTERM) });
            assert_eq!(term.recv().await, Some(()));
            worker.abort();
            worker.await.unwrap_err().is_cancelled()
        });
        drop(rt);
        assert!(done);
        return;
    }
    let mut child = spawn_child(NAME);
    wait_child(&mut child, NAME, LIMIT);
}
