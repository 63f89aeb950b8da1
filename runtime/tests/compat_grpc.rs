//! gRPC (issue 14): a tonic service and client on our runtime, no tokio runtime
//! anywhere. The service (`demo.Greeter`: unary `SayHello`, server-streaming `CountTo`)
//! and the `serve`/`connect` helpers are the example's (`examples/grpc/greeter.rs`):
//! tonic's `Routes` served by hyper-util's HTTP/2 server on our `TcpListener`, and
//! tonic's `Channel` with our `Handle` as executor and a connector returning our
//! `TcpStream`. Real sockets on 127.0.0.1, every test bounded in time.
// The sockets need the real reactor: not in the loom build.
#![cfg(not(loom))]

mod common;
#[path = "../examples/grpc/greeter.rs"]
mod greeter;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::stream;
use greeter::{
    CountReply, CountRequest, CountStream, Greeter, GreeterClient, GreeterServer, HelloReply,
    HelloRequest,
};
use runtime::net::TcpListener;
use runtime::Runtime;
use tonic::{Code, Request, Response, Status};

const BOUND: u64 = 30;

/// Counts the calls it answers; `CountTo` paces its stream with our timer.
#[derive(Default)]
struct TestGreeter {
    calls: Arc<AtomicUsize>,
}

impl Greeter for TestGreeter {
    async fn say_hello(
        &self,
        request: Request<HelloRequest>,
    ) -> Result<Response<HelloReply>, Status> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let name = request.into_inner().name;
        if name.is_empty() {
            return Err(Status::invalid_argument("name is empty"));
        }
        Ok(Response::new(HelloReply {
            message: format!("hello, {name}"),
        }))
    }

    async fn count_to(
        &self,
        request: Request<CountRequest>,
    ) -> Result<Response<CountStream>, Status> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let up_to = request.into_inner().up_to;
        let replies = stream::unfold(1, move |n| async move {
            if n > up_to {
                return None;
            }
            runtime::time::sleep(Duration::from_millis(2)).await;
            Some((Ok(CountReply { n }), n + 1))
        });
        Ok(Response::new(Box::pin(replies) as CountStream))
    }
}

async fn start(greeter: TestGreeter) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    greeter::serve(
        listener,
        tonic::service::Routes::new(GreeterServer::new(greeter)),
    );
    addr
}

fn run<F: std::future::Future<Output = ()> + Send + 'static>(
    f: impl FnOnce() -> F + Send + 'static,
) {
    common::within(BOUND, move || {
        Runtime::new().unwrap().block_on(async move { f().await });
    });
}

async fn count(client: &mut GreeterClient<tonic::transport::Channel>, up_to: u32) -> Vec<u32> {
    let mut replies = client
        .count_to(CountRequest { up_to })
        .await
        .unwrap()
        .into_inner();
    let mut got = Vec::new();
    while let Some(reply) = replies.message().await.unwrap() {
        got.push(reply.n);
    }
    got
}

#[test]
fn unary_and_server_streaming_calls() {
    run(|| async {
        let greeter = TestGreeter::default();
        let calls = greeter.calls.clone();
        let addr = start(greeter).await;
        let mut client = GreeterClient::new(greeter::connect(addr).await.unwrap());

        let reply = client
            .say_hello(HelloRequest {
                name: "runtime".into(),
            })
            .await
            .unwrap();
        assert_eq!(reply.into_inner().message, "hello, runtime");

        // An error status crosses the wire with its code and message.
        let status = client.say_hello(HelloRequest::default()).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(status.message(), "name is empty");

        assert_eq!(count(&mut client, 20).await, (1..=20).collect::<Vec<_>>());
        assert_eq!(count(&mut client, 0).await, Vec::<u32>::new());
        assert_eq!(calls.load(Ordering::Relaxed), 4);
    });
}

#[test]
fn many_concurrent_calls_share_one_channel() {
    run(|| async {
        let addr = start(TestGreeter::default()).await;
        let channel = greeter::connect(addr).await.unwrap();
        // HTTP/2 multiplexes every call over the channel's one connection; each task
        // runs on whichever worker steals it.
        let tasks: Vec<_> = (0..16u32)
            .map(|i| {
                let mut client = GreeterClient::new(channel.clone());
                runtime::spawn(async move {
                    for j in 0..10 {
                        let name = format!("client {i} call {j}");
                        let reply = client
                            .say_hello(HelloRequest { name: name.clone() })
                            .await
                            .unwrap();
                        assert_eq!(reply.into_inner().message, format!("hello, {name}"));
                    }
                    assert_eq!(count(&mut client, i).await, (1..=i).collect::<Vec<_>>());
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
}

#[test]
fn unknown_method_is_unimplemented() {
    run(|| async {
        let addr = start(TestGreeter::default()).await;
        let channel = greeter::connect(addr).await.unwrap();
        // A method the server does not route: tonic's `Routes` answers gRPC's
        // "unimplemented" for an unknown service, our server for an unknown method.
        let mut grpc = tonic::client::Grpc::new(channel);
        for path in ["/demo.Greeter/Missing", "/demo.Other/SayHello"] {
            grpc.ready().await.unwrap();
            let status = grpc
                .unary::<_, HelloReply, _>(
                    Request::new(HelloRequest::default()),
                    tonic::codegen::http::uri::PathAndQuery::from_static(path),
                    tonic_prost::ProstCodec::default(),
                )
                .await
                .unwrap_err();
            assert_eq!(status.code(), Code::Unimplemented, "{path}");
        }
    });
}

#[test]
fn connecting_to_a_closed_port_fails_without_hanging() {
    run(|| async {
        // Bind, learn the port, close it: nothing listens there now.
        let addr = {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            listener.local_addr().unwrap()
        };
        assert!(greeter::connect(addr).await.is_err());
    });
}
