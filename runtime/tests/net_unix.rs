//! Unix-domain sockets on the runtime's reactor. Socket files live in a fresh temp
//! dir (pid in the name), removed afterwards; every test bounded in time.
// The sockets need the real reactor: not in the loom build.
#![cfg(not(loom))]

mod common;
#[path = "common/net.rs"]
mod net;

use std::io::ErrorKind;
use std::net::Shutdown;
use std::time::Duration;

use runtime::io::{AsyncReadExt, AsyncWriteExt, Interest};
use runtime::net::unix::{OwnedReadHalf, OwnedWriteHalf, ReuniteError, SocketAddr};
use runtime::net::{UnixDatagram, UnixListener, UnixStream};
use runtime::time::timeout;

use net::{assert_send, assert_send_sync_unpin, pattern, run, TempDir};

const _: () = {
    assert_send_sync_unpin::<UnixListener>();
    assert_send_sync_unpin::<UnixStream>();
    assert_send_sync_unpin::<UnixDatagram>();
    assert_send_sync_unpin::<OwnedReadHalf>();
    assert_send_sync_unpin::<OwnedWriteHalf>();
    assert_send_sync_unpin::<ReuniteError>();
};

/// Never called: the futures of every async method are `Send`.
#[allow(dead_code, unused_must_use)]
fn futures_are_send(l: &UnixListener, s: &UnixStream, d: &UnixDatagram) {
    let mut buf = [0u8; 1];
    assert_send(&l.accept());
    assert_send(&UnixStream::connect("/nowhere"));
    assert_send(&s.readable());
    assert_send(&s.writable());
    assert_send(&s.ready(Interest::READABLE));
    assert_send(&d.send(b"x"));
    assert_send(&d.recv(&mut buf));
    assert_send(&d.send_to(b"x", "/nowhere"));
    assert_send(&d.recv_from(&mut buf));
    assert_send(&d.readable());
}

#[test]
fn listener_and_streams_echo() {
    run(20, || async {
        let dir = TempDir::new("echo");
        let path = dir.join("sock");
        let listener = UnixListener::bind(&path).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );
        let server = runtime::spawn(async move {
            let mut echoes = Vec::new();
            for _ in 0..20 {
                let (mut s, addr): (UnixStream, SocketAddr) = listener.accept().await.unwrap();
                assert!(addr.is_unnamed());
                echoes.push(runtime::spawn(async move {
                    let (mut r, mut w) = s.split_borrowed();
                    let mut buf = [0u8; 4096];
                    loop {
                        let n = r.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        w.write_all(&buf[..n]).await.unwrap();
                    }
                    s.close().await.unwrap();
                }));
            }
            for e in echoes {
                e.await.unwrap();
            }
        });
        let clients: Vec<_> = (0..20u64)
            .map(|i| {
                let path = path.clone();
                runtime::spawn(async move {
                    let stream = UnixStream::connect(&path).await.unwrap();
                    assert_eq!(
                        stream.peer_addr().unwrap().as_pathname(),
                        Some(path.as_path())
                    );
                    let data = pattern(i, 50_000);
                    let (mut r, mut w) = stream.into_split();
                    let d = data.clone();
                    let writer = runtime::spawn(async move {
                        w.write_all(&d).await.unwrap();
                        // Dropping the write half shuts down the write side.
                    });
                    let mut back = Vec::new();
                    r.read_to_end(&mut back).await.unwrap();
                    writer.await.unwrap();
                    assert!(back == data, "client {i}: the echo differs");
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
        server.await.unwrap();
        drop(dir);
        assert!(!path.exists());
    });
}

/// `&UnixStream` reads and writes: two handles on one stream for one task.
trait SplitBorrowed {
    fn split_borrowed(&self) -> (&UnixStream, &UnixStream);
}

impl SplitBorrowed for UnixStream {
    fn split_borrowed(&self) -> (&UnixStream, &UnixStream) {
        (self, self)
    }
}

#[test]
fn pair_half_close_and_readiness() {
    run(20, || async {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(
            b.try_read(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        a.writable().await.unwrap();
        assert_eq!(a.try_write(b"abc").unwrap(), 3);
        a.shutdown(Shutdown::Write).unwrap();
        let mut got = Vec::new();
        b.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"abc");
        // The other direction is still open.
        b.write_all(b"back").await.unwrap();
        drop(b);
        let mut back = Vec::new();
        (&a).read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"back");
    });
}

#[test]
fn reunite_and_from_std_into_std() {
    run(20, || async {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let a = UnixStream::from_std(a).unwrap();
        let b = UnixStream::from_std(b).unwrap();
        let (ar, aw) = a.into_split();
        let (br, bw) = b.into_split();
        let ReuniteError(ar, bw) = ar.reunite(bw).unwrap_err();
        let a = ar.reunite(aw).unwrap();
        let b = bw.reunite(br).unwrap();
        let mut std_a = a.into_std().unwrap();
        std::io::Write::write_all(&mut std_a, b"x").unwrap();
        b.readable().await.unwrap();
        assert_eq!(b.try_read(&mut [0u8; 4]).unwrap(), 1);
    });
}

#[test]
fn a_stream_read_races_a_timer() {
    run(20, || async {
        let (mut a, mut b) = UnixStream::pair().unwrap();
        let mut buf = [0u8; 4];
        assert!(timeout(Duration::from_millis(50), a.read(&mut buf))
            .await
            .is_err());
        b.write_all(b"late").await.unwrap();
        let n = timeout(Duration::from_secs(10), a.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&buf[..n], b"late");
    });
}

#[test]
fn datagrams_bound_unbound_pair_and_connected() {
    run(20, || async {
        let dir = TempDir::new("dgram");
        let server_path = dir.join("server");
        let client_path = dir.join("client");
        let server = UnixDatagram::bind(&server_path).unwrap();
        let client = UnixDatagram::bind(&client_path).unwrap();
        assert_eq!(
            server.local_addr().unwrap().as_pathname(),
            Some(server_path.as_path())
        );

        client.send_to(b"one", &server_path).await.unwrap();
        let mut buf = [0u8; 16];
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"one");
        assert_eq!(from.as_pathname(), Some(client_path.as_path()));
        server
            .send_to(b"two", from.as_pathname().unwrap())
            .await
            .unwrap();
        let n = client.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"two");

        // Connected.
        let unbound = UnixDatagram::unbound().unwrap();
        unbound.connect(&server_path).unwrap();
        assert_eq!(
            unbound.peer_addr().unwrap().as_pathname(),
            Some(server_path.as_path())
        );
        unbound.send(b"three").await.unwrap();
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"three");
        assert!(from.is_unnamed());

        // A pair, with try_ and a timer race.
        let (x, y) = UnixDatagram::pair().unwrap();
        assert_eq!(
            y.try_recv(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        assert!(timeout(Duration::from_millis(50), y.recv(&mut buf))
            .await
            .is_err());
        x.try_send(b"four").unwrap();
        let n = y.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"four");
        let n = x
            .try_send_to(b"five", &server_path)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(n, 4);
        server.readable().await.unwrap();
        let (n, _) = server.try_recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"five");
    });
}

#[test]
fn bad_paths_give_errors_not_panics() {
    run(20, || async {
        let dir = TempDir::new("bad");
        // A NUL byte.
        let err = UnixListener::bind("/tmp/a\0b").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        let err = UnixStream::connect("/tmp/a\0b").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        let err = UnixDatagram::bind("/tmp/a\0b").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        // Longer than sun_path (108 bytes on Linux).
        let long = dir.join(&"x".repeat(200));
        let err = UnixListener::bind(&long).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        let err = UnixStream::connect(&long).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        let d = UnixDatagram::unbound().unwrap();
        let err = d.send_to(b"x", &long).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        // Nothing there.
        let err = UnixStream::connect(dir.join("missing")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        // Already there.
        let path = dir.join("taken");
        let _l = UnixListener::bind(&path).unwrap();
        let err = UnixListener::bind(&path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
        // A file, not a listener.
        drop(_l);
        let err = UnixStream::connect(&path).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
    });
}

#[test]
fn creating_a_unix_socket_outside_a_runtime_panics() {
    let err = std::panic::catch_unwind(UnixStream::pair).expect_err("outside a runtime");
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(msg.contains("UnixStream::pair"), "{msg}");
}
