//! The `demo.Greeter` gRPC service: its messages, a server wrapper and a client, written
//! by hand in the shape tonic-build generates (so no protoc and no build script). The
//! service it describes, in protobuf terms:
//!
//! ```proto
//! syntax = "proto3";
//! package demo;
//! service Greeter {
//!   rpc SayHello(HelloRequest) returns (HelloReply);                // unary
//!   rpc CountTo(CountRequest) returns (stream CountReply);         // server streaming
//! }
//! message HelloRequest { string name = 1; }
//! message HelloReply { string message = 1; }
//! message CountRequest { uint32 up_to = 1; }
//! message CountReply { uint32 n = 1; }
//! ```
//!
//! Shared by `examples/grpc.rs` (as its module `greeter`) and `tests/compat_grpc.rs`
//! (through `#[path]`). The generated-style part touches no runtime: tonic's
//! `server::Grpc` and `client::Grpc` are runtime-agnostic. The runtime comes in at the
//! end of the file, in [`serve`] (hyper-util's HTTP/2 server on our `TcpListener`) and
//! [`connect`] (tonic's `Channel` with our `Handle` as executor and a connector that
//! returns our `TcpStream`).
// Each user of this module uses a different part of it; `pub` as generated code has it.
#![allow(dead_code, unreachable_pub)]

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::Stream;
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use runtime::net::{TcpListener, TcpStream};
use runtime::time::Timer;
use runtime::Handle;
use std::net::SocketAddr;
use tonic::body::Body;
use tonic::codegen::{http, Body as HttpBody};
use tonic::server::{NamedService, ServerStreamingService, UnaryService};
use tonic::transport::{Channel, Endpoint};
use tonic::{Request, Response, Status, Streaming};
use tonic_prost::ProstCodec;

#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    #[prost(string, tag = "1")]
    pub name: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    #[prost(string, tag = "1")]
    pub message: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CountRequest {
    #[prost(uint32, tag = "1")]
    pub up_to: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct CountReply {
    #[prost(uint32, tag = "1")]
    pub n: u32,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The stream `count_to` answers with.
pub type CountStream = Pin<Box<dyn Stream<Item = Result<CountReply, Status>> + Send + 'static>>;

/// What a `demo.Greeter` server implements.
pub trait Greeter: Send + Sync + 'static {
    fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> impl Future<Output = Result<Response<HelloReply>, Status>> + Send;

    fn count_to(
        &self,
        request: Request<CountRequest>,
    ) -> impl Future<Output = Result<Response<CountStream>, Status>> + Send;
}

/// The server: a tower `Service` over HTTP requests that routes `/demo.Greeter/*` to a
/// [`Greeter`]. Put it in `tonic::service::Routes` to serve it.
pub struct GreeterServer<T> {
    inner: Arc<T>,
}

impl<T> GreeterServer<T> {
    pub fn new(inner: T) -> Self {
        Self {
            inner: Arc::new(inner),
        }
    }
}

impl<T> Clone for GreeterServer<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<T> NamedService for GreeterServer<T> {
    const NAME: &'static str = "demo.Greeter";
}

struct SayHelloSvc<T>(Arc<T>);

impl<T: Greeter> UnaryService<HelloRequest> for SayHelloSvc<T> {
    type Response = HelloReply;
    type Future = BoxFuture<Result<Response<HelloReply>, Status>>;

    fn call(&mut self, request: Request<HelloRequest>) -> Self::Future {
        let inner = self.0.clone();
        Box::pin(async move { inner.say_hello(request).await })
    }
}

struct CountToSvc<T>(Arc<T>);

impl<T: Greeter> ServerStreamingService<CountRequest> for CountToSvc<T> {
    type Response = CountReply;
    type ResponseStream = CountStream;
    type Future = BoxFuture<Result<Response<CountStream>, Status>>;

    fn call(&mut self, request: Request<CountRequest>) -> Self::Future {
        let inner = self.0.clone();
        Box::pin(async move { inner.count_to(request).await })
    }
}

impl<T, B> tower::Service<http::Request<B>> for GreeterServer<T>
where
    T: Greeter,
    B: HttpBody + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let inner = self.inner.clone();
        match req.uri().path() {
            "/demo.Greeter/SayHello" => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(ProstCodec::default());
                Ok(grpc.unary(SayHelloSvc(inner), req).await)
            }),
            "/demo.Greeter/CountTo" => Box::pin(async move {
                let mut grpc = tonic::server::Grpc::new(ProstCodec::default());
                Ok(grpc.server_streaming(CountToSvc(inner), req).await)
            }),
            // An unknown method: gRPC's "unimplemented", as tonic-build's code answers.
            _ => Box::pin(async move { Ok(Status::unimplemented("").into_http()) }),
        }
    }
}

/// The client, over any tonic transport (here a `tonic::transport::Channel`).
#[derive(Clone)]
pub struct GreeterClient<T> {
    inner: tonic::client::Grpc<T>,
}

impl<T> GreeterClient<T>
where
    T: tonic::client::GrpcService<Body>,
    T::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    T::ResponseBody: HttpBody<Data = bytes::Bytes> + Send + 'static,
    <T::ResponseBody as HttpBody>::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send,
{
    pub fn new(inner: T) -> Self {
        Self {
            inner: tonic::client::Grpc::new(inner),
        }
    }

    async fn ready(&mut self) -> Result<(), Status> {
        self.inner
            .ready()
            .await
            .map_err(|e| Status::unknown(format!("service was not ready: {}", e.into())))
    }

    pub async fn say_hello(
        &mut self,
        request: impl tonic::IntoRequest<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        self.ready().await?;
        let path = http::uri::PathAndQuery::from_static("/demo.Greeter/SayHello");
        self.inner
            .unary(request.into_request(), path, ProstCodec::default())
            .await
    }

    pub async fn count_to(
        &mut self,
        request: impl tonic::IntoRequest<CountRequest>,
    ) -> Result<Response<Streaming<CountReply>>, Status> {
        self.ready().await?;
        let path = http::uri::PathAndQuery::from_static("/demo.Greeter/CountTo");
        self.inner
            .server_streaming(request.into_request(), path, ProstCodec::default())
            .await
    }
}

// ---- end of the generated-style code; the runtime from here on ----

/// Serves `routes` (tonic's server-side router: a tower `Service`) on `listener` until
/// the runtime shuts down, each connection on its own task: `TowerToHyperService` makes
/// it a hyper service, hyper-util's auto `Builder` (HTTP/1.1 and h2c; gRPC clients speak
/// HTTP/2 with prior knowledge) serves it with our `Handle` as executor and our `Timer`.
/// tonic's own `transport::Server` is not used: it accepts on tokio's `TcpListener`.
pub fn serve(listener: TcpListener, routes: tonic::service::Routes) {
    let mut builder = auto::Builder::new(Handle::current());
    builder.http1().timer(Timer);
    builder.http2().timer(Timer);
    let service = TowerToHyperService::new(routes);
    runtime::spawn(async move {
        // An accept error here means the runtime is going away: stop.
        while let Ok((stream, _)) = listener.accept().await {
            let conn = builder
                .serve_connection(stream, service.clone())
                .into_owned();
            runtime::spawn(async move {
                if let Err(e) = conn.await {
                    eprintln!("grpc connection: {e}");
                }
            });
        }
    });
}

/// A tonic `Channel` to `addr` on our runtime: our `Handle` spawns its tasks (the
/// HTTP/2 connection and the request buffer's worker; tonic's default would be
/// `tokio::spawn`) and a tower `service_fn` connector dials our `TcpStream`, which is
/// hyper's `rt::Read`/`rt::Write` as tonic's `connect_with_connector` asks.
///
/// Neither `Endpoint::timeout` nor `http2_keep_alive_interval` may be set: they reach
/// `tokio::time` (see NOTES-grpc.md).
pub async fn connect(addr: SocketAddr) -> Result<Channel, tonic::transport::Error> {
    Endpoint::from_shared(format!("http://{addr}"))?
        .executor(Handle::current())
        .connect_with_connector(tower::service_fn(move |_uri| TcpStream::connect(addr)))
        .await
}
