//! `AsyncFd` on a "pipe" (one end of a std `UnixStream` pair, non-blocking); every
//! test bounded in time.
// The sockets need the real reactor: not in the loom build.
#![cfg(not(loom))]

mod common;
#[path = "common/net.rs"]
mod net;

use std::future::Future;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use runtime::io::unix::{AsyncFd, AsyncFdReadyGuard, AsyncFdReadyMutGuard, TryIoError};
use runtime::io::Interest;
use runtime::time::timeout;

use net::{assert_send, assert_send_sync_unpin, run};

const _: () = {
    assert_send_sync_unpin::<AsyncFd<UnixStream>>();
    assert_send_sync_unpin::<AsyncFdReadyGuard<'static, UnixStream>>();
    assert_send_sync_unpin::<AsyncFdReadyMutGuard<'static, UnixStream>>();
    assert_send_sync_unpin::<TryIoError>();
};

/// Never called: the futures are `Send`.
#[allow(dead_code, unused_must_use)]
fn futures_are_send(fd: &mut AsyncFd<UnixStream>) {
    assert_send(&fd.readable());
    assert_send(&fd.writable());
    assert_send(&fd.ready(Interest::READABLE));
    assert_send(&fd.readable_mut());
    assert_send(&fd.writable_mut());
}

/// A connected pair, both ends non-blocking.
fn pipe() -> (UnixStream, UnixStream) {
    let (r, w) = UnixStream::pair().unwrap();
    r.set_nonblocking(true).unwrap();
    w.set_nonblocking(true).unwrap();
    (r, w)
}

/// Reads through the readiness loop until `buf` has something.
async fn read_some(fd: &AsyncFd<UnixStream>, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        let mut guard = fd.readable().await?;
        match guard.try_io(|inner| inner.get_ref().read(buf)) {
            Ok(r) => return r,
            Err(_would_block) => continue,
        }
    }
}

#[test]
fn readable_then_try_io_reads_and_clears_on_would_block() {
    run(20, || async {
        let (r, mut w) = pipe();
        let fd = AsyncFd::new(r).unwrap();
        w.write_all(b"hello").unwrap();
        let mut buf = [0u8; 16];
        let n = read_some(&fd, &mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello");

        // Drained: the next read says WouldBlock, the guard clears, and a new wait
        // waits for a new event.
        let mut guard = fd.readable().await.unwrap();
        assert!(guard.ready().is_readable());
        let err: TryIoError = guard
            .try_io(|inner| inner.get_ref().read(&mut buf))
            .unwrap_err();
        assert!(err.to_string().contains("would block"));
        assert!(timeout(Duration::from_millis(50), fd.readable())
            .await
            .is_err());

        w.write_all(b"more").unwrap();
        let n = read_some(&fd, &mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"more");
    });
}

#[test]
fn retain_ready_keeps_the_readiness_and_clear_ready_drops_it() {
    run(20, || async {
        let (r, mut w) = pipe();
        let fd = AsyncFd::new(r).unwrap();
        w.write_all(b"x").unwrap();
        let mut guard = fd.readable().await.unwrap();
        guard.retain_ready();
        // Still ready: completes at once.
        let mut guard = timeout(Duration::from_secs(5), fd.readable())
            .await
            .expect("retained")
            .unwrap();
        assert!(guard.ready().is_readable());
        assert_eq!(guard.get_inner().as_raw_fd(), fd.as_raw_fd());
        guard.clear_ready();
        assert!(guard.ready().is_empty());
        // Cleared (though a byte is unread): the wait needs a new event.
        assert!(timeout(Duration::from_millis(50), fd.readable())
            .await
            .is_err());
        w.write_all(b"y").unwrap();
        let mut buf = [0u8; 4];
        let n = read_some(&fd, &mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"xy");
    });
}

#[test]
fn writable_and_mut_guards() {
    run(20, || async {
        let (r, w) = pipe();
        let mut wfd = AsyncFd::with_interest(w, Interest::WRITABLE).unwrap();
        let rfd = AsyncFd::with_interest(r, Interest::READABLE).unwrap();
        // Fill the socket buffer through the mut guard.
        let chunk = [7u8; 8192];
        let mut written = 0;
        loop {
            let mut guard = wfd.writable_mut().await.unwrap();
            assert!(guard.ready().is_writable());
            match guard.try_io(|inner| inner.get_mut().write(&chunk)) {
                Ok(n) => written += n.unwrap(),
                Err(_) => break,
            }
        }
        assert!(written > 0);
        // Full: no writability until the reader drains.
        assert!(timeout(Duration::from_millis(50), wfd.writable())
            .await
            .is_err());
        let mut buf = vec![0u8; 1 << 16];
        let mut read = 0;
        while read < written {
            read += read_some(&rfd, &mut buf).await.unwrap();
        }
        assert_eq!(read, written);
        timeout(Duration::from_secs(5), wfd.writable())
            .await
            .expect("writable once drained")
            .unwrap();
        let mut guard = wfd.ready_mut(Interest::WRITABLE).await.unwrap();
        assert_eq!(guard.get_ref().as_raw_fd(), guard.get_inner().as_raw_fd());
        let _: &mut UnixStream = guard.get_inner_mut();
        let _: &mut AsyncFd<UnixStream> = guard.get_mut();
    });
}

/// Borrows an fd it does not own.
struct Borrowed(RawFd);

impl AsRawFd for Borrowed {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

#[test]
fn dropping_or_unwrapping_the_async_fd_does_not_close_the_fd() {
    run(20, || async {
        let (r, mut w) = pipe();
        // Dropped: `Borrowed` owns nothing, so the fd stays open and usable.
        let fd = AsyncFd::new(Borrowed(r.as_raw_fd())).unwrap();
        drop(fd);
        w.write_all(b"a").unwrap();
        let mut byte = [0u8; 1];
        // r is non-blocking; the byte is already there (a socketpair is synchronous).
        assert_eq!((&r).read(&mut byte).unwrap(), 1);

        // Unwrapped: the same value back, still open; and it can be registered again
        // (the old registration is gone).
        let fd = AsyncFd::new(r).unwrap();
        let r = fd.into_inner();
        let fd = AsyncFd::new(r).unwrap();
        w.write_all(b"b").unwrap();
        let n = read_some(&fd, &mut byte).await.unwrap();
        assert_eq!((n, byte[0]), (1, b'b'));
    });
}

/// A waker that counts its wakes.
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn many_waiters_all_woken_and_a_cancelled_wait_leaves_nothing_behind() {
    run(20, || async {
        let (r, mut w) = pipe();
        let fd = AsyncFd::new(r).unwrap();
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        let mut waiters: Vec<_> = (0..32).map(|_| Box::pin(fd.readable())).collect();
        for w in &mut waiters {
            assert!(w.as_mut().poll(&mut cx).is_pending());
        }
        // Cancel half of them, as a select would when another branch wins.
        waiters.truncate(16);
        w.write_all(b"!").unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while counter.0.load(Ordering::SeqCst) < 16 {
            assert!(Instant::now() < deadline, "woken: {:?}", counter.0);
            runtime::yield_now().await;
        }
        for w in &mut waiters {
            match w.as_mut().poll(&mut cx) {
                Poll::Ready(Ok(guard)) => assert!(guard.ready().is_readable()),
                other => panic!("{:?}", other.map(|r| r.map(|g| g.ready()))),
            }
        }
        drop(waiters);
        // Dropping the AsyncFd with nobody waiting, then the fd itself: no hang.
        drop(fd);
    });
}

#[test]
fn a_wait_races_a_timer() {
    run(20, || async {
        let (r, mut w) = pipe();
        let fd = AsyncFd::new(r).unwrap();
        let start = Instant::now();
        assert!(timeout(Duration::from_millis(100), fd.readable())
            .await
            .is_err());
        assert!(start.elapsed() >= Duration::from_millis(100));
        let writer = std::thread::spawn(move || w.write_all(b"z"));
        let guard = timeout(Duration::from_secs(10), fd.readable())
            .await
            .expect("the data beat the timer")
            .unwrap();
        assert!(guard.ready().is_readable());
        writer.join().unwrap().unwrap();
    });
}

#[test]
fn the_peer_closing_wakes_a_reader_with_end_of_stream() {
    run(20, || async {
        let (r, w) = pipe();
        let fd = Arc::new(AsyncFd::new(r).unwrap());
        let f = fd.clone();
        let reader = runtime::spawn(async move {
            let mut buf = [0u8; 4];
            read_some(&f, &mut buf).await
        });
        drop(w);
        assert_eq!(reader.await.unwrap().unwrap(), 0);
    });
}

#[test]
fn a_regular_file_is_refused_with_an_error() {
    run(20, || async {
        let dir = net::TempDir::new("file");
        let path = dir.join("plain");
        std::fs::write(&path, b"data").unwrap();
        let file = std::fs::File::open(&path).unwrap();
        // epoll refuses regular files (EPERM); that is an error, not a panic.
        let err = AsyncFd::new(file).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    });
}
