//! A hyper 1.x HTTP client on the runtime's `TcpStream` (feature `hyper`).
//!
//! `TcpStream` implements `hyper::rt::Read` and `Write`, so hyper's low-level client
//! (`hyper::client::conn`) takes it as is: connect, hand the stream to
//! `http1::handshake` (or `http2::handshake` with the runtime's [`Handle`] as the
//! executor), spawn the returned connection future as a task, and send requests
//! through the `SendRequest` half. The response body arrives frame by frame as the
//! socket delivers it.
//!
//! To stay self-contained (CI runs every example with no network and no arguments),
//! the server it fetches from runs in the same process: a small hyper server that
//! answers `/count/N` with N lines streamed one frame each and echoes a `POST` body.
//!
//! ```text
//! $ cargo run --release --example http_client
//! GET /count/5 over HTTP/1.1: 200 OK, 5 frames, 35 bytes
//! POST /echo over HTTP/1.1: 200 OK, b"runtime + hyper"
//! GET /count/3 over HTTP/2.0: 200 OK, 21 bytes
//! ```

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::server::conn::auto;
use runtime::net::{TcpListener, TcpStream};
use runtime::time::Timer;
use runtime::Handle;

type Body = UnsyncBoxBody<Bytes, Infallible>;

/// The in-process server's handler.
async fn handle(req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path().to_owned();
    if let Some(n) = path.strip_prefix("/count/") {
        let n: usize = n.parse().unwrap_or(0);
        let frames = futures_util::stream::iter(
            (0..n).map(|i| Ok(Frame::data(Bytes::from(format!("line {i}\n"))))),
        );
        return Ok(Response::new(StreamBody::new(frames).boxed_unsync()));
    }
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    Ok(Response::new(Full::new(body).boxed_unsync()))
}

/// Serves HTTP/1.1 and h2c on 127.0.0.1 until the program ends.
async fn start_server() -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut builder = auto::Builder::new(Handle::current());
    builder.http1().timer(Timer);
    runtime::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let conn = builder
                .serve_connection(stream, hyper::service::service_fn(handle))
                .into_owned();
            runtime::spawn(conn);
        }
    });
    Ok(addr)
}

/// Reads a response body frame by frame: (frames, bytes).
async fn read_frames(resp: Response<Incoming>) -> io::Result<(usize, Vec<u8>)> {
    let mut body = resp.into_body();
    let (mut frames, mut bytes) = (0, Vec::new());
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(io::Error::other)?;
        if let Some(data) = frame.data_ref() {
            frames += 1;
            bytes.extend_from_slice(data);
        }
    }
    Ok((frames, bytes))
}

#[runtime::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let addr = start_server().await?;

    // HTTP/1.1: one connection, two requests in turn.
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(stream).await?;
    runtime::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("HTTP/1.1 connection: {e}");
        }
    });
    let req = Request::get("/count/5")
        .header("host", addr.to_string())
        .body(Full::new(Bytes::new()))?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    let (frames, bytes) = read_frames(resp).await?;
    println!(
        "GET /count/5 over HTTP/1.1: {status}, {frames} frames, {} bytes",
        bytes.len()
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        String::from_utf8(bytes)?,
        (0..5).map(|i| format!("line {i}\n")).collect::<String>()
    );

    sender.ready().await?;
    let req = Request::post("/echo")
        .header("host", addr.to_string())
        .body(Full::new(Bytes::from_static(b"runtime + hyper")))?;
    let resp = sender.send_request(req).await?;
    let status = resp.status();
    let body = resp.into_body().collect().await?.to_bytes();
    println!("POST /echo over HTTP/1.1: {status}, {body:?}");
    assert_eq!(&body[..], b"runtime + hyper");

    // h2c: HTTP/2 with prior knowledge; hyper spawns its streams on our runtime.
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http2::Builder::new(Handle::current())
        .timer(Timer)
        .handshake(stream)
        .await?;
    runtime::spawn(conn);
    let req = Request::get(format!("http://{addr}/count/3")).body(Full::new(Bytes::new()))?;
    let resp = sender.send_request(req).await?;
    let (status, version) = (resp.status(), resp.version());
    // HTTP/2 may end the stream with an extra empty frame: no frame count here.
    let (_, bytes) = read_frames(resp).await?;
    println!(
        "GET /count/3 over {version:?}: {status}, {} bytes",
        bytes.len()
    );
    assert_eq!(version, hyper::Version::HTTP_2);
    assert_eq!(bytes.len(), 21);
    Ok(())
}
