//! HTTPS on the runtime: hyper over tokio-rustls over our `TcpStream` (features `hyper`
//! and `tokio-io`).
//!
//! Our sockets implement tokio's `AsyncRead + AsyncWrite`, which is all tokio-rustls
//! asks of a transport, so `TlsAcceptor::accept` and `TlsConnector::connect` take a
//! `runtime::net::TcpStream` as is. The TLS stream they return implements tokio's
//! traits too; hyper-util's `TokioIo` adapts it to hyper's (an adapter only: no tokio
//! runtime is started, our [`Handle`] is hyper's executor and [`Timer`] its timer).
//! The server offers HTTP/2 and HTTP/1.1 by ALPN through hyper-util's auto builder.
//!
//! To stay self-contained (CI runs every example with no network and no arguments), the
//! certificate is self-signed for "localhost", made at start with rcgen, and the client
//! in the same process trusts exactly that certificate.
//!
//! ```text
//! $ cargo run --release --example https
//! GET /hello over HTTP/1.1 (TLSv1_3, ALPN http/1.1): 200 OK, b"hello over TLS from /hello"
//! POST /echo over HTTP/2.0 (TLSv1_3, ALPN h2): 200 OK, 65536 bytes echoed
//! ```

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::server::conn::auto;
use runtime::net::{TcpListener, TcpStream};
use runtime::time::Timer;
use runtime::Handle;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio_rustls::{TlsAcceptor, TlsConnector};

type Error = Box<dyn std::error::Error + Send + Sync>;

/// The server's handler: `/echo` returns the request's body, anything else a greeting.
async fn handle(req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.uri().path() == "/echo" {
        let body = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        return Ok(Response::new(Full::new(body)));
    }
    let greeting = format!("hello over TLS from {}", req.uri().path());
    Ok(Response::new(Full::new(Bytes::from(greeting))))
}

/// rustls's `ring` provider, named explicitly rather than installed process-wide.
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Accepts on 127.0.0.1: a task per connection does the TLS handshake, then serves
/// HTTP/2 or HTTP/1.1 (whichever ALPN chose) on the TLS stream.
async fn start_server(
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> Result<SocketAddr, Error> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));

    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut builder = auto::Builder::new(Handle::current());
    builder.http1().timer(Timer);
    builder.http2().timer(Timer);
    runtime::spawn(async move {
        while let Ok((stream, peer)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let builder = builder.clone();
            runtime::spawn(async move {
                // A failed handshake costs this connection only.
                let tls = match acceptor.accept(stream).await {
                    Ok(tls) => tls,
                    Err(e) => return eprintln!("TLS handshake with {peer}: {e}"),
                };
                let service = hyper::service::service_fn(handle);
                if let Err(e) = builder.serve_connection(TokioIo::new(tls), service).await {
                    eprintln!("connection {peer}: {e}");
                }
            });
        }
    });
    Ok(addr)
}

/// Connects to `addr` over TLS offering only `alpn`; returns the TLS stream and a
/// description of what was negotiated.
async fn connect(
    connector: &TlsConnector,
    addr: SocketAddr,
) -> io::Result<(tokio_rustls::client::TlsStream<TcpStream>, String)> {
    let stream = TcpStream::connect(addr).await?;
    let tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), stream)
        .await?;
    let session = tls.get_ref().1;
    let negotiated = format!(
        "{:?}, ALPN {}",
        session.protocol_version().expect("handshake done"),
        String::from_utf8_lossy(session.alpn_protocol().unwrap_or(b"none")),
    );
    Ok((tls, negotiated))
}

fn client(cert: CertificateDer<'static>, alpn: &[u8]) -> Result<TlsConnector, Error> {
    let mut roots = RootCertStore::empty();
    roots.add(cert)?;
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![alpn.to_vec()];
    Ok(TlsConnector::from(Arc::new(config)))
}

#[runtime::main]
async fn main() -> Result<(), Error> {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])?;
    let cert = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let addr = start_server(cert.clone(), key).await?;

    // HTTP/1.1 over TLS.
    let (tls, negotiated) = connect(&client(cert.clone(), b"http/1.1")?, addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
    runtime::spawn(conn);
    let req = Request::get("/hello")
        .header("host", "localhost")
        .body(Full::new(Bytes::new()))?;
    let resp = sender.send_request(req).await?;
    let (status, version) = (resp.status(), resp.version());
    let body = resp.into_body().collect().await?.to_bytes();
    println!("GET /hello over {version:?} ({negotiated}): {status}, {body:?}");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(version, hyper::Version::HTTP_11);
    assert_eq!(&body[..], b"hello over TLS from /hello");

    // HTTP/2 over TLS (ALPN "h2"); hyper spawns its streams on our runtime.
    let (tls, negotiated) = connect(&client(cert, b"h2")?, addr).await?;
    let (mut sender, conn) = hyper::client::conn::http2::Builder::new(Handle::current())
        .timer(Timer)
        .handshake(TokioIo::new(tls))
        .await?;
    runtime::spawn(conn);
    let payload: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
    let req =
        Request::post("https://localhost/echo").body(Full::new(Bytes::from(payload.clone())))?;
    let resp = sender.send_request(req).await?;
    let (status, version) = (resp.status(), resp.version());
    let body = resp.into_body().collect().await?.to_bytes();
    println!(
        "POST /echo over {version:?} ({negotiated}): {status}, {} bytes echoed",
        body.len()
    );
    assert_eq!(status, StatusCode::OK);
    assert_eq!(version, hyper::Version::HTTP_2);
    assert!(body == payload, "the echo differs");
    Ok(())
}
