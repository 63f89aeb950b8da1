//! An axum `Router` served on the runtime (feature `hyper`), through hyper-util.
//!
//! axum's own `axum::serve` is written for tokio's sockets, so it is not used. A
//! `Router` is a tower `Service`; hyper-util's `TowerToHyperService` makes it a hyper
//! service, and hyper-util's auto `Builder` (HTTP/1.1 and h2c, the runtime's [`Handle`]
//! as executor and `runtime::time::Timer` as timer) serves it on each accepted
//! `TcpStream`. The router has two routes: `GET /` returns text, and `POST /orders`
//! takes a JSON body and answers with JSON.
//!
//! To end on its own (CI runs every example), the program drives the server with a few
//! real requests from an in-process hyper client, checks the answers, and exits.
//!
//! ```text
//! $ cargo run --release --example axum
//! GET / -> 200 OK: b"hello from axum on runtime"
//! POST /orders -> 200 OK: {"id":1,"item":"tea","total_cents":1050}
//! POST /orders -> 200 OK: {"id":2,"item":"cake","total_cents":700}
//! POST /orders (bad JSON) -> 400 Bad Request
//! GET /missing -> 404 Not Found
//! ```

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, StatusCode};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use runtime::net::{TcpListener, TcpStream};
use runtime::time::Timer;
use runtime::Handle;
use serde_json::{json, Value};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// `POST /orders`: `{"item": .., "quantity": .., "unit_cents": ..}` in, the order with
/// its id and total out.
async fn create_order(
    State(next_id): State<Arc<AtomicU64>>,
    Json(order): Json<Value>,
) -> Json<Value> {
    let id = next_id.fetch_add(1, Ordering::Relaxed);
    let total = order["quantity"].as_u64().unwrap_or(0) * order["unit_cents"].as_u64().unwrap_or(0);
    Json(json!({ "id": id, "item": order["item"], "total_cents": total }))
}

fn app() -> Router {
    Router::new()
        .route("/", get(|| async { "hello from axum on runtime" }))
        .route("/orders", post(create_order))
        .with_state(Arc::new(AtomicU64::new(1)))
}

/// Serves `app()` on 127.0.0.1 until the program ends.
async fn start_server() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut builder = auto::Builder::new(Handle::current());
    builder.http1().timer(Timer);
    builder.http2().timer(Timer);
    let service = TowerToHyperService::new(app());
    runtime::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let conn = builder
                .serve_connection(stream, service.clone())
                .into_owned();
            runtime::spawn(async move {
                if let Err(e) = conn.await {
                    eprintln!("connection: {e}");
                }
            });
        }
    });
    Ok(addr)
}

/// One request on the client connection: (status, body).
async fn send(
    client: &mut SendRequest<Full<Bytes>>,
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> Result<(StatusCode, Bytes), Error> {
    client.ready().await?;
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_owned())))?;
    let resp = client.send_request(req).await?;
    let status = resp.status();
    Ok((status, resp.into_body().collect().await?.to_bytes()))
}

#[runtime::main]
async fn main() -> Result<(), Error> {
    let addr = start_server().await?;
    let stream = TcpStream::connect(addr).await?;
    let (mut client, conn) = hyper::client::conn::http1::handshake(stream).await?;
    runtime::spawn(conn);

    let (status, body) = send(&mut client, addr, "GET", "/", "").await?;
    println!("GET / -> {status}: {body:?}");
    assert_eq!(
        (status, &body[..]),
        (StatusCode::OK, &b"hello from axum on runtime"[..])
    );

    let orders = [("tea", 3, 350), ("cake", 2, 350)];
    for (n, (item, quantity, unit_cents)) in orders.into_iter().enumerate() {
        let order = json!({ "item": item, "quantity": quantity, "unit_cents": unit_cents });
        let (status, body) = send(&mut client, addr, "POST", "/orders", &order.to_string()).await?;
        println!(
            "POST /orders -> {status}: {}",
            String::from_utf8_lossy(&body)
        );
        assert_eq!(status, StatusCode::OK);
        let reply: Value = serde_json::from_slice(&body)?;
        assert_eq!(
            reply,
            json!({ "id": n + 1, "item": item, "total_cents": quantity * unit_cents })
        );
    }

    let (status, _) = send(&mut client, addr, "POST", "/orders", "{not json").await?;
    println!("POST /orders (bad JSON) -> {status}");
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, _) = send(&mut client, addr, "GET", "/missing", "").await?;
    println!("GET /missing -> {status}");
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}
