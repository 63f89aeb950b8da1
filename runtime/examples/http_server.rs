//! A hyper 1.x HTTP server on the runtime (feature `hyper`), HTTP/1.1 and h2c on one
//! port, with graceful shutdown.
//!
//! hyper-util's auto `Builder` detects the protocol of each connection (HTTP/2 with
//! prior knowledge, "h2c", or HTTP/1.1). It is given the runtime's [`Handle`] as its
//! executor (hyper spawns each HTTP/2 stream as a task through it) and
//! `runtime::time::Timer` as its timer (the header read timeout, HTTP/2 keep-alive),
//! and it serves our `TcpStream` directly: `TcpStream` implements `hyper::rt::Read` and
//! `Write`. No adapter crate, no tokio runtime.
//!
//! Graceful shutdown: when the trigger fires, the accept loop stops (the listener is
//! dropped, so new connections are refused), every open connection is told to finish
//! (hyper-util's `GracefulShutdown`: HTTP/1.1 connections close after the response in
//! flight, HTTP/2 ones send GOAWAY and finish their open streams), and the program
//! waits for them up to a deadline, then exits 0.
//!
//! The trigger: Ctrl-C or SIGTERM (`runtime::signal`), always. With no arguments, an
//! in-process client also makes a fixed number of requests over HTTP/1.1 and h2c,
//! checks every body, then starts a slow streaming request and, once its response has
//! begun, asks the server to stop; that request still completes. So the example ends
//! on its own (CI runs it with no input). With `--serve` there is no client: the
//! server runs until interrupted (try `curl http://ADDR/` and then Ctrl-C).
//!
//! ```text
//! $ cargo run --release --example http_server
//! listening on http://127.0.0.1:40391 (HTTP/1.1 and h2c)
//! client: 50 HTTP/1.1 and 50 h2c requests answered
//! shutting down: 2 connections open
//! client: the slow response finished during the shutdown (12 bytes)
//! all connections finished; bye
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::{select, Either};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use runtime::net::{TcpListener, TcpStream};
use runtime::signal::unix::{signal, SignalKind};
use runtime::time::{sleep, timeout, Timer};
use runtime::Handle;

/// Requests per protocol from the in-process client.
const REQUESTS: usize = 50;
/// How long in-flight connections get to finish after the trigger.
const DRAIN: Duration = Duration::from_secs(5);

type Body = UnsyncBoxBody<Bytes, Infallible>;

/// `/slow` streams its body after a pause; anything else is answered at once.
async fn handle(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    if req.uri().path() == "/slow" {
        let chunk = futures_util::stream::once(async {
            sleep(Duration::from_millis(200)).await;
            Ok::<_, Infallible>(Frame::data(Bytes::from_static(b"slow, done.\n")))
        });
        return Ok(Response::new(StreamBody::new(chunk).boxed_unsync()));
    }
    let text = format!("hello over {:?} at {}", req.version(), req.uri().path());
    Ok(Response::new(Full::new(Bytes::from(text)).boxed_unsync()))
}

async fn serve(listener: TcpListener, stop: impl Future<Output = ()>) -> io::Result<()> {
    let mut builder = auto::Builder::new(Handle::current());
    builder
        .http1()
        .timer(Timer)
        .header_read_timeout(Duration::from_secs(10));
    builder.http2().timer(Timer);
    let graceful = GracefulShutdown::new();
    let mut stop = pin!(stop);
    loop {
        let accepted = match select(pin!(listener.accept()), stop.as_mut()).await {
            Either::Left((accepted, _)) => accepted,
            Either::Right(((), _)) => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            // A failed accept (out of file descriptors, a reset) costs that connection.
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        let conn = builder
            .serve_connection(stream, hyper::service::service_fn(handle))
            .into_owned();
        let conn = graceful.watch(conn);
        runtime::spawn(async move {
            if let Err(e) = conn.await {
                eprintln!("connection from {peer}: {e}");
            }
        });
    }
    drop(listener);
    println!("shutting down: {} connections open", graceful.count());
    match timeout(DRAIN, graceful.shutdown()).await {
        Ok(()) => {
            println!("all connections finished; bye");
            Ok(())
        }
        Err(_) => Err(io::Error::other(format!(
            "connections still open after {DRAIN:?}"
        ))),
    }
}

fn get(addr: SocketAddr, path: &str) -> Request<Full<Bytes>> {
    Request::get(format!("http://{addr}{path}"))
        .body(Full::new(Bytes::new()))
        .expect("a valid request")
}

async fn body_text(resp: Response<Incoming>) -> String {
    let bytes = resp
        .into_body()
        .collect()
        .await
        .expect("a whole body")
        .to_bytes();
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

/// The in-process client: `REQUESTS` over HTTP/1.1, as many over h2c at once, then a
/// slow request whose response has begun when it returns (its body still coming).
async fn client(addr: SocketAddr) -> runtime::JoinHandle<String> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut h1, conn) = hyper::client::conn::http1::handshake(stream)
        .await
        .expect("HTTP/1.1 handshake");
    runtime::spawn(conn);
    for i in 0..REQUESTS {
        h1.ready().await.expect("connection alive");
        let resp = h1
            .send_request(get(addr, &format!("/h1/{i}")))
            .await
            .expect("response");
        assert_eq!(
            body_text(resp).await,
            format!("hello over HTTP/1.1 at /h1/{i}")
        );
    }

    let stream = TcpStream::connect(addr).await.expect("connect");
    let (h2, conn) = hyper::client::conn::http2::handshake(Handle::current(), stream)
        .await
        .expect("h2c handshake");
    runtime::spawn(conn);
    let requests: Vec<_> = (0..REQUESTS)
        .map(|i| {
            let mut h2 = h2.clone();
            runtime::spawn(async move {
                let resp = h2
                    .send_request(get(addr, &format!("/h2/{i}")))
                    .await
                    .expect("response");
                assert_eq!(
                    body_text(resp).await,
                    format!("hello over HTTP/2.0 at /h2/{i}")
                );
            })
        })
        .collect();
    for r in requests {
        r.await.expect("an h2c request failed");
    }
    println!("client: {REQUESTS} HTTP/1.1 and {REQUESTS} h2c requests answered");

    let resp = h2
        .clone()
        .send_request(get(addr, "/slow"))
        .await
        .expect("response");
    runtime::spawn(body_text(resp))
}

#[runtime::main]
async fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr} (HTTP/1.1 and h2c)");

    // Ctrl-C or SIGTERM: listeners made now, so a signal from here on is not missed.
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let signalled = async move {
        select(pin!(interrupt.recv()), pin!(terminate.recv())).await;
        println!("signal received");
    };
    if std::env::args().any(|a| a == "--serve") {
        return serve(listener, signalled).await;
    }

    let client = runtime::spawn(client(addr));
    let (slow_tx, slow_rx) = std::sync::mpsc::channel();
    // The trigger: a signal, or the client is done and its slow request is in flight.
    let client_done = async move {
        let slow = client.await.expect("the client panicked");
        slow_tx.send(slow).expect("main is waiting");
    };
    let trigger = async move {
        select(pin!(client_done), pin!(signalled)).await;
    };
    serve(listener, trigger).await?;

    let Ok(slow) = slow_rx.try_recv() else {
        println!("stopped by a signal before the client finished");
        return Ok(());
    };
    let slow = slow.await.expect("slow request");
    assert_eq!(slow, "slow, done.\n");
    println!(
        "client: the slow response finished during the shutdown ({} bytes)",
        slow.len()
    );
    Ok(())
}
