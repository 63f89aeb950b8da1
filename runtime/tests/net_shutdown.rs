//! Sockets and runtime shutdown: tasks awaiting I/O are dropped with the runtime,
//! futures awaited elsewhere complete with an `Other` error, new operations fail the
//! same way, and nothing is leaked. Every test bounded in time.
// The sockets need the real reactor: not in the loom build.
#![cfg(not(loom))]

mod common;
#[path = "common/net.rs"]
mod net;

use std::future::Future;
use std::io::{ErrorKind, Read};
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use runtime::io::unix::AsyncFd;
use runtime::io::AsyncReadExt;
use runtime::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use runtime::Runtime;

use common::within;

/// Runs `fut` and sends on `tx` the first time it returns `Pending` (it is then
/// really waiting on the reactor).
async fn report_pending<F: Future>(fut: F, tx: mpsc::Sender<()>) -> F::Output {
    let mut fut = pin!(fut);
    let mut told = false;
    std::future::poll_fn(|cx| {
        let r = fut.as_mut().poll(cx);
        if r.is_pending() && !told {
            told = true;
            let _ = tx.send(());
        }
        r
    })
    .await
}

fn assert_shutdown_error(r: std::io::Result<impl std::fmt::Debug>) {
    let err = r.expect_err("the runtime has shut down");
    assert_eq!(err.kind(), ErrorKind::Other, "{err}");
    assert!(err.to_string().contains("shut down"), "{err}");
}

/// A listener with one accepted connection whose client end is a std stream.
fn listener_and_connection(rt: &Runtime) -> (TcpListener, TcpStream, std::net::TcpStream) {
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().await.unwrap();
        (listener, server, client)
    })
}

#[test]
fn tasks_awaiting_accept_and_read_are_dropped_with_the_runtime() {
    within(20, || {
        let rt = Runtime::new().unwrap();
        let (listener, server, mut client) = listener_and_connection(&rt);
        let addr: SocketAddr = listener.local_addr().unwrap();
        let token = Arc::new(());
        let (tx, rx) = mpsc::channel();

        let (t, s) = (token.clone(), tx.clone());
        rt.spawn(async move {
            let _t = t;
            let _ = report_pending(listener.accept(), s).await;
            unreachable!("nobody connects");
        });
        let (t, s) = (token.clone(), tx);
        rt.spawn(async move {
            let _t = t;
            let mut server = server;
            let mut buf = [0u8; 8];
            let _ = report_pending(server.read(&mut buf), s).await;
            unreachable!("nobody writes");
        });
        rx.recv().unwrap();
        rx.recv().unwrap();

        drop(rt);
        // Both futures were dropped, with what they held: nothing leaked.
        assert_eq!(Arc::strong_count(&token), 1);
        // The server's socket is closed: the client reads end of stream.
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        assert_eq!(client.read(&mut [0u8; 8]).unwrap(), 0);
        // The listener's socket is closed: its address is free again.
        std::net::TcpListener::bind(addr).expect("the listener was closed");
    });
}

#[test]
fn futures_waiting_elsewhere_complete_with_an_error_at_shutdown() {
    within(20, || {
        let rt = Runtime::new().unwrap();
        let (listener, server, _client) = listener_and_connection(&rt);
        let (udp, (pipe, _pipe_peer)) = rt.block_on(async {
            let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let (r, w) = std::os::unix::net::UnixStream::pair().unwrap();
            r.set_nonblocking(true).unwrap();
            (udp, (AsyncFd::new(r).unwrap(), w))
        });
        let (tx, rx) = mpsc::channel();

        // Plain threads (not the runtime's) poll the futures with the free
        // `block_on`; the reactor of `rt` is what would wake them.
        let s = tx.clone();
        let accept = std::thread::spawn(move || {
            runtime::block_on(report_pending(listener.accept(), s)).map(drop)
        });
        let s = tx.clone();
        let read = std::thread::spawn(move || {
            let mut server = server;
            let mut buf = [0u8; 8];
            runtime::block_on(report_pending(server.read(&mut buf), s))
        });
        let s = tx.clone();
        let recv = std::thread::spawn(move || {
            let mut buf = [0u8; 8];
            runtime::block_on(report_pending(udp.recv_from(&mut buf), s))
        });
        let s = tx;
        let fd = std::thread::spawn(move || {
            runtime::block_on(report_pending(pipe.readable(), s)).map(drop)
        });
        for _ in 0..4 {
            rx.recv().unwrap();
        }

        drop(rt);
        assert_shutdown_error(accept.join().unwrap());
        assert_shutdown_error(read.join().unwrap());
        assert_shutdown_error(recv.join().unwrap());
        assert_shutdown_error(fd.join().unwrap());
    });
}

#[test]
fn every_new_operation_after_shutdown_fails_with_other() {
    within(20, || {
        let rt = Runtime::new().unwrap();
        let (listener, server, _client) = listener_and_connection(&rt);
        let (a, b) = rt.block_on(async { UnixStream::pair().unwrap() });
        let handle = rt.handle().clone();
        drop(rt);

        runtime::block_on(async {
            assert_shutdown_error(listener.accept().await);
            assert_shutdown_error(server.readable().await);
            assert_shutdown_error(server.writable().await);
            assert_shutdown_error((&server).read(&mut [0u8; 4]).await);
            assert_shutdown_error(server.try_read(&mut [0u8; 4]));
            assert_shutdown_error(a.writable().await);
            assert_shutdown_error(b.try_write(b"x"));
        });
        // Synchronous queries that do not touch the reactor still answer.
        assert!(listener.local_addr().is_ok());
        assert!(server.peer_addr().is_ok());
        // Unwrapping works too: the std socket is usable without any runtime.
        let std_server = server.into_std().unwrap();
        assert!(std_server.peer_addr().is_ok());

        // A socket created in the context of the shut-down runtime.
        let (l, u) = handle.block_on(async {
            (
                TcpListener::bind("127.0.0.1:0").await.map(drop),
                UnixStream::pair().map(drop),
            )
        });
        assert_shutdown_error(l);
        assert_shutdown_error(u);
    });
}

#[test]
fn creating_sockets_outside_a_runtime_panics_naming_the_call() {
    fn message(err: Box<dyn std::any::Any + Send>) -> String {
        err.downcast_ref::<String>()
            .cloned()
            .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    }
    let std_udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let err = std::panic::catch_unwind(move || UdpSocket::from_std(std_udp)).unwrap_err();
    assert!(message(err).contains("UdpSocket::from_std"));

    let (r, _w) = std::os::unix::net::UnixStream::pair().unwrap();
    let err = std::panic::catch_unwind(move || AsyncFd::new(r)).unwrap_err();
    assert!(message(err).contains("AsyncFd::new"));

    let err =
        std::panic::catch_unwind(|| runtime::block_on(TcpListener::bind("127.0.0.1:0")).map(drop))
            .unwrap_err();
    assert!(message(err).contains("TcpListener::bind"));
}
