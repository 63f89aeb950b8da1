//! UDP on the runtime's reactor: real sockets on 127.0.0.1, every test bounded in time.
// The sockets need the real reactor: not in the loom build.
#![cfg(not(loom))]

mod common;
#[path = "common/net.rs"]
mod net;

use std::io::ErrorKind;
use std::sync::Arc;
use std::time::Duration;

use runtime::io::Interest;
use runtime::net::UdpSocket;
use runtime::time::timeout;

use net::{assert_send, assert_send_sync_unpin, pattern, run};

const _: () = assert_send_sync_unpin::<UdpSocket>();

/// Never called: the futures of every async method are `Send`.
#[allow(dead_code, unused_must_use)]
fn futures_are_send(s: &UdpSocket) {
    let mut buf = [0u8; 1];
    assert_send(&UdpSocket::bind("127.0.0.1:0"));
    assert_send(&s.connect("127.0.0.1:9"));
    assert_send(&s.send(b"x"));
    assert_send(&s.recv(&mut buf));
    assert_send(&s.send_to(b"x", "127.0.0.1:9"));
    assert_send(&s.recv_from(&mut buf));
    assert_send(&s.peek_from(&mut buf));
    assert_send(&s.readable());
    assert_send(&s.writable());
    assert_send(&s.ready(Interest::READABLE));
}

#[test]
fn send_to_and_recv_from() {
    run(20, || async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b_addr = b.local_addr().unwrap();
        assert_eq!(a.send_to(b"hello", b_addr).await.unwrap(), 5);
        // Address forms: a string, a tuple.
        a.send_to(b"again", b_addr.to_string()).await.unwrap();
        a.send_to(b"third", ("127.0.0.1", b_addr.port()))
            .await
            .unwrap();

        let mut buf = [0u8; 64];
        let (n, from) = b.peek_from(&mut buf).await.unwrap();
        assert_eq!((&buf[..n], from), (&b"hello"[..], a.local_addr().unwrap()));
        for want in [&b"hello"[..], b"again", b"third"] {
            let (n, from) = b.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], want);
            assert_eq!(from, a.local_addr().unwrap());
        }
        assert_eq!(
            b.try_recv_from(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
    });
}

#[test]
fn connected_sockets_send_and_recv() {
    run(20, || async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        b.connect(a.local_addr().unwrap()).await.unwrap();
        assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());

        let mut buf = [0u8; 64];
        a.send(b"ping").await.unwrap();
        let n = b.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"ping");
        b.send(b"pong").await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"pong");

        // A third socket's datagrams do not reach a connected socket.
        let c = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        c.send_to(b"stranger", a.local_addr().unwrap())
            .await
            .unwrap();
        b.send(b"friend").await.unwrap();
        let n = a.recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"friend");
    });
}

#[test]
fn many_datagrams_between_two_tasks_every_byte_checked() {
    const COUNT: u64 = 500;
    run(20, || async {
        let server = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.connect(server.local_addr().unwrap()).await.unwrap();
        // An echo server.
        let s = server.clone();
        let echo = runtime::spawn(async move {
            let mut buf = [0u8; 2048];
            for _ in 0..COUNT {
                let (n, from) = s.recv_from(&mut buf).await.unwrap();
                s.send_to(&buf[..n], from).await.unwrap();
            }
        });
        // Lock-step so the receive buffers never overflow (UDP may drop).
        let mut buf = [0u8; 2048];
        for i in 0..COUNT {
            let data = pattern(i, 1 + (i as usize * 37) % 1400);
            client.send(&data).await.unwrap();
            let n = client.recv(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], &data[..], "datagram {i}");
        }
        echo.await.unwrap();
    });
}

#[test]
fn try_send_and_try_recv() {
    run(20, || async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        a.connect(b.local_addr().unwrap()).await.unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(
            a.try_recv(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        a.writable().await.unwrap();
        assert_eq!(a.try_send(b"x").unwrap(), 1);
        a.try_send_to(b"y", b.local_addr().unwrap()).unwrap();
        let mut got = Vec::new();
        while got.len() < 2 {
            b.readable().await.unwrap();
            match b.try_recv_from(&mut buf) {
                Ok((n, _)) => got.push(buf[..n].to_vec()),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!(got, [b"x".to_vec(), b"y".to_vec()]);
    });
}

#[test]
fn a_recv_with_nothing_sent_ends_at_the_timeout() {
    run(20, || async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let mut buf = [0u8; 8];
        let r = timeout(Duration::from_millis(50), a.recv_from(&mut buf)).await;
        assert!(r.is_err());
    });
}

#[test]
fn bad_input_and_unreachable_ports() {
    run(20, || async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let err = UdpSocket::bind(a.local_addr().unwrap()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);

        // Connected to a port nobody has: the ICMP port-unreachable comes back as
        // ConnectionRefused on the next operation.
        let closed = {
            let c = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            c.local_addr().unwrap()
        };
        a.connect(closed).await.unwrap();
        a.send(b"anyone?").await.unwrap();
        let mut buf = [0u8; 8];
        let err = a.recv(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");

        let none: &[std::net::SocketAddr] = &[];
        let err = a.send_to(b"x", none).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn from_std_into_std_and_options() {
    run(20, || async {
        let std_socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = std_socket.local_addr().unwrap();
        let s = UdpSocket::from_std(std_socket).unwrap();
        assert_eq!(s.local_addr().unwrap(), addr);
        s.set_broadcast(true).unwrap();
        assert!(s.broadcast().unwrap());
        s.set_ttl(17).unwrap();
        assert_eq!(s.ttl().unwrap(), 17);
        s.set_multicast_loop_v4(false).unwrap();
        assert!(!s.multicast_loop_v4().unwrap());
        s.set_multicast_ttl_v4(3).unwrap();
        assert_eq!(s.multicast_ttl_v4().unwrap(), 3);
        assert!(s.take_error().unwrap().is_none());
        assert_eq!(s.peer_addr().unwrap_err().kind(), ErrorKind::NotConnected);
        assert!(format!("{s:?}").starts_with("UdpSocket"));
        let back = s.into_std().unwrap();
        back.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let start = std::time::Instant::now();
        assert!(back.recv(&mut [0u8; 1]).is_err());
        assert!(
            start.elapsed() >= Duration::from_millis(40),
            "blocking again"
        );
    });
}
