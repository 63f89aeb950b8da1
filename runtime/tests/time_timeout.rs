//! `timeout` and `Elapsed`.

mod common;

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use runtime::time::{sleep, timeout, timeout_at, Elapsed, Instant};

use common::bounded;

const _: () = {
    const fn contract<
        T: std::fmt::Debug + std::fmt::Display + std::error::Error + Clone + PartialEq + Send + Sync,
    >() {
    }
    contract::<Elapsed>();
};

#[test]
fn a_future_that_finishes_in_time_gives_ok() {
    bounded(Duration::from_secs(30), || {
        let rt = runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let start = Instant::now();
            let out = timeout(Duration::from_secs(10), async {
                sleep(Duration::from_millis(10)).await;
                "done"
            })
            .await;
            assert_eq!(out, Ok("done"));
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "waited for the timeout"
            );
        });
    });
}

#[test]
fn a_slow_future_gives_elapsed_at_the_deadline() {
    bounded(Duration::from_secs(30), || {
        let rt = runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let start = Instant::now();
            let err = timeout(Duration::from_millis(20), std::future::pending::<()>())
                .await
                .unwrap_err();
            let took = start.elapsed();
            assert!(took >= Duration::from_millis(20));
            assert!(took < Duration::from_secs(2), "took {took:?}");
            assert_eq!(err.to_string(), "deadline has elapsed");
            assert_eq!(err, err.clone());
        });
    });
}

#[test]
fn the_deadline_is_fixed_at_the_call() {
    bounded(Duration::from_secs(30), || {
        let deadline = Instant::now() + Duration::from_millis(20);
        let fut = timeout_at(deadline, std::future::pending::<()>());
        let late = timeout(Duration::from_millis(20), std::future::pending::<()>());
        thread::sleep(Duration::from_millis(30));
        let start = Instant::now();
        assert!(runtime::block_on(late).is_err());
        assert!(runtime::block_on(fut).is_err());
        assert!(
            start.elapsed() < Duration::from_millis(500),
            "the deadline moved to the first poll"
        );
    });
}

#[test]
fn a_ready_future_wins_over_an_elapsed_deadline() {
    let out = runtime::block_on(timeout(Duration::ZERO, async { 5 }));
    assert_eq!(out, Ok(5));
}

#[test]
fn the_timed_out_future_is_dropped() {
    bounded(Duration::from_secs(30), || {
        let rt = runtime::Runtime::new().unwrap();
        let (tx, rx) = mpsc::channel::<()>();
        rt.block_on(async move {
            let guarded = async move {
                let _tx = tx; // dropped with the future
                std::future::pending::<()>().await;
            };
            assert!(timeout(Duration::from_millis(5), guarded).await.is_err());
        });
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(1)),
            Err(mpsc::RecvTimeoutError::Disconnected)
        );
    });
}
