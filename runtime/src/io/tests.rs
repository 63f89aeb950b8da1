//! The reactor end to end, through `PollEvented` on mio's sockets (the socket types
//! in net/ have their own tests in tests/net_*.rs).

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use super::registration::{Direction, PollEvented};
use super::Interest;
use crate::Runtime;

/// Runs `f` on a thread and fails the test if it takes longer than `limit`.
fn bounded(limit: Duration, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    let t = thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(limit) {
        Ok(()) => t.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(p) = t.join() {
                std::panic::resume_unwind(p)
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("timed out after {limit:?}"),
    }
}

fn listener() -> PollEvented<mio::net::TcpListener> {
    let l = mio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    PollEvented::new(l, "test").unwrap()
}

async fn accept(l: &PollEvented<mio::net::TcpListener>) -> PollEvented<mio::net::TcpStream> {
    let (s, _) = poll_fn(|cx| {
        l.registration()
            .poll_io(cx, Direction::Read, || l.get_ref().accept())
    })
    .await
    .unwrap();
    PollEvented::new(s, "test").unwrap()
}

async fn read_exact(s: &PollEvented<mio::net::TcpStream>, mut buf: &mut [u8]) {
    while !buf.is_empty() {
        let n = poll_fn(|cx| s.poll_read(cx, buf)).await.unwrap();
        assert!(n > 0, "eof before the whole message");
        buf = &mut buf[n..];
    }
}

async fn write_all(s: &PollEvented<mio::net::TcpStream>, mut buf: &[u8]) {
    while !buf.is_empty() {
        let n = poll_fn(|cx| s.poll_write(cx, buf)).await.unwrap();
        buf = &buf[n..];
    }
}

#[test]
#[cfg_attr(miri, ignore = "TCP sockets: Miri has no socket shims")]
fn echo_between_tasks_on_two_workers() {
    bounded(Duration::from_secs(20), || {
        let rt = crate::Builder::new().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let l = listener();
            let addr = l.get_ref().local_addr().unwrap();
            let server = crate::spawn(async move {
                for _ in 0..20 {
                    let s = accept(&l).await;
                    crate::spawn(async move {
                        let mut buf = [0u8; 1000];
                        for _ in 0..50 {
                            read_exact(&s, &mut buf).await;
                            write_all(&s, &buf).await;
                        }
                    });
                }
            });
            let clients: Vec<_> = (0..20u8)
                .map(|c| {
                    crate::spawn(async move {
                        let std = std::net::TcpStream::connect(addr).unwrap();
                        std.set_nonblocking(true).unwrap();
                        let s =
                            PollEvented::new(mio::net::TcpStream::from_std(std), "test").unwrap();
                        let mut back = [0u8; 1000];
                        for round in 0..50u8 {
                            let msg = [c ^ round; 1000];
                            write_all(&s, &msg).await;
                            read_exact(&s, &mut back).await;
                            assert_eq!(back, msg);
                        }
                    })
                })
                .collect();
            for c in clients {
                c.await.unwrap();
            }
            server.await.unwrap();
        });
    });
}

#[test]
#[cfg_attr(miri, ignore = "TCP sockets: Miri has no socket shims")]
fn a_blocking_client_thread_is_served_by_an_idle_runtime() {
    // Every worker is parked: the one that drives the reactor must wake on the event.
    bounded(Duration::from_secs(10), || {
        let rt = Runtime::new().unwrap();
        let (addr_tx, addr_rx) = mpsc::channel();
        let server = rt.spawn(async move {
            let l = listener();
            addr_tx.send(l.get_ref().local_addr().unwrap()).unwrap();
            let s = accept(&l).await;
            let mut buf = [0u8; 5];
            read_exact(&s, &mut buf).await;
            write_all(&s, &buf).await;
        });
        let addr = addr_rx.recv().unwrap();
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.write_all(b"hello").unwrap();
        let mut back = [0u8; 5];
        c.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"hello");
        rt.block_on(server).unwrap();
    });
}

#[test]
#[cfg_attr(miri, ignore = "TCP sockets: Miri has no socket shims")]
fn many_tasks_await_readiness_of_one_socket() {
    bounded(Duration::from_secs(10), || {
        let rt = crate::Builder::new().worker_threads(2).build().unwrap();
        rt.block_on(async {
            let l = listener();
            let addr = l.get_ref().local_addr().unwrap();
            let mut client = std::net::TcpStream::connect(addr).unwrap();
            let s = std::sync::Arc::new(accept(&l).await);
            let (ready_tx, ready_rx) = mpsc::channel();
            let waiters: Vec<_> = (0..50)
                .map(|_| {
                    let s = s.clone();
                    let ready_tx = ready_tx.clone();
                    crate::spawn(async move {
                        let ev = s.registration().readiness(Interest::READABLE);
                        ready_tx.send(()).unwrap();
                        ev.await.unwrap().ready.is_readable()
                    })
                })
                .collect();
            // Every waiter has started before the data is sent.
            for _ in 0..50 {
                ready_rx.recv().unwrap();
            }
            client.write_all(b"x").unwrap();
            for w in waiters {
                assert!(w.await.unwrap());
            }
        });
    });
}

#[test]
#[cfg_attr(miri, ignore = "TCP sockets: Miri has no socket shims")]
fn shutdown_fails_pending_and_new_io() {
    bounded(Duration::from_secs(10), || {
        let rt = Runtime::new().unwrap();
        let handle = rt.handle().clone();
        let (tx, rx) = mpsc::channel();
        let l = std::sync::Arc::new(rt.block_on(async { listener() }));
        let l2 = l.clone();
        let pending = rt.spawn(async move {
            tx.send(()).unwrap();
            poll_fn(|cx| {
                l2.registration()
                    .poll_io(cx, Direction::Read, || l2.get_ref().accept())
            })
            .await
            .map(|_| ())
        });
        rx.recv().unwrap();
        drop(rt);
        // The task was cancelled by shutdown (its future dropped, no hang); the
        // listener itself outlives the runtime and every wait on it fails.
        assert!(crate::block_on(pending).unwrap_err().is_cancelled());
        let err = crate::block_on(poll_fn(|cx| {
            l.registration()
                .poll_io(cx, Direction::Read, || l.get_ref().accept())
        }))
        .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Other);
        assert!(err.to_string().contains("shut down"), "{err}");
        // A socket created in the context of the shut-down runtime is refused.
        let err = handle
            .block_on(async {
                let l = mio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
                PollEvented::new(l, "test").map(drop)
            })
            .unwrap_err();
        assert!(err.to_string().contains("shut down"), "{err}");
    });
}

#[test]
#[cfg_attr(miri, ignore = "TCP sockets: Miri has no socket shims")]
#[should_panic(expected = "`TcpStream::connect` called outside a runtime")]
fn outside_a_runtime_panics_with_the_fix() {
    let l = mio::net::TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let _ = PollEvented::new(l, "TcpStream::connect");
}
