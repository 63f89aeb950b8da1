//! A tonic gRPC service and client on the runtime (feature `hyper`: our `Handle` is
//! hyper's executor, our `TcpStream` hyper's `rt::Read`/`rt::Write`; `tokio-io` is not
//! needed).
//!
//! The service, `demo.Greeter` (in `grpc/greeter.rs`, written by hand in the shape
//! tonic-build generates: prost-derived messages and tonic-prost's codec, no protoc),
//! has a unary `SayHello` and a server-streaming `CountTo`. The server is tonic's
//! `Routes` (a tower service) behind hyper-util's `TowerToHyperService` and auto
//! `Builder` on our `TcpListener`, as for axum; the client is tonic's `Channel` from an
//! `Endpoint` with our `Handle` as executor and a connector that returns our
//! `TcpStream`. No tokio runtime anywhere: a call that reached `tokio::spawn` or
//! `tokio::time` would panic for want of one.
//!
//! To end on its own (CI runs every example), it makes the calls, checks the answers,
//! and exits.
//!
//! ```text
//! $ cargo run --release --example grpc
//! SayHello("runtime") -> "hello, runtime"
//! SayHello("") -> InvalidArgument: name is empty
//! CountTo(5) -> 1 2 3 4 5
//! ```

#[path = "grpc/greeter.rs"]
mod greeter;

use std::time::Duration;

use futures_util::stream;
use greeter::{
    CountReply, CountRequest, CountStream, Greeter, GreeterClient, GreeterServer, HelloReply,
    HelloRequest,
};
use runtime::net::TcpListener;
use tonic::{Code, Request, Response, Status};

type Error = Box<dyn std::error::Error + Send + Sync>;

struct MyGreeter;

impl Greeter for MyGreeter {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        let name = request.into_inner().name;
        if name.is_empty() {
            return Err(Status::invalid_argument("name is empty"));
        }
        Ok(Response::new(HelloReply {
            message: format!("hello, {name}"),
        }))
    }

    /// 1..=up_to, one message every 10 ms (our timer paces the stream).
    async fn count_to(
        &self,
        request: Request<CountRequest>,
    ) -> Result<Response<CountStream>, Status> {
        let up_to = request.into_inner().up_to;
        let replies = stream::unfold(1, move |n| async move {
            if n > up_to {
                return None;
            }
            runtime::time::sleep(Duration::from_millis(10)).await;
            Some((Ok(CountReply { n }), n + 1))
        });
        Ok(Response::new(Box::pin(replies) as CountStream))
    }
}

#[runtime::main]
async fn main() -> Result<(), Error> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    greeter::serve(
        listener,
        tonic::service::Routes::new(GreeterServer::new(MyGreeter)),
    );

    let mut client = GreeterClient::new(greeter::connect(addr).await?);

    let reply = client
        .say_hello(HelloRequest {
            name: "runtime".into(),
        })
        .await?
        .into_inner();
    println!("SayHello(\"runtime\") -> {:?}", reply.message);
    assert_eq!(reply.message, "hello, runtime");

    let status = client
        .say_hello(HelloRequest {
            name: String::new(),
        })
        .await
        .unwrap_err();
    println!(
        "SayHello(\"\") -> {:?}: {}",
        status.code(),
        status.message()
    );
    assert_eq!(status.code(), Code::InvalidArgument);

    let mut replies = client
        .count_to(CountRequest { up_to: 5 })
        .await?
        .into_inner();
    let mut got = Vec::new();
    while let Some(reply) = replies.message().await? {
        got.push(reply.n);
    }
    println!(
        "CountTo(5) -> {}",
        got.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
    );
    assert_eq!(got, [1, 2, 3, 4, 5]);
    Ok(())
}
