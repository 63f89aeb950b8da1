//! `Builder::build` validation: bad configurations are errors, never panics or hangs.

mod common;

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use runtime::Builder;

use common::bounded;

/// A thread name with a NUL byte cannot name an OS thread: `build` refuses it before
/// any thread starts (it used to hang, even under `catch_unwind`).
#[test]
fn a_thread_name_with_a_nul_is_invalid_input_and_starts_no_thread() {
    let started = Arc::new(AtomicUsize::new(0));
    let counter = started.clone();
    let err = bounded(Duration::from_secs(10), move || {
        Builder::new()
            .worker_threads(2)
            .thread_name("bad\0name")
            .on_thread_start(move || {
                counter.fetch_add(1, Ordering::SeqCst);
            })
            .build()
            .map(drop)
            .unwrap_err()
    });
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    let msg = err.to_string();
    assert!(msg.contains("thread_name"), "{msg}");
    assert!(msg.contains("NUL"), "{msg}");
    assert_eq!(started.load(Ordering::SeqCst), 0, "no worker started");
}

#[test]
fn a_nul_anywhere_in_the_name_is_refused() {
    for name in ["\0", "\0x", "x\0"] {
        let err = bounded(Duration::from_secs(10), move || {
            Builder::new()
                .worker_threads(1)
                .thread_name(name)
                .build()
                .map(drop)
                .unwrap_err()
        });
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{name:?}");
    }
}

/// The OS may shorten a long name (Linux keeps 15 bytes), but std keeps the whole
/// name for `Thread::name`, and `build` accepts it.
#[test]
fn a_long_thread_name_is_accepted_whole() {
    let name = "a-thread-name-much-longer-than-fifteen-bytes";
    let seen = bounded(Duration::from_secs(10), move || {
        let rt = Builder::new()
            .worker_threads(1)
            .thread_name(name)
            .build()
            .unwrap();
        rt.block_on(rt.spawn(async { std::thread::current().name().map(str::to_owned) }))
            .unwrap()
    });
    assert_eq!(seen.as_deref(), Some(&*format!("{name}-0")));
}

/// The builder stays usable after a refused configuration: fixing the name is enough.
#[test]
fn the_builder_can_be_fixed_and_reused() {
    let worker = bounded(Duration::from_secs(10), || {
        let mut builder = Builder::new();
        builder.worker_threads(1).thread_name("bad\0name");
        assert!(builder.build().is_err());
        let rt = builder.thread_name("good").build().unwrap();
        rt.block_on(rt.spawn(async { std::thread::current().name().map(str::to_owned) }))
            .unwrap()
    });
    assert_eq!(worker.as_deref(), Some("good-0"));
}

/// Too many workers is refused up front, with no thread started (not after starting
/// thousands of them).
#[test]
fn too_many_workers_is_invalid_input() {
    for n in [65_536, usize::MAX] {
        let err = bounded(Duration::from_secs(10), move || {
            Builder::new()
                .worker_threads(n)
                .build()
                .map(drop)
                .unwrap_err()
        });
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{n}");
        assert!(err.to_string().contains("at most 65535"), "{err}");
    }
}

#[test]
fn zero_workers_or_zero_blocking_threads_is_invalid_input() {
    let err = Builder::new()
        .worker_threads(0)
        .build()
        .map(drop)
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    let err = Builder::new()
        .worker_threads(1)
        .max_blocking_threads(0)
        .build()
        .map(drop)
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

#[test]
fn park_hooks_pair_up_and_a_panicking_hook_stops_nothing() {
    bounded(Duration::from_secs(20), || {
        let parks = Arc::new(AtomicUsize::new(0));
        let unparks = Arc::new(AtomicUsize::new(0));
        let (p, u) = (parks.clone(), unparks.clone());
        let rt = Builder::new()
            .worker_threads(2)
            .on_thread_park(move || {
                p.fetch_add(1, Ordering::SeqCst);
                panic!("a hostile park hook");
            })
            .on_thread_unpark(move || {
                u.fetch_add(1, Ordering::SeqCst);
                panic!("a hostile unpark hook");
            })
            .build()
            .unwrap();
        // Idle workers park (wait for the first) and are woken, again and again:
        // every task still runs.
        while parks.load(Ordering::SeqCst) == 0 {
            std::thread::yield_now();
        }
        for round in 0..50u64 {
            let h = rt.spawn(async move { round * 2 });
            assert_eq!(rt.block_on(h).unwrap(), round * 2);
        }
        drop(rt);
        let (parks, unparks) = (parks.load(Ordering::SeqCst), unparks.load(Ordering::SeqCst));
        assert!(parks >= 1, "idle workers parked");
        assert_eq!(
            parks, unparks,
            "every park ended in an unpark, through shutdown"
        );
    });
}
