//! The network workloads of issue 13, written once over three small traits
//! that each runtime's sockets implement natively: our `runtime::net`,
//! `tokio::net`, and smol's `async_io::Async<std::net::TcpStream>`.
//!
//! Server and client always run on the same runtime under test, over
//! 127.0.0.1, and every answer is checked: an echoed message that differs
//! from what was sent, a lost or reordered byte of `tcp_stream`, or any I/O
//! error panics the bench. Each iteration binds a fresh listener (port 0) and
//! waits until every task it spawned, server side included, has finished.
//!
//! - [`tcp_echo`]: [`ECHO_CONNECTIONS`] connections, each sending
//!   [`ECHO_MESSAGES`] messages of [`ECHO_MESSAGE_SIZE`] bytes one at a time
//!   (write, read the echo back, compare, repeat); the latency of every
//!   round trip is recorded and the p99 reported.
//! - [`tcp_churn`]: [`CHURN_CONNECTIONS`] connections that each connect,
//!   exchange one message and close, at most [`CHURN_IN_FLIGHT`] at a time.
//! - [`tcp_stream`]: one connection moving [`STREAM_BYTES`] in writes of
//!   [`STREAM_WRITE`] bytes; the receiver checks every byte against the
//!   pattern the sender wrote.
//!
//! The traits are used instead of `futures_io::AsyncRead` because tokio's
//! sockets implement tokio's own I/O traits: a compatibility wrapper would put
//! a layer on tokio's path that ours and smol's do not have. The read and
//! `write_all` below are what tokio's and futures' extension methods do.

use std::future::{poll_fn, Future};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::exec::{wait, Countdown, Executor, Spawner};
use crate::workload::{Measurement, Workload};

/// Connections of `tcp_echo`.
pub const ECHO_CONNECTIONS: usize = 100;
/// Messages per connection of `tcp_echo` (full size).
pub const ECHO_MESSAGES: usize = 1_000;
/// Messages per connection of `tcp_echo` at [`Scale::Small`].
pub const ECHO_MESSAGES_SMALL: usize = 100;
/// Bytes per message of `tcp_echo` and `tcp_churn`.
pub const ECHO_MESSAGE_SIZE: usize = 64;
/// Connections of `tcp_churn` (full size).
pub const CHURN_CONNECTIONS: usize = 20_000;
/// Connections of `tcp_churn` at [`Scale::Small`].
pub const CHURN_CONNECTIONS_SMALL: usize = 2_000;
/// Client tasks of `tcp_churn`, each opening its share of the connections one
/// after the other: at most this many connections are open on the client
/// side at once (twice as many file descriptors with the server's ends),
/// well under the default limit of 1 024 descriptors.
pub const CHURN_IN_FLIGHT: usize = 100;
/// Bytes moved by `tcp_stream` (full size): 1 GiB.
pub const STREAM_BYTES: u64 = 1 << 30;
/// Bytes moved by `tcp_stream` at [`Scale::Small`]: 64 MiB.
pub const STREAM_BYTES_SMALL: u64 = 64 << 20;
/// The size of every write of `tcp_stream` (and of the receiver's buffer).
pub const STREAM_WRITE: usize = 64 * 1024;
/// The period of the byte pattern `tcp_stream` sends: a prime, so that the
/// pattern does not line up with the 64 KiB writes and a chunk delivered
/// twice or out of order fails the check.
const STREAM_PERIOD: usize = 251;

/// The size of a network workload: the full one of issue 13 (`compare`), or
/// a smaller one for criterion and `compare --quick`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scale {
    /// The sizes of issue 13.
    Full,
    /// A tenth of the messages and connections, 64 MiB instead of 1 GiB.
    Small,
}

impl Scale {
    /// Messages per connection of `tcp_echo`.
    pub fn echo_messages(self) -> usize {
        match self {
            Scale::Full => ECHO_MESSAGES,
            Scale::Small => ECHO_MESSAGES_SMALL,
        }
    }

    /// Connections of `tcp_churn`.
    pub fn churn_connections(self) -> usize {
        match self {
            Scale::Full => CHURN_CONNECTIONS,
            Scale::Small => CHURN_CONNECTIONS_SMALL,
        }
    }

    /// Bytes of `tcp_stream`.
    pub fn stream_bytes(self) -> u64 {
        match self {
            Scale::Full => STREAM_BYTES,
            Scale::Small => STREAM_BYTES_SMALL,
        }
    }
}

/// A connected TCP stream of one runtime.
pub trait NetStream: Send + 'static {
    /// Reads some bytes into `buf`; `Ok(0)` at end of stream.
    fn read<'a>(
        &'a mut self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a;

    /// Writes all of `buf`.
    fn write_all<'a>(
        &'a mut self,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a;

    /// Turns Nagle's algorithm off (`TCP_NODELAY`).
    fn set_nodelay(&self) -> io::Result<()>;
}

/// A listening TCP socket of one runtime.
pub trait NetListener: Send + Sync + 'static {
    /// What [`NetListener::accept`] returns.
    type Stream: NetStream;

    /// The address it listens on.
    fn local_addr(&self) -> io::Result<SocketAddr>;

    /// Accepts one connection.
    fn accept(&self) -> impl Future<Output = io::Result<Self::Stream>> + Send + '_;
}

/// An executor with sockets driven by its own reactor.
pub trait NetExecutor: Executor {
    /// Its listener.
    type Listener: NetListener<Stream = Self::Stream>;
    /// Its stream.
    type Stream: NetStream;

    /// Binds a listener to `addr` (called from a task on the executor).
    fn bind(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Listener>> + Send;

    /// Connects to `addr` (called from a task on the executor).
    fn connect(addr: SocketAddr) -> impl Future<Output = io::Result<Self::Stream>> + Send;
}

/// Runs `iters` iterations of the network `workload` on `ex` and returns the
/// time they took and, for `tcp_echo`, the p99 of every round trip's latency.
///
/// # Panics
///
/// If `workload` is not a network workload, or on any wrong answer.
pub fn measure<E: NetExecutor>(ex: &E, workload: Workload, iters: u64) -> Measurement {
    let mut latencies = Vec::new();
    let start = Instant::now();
    for _ in 0..iters {
        match workload {
            Workload::TcpEcho(scale) => latencies.extend(tcp_echo(ex, scale)),
            Workload::TcpChurn(scale) => tcp_churn(ex, scale),
            Workload::TcpStream(scale) => tcp_stream(ex, scale),
            other => panic!("{} is not a network workload", other.name()),
        }
    }
    let elapsed = start.elapsed();
    Measurement {
        elapsed,
        p99: percentile(&mut latencies, 99),
    }
}

/// The `pct`-th percentile of `samples` (nearest rank), or `None` if empty.
pub fn percentile(samples: &mut [Duration], pct: usize) -> Option<Duration> {
    if samples.is_empty() {
        return None;
    }
    // Nearest rank: the smallest sample with at least pct % at or below it.
    let rank = (samples.len() * pct).div_ceil(100).max(1);
    let (_, nth, _) = samples.select_nth_unstable(rank - 1);
    Some(*nth)
}

/// The loopback address with port 0: every iteration gets a fresh port.
fn any_port() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

/// `tcp_echo`: an echo server and [`ECHO_CONNECTIONS`] clients that each send
/// `scale.echo_messages()` messages one at a time and check every echo.
/// Returns the latency of every round trip (write to last byte read).
pub fn tcp_echo<E: NetExecutor>(ex: &E, scale: Scale) -> Vec<Duration> {
    let spawner = ex.spawner();
    let messages = scale.echo_messages();
    let root = ex.spawn(async move {
        let listener = E::bind(any_port()).await.expect("tcp_echo: bind");
        let addr = listener.local_addr().expect("tcp_echo: local_addr");
        let server = spawner.spawn(serve(spawner.clone(), listener, ECHO_CONNECTIONS));
        let clients: Vec<_> = (0..ECHO_CONNECTIONS)
            .map(|id| spawner.spawn(echo_client::<E>(addr, id, messages)))
            .collect();
        let mut latencies = Vec::with_capacity(ECHO_CONNECTIONS * messages);
        for client in clients {
            latencies.extend(client.await);
        }
        server.await;
        latencies
    });
    ex.block_on(root)
}

async fn echo_client<E: NetExecutor>(
    addr: SocketAddr,
    id: usize,
    messages: usize,
) -> Vec<Duration> {
    let mut stream = E::connect(addr).await.expect("tcp_echo: connect");
    stream.set_nodelay().expect("tcp_echo: set_nodelay");
    let mut out = [0u8; ECHO_MESSAGE_SIZE];
    let mut back = [0u8; ECHO_MESSAGE_SIZE];
    let mut latencies = Vec::with_capacity(messages);
    for seq in 0..messages {
        fill_message(&mut out, id, seq);
        let start = Instant::now();
        stream.write_all(&out).await.expect("tcp_echo: write");
        read_exact(&mut stream, &mut back)
            .await
            .expect("tcp_echo: read");
        latencies.push(start.elapsed());
        assert_eq!(
            back, out,
            "tcp_echo: connection {id}, message {seq} came back wrong"
        );
    }
    latencies
}

/// `tcp_churn`: `scale.churn_connections()` connections, each connecting,
/// sending one message, checking its echo and closing; [`CHURN_IN_FLIGHT`]
/// client tasks open them one after the other.
pub fn tcp_churn<E: NetExecutor>(ex: &E, scale: Scale) {
    let spawner = ex.spawner();
    let total = scale.churn_connections();
    assert_eq!(total % CHURN_IN_FLIGHT, 0, "tcp_churn: uneven shares");
    let per_client = total / CHURN_IN_FLIGHT;
    let root = ex.spawn(async move {
        let listener = E::bind(any_port()).await.expect("tcp_churn: bind");
        let addr = listener.local_addr().expect("tcp_churn: local_addr");
        let server = spawner.spawn(serve(spawner.clone(), listener, total));
        let clients: Vec<_> = (0..CHURN_IN_FLIGHT)
            .map(|id| spawner.spawn(churn_client::<E>(addr, id, per_client)))
            .collect();
        for client in clients {
            client.await;
        }
        server.await;
    });
    ex.block_on(root);
}

async fn churn_client<E: NetExecutor>(addr: SocketAddr, id: usize, connections: usize) {
    let mut out = [0u8; ECHO_MESSAGE_SIZE];
    let mut back = [0u8; ECHO_MESSAGE_SIZE];
    for seq in 0..connections {
        let mut stream = E::connect(addr).await.expect("tcp_churn: connect");
        stream.set_nodelay().expect("tcp_churn: set_nodelay");
        fill_message(&mut out, id, seq);
        stream.write_all(&out).await.expect("tcp_churn: write");
        read_exact(&mut stream, &mut back)
            .await
            .expect("tcp_churn: read");
        assert_eq!(
            back, out,
            "tcp_churn: client {id}, connection {seq} came back wrong"
        );
        // Dropping the stream closes it; the server's end then reads 0.
    }
}

/// Accepts `connections` connections and echoes each on its own task until
/// the client closes it; returns when every one of those tasks has finished.
async fn serve<S: Spawner, L: NetListener>(spawner: S, listener: L, connections: usize) {
    let (latch, done) = Countdown::new(connections);
    for _ in 0..connections {
        let stream = listener.accept().await.expect("server: accept");
        let latch = Arc::clone(&latch);
        spawner.spawn_detached(async move {
            echo(stream).await;
            latch.count_down();
        });
    }
    drop(listener);
    // A handler that panicked drops its clone of the latch without counting
    // down: once every clone is gone, `wait` panics instead of hanging.
    drop(latch);
    wait(done).await;
}

/// Echoes everything it reads until end of stream.
async fn echo<S: NetStream>(mut stream: S) {
    stream.set_nodelay().expect("server: set_nodelay");
    let mut buf = [0u8; 1024];
    loop {
        let n = stream.read(&mut buf).await.expect("server: read");
        if n == 0 {
            return;
        }
        stream.write_all(&buf[..n]).await.expect("server: write");
    }
}

/// `tcp_stream`: one connection; the client writes `scale.stream_bytes()`
/// bytes of a known pattern in [`STREAM_WRITE`]-byte writes and closes, the
/// server's task reads them all and checks every byte.
pub fn tcp_stream<E: NetExecutor>(ex: &E, scale: Scale) {
    let spawner = ex.spawner();
    let bytes = scale.stream_bytes();
    let root = ex.spawn(async move {
        let listener = E::bind(any_port()).await.expect("tcp_stream: bind");
        let addr = listener.local_addr().expect("tcp_stream: local_addr");
        let receiver = spawner.spawn(async move {
            let stream = listener.accept().await.expect("tcp_stream: accept");
            drop(listener);
            receive(stream).await
        });
        let mut stream = E::connect(addr).await.expect("tcp_stream: connect");
        let pattern = stream_pattern();
        let mut sent = 0u64;
        while sent < bytes {
            let len = STREAM_WRITE.min((bytes - sent) as usize);
            let at = (sent % STREAM_PERIOD as u64) as usize;
            stream
                .write_all(&pattern[at..at + len])
                .await
                .expect("tcp_stream: write");
            sent += len as u64;
        }
        drop(stream);
        let received = receiver.await;
        assert_eq!(received, bytes, "tcp_stream: bytes lost or added");
    });
    ex.block_on(root);
}

/// Reads to end of stream, checking every byte against the pattern; returns
/// the number of bytes read.
async fn receive<S: NetStream>(mut stream: S) -> u64 {
    let pattern = stream_pattern();
    let mut buf = vec![0u8; STREAM_WRITE];
    let mut received = 0u64;
    loop {
        let n = stream.read(&mut buf).await.expect("tcp_stream: read");
        if n == 0 {
            return received;
        }
        let at = (received % STREAM_PERIOD as u64) as usize;
        assert!(
            buf[..n] == pattern[at..at + n],
            "tcp_stream: wrong bytes at offset {received}..{}",
            received + n as u64
        );
        received += n as u64;
    }
}

/// Byte `k` of the stream is `k % 251`: one write's worth plus a period, so
/// any window of up to [`STREAM_WRITE`] bytes starting at any phase is a slice.
fn stream_pattern() -> &'static [u8] {
    static PATTERN: OnceLock<Vec<u8>> = OnceLock::new();
    PATTERN.get_or_init(|| {
        (0..STREAM_WRITE + STREAM_PERIOD)
            .map(|k| (k % STREAM_PERIOD) as u8)
            .collect()
    })
}

/// A message that names its sender and sequence number, so an echo delivered
/// to the wrong connection or out of order fails the comparison.
fn fill_message(buf: &mut [u8; ECHO_MESSAGE_SIZE], id: usize, seq: usize) {
    buf[..8].copy_from_slice(&(id as u64).to_le_bytes());
    buf[8..16].copy_from_slice(&(seq as u64).to_le_bytes());
    for (i, b) in buf[16..].iter_mut().enumerate() {
        *b = (id.wrapping_mul(31) ^ seq.wrapping_mul(7)).wrapping_add(i) as u8;
    }
}

/// Reads exactly `buf.len()` bytes.
async fn read_exact<S: NetStream>(stream: &mut S, mut buf: &mut [u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match stream.read(buf).await? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => buf = &mut buf[n..],
        }
    }
    Ok(())
}

// ---- tokio ----------------------------------------------------------------

impl NetStream for tokio::net::TcpStream {
    fn read<'a>(
        &'a mut self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        // What `tokio::io::AsyncReadExt::read` does (that needs `io-util`).
        poll_fn(move |cx| {
            let mut read_buf = tokio::io::ReadBuf::new(&mut *buf);
            tokio::io::AsyncRead::poll_read(Pin::new(&mut *self), cx, &mut read_buf)
                .map_ok(|()| read_buf.filled().len())
        })
    }

    async fn write_all<'a>(&'a mut self, mut buf: &'a [u8]) -> io::Result<()> {
        // What `tokio::io::AsyncWriteExt::write_all` does.
        while !buf.is_empty() {
            let n = poll_fn(|cx| tokio::io::AsyncWrite::poll_write(Pin::new(&mut *self), cx, buf))
                .await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            buf = &buf[n..];
        }
        Ok(())
    }

    fn set_nodelay(&self) -> io::Result<()> {
        tokio::net::TcpStream::set_nodelay(self, true)
    }
}

impl NetListener for tokio::net::TcpListener {
    type Stream = tokio::net::TcpStream;

    fn local_addr(&self) -> io::Result<SocketAddr> {
        tokio::net::TcpListener::local_addr(self)
    }

    async fn accept(&self) -> io::Result<tokio::net::TcpStream> {
        tokio::net::TcpListener::accept(self).await.map(|(s, _)| s)
    }
}

// ---- smol (async-io) ------------------------------------------------------

/// smol's stream: async-io's wrapper around std's.
pub type SmolStream = async_io::Async<std::net::TcpStream>;
/// smol's listener.
pub type SmolListener = async_io::Async<std::net::TcpListener>;

impl NetStream for SmolStream {
    fn read<'a>(
        &'a mut self,
        buf: &'a mut [u8],
    ) -> impl Future<Output = io::Result<usize>> + Send + 'a {
        futures::AsyncReadExt::read(self, buf)
    }

    fn write_all<'a>(
        &'a mut self,
        buf: &'a [u8],
    ) -> impl Future<Output = io::Result<()>> + Send + 'a {
        futures::AsyncWriteExt::write_all(self, buf)
    }

    fn set_nodelay(&self) -> io::Result<()> {
        self.get_ref().set_nodelay(true)
    }
}

impl NetListener for SmolListener {
    type Stream = SmolStream;

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().local_addr()
    }

    async fn accept(&self) -> io::Result<SmolStream> {
        SmolListener::accept(self).await.map(|(s, _)| s)
    }
}
