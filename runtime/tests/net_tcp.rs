//! TCP on the runtime's reactor: real sockets on 127.0.0.1, every test bounded in time.
// The sockets need the real reactor: not in the loom build.
#![cfg(not(loom))]

mod common;
#[path = "common/net.rs"]
mod net;

use std::collections::HashSet;
use std::future::Future;
use std::io::{self, ErrorKind};
use std::net::{Shutdown, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use runtime::io::{AsyncReadExt, AsyncWriteExt, Interest};
use runtime::net::tcp::{OwnedReadHalf, OwnedWriteHalf, ReuniteError};
use runtime::net::{lookup_host, TcpListener, TcpStream};
use runtime::time::timeout;

use net::{assert_send, assert_send_sync_unpin, fd_budget, pattern, run, Checksum};

const _: () = {
    assert_send_sync_unpin::<TcpListener>();
    assert_send_sync_unpin::<TcpStream>();
    assert_send_sync_unpin::<OwnedReadHalf>();
    assert_send_sync_unpin::<OwnedWriteHalf>();
    assert_send_sync_unpin::<ReuniteError>();
};

/// Never called: the futures of every async method are `Send`.
#[allow(dead_code, unused_must_use)]
fn futures_are_send(l: &TcpListener, s: &TcpStream, r: &OwnedReadHalf, w: &OwnedWriteHalf) {
    let mut buf = [0u8; 1];
    assert_send(&TcpListener::bind("127.0.0.1:0"));
    assert_send(&TcpListener::bind(String::from("localhost:0")));
    assert_send(&l.accept());
    assert_send(&TcpStream::connect(("localhost", 80)));
    assert_send(&s.readable());
    assert_send(&s.writable());
    assert_send(&s.ready(Interest::READABLE));
    assert_send(&s.peek(&mut buf));
    assert_send(&r.readable());
    assert_send(&w.writable());
    assert_send(&lookup_host("localhost:80"));
    let mut s2: &TcpStream = s;
    assert_send(&s2.read(&mut buf));
    assert_send(&s2.write_all(b"x"));
}

/// A connected pair: (client, server side).
async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, peer) = listener.accept().await.unwrap();
    assert_eq!(peer, client.local_addr().unwrap());
    (client, server)
}

#[test]
fn echo_with_a_thousand_concurrent_connections() {
    let conns = fd_budget(1000, 2);
    run(60, move || async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = runtime::spawn(async move {
            let mut echoes = Vec::new();
            for _ in 0..conns {
                let (mut socket, _) = listener.accept().await.unwrap();
                echoes.push(runtime::spawn(async move {
                    let mut buf = [0u8; 1024];
                    loop {
                        let n = socket.read(&mut buf).await?;
                        if n == 0 {
                            break;
                        }
                        socket.write_all(&buf[..n]).await?;
                    }
                    socket.close().await
                }));
            }
            for e in echoes {
                e.await.unwrap().unwrap();
            }
        });

        // Connect one after another, so that no more than a few handshakes are ever
        // pending: a burst far beyond the backlog (128) makes Linux fall back to SYN
        // cookies, and some of those it resets (SyncookiesFailed). The burst is
        // `accept_survives_a_burst_of_connects`'s subject; this test is about a
        // thousand connections open and echoing at the same time.
        let mut streams = Vec::with_capacity(conns);
        for _ in 0..conns {
            streams.push(TcpStream::connect(addr).await.unwrap());
        }
        let clients: Vec<_> = streams
            .into_iter()
            .enumerate()
            .map(|(i, mut stream)| {
                runtime::spawn(async move {
                    let label = move |what: &'static str| {
                        move |e: io::Error| {
                            io::Error::new(e.kind(), format!("connection {i}: {what}: {e}"))
                        }
                    };
                    let data = pattern(i as u64, 3000 + (i % 7) * 1000);
                    let (mut read, mut write) = stream_split(&mut stream);
                    let writer = async {
                        write.write_all(&data).await.map_err(label("write"))?;
                        write.close().await.map_err(label("close"))
                    };
                    let mut back = Vec::new();
                    let reader = read.read_to_end(&mut back);
                    let (w, r) = join(writer, reader).await;
                    w?;
                    r.map_err(label("read"))?;
                    assert!(back == data, "connection {i}: the echo differs");
                    Ok::<usize, io::Error>(back.len())
                })
            })
            .collect();
        let mut total = 0;
        for c in clients {
            total += c.await.unwrap().unwrap();
        }
        server.await.unwrap();
        assert!(total >= conns * 3000);
    });
}

/// Both directions of one stream at once: `&TcpStream` reads and writes.
fn stream_split(s: &mut TcpStream) -> (&TcpStream, &TcpStream) {
    (&*s, &*s)
}

/// Polls two futures together until both finish (a small `join`, no dependency).
async fn join<A: Future, B: Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        if ra.is_some() && rb.is_some() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    (ra.unwrap(), rb.unwrap())
}

#[test]
fn a_hundred_megabytes_arrive_intact() {
    const TOTAL: usize = 100 * 1024 * 1024;
    run(60, || async {
        let (client, mut server) = pair().await;
        let sender = runtime::spawn(async move {
            let (_read, mut write) = client.into_split();
            let block = pattern(7, 1 << 20);
            let mut sum = Checksum::default();
            let mut sent = 0;
            let mut round = 0;
            while sent < TOTAL {
                // Rotate the block each round so that a repeated or dropped block
                // changes the checksum.
                let at = round % block.len();
                let chunk = [&block[at..], &block[..at]].concat();
                write.write_all(&chunk).await.unwrap();
                sum.update(&chunk);
                sent += chunk.len();
                round += 4099;
            }
            write.close().await.unwrap();
            sum
        });
        let mut sum = Checksum::default();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = server.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            sum.update(&buf[..n]);
        }
        let sent = sender.await.unwrap();
        assert_eq!(sum.len, TOTAL as u64);
        assert_eq!(sum, sent);
    });
}

#[test]
fn half_close_the_peer_reads_zero_then_still_writes_back() {
    run(20, || async {
        let (mut client, mut server) = pair().await;
        client.write_all(b"hello").await.unwrap();
        client.shutdown(Shutdown::Write).unwrap();

        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"hello");
        assert_eq!(
            server.read(&mut [0u8; 8]).await.unwrap(),
            0,
            "EOF stays EOF"
        );

        server.write_all(b"world").await.unwrap();
        server.close().await.unwrap();
        let mut back = Vec::new();
        client.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, b"world");
    });
}

#[test]
fn a_peer_reset_gives_an_error_on_the_next_read() {
    run(20, || async {
        let (mut client, server) = pair().await;
        client.write_all(b"unread").await.unwrap();
        // Let the bytes reach the server's receive buffer, then close it unread:
        // Linux answers with a reset instead of a FIN.
        server.readable().await.unwrap();
        drop(server);

        let err = client.read(&mut [0u8; 16]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err}");
        // The connection stays broken for writes too (EPIPE, or the reset again).
        let err = client.write_all(&[0u8; 1 << 16]).await.unwrap_err();
        assert!(
            matches!(
                err.kind(),
                ErrorKind::BrokenPipe | ErrorKind::ConnectionReset
            ),
            "{err:?}"
        );
    });
}

#[test]
fn accept_survives_a_burst_of_connects() {
    let n = fd_budget(2000, 2);
    run(30, move || async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let ids = Arc::new(Mutex::new(HashSet::new()));
        // The acceptor records the 4-byte id each client sends, and acknowledges it.
        let seen = ids.clone();
        let acceptor = runtime::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                let seen = seen.clone();
                runtime::spawn(async move {
                    let mut id = [0u8; 4];
                    s.read_exact(&mut id).await?;
                    seen.lock().unwrap().insert(u32::from_le_bytes(id));
                    s.write_all(b"k").await
                });
            }
        });
        // Far more connects than the backlog (128) at once. Linux drops the SYNs
        // that overflow the accept queue (the client retransmits them), and answers
        // others with SYN cookies, some of which it then resets (SyncookiesFailed
        // in /proc/net/netstat): such a client sees its connection reset and
        // connects again, as a real client would. Every one must get through.
        let retries = Arc::new(AtomicUsize::new(0));
        let clients: Vec<_> = (0..n as u32)
            .map(|i| {
                let retries = retries.clone();
                runtime::spawn(async move {
                    for _ in 0..10 {
                        let attempt = async {
                            let mut s = TcpStream::connect(addr).await?;
                            s.write_all(&i.to_le_bytes()).await?;
                            let mut ack = [0u8; 1];
                            s.read_exact(&mut ack).await?;
                            Ok::<TcpStream, io::Error>(s)
                        };
                        match attempt.await {
                            Ok(s) => return s,
                            Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                                retries.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => panic!("client {i}: {e}"),
                        }
                    }
                    panic!("client {i}: reset ten times");
                })
            })
            .collect();
        let mut streams = Vec::new();
        for c in clients {
            streams.push(c.await.unwrap());
        }
        acceptor.abort();
        let ids = ids.lock().unwrap();
        assert_eq!(ids.len(), n);
        assert!((0..n as u32).all(|i| ids.contains(&i)));
        println!(
            "{n} connections, {} reset by the kernel and retried",
            retries.load(Ordering::Relaxed)
        );
    });
}

/// A waker that counts its wakes.
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn many_waiters_on_readable_are_all_woken_by_one_event() {
    const WAITERS: usize = 64;
    run(20, || async {
        let (client, server) = pair().await;
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);

        // Every waiter is registered (polled once, pending) before the event.
        let mut waiters: Vec<_> = (0..WAITERS).map(|_| Box::pin(server.readable())).collect();
        for w in &mut waiters {
            assert!(w.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(counter.0.load(Ordering::SeqCst), 0);

        client.try_write(b"!").unwrap();
        // One event: every waiter's waker fires.
        let deadline = Instant::now() + Duration::from_secs(10);
        while counter.0.load(Ordering::SeqCst) < WAITERS {
            assert!(Instant::now() < deadline, "only {:?} woken", counter.0);
            runtime::yield_now().await;
        }
        for w in &mut waiters {
            assert!(matches!(w.as_mut().poll(&mut cx), Poll::Ready(Ok(()))));
        }
        // The byte is still there for one reader.
        let mut buf = [0u8; 4];
        assert_eq!(server.try_read(&mut buf).unwrap(), 1);
        // And now the readiness is used up: a try_read says WouldBlock...
        assert_eq!(
            server.try_read(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        // ... and a new wait does not complete without a new event.
        let mut again = Box::pin(server.readable());
        assert!(again.as_mut().poll(&mut cx).is_pending());
    });
}

#[test]
fn tasks_sharing_a_stream_in_an_arc_each_get_woken() {
    run(20, || async {
        let (client, server) = pair().await;
        let server = Arc::new(server);
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let s = server.clone();
                runtime::spawn(async move { s.readable().await })
            })
            .collect();
        client.try_write(b"x").unwrap();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
    });
}

#[test]
fn a_read_waiting_on_a_shared_stream_ends_when_another_task_shuts_it_down() {
    // "Dropped while another task awaits it": with `&self` methods and an Arc, the
    // awaiting task keeps the stream alive, so what another task can do is shut it
    // down; the waiting read then completes with end of stream, no hang.
    run(20, || async {
        let (_client, server) = pair().await;
        let server = Arc::new(server);
        let s = server.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = runtime::spawn(async move {
            let mut buf = [0u8; 8];
            let mut shared: &TcpStream = &s;
            let mut fut = std::pin::pin!(shared.read(&mut buf));
            // Report once the read is really waiting, then keep waiting.
            let out = std::future::poll_fn(|cx| {
                let r = fut.as_mut().poll(cx);
                if r.is_pending() {
                    let _ = tx.send(());
                }
                r
            })
            .await;
            out
        });
        while rx.try_recv().is_err() {
            runtime::yield_now().await;
        }
        server.shutdown(Shutdown::Both).unwrap();
        assert_eq!(reader.await.unwrap().unwrap(), 0);
    });
}

#[test]
fn the_read_half_keeps_working_after_the_write_half_is_dropped() {
    run(20, || async {
        let (client, mut server) = pair().await;
        let (mut read, write) = client.into_split();
        let reader = runtime::spawn(async move {
            let mut buf = Vec::new();
            read.read_to_end(&mut buf).await.map(|_| buf)
        });
        // Dropping the write half shuts down our write side only.
        drop(write);
        let mut got = Vec::new();
        server.read_to_end(&mut got).await.unwrap();
        assert!(got.is_empty());
        server.write_all(b"still here").await.unwrap();
        server.close().await.unwrap();
        assert_eq!(reader.await.unwrap().unwrap(), b"still here");
    });
}

#[test]
fn forget_drops_the_write_half_without_shutting_down() {
    run(20, || async {
        let (client, server) = pair().await;
        let (read, write) = client.into_split();
        write.forget();
        // The write side is open: the server sees no end of stream.
        let got = timeout(Duration::from_millis(100), server.readable()).await;
        assert!(got.is_err(), "the server saw an event: {got:?}");
        drop(read);
    });
}

#[test]
fn reunite_gives_the_stream_back_or_both_halves() {
    run(20, || async {
        let (a, _a_peer) = pair().await;
        let (b, _b_peer) = pair().await;
        let a_addr = a.local_addr().unwrap();
        let (ar, aw) = a.into_split();
        let (br, bw) = b.into_split();
        let err = ar.reunite(bw).unwrap_err();
        assert_eq!(
            err.to_string(),
            "tried to reunite halves that are not from the same socket"
        );
        let ReuniteError(ar, bw) = err;
        let a = aw.reunite(ar).unwrap();
        assert_eq!(a.local_addr().unwrap(), a_addr);
        let _b = br.reunite(bw).unwrap();
    });
}

#[test]
fn a_read_that_never_gets_data_ends_at_the_timeout_and_a_prompt_one_wins() {
    run(20, || async {
        let (mut client, mut server) = pair().await;
        let start = Instant::now();
        let mut buf = [0u8; 8];
        let r = timeout(Duration::from_millis(100), server.read(&mut buf)).await;
        let took = start.elapsed();
        assert!(r.is_err(), "no data was sent, yet {r:?}");
        assert!(took >= Duration::from_millis(100), "{took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");

        // The cancelled read lost nothing: the stream still works.
        client.write_all(b"data").await.unwrap();
        let start = Instant::now();
        let n = timeout(Duration::from_secs(10), server.read(&mut buf))
            .await
            .expect("the data came before the timer")
            .unwrap();
        assert_eq!(&buf[..n], b"data");
        assert!(start.elapsed() < Duration::from_secs(5));
    });
}

#[test]
fn try_read_and_try_write_say_would_block_when_not_ready() {
    run(20, || async {
        let (client, server) = pair().await;
        let mut buf = [0u8; 4];
        assert_eq!(
            server.try_read(&mut buf).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );
        // Fill the send buffer until the OS says WouldBlock.
        let chunk = vec![1u8; 1 << 16];
        let mut sent = 0usize;
        loop {
            client.writable().await.unwrap();
            match client.try_write(&chunk) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("{e}"),
            }
        }
        assert!(sent > 0);
        // A writable() now waits until the server drains some.
        let waiting = timeout(Duration::from_millis(50), client.writable()).await;
        assert!(waiting.is_err(), "writable with a full buffer");
        let drain = runtime::spawn(async move {
            let mut server = server;
            let mut buf = vec![0u8; 1 << 16];
            let mut got = 0;
            while got < sent {
                got += server.read(&mut buf).await.unwrap();
            }
            got
        });
        client.writable().await.unwrap();
        assert!(drain.await.unwrap() >= sent);
    });
}

#[test]
fn bad_input_gives_errors_not_panics() {
    run(20, || async {
        let taken = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = taken.local_addr().unwrap();
        let err = TcpListener::bind(addr).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);

        // A port with nobody listening: bind one, note it, close it.
        let closed = {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            l.local_addr().unwrap()
        };
        let err = TcpStream::connect(closed).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");

        // Several addresses: the last error is returned, the first success wins.
        let both: [SocketAddr; 2] = [closed, addr];
        let s = TcpStream::connect(&both[..]).await.unwrap();
        assert_eq!(s.peer_addr().unwrap(), addr);
        let err = TcpStream::connect([closed, closed]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
        let err = TcpStream::connect(&[][..]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);

        let err = TcpStream::connect("not an address").await.unwrap_err();
        assert_ne!(err.kind(), ErrorKind::Other, "{err}");
    });
}

#[test]
fn lookup_host_resolves_literals_and_localhost() {
    run(20, || async {
        let addrs: Vec<_> = lookup_host("127.0.0.1:9").await.unwrap().collect();
        assert_eq!(addrs, ["127.0.0.1:9".parse::<SocketAddr>().unwrap()]);
        let addrs: Vec<_> = lookup_host(("localhost", 9)).await.unwrap().collect();
        assert!(!addrs.is_empty());
        assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 9));
        // A name binds too (host names go through the blocking pool).
        let l = TcpListener::bind("localhost:0").await.unwrap();
        assert!(l.local_addr().unwrap().ip().is_loopback());
    });
}

#[test]
fn from_std_and_into_std_switch_the_blocking_mode() {
    run(20, || async {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = std_listener.local_addr().unwrap();
        let listener = TcpListener::from_std(std_listener).unwrap();
        let std_client = std::net::TcpStream::connect(addr).unwrap();
        let client = TcpStream::from_std(std_client).unwrap();
        let (server, _) = listener.accept().await.unwrap();
        // Non-blocking now: no data means WouldBlock at once.
        assert_eq!(
            client.try_read(&mut [0u8; 1]).unwrap_err().kind(),
            ErrorKind::WouldBlock
        );

        let mut std_server = server.into_std().unwrap();
        std_server
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let start = Instant::now();
        let err = io::Read::read(&mut std_server, &mut [0u8; 1]).unwrap_err();
        assert!(matches!(
            err.kind(),
            ErrorKind::WouldBlock | ErrorKind::TimedOut
        ));
        assert!(
            start.elapsed() >= Duration::from_millis(90),
            "blocking mode waits for the timeout"
        );
        let _ = listener.into_std().unwrap();
    });
}

#[test]
fn options_and_addresses() {
    run(20, || async {
        let (client, server) = pair().await;
        client.set_nodelay(true).unwrap();
        assert!(client.nodelay().unwrap());
        client.set_nodelay(false).unwrap();
        assert!(!client.nodelay().unwrap());
        client.set_ttl(33).unwrap();
        assert_eq!(client.ttl().unwrap(), 33);
        assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());
        assert!(client.take_error().unwrap().is_none());
        assert!(format!("{client:?}").starts_with("TcpStream"));
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.set_ttl(44).unwrap();
        assert_eq!(l.ttl().unwrap(), 44);
        let ready = client.ready(Interest::WRITABLE).await.unwrap();
        assert!(ready.is_writable());
    });
}

#[test]
fn peek_leaves_the_data_and_vectored_io_works() {
    run(20, || async {
        let (client, server) = pair().await;
        let n = (&client)
            .write_vectored(&[io::IoSlice::new(b"ab"), io::IoSlice::new(b"cd")])
            .await
            .unwrap();
        assert!(n > 0);
        if n < 4 {
            (&client).write_all(&b"abcd"[n..]).await.unwrap();
        }
        let mut buf = [0u8; 4];
        let mut peeked = 0;
        while peeked < 4 {
            peeked = server.peek(&mut buf).await.unwrap();
        }
        assert_eq!(&buf, b"abcd");
        let (mut x, mut y) = ([0u8; 1], [0u8; 3]);
        let mut got = 0;
        while got < 4 {
            server.readable().await.unwrap();
            let mut bufs = [io::IoSliceMut::new(&mut x), io::IoSliceMut::new(&mut y)];
            match server.try_read_vectored(&mut bufs) {
                Ok(n) => got += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert_eq!((&x, &y), (b"a", b"bcd"));
    });
}

#[test]
fn creating_a_socket_outside_a_runtime_panics_with_the_fix() {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let err = std::panic::catch_unwind(move || TcpListener::from_std(std_listener))
        .expect_err("outside a runtime");
    let msg = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    assert!(msg.contains("TcpListener::from_std"), "{msg}");
}
