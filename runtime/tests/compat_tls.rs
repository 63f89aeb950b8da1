//! Feature `tokio-io` (issue 14): TLS with tokio-rustls over our sockets, and HTTPS with
//! hyper over tokio-rustls through hyper-util's `TokioIo` (a pure adapter from tokio's
//! I/O traits to hyper's). Our `TcpStream`/`UnixStream` implement tokio's `AsyncRead +
//! AsyncWrite`, which is all tokio-rustls asks of a transport; no tokio runtime is
//! started anywhere (the HTTPS handler checks).
//!
//! The certificate is self-signed for "localhost", made at test time with rcgen; the
//! configs use rustls's `ring` provider explicitly (`builder_with_provider`), so no test
//! depends on, or races to install, a process-wide default provider. Real sockets on
//! 127.0.0.1, every test bounded in time.
// The sockets need the real reactor: not in the loom build.
#![cfg(not(loom))]

mod common;
#[path = "common/net.rs"]
mod net;

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::conn::auto;
use net::pattern;
use runtime::net::{TcpListener, TcpStream, UnixStream};
use runtime::task::JoinSet;
use runtime::time::{timeout, Timer};
use runtime::{Builder, Handle, Runtime};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{
    ClientConfig, ProtocolVersion, RootCertStore, ServerConfig, SupportedProtocolVersion,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_rustls::{TlsAcceptor, TlsConnector};

const BOUND: u64 = 60;

/// Sizes of the echoed messages: tiny, around one TLS record (16 KiB of plaintext) and
/// well past it, so one message spans several records and several socket reads.
const SIZES: [usize; 10] = [
    1,
    2,
    100,
    1000,
    4096,
    16 * 1024 - 1,
    16 * 1024,
    16 * 1024 + 1,
    64 * 1024,
    100 * 1024,
];

/// A self-signed certificate for "localhost" and its key, made fresh by rcgen.
struct Identity {
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
}

fn identity() -> Identity {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .expect("rcgen makes a self-signed certificate");
    Identity {
        cert: certified.cert.der().clone(),
        key: PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()),
    }
}

/// rustls's `ring` provider, named explicitly: no process-wide default is installed.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server config for `id`, offering `alpn` (most preferred first).
fn server_config(id: &Identity, alpn: &[&[u8]]) -> Arc<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![id.cert.clone()],
            PrivateKeyDer::Pkcs8(id.key.clone_key()),
        )
        .expect("the key matches the certificate");
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// A client config that trusts `id`'s certificate (and nothing else), speaking only
/// `versions`, offering `alpn`.
fn client_config(
    id: &Identity,
    versions: &[&'static SupportedProtocolVersion],
    alpn: &[&[u8]],
) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(id.cert.clone()).unwrap();
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

/// Echoes what it reads until the peer's clean TLS close (a read of 0: tokio-rustls
/// gives an `UnexpectedEof` error instead when the transport ends with no
/// close_notify), then closes its own side the same way. Returns the bytes echoed.
async fn echo<S: AsyncRead + AsyncWrite + Unpin>(mut tls: S) -> io::Result<u64> {
    let mut buf = vec![0u8; 32 * 1024];
    let mut total = 0u64;
    loop {
        let n = tls.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        tls.write_all(&buf[..n]).await?;
        tls.flush().await?;
        total += n as u64;
    }
    tls.shutdown().await?;
    Ok(total)
}

/// Sends each message and reads its echo back at the same time (a 100 KiB message
/// would otherwise rely on the socket buffers holding it), checking it byte for byte;
/// then closes cleanly and expects the peer's clean close. Returns the bytes sent.
async fn round_trips<S: AsyncRead + AsyncWrite + Unpin>(
    tls: S,
    messages: impl Iterator<Item = Vec<u8>>,
) -> u64 {
    let (mut read, mut write) = tokio::io::split(tls);
    let mut total = 0u64;
    for msg in messages {
        let mut back = vec![0u8; msg.len()];
        let (sent, got) = futures_util::future::join(
            async {
                write.write_all(&msg).await?;
                write.flush().await
            },
            read.read_exact(&mut back),
        )
        .await;
        sent.unwrap();
        got.unwrap();
        assert!(back == msg, "the echo of {} bytes differs", msg.len());
        total += msg.len() as u64;
    }
    let mut tls = read.unsplit(write);
    // close_notify, then the transport's write side: the server's read sees a clean end.
    tls.shutdown().await.unwrap();
    // The server's close_notify: end of stream, not an error, and nothing more.
    let mut rest = Vec::new();
    tls.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty(), "{} unexpected bytes", rest.len());
    total
}

/// `rounds` messages of the `SIZES` in turn, each a different pattern.
fn messages(seed: u64, rounds: usize) -> impl Iterator<Item = Vec<u8>> {
    (0..rounds).map(move |i| pattern(seed * 1_000 + i as u64, SIZES[i % SIZES.len()]))
}

/// One TLS connection on our `TcpListener`/`TcpStream`, for each protocol version: many
/// round trips of varied sizes, then a clean close seen as end of stream by each side.
#[test]
fn echo_over_tcp_with_tls13_and_tls12() {
    common::within(BOUND, || {
        let id = identity();
        let acceptor = TlsAcceptor::from(server_config(&id, &[]));
        let cases: [(&'static SupportedProtocolVersion, ProtocolVersion); 2] = [
            (&rustls::version::TLS13, ProtocolVersion::TLSv1_3),
            (&rustls::version::TLS12, ProtocolVersion::TLSv1_2),
        ];
        let rt = Runtime::new().unwrap();
        for (version, expected) in cases {
            let connector = TlsConnector::from(client_config(&id, &[version], &[]));
            let acceptor = acceptor.clone();
            rt.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let server = runtime::spawn(async move {
                    let (stream, _) = listener.accept().await.unwrap();
                    let tls = acceptor.accept(stream).await.unwrap();
                    assert_eq!(tls.get_ref().1.protocol_version(), Some(expected));
                    echo(tls).await
                });
                let stream = TcpStream::connect(addr).await.unwrap();
                let tls = connector.connect(localhost(), stream).await.unwrap();
                assert_eq!(tls.get_ref().1.protocol_version(), Some(expected));
                // 40 round trips: every size four times, 100 KiB among them.
                let sent = round_trips(tls, messages(1, 40)).await;
                let echoed = server
                    .await
                    .unwrap()
                    .expect("the server sees a clean close");
                assert_eq!(echoed, sent);
            });
        }
    });
}

/// The same over a `UnixStream` pair: tokio-rustls needs only the I/O traits.
#[test]
fn echo_over_unix_stream_pair() {
    common::within(BOUND, || {
        let id = identity();
        let acceptor = TlsAcceptor::from(server_config(&id, &[]));
        let connector = TlsConnector::from(client_config(&id, rustls::DEFAULT_VERSIONS, &[]));
        Runtime::new().unwrap().block_on(async move {
            let (a, b) = UnixStream::pair().unwrap();
            let server = runtime::spawn(async move { echo(acceptor.accept(a).await?).await });
            let tls = connector.connect(localhost(), b).await.unwrap();
            let sent = round_trips(tls, messages(2, SIZES.len())).await;
            assert_eq!(server.await.unwrap().unwrap(), sent);
        });
    });
}

/// Records which threads ran a piece of work.
#[derive(Clone, Default)]
struct Threads(Arc<Mutex<std::collections::BTreeSet<String>>>);

impl Threads {
    fn note(&self) {
        let name = std::thread::current().name().unwrap_or("?").to_string();
        self.0.lock().unwrap().insert(name);
    }
    fn names(&self) -> Vec<String> {
        self.0.lock().unwrap().iter().cloned().collect()
    }
}

/// 16 concurrent TLS connections on a two-worker runtime: the server spawns a task
/// per connection (handshake and echo), the clients are tasks too, so handshakes,
/// records and wake-ups cross between the workers; each connection is checked.
#[test]
fn concurrent_connections_on_two_workers() {
    const CONNECTIONS: usize = 16;
    const ROUNDS: usize = 12;

    common::within(BOUND, || {
        let id = identity();
        let acceptor = TlsAcceptor::from(server_config(&id, &[]));
        let connector = TlsConnector::from(client_config(&id, rustls::DEFAULT_VERSIONS, &[]));
        let rt = Builder::new()
            .worker_threads(2)
            .thread_name("tls-worker")
            .build()
            .unwrap();
        let threads = Threads::default();
        let seen = threads.clone();
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let server_threads = threads.clone();
            let server = runtime::spawn(async move {
                let mut conns = JoinSet::new();
                for _ in 0..CONNECTIONS {
                    let (stream, _) = listener.accept().await.unwrap();
                    let acceptor = acceptor.clone();
                    let threads = server_threads.clone();
                    conns.spawn(async move {
                        let tls = acceptor.accept(stream).await?;
                        threads.note();
                        let echoed = echo(tls).await?;
                        threads.note();
                        Ok::<_, io::Error>(echoed)
                    });
                }
                let mut total = 0;
                while let Some(r) = conns.join_next().await {
                    total += r.unwrap().expect("each connection closes cleanly");
                }
                total
            });
            let mut clients = JoinSet::new();
            for c in 0..CONNECTIONS {
                let connector = connector.clone();
                let threads = threads.clone();
                clients.spawn(async move {
                    let stream = TcpStream::connect(addr).await.unwrap();
                    let tls = connector.connect(localhost(), stream).await.unwrap();
                    threads.note();
                    // Each client starts at another size, so big and small messages mix.
                    let msgs =
                        messages(100 + c as u64, ROUNDS + c % SIZES.len()).skip(c % SIZES.len());
                    round_trips(tls, msgs).await
                });
            }
            let mut sent = 0;
            while let Some(r) = clients.join_next().await {
                sent += r.unwrap();
            }
            assert_eq!(server.await.unwrap(), sent);
        });
        // Which workers ran them is up to stealing (not asserted: on a loaded machine
        // one worker may run them all).
        let names = seen.names();
        assert!(
            names.iter().all(|n| n.starts_with("tls-worker-")),
            "{names:?}"
        );
        eprintln!("TLS connections ran on {names:?}");
    });
}

/// What the server saw of one connection's handshake.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Served,
    Failed(io::ErrorKind),
    TimedOut,
}

/// Bad clients cost their own handshake, not the server: one task accepts connections
/// one after another (so each verdict belongs to a known client), bounding each
/// handshake with our timer; garbage, a client that leaves mid-handshake and one that
/// never speaks each fail that accept, and the next good client is served.
#[test]
fn bad_clients_fail_their_accept_and_the_server_goes_on() {
    common::within(BOUND, || {
        let id = identity();
        let acceptor = TlsAcceptor::from(server_config(&id, &[]));
        let client_cfg = client_config(&id, rustls::DEFAULT_VERSIONS, &[]);
        let connector = TlsConnector::from(client_cfg.clone());
        Runtime::new().unwrap().block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let (tx, mut verdicts) = tokio::sync::mpsc::unbounded_channel();
            runtime::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let verdict =
                        match timeout(Duration::from_secs(2), acceptor.accept(stream)).await {
                            Err(_elapsed) => Verdict::TimedOut,
                            Ok(Err(e)) => Verdict::Failed(e.kind()),
                            Ok(Ok(mut tls)) => {
                                // One exchange, then a clean close.
                                let mut line = [0u8; 5];
                                tls.read_exact(&mut line).await.unwrap();
                                tls.write_all(&line).await.unwrap();
                                tls.shutdown().await.unwrap();
                                Verdict::Served
                            }
                        };
                    if tx.send(verdict).is_err() {
                        break;
                    }
                }
            });

            let good = || async {
                let stream = TcpStream::connect(addr).await.unwrap();
                let mut tls = connector.connect(localhost(), stream).await.unwrap();
                tls.write_all(b"hello").await.unwrap();
                let mut back = Vec::new();
                tls.read_to_end(&mut back).await.unwrap();
                assert_eq!(back, b"hello");
            };
            good().await;
            assert_eq!(verdicts.recv().await, Some(Verdict::Served));

            // Not a ClientHello: plain text. rustls rejects the first record; the server
            // may answer with an alert before it drops the connection.
            let mut garbage = TcpStream::connect(addr).await.unwrap();
            garbage
                .write_all(b"GET / HTTP/1.1\r\nhost: localhost\r\n\r\n")
                .await
                .unwrap();
            let mut reply = Vec::new();
            let _ = garbage.read_to_end(&mut reply).await;
            assert_eq!(
                verdicts.recv().await,
                Some(Verdict::Failed(io::ErrorKind::InvalidData))
            );
            good().await;
            assert_eq!(verdicts.recv().await, Some(Verdict::Served));

            // A real ClientHello (made by rustls's sans-I/O client), cut in half, then
            // the client goes: the server's read ends mid-record.
            let hello = client_hello(&client_cfg);
            let mut cut = TcpStream::connect(addr).await.unwrap();
            cut.write_all(&hello[..hello.len() / 2]).await.unwrap();
            drop(cut);
            assert_eq!(
                verdicts.recv().await,
                Some(Verdict::Failed(io::ErrorKind::UnexpectedEof))
            );

            // The whole ClientHello; the client reads the start of the server's answer
            // and goes before finishing: the server waits for a Finished that never comes.
            let mut half = TcpStream::connect(addr).await.unwrap();
            half.write_all(&hello).await.unwrap();
            let mut first = [0u8; 1];
            half.read_exact(&mut first).await.unwrap();
            assert_eq!(first[0], 0x16, "a handshake record");
            // The rest of the server's flight is unread, so the close may be a reset.
            drop(half);
            let verdict = verdicts.recv().await;
            assert!(
                matches!(
                    verdict,
                    Some(Verdict::Failed(
                        io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset
                    ))
                ),
                "{verdict:?}"
            );

            // Connects and leaves at once.
            drop(TcpStream::connect(addr).await.unwrap());
            assert_eq!(
                verdicts.recv().await,
                Some(Verdict::Failed(io::ErrorKind::UnexpectedEof))
            );

            // Connects and says nothing: only the server's handshake bound ends it.
            let silent = TcpStream::connect(addr).await.unwrap();
            assert_eq!(verdicts.recv().await, Some(Verdict::TimedOut));
            drop(silent);

            for _ in 0..3 {
                good().await;
                assert_eq!(verdicts.recv().await, Some(Verdict::Served));
            }
        });
    });
}

/// The bytes of a ClientHello for "localhost" under `config`.
fn client_hello(config: &Arc<ClientConfig>) -> Vec<u8> {
    let mut conn = rustls::ClientConnection::new(config.clone(), localhost()).unwrap();
    let mut hello = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut hello).unwrap();
    }
    assert!(hello.len() > 2);
    hello
}

// ---- HTTPS: hyper over tokio-rustls through hyper-util's `TokioIo` ----

/// `/echo` returns the request body; anything else says hello. A 500 if a tokio
/// runtime is current here (nothing in this stack may have started one), or if the
/// handler is not running on one of our workers.
async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let wrong = if tokio::runtime::Handle::try_current().is_ok() {
        Some("a tokio runtime is current".to_string())
    } else {
        let thread = std::thread::current().name().map(str::to_owned);
        match thread {
            Some(name) if name.starts_with("runtime-worker-") => None,
            other => Some(format!("the handler runs on {other:?}, not our worker")),
        }
    };
    if let Some(wrong) = wrong {
        let mut resp = Response::new(Full::new(Bytes::from(wrong)));
        *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        return Ok(resp);
    }
    Ok(match req.uri().path() {
        "/echo" => Response::new(Full::new(
            req.into_body().collect().await.unwrap().to_bytes(),
        )),
        path => Response::new(Full::new(Bytes::from(format!("hello {path}")))),
    })
}

/// An HTTPS server: our `TcpListener`, a tokio-rustls handshake per connection, then
/// hyper-util's auto builder (our `Handle` as executor, our `Timer`) over `TokioIo`.
/// HTTP/1.1 or HTTP/2 by ALPN (the auto builder reads the h2 preface either way).
async fn serve_https(acceptor: TlsAcceptor) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut builder = auto::Builder::new(Handle::current());
    builder.http1().timer(Timer);
    builder.http2().timer(Timer);
    runtime::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let builder = builder.clone();
            runtime::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let _ = builder
                    .serve_connection(TokioIo::new(tls), hyper::service::service_fn(handle))
                    .await;
            });
        }
    });
    addr
}

async fn body_of(resp: Response<Incoming>) -> Bytes {
    resp.into_body().collect().await.unwrap().to_bytes()
}

fn post(path: &str, body: impl Into<Bytes>) -> Request<Full<Bytes>> {
    Request::post(format!("https://localhost{path}"))
        .body(Full::new(body.into()))
        .unwrap()
}

#[test]
fn https_hyper_over_tokio_rustls_through_tokio_io() {
    common::within(BOUND, || {
        let id = identity();
        let acceptor = TlsAcceptor::from(server_config(&id, &[b"h2", b"http/1.1"]));
        let h1 = TlsConnector::from(client_config(&id, rustls::DEFAULT_VERSIONS, &[b"http/1.1"]));
        let h2 = TlsConnector::from(client_config(&id, rustls::DEFAULT_VERSIONS, &[b"h2"]));
        Runtime::new().unwrap().block_on(async move {
            let addr = serve_https(acceptor).await;

            // HTTP/1.1: hyper's client connection over tokio-rustls, through TokioIo.
            let stream = TcpStream::connect(addr).await.unwrap();
            let tls = h1.connect(localhost(), stream).await.unwrap();
            assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
                .await
                .unwrap();
            runtime::spawn(conn);
            for i in 0..10u64 {
                // Bodies up to 100 KiB: several TLS records each.
                let body = pattern(500 + i, (i as usize * 11 * 1024).max(1));
                sender.ready().await.unwrap();
                let resp = sender
                    .send_request(post("/echo", body.clone()))
                    .await
                    .unwrap();
                assert_eq!(resp.version(), hyper::Version::HTTP_11);
                assert_eq!(resp.status(), StatusCode::OK, "{:?}", body_of(resp).await);
                assert!(body_of(resp).await == body, "echo {i} differs");
            }
            sender.ready().await.unwrap();
            let resp = sender.send_request(post("/hi", "")).await.unwrap();
            assert_eq!(resp.status(), StatusCode::OK);
            assert_eq!(body_of(resp).await, "hello /hi");

            // HTTP/2 (ALPN "h2"): concurrent streams on one TLS connection; hyper
            // spawns its connection tasks on our Handle.
            let stream = TcpStream::connect(addr).await.unwrap();
            let tls = h2.connect(localhost(), stream).await.unwrap();
            assert_eq!(tls.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
            let (sender, conn) = hyper::client::conn::http2::Builder::new(Handle::current())
                .timer(Timer)
                .handshake(TokioIo::new(tls))
                .await
                .unwrap();
            runtime::spawn(conn);
            let mut streams = JoinSet::new();
            for i in 0..20u64 {
                let mut sender = sender.clone();
                streams.spawn(async move {
                    let body = pattern(600 + i, 1 + i as usize * 3000);
                    let resp = sender
                        .send_request(post("/echo", body.clone()))
                        .await
                        .unwrap();
                    assert_eq!(resp.status(), StatusCode::OK);
                    assert_eq!(resp.version(), hyper::Version::HTTP_2);
                    assert!(body_of(resp).await == body, "stream {i} differs");
                });
            }
            while let Some(r) = streams.join_next().await {
                r.unwrap();
            }
            assert!(tokio::runtime::Handle::try_current().is_err());
        });
        assert!(tokio::runtime::Handle::try_current().is_err());
    });
}
