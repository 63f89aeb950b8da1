//! Feature `tokio-io` (issue 14): crates written against tokio's I/O traits over our
//! sockets: tokio-util's `Framed` with `LinesCodec`, and tokio's own `copy` and
//! extension methods. (tokio-rustls, and hyper over it through hyper-util's `TokioIo`,
//! are in compat_tls.rs.) Real sockets on 127.0.0.1, every test bounded in time.
// The sockets need the real reactor: not in the loom build.
#![cfg(not(loom))]

mod common;

use futures_util::{SinkExt, StreamExt};
use runtime::net::{TcpListener, TcpStream, UnixStream};
use runtime::Runtime;
use tokio_util::codec::{Framed, FramedRead, FramedWrite, LinesCodec};

const BOUND: u64 = 30;

#[test]
fn lines_codec_over_tcp_stream() {
    common::within(BOUND, || {
        Runtime::new().unwrap().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            // The server: upper-cases each line, on the owned halves.
            runtime::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let (read, write) = stream.into_split();
                let mut lines = FramedRead::new(read, LinesCodec::new());
                let mut out = FramedWrite::new(write, LinesCodec::new());
                while let Some(line) = lines.next().await {
                    out.send(line.unwrap().to_uppercase()).await.unwrap();
                }
            });
            let stream = TcpStream::connect(addr).await.unwrap();
            let mut framed = Framed::new(stream, LinesCodec::new());
            for i in 0..500 {
                let line = format!("line {i} {}", "z".repeat(i % 97));
                framed.send(line.clone()).await.unwrap();
                assert_eq!(framed.next().await.unwrap().unwrap(), line.to_uppercase());
            }
            // Closing our side ends the server's stream of lines, then ours.
            let mut stream = framed.into_inner();
            tokio::io::AsyncWriteExt::shutdown(&mut stream)
                .await
                .unwrap();
            let mut framed = Framed::new(stream, LinesCodec::new());
            assert!(framed.next().await.is_none());
        });
    });
}

#[test]
fn lines_codec_over_unix_stream() {
    common::within(BOUND, || {
        Runtime::new().unwrap().block_on(async {
            let (a, b) = UnixStream::pair().unwrap();
            let mut a = Framed::new(a, LinesCodec::new());
            let mut b = Framed::new(b, LinesCodec::new());
            for i in 0..100 {
                a.send(format!("hi {i}")).await.unwrap();
                assert_eq!(b.next().await.unwrap().unwrap(), format!("hi {i}"));
            }
        });
    });
}

/// tokio's own `copy` and extension methods (`io-util`, which tokio-util turns on) on
/// our owned halves: an echo server.
#[test]
fn tokio_copy_echo_on_owned_halves() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    common::within(BOUND, || {
        Runtime::new().unwrap().block_on(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            runtime::spawn(async move {
                let (stream, _) = listener.accept().await.unwrap();
                let (mut read, mut write) = stream.into_split();
                tokio::io::copy(&mut read, &mut write).await.unwrap();
                write.shutdown().await.unwrap();
            });
            let stream = TcpStream::connect(addr).await.unwrap();
            let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
            let (mut read, mut write) = stream.into_split();
            let sent = data.clone();
            let writer = runtime::spawn(async move {
                write.write_all(&sent).await.unwrap();
                write.shutdown().await.unwrap();
            });
            let mut back = Vec::new();
            read.read_to_end(&mut back).await.unwrap();
            writer.await.unwrap();
            assert!(back == data, "the echo differs");
        });
    });
}
