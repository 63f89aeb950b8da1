//! Feature `hyper` (issue 14): a real hyper 1.x server (hyper-util's auto builder:
//! HTTP/1.1 and h2c) with our `Handle` as executor and our `Timer`, driven by real hyper
//! clients over our `TcpStream`; axum through hyper-util; failures that must cost one
//! connection, not the server. Real sockets on 127.0.0.1, every test bounded in time.
//!
//! The `hyper` and `tokio-io` features are on for every test and example through
//! `runtime`'s dev-dependency on itself (see runtime/Cargo.toml).
// The sockets need the real reactor: not in the loom build.
#![cfg(not(loom))]

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::server::conn::auto;
use runtime::io::{AsyncReadExt, AsyncWriteExt};
use runtime::net::{TcpListener, TcpStream, UnixStream};
use runtime::time::{timeout, Instant, Timer};
use runtime::{Handle, Runtime};

const BOUND: u64 = 30;

/// The server builder every test uses: our executor, our timer on both protocols.
fn builder() -> auto::Builder<Handle> {
    let mut builder = auto::Builder::new(Handle::current());
    builder.http1().timer(Timer);
    builder.http2().timer(Timer);
    builder
}

/// Binds 127.0.0.1 and serves every connection with `service` on its own task until
/// the runtime shuts down. Connection errors are dropped: they cost that connection.
async fn serve<S, B>(service: S) -> SocketAddr
where
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let builder = builder();
    runtime::spawn(async move {
        loop {
            // An accept error here means the runtime is going away: stop.
            let Ok((stream, _)) = listener.accept().await else {
                break;
            };
            let conn = builder
                .serve_connection(stream, service.clone())
                .into_owned();
            runtime::spawn(async move {
                let _ = conn.await;
            });
        }
    });
    addr
}

/// `/echo` returns the request body; `/panic` panics; anything else says hello.
async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    match req.uri().path() {
        "/echo" => {
            let body = req.into_body().collect().await.unwrap().to_bytes();
            Ok(Response::new(Full::new(body)))
        }
        "/panic" => panic!("handler panics on purpose"),
        path => Ok(Response::new(Full::new(Bytes::from(format!(
            "hello {path}"
        ))))),
    }
}

fn request(addr: SocketAddr, path: &str, body: impl Into<Bytes>) -> Request<Full<Bytes>> {
    Request::builder()
        .method("POST")
        .uri(format!("http://{addr}{path}"))
        .body(Full::new(body.into()))
        .unwrap()
}

/// An HTTP/1.1 client connection over our `TcpStream`; its connection task spawned.
async fn h1_client(addr: SocketAddr) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(stream).await.unwrap();
    runtime::spawn(conn);
    sender
}

/// An h2c (HTTP/2 with prior knowledge) client connection over our `TcpStream`.
async fn h2_client(addr: SocketAddr) -> hyper::client::conn::http2::SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http2::Builder::new(Handle::current())
        .timer(Timer)
        .handshake(stream)
        .await
        .unwrap();
    runtime::spawn(conn);
    sender
}

async fn body_of(resp: Response<Incoming>) -> Bytes {
    resp.into_body().collect().await.unwrap().to_bytes()
}

/// Polls `f` once, from a task.
async fn poll_once<F: std::future::Future + Unpin>(mut f: F) -> std::task::Poll<F::Output> {
    std::future::poll_fn(|cx| std::task::Poll::Ready(std::pin::Pin::new(&mut f).poll(cx))).await
}

fn run<F: std::future::Future<Output = ()> + Send + 'static>(
    f: impl FnOnce() -> F + Send + 'static,
) {
    common::within(BOUND, move || {
        Runtime::new().unwrap().block_on(async move { f().await });
    });
}

#[test]
fn http1_many_requests_on_several_connections() {
    run(|| async {
        let addr = serve(hyper::service::service_fn(handle)).await;
        let clients: Vec<_> = (0..4)
            .map(|c| {
                runtime::spawn(async move {
                    let mut sender = h1_client(addr).await;
                    for i in 0..100 {
                        let msg = format!("client {c} request {i} {}", "x".repeat(i * 37));
                        sender.ready().await.unwrap();
                        let resp = sender
                            .send_request(request(addr, "/echo", msg.clone()))
                            .await
                            .unwrap();
                        assert_eq!(resp.status(), StatusCode::OK);
                        assert_eq!(resp.version(), hyper::Version::HTTP_11);
                        assert_eq!(body_of(resp).await, msg);
                    }
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
    });
}

#[test]
fn h2c_many_concurrent_requests_on_one_connection() {
    run(|| async {
        let addr = serve(hyper::service::service_fn(handle)).await;
        let sender = h2_client(addr).await;
        let requests: Vec<_> = (0..200)
            .map(|i| {
                let mut sender = sender.clone();
                runtime::spawn(async move {
                    let msg = format!("stream {i} {}", "y".repeat(i * 101));
                    let resp = sender
                        .send_request(request(addr, "/echo", msg.clone()))
                        .await
                        .unwrap();
                    assert_eq!(resp.status(), StatusCode::OK);
                    assert_eq!(resp.version(), hyper::Version::HTTP_2);
                    assert_eq!(body_of(resp).await, msg);
                })
            })
            .collect();
        for r in requests {
            r.await.unwrap();
        }
        // A large body, through flow control.
        let big = Bytes::from(vec![7u8; 1 << 20]);
        let resp = sender
            .clone()
            .send_request(request(addr, "/echo", big.clone()))
            .await
            .unwrap();
        assert_eq!(body_of(resp).await, big);
    });
}

#[test]
fn axum_router_two_routes_and_json() {
    use axum::routing::{get, post};
    use axum::{Json, Router};
    use hyper_util::service::TowerToHyperService;
    use serde_json::{json, Value};

    run(|| async {
        let app = Router::new().route("/", get(|| async { "root" })).route(
            "/sum",
            post(|Json(v): Json<Value>| async move {
                let sum: i64 = v["numbers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_i64().unwrap())
                    .sum();
                Json(json!({ "sum": sum }))
            }),
        );
        let addr = serve(TowerToHyperService::new(app)).await;
        let mut sender = h1_client(addr).await;
        for i in 0..20i64 {
            sender.ready().await.unwrap();
            let resp = sender
                .send_request(
                    Request::get(format!("http://{addr}/"))
                        .body(Full::new(Bytes::new()))
                        .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            assert_eq!(body_of(resp).await, "root");

            sender.ready().await.unwrap();
            let body = json!({ "numbers": [i, 2 * i, 3] }).to_string();
            let resp = sender
                .send_request(
                    Request::post(format!("http://{addr}/sum"))
                        .header("content-type", "application/json")
                        .body(Full::new(Bytes::from(body)))
                        .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            let v: Value = serde_json::from_slice(&body_of(resp).await).unwrap();
            assert_eq!(v, json!({ "sum": 3 * i + 3 }));
        }
        // An unknown route is axum's 404, over h2c too.
        let mut h2 = h2_client(addr).await;
        let resp = h2.send_request(request(addr, "/nope", "")).await.unwrap();
        assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    });
}

#[test]
fn panicking_handler_costs_its_request_not_the_server() {
    run(|| async {
        let addr = serve(hyper::service::service_fn(handle)).await;
        for _ in 0..3 {
            // HTTP/1.1: the panic ends the connection's task, so the connection fails.
            let mut sender = h1_client(addr).await;
            let r = sender.send_request(request(addr, "/panic", "")).await;
            match r {
                Ok(resp) => assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR),
                Err(e) => assert!(
                    e.is_canceled() || e.is_closed() || e.is_incomplete_message(),
                    "{e}"
                ),
            }
            // h2c: the panic ends that stream's task; the stream is reset.
            let mut h2 = h2_client(addr).await;
            let r = h2.send_request(request(addr, "/panic", "")).await;
            if let Ok(resp) = r {
                assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
            }
            // The server goes on: new requests, new connections, both protocols.
            let mut sender = h1_client(addr).await;
            let resp = sender
                .send_request(request(addr, "/after", ""))
                .await
                .unwrap();
            assert_eq!(body_of(resp).await, "hello /after");
            let resp = h2_client(addr)
                .await
                .send_request(request(addr, "/after2", ""))
                .await
                .unwrap();
            assert_eq!(body_of(resp).await, "hello /after2");
        }
    });
}

#[test]
fn malformed_request_and_vanishing_client_cost_one_connection() {
    run(|| async {
        let addr = serve(hyper::service::service_fn(handle)).await;
        // Garbage: hyper answers 400 (or just closes); either way the connection ends.
        let mut bad = TcpStream::connect(addr).await.unwrap();
        bad.write_all(b"THIS IS NOT HTTP\r\n\0\0\0\r\n\r\n")
            .await
            .unwrap();
        let mut reply = Vec::new();
        let _ = bad.read_to_end(&mut reply).await;
        let reply = String::from_utf8_lossy(&reply);
        assert!(
            reply.is_empty() || reply.starts_with("HTTP/1.1 400"),
            "{reply}"
        );

        // A client that sends half a request and vanishes.
        let gone = TcpStream::connect(addr).await.unwrap();
        (&gone)
            .write_all(b"POST /echo HTTP/1.1\r\nhost: x\r\ncontent-length: 1000\r\n\r\npartial")
            .await
            .unwrap();
        drop(gone);
        // One that vanishes mid-headers.
        let gone = TcpStream::connect(addr).await.unwrap();
        (&gone).write_all(b"GET / HTTP/1.1\r\nhos").await.unwrap();
        drop(gone);

        // The server still serves.
        for i in 0..10 {
            let mut sender = h1_client(addr).await;
            let resp = sender
                .send_request(request(addr, "/echo", format!("ok {i}")))
                .await
                .unwrap();
            assert_eq!(body_of(resp).await, format!("ok {i}"));
        }
    });
}

#[test]
fn header_read_timeout_fires_on_our_timer() {
    run(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        runtime::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder
                    .timer(Timer)
                    .header_read_timeout(Duration::from_millis(200));
                let conn = builder.serve_connection(stream, hyper::service::service_fn(handle));
                runtime::spawn(async move {
                    let _ = conn.await;
                });
            }
        });
        // A kept-alive connection serves a few requests (hyper resets the timer for
        // each), then goes quiet with half a header: the server closes it.
        let mut stream = TcpStream::connect(addr).await.unwrap();
        for _ in 0..3 {
            stream
                .write_all(b"GET /k HTTP/1.1\r\nhost: x\r\n\r\n")
                .await
                .unwrap();
            let mut buf = [0u8; 1024];
            let n = stream.read(&mut buf).await.unwrap();
            let text = String::from_utf8_lossy(&buf[..n]);
            assert!(text.starts_with("HTTP/1.1 200"), "{text}");
            assert!(text.ends_with("hello /k"), "{text}");
        }
        stream.write_all(b"GET /k HTTP/1.1\r\nho").await.unwrap();
        let start = Instant::now();
        let mut rest = Vec::new();
        let r = timeout(Duration::from_secs(10), stream.read_to_end(&mut rest))
            .await
            .expect("the header read timeout closes the connection");
        let waited = start.elapsed();
        // Closed (end of stream or reset), possibly after a 408.
        let _ = r;
        assert!(waited >= Duration::from_millis(150), "{waited:?}");
    });
}

/// A `hyper::rt::Sleep` that is not `Timer`'s own.
struct ForeignSleep(runtime::time::Sleep);

impl std::future::Future for ForeignSleep {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

impl hyper::rt::Sleep for ForeignSleep {}

#[test]
fn timer_reset_rearms_in_place() {
    use hyper::rt::Timer as _;
    run(|| async {
        let timer = Timer;
        let start = Instant::now();
        let mut s = timer.sleep(Duration::from_secs(3600));
        let before = (&*s as *const dyn hyper::rt::Sleep).cast::<()>() as usize;
        // Polled once (registered), then moved: the same allocation, re-armed.
        assert!(poll_once(s.as_mut()).await.is_pending());
        timer.reset(&mut s, start + Duration::from_millis(20));
        let after = (&*s as *const dyn hyper::rt::Sleep).cast::<()>() as usize;
        assert_eq!(before, after, "reset allocated a new sleep");
        timeout(Duration::from_secs(10), s.as_mut()).await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(20));
        // Re-armed after it completed: pending again, then done again.
        timer.reset(&mut s, Instant::now() + Duration::from_millis(10));
        assert!(poll_once(s.as_mut()).await.is_pending());
        timeout(Duration::from_secs(10), s.as_mut()).await.unwrap();
        // A sleep from another timer cannot be re-armed in place: it is replaced.
        let mut foreign: std::pin::Pin<Box<dyn hyper::rt::Sleep>> = Box::pin(ForeignSleep(
            runtime::time::sleep(Duration::from_secs(3600)),
        ));
        timer.reset(&mut foreign, Instant::now() + Duration::from_millis(5));
        timeout(Duration::from_secs(10), foreign.as_mut())
            .await
            .unwrap();
        // `sleep_until` too.
        let at = Instant::now() + Duration::from_millis(5);
        timer.sleep_until(at).await;
        assert!(Instant::now() >= at);
    });
}

#[test]
fn http1_over_unix_stream() {
    run(|| async {
        let (server, client) = UnixStream::pair().unwrap();
        let conn = builder()
            .serve_connection(server, hyper::service::service_fn(handle))
            .into_owned();
        runtime::spawn(conn);
        let (mut sender, conn) = hyper::client::conn::http1::handshake(client).await.unwrap();
        runtime::spawn(conn);
        for i in 0..20 {
            sender.ready().await.unwrap();
            let resp = sender
                .send_request(
                    Request::post("/echo")
                        .header("host", "unix")
                        .body(Full::new(Bytes::from(format!("unix {i}"))))
                        .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(body_of(resp).await, format!("unix {i}"));
        }
    });
}

/// `hyper::rt::Read` on the owned read half and `Write` on the write half, driven by
/// hand (hyper has no split-stream connection type).
#[test]
fn owned_halves_read_and_write_through_hyper_traits() {
    use std::future::poll_fn;
    use std::pin::Pin;

    run(|| async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (peer, _) = listener.accept().await.unwrap();
        let (mut read, mut write) = stream.into_split();
        let (mut peer_read, mut peer_write) = peer.into_split();

        let n = poll_fn(|cx| hyper::rt::Write::poll_write(Pin::new(&mut write), cx, b"ping"))
            .await
            .unwrap();
        assert_eq!(n, 4);
        poll_fn(|cx| hyper::rt::Write::poll_shutdown(Pin::new(&mut write), cx))
            .await
            .unwrap();
        let mut got = Vec::new();
        peer_read.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, b"ping");

        peer_write.write_all(b"pong").await.unwrap();
        drop(peer_write);
        let mut all = Vec::new();
        loop {
            // The buffer lives within one poll (a `ReadBuf` is not `Send`).
            let chunk = poll_fn(|cx| {
                let mut storage = [std::mem::MaybeUninit::<u8>::uninit(); 64];
                let mut buf = hyper::rt::ReadBuf::uninit(&mut storage);
                std::task::ready!(hyper::rt::Read::poll_read(
                    Pin::new(&mut read),
                    cx,
                    buf.unfilled()
                ))?;
                std::task::Poll::Ready(Ok::<_, std::io::Error>(buf.filled().to_vec()))
            })
            .await
            .unwrap();
            if chunk.is_empty() {
                break;
            }
            all.extend_from_slice(&chunk);
        }
        assert_eq!(all, b"pong");
    });
}

#[test]
fn handle_spawns_through_futures_task_spawn() {
    use futures_task::{FutureObj, Spawn};

    let rt = Runtime::new().unwrap();
    let handle = rt.handle().clone();
    let (tx, rx) = std::sync::mpsc::channel();
    handle
        .spawn_obj(FutureObj::new(Box::new(async move {
            tx.send(7).unwrap();
        })))
        .unwrap();
    assert_eq!(rx.recv_timeout(Duration::from_secs(BOUND)).unwrap(), 7);
    assert!(handle.status().is_ok());
    drop(rt);
    let err = handle
        .spawn_obj(FutureObj::new(Box::new(async {})))
        .unwrap_err();
    assert!(err.is_shutdown());
    assert!(handle.status().is_err());
}
