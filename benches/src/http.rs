//! The `http` workload (issue 14): a hyper 1.x "hello" server (HTTP/1.1,
//! keep-alive) on ours, tokio and smol, each with the same number of workers,
//! driven by `wrk` in its own process.
//!
//! Every server is the same code ([`serve`]): hyper's `server::conn::http1`
//! builder with the runtime's own timer, one task per connection spawned with
//! the runtime's own spawn, the runtime's own sockets (`TCP_NODELAY` on), and
//! only the glue between the socket and hyper's I/O traits differs:
//!
//! - **ours**: `runtime::net::TcpStream` implements `hyper::rt::Read`/`Write`
//!   itself (feature `hyper`); `runtime::time::Timer`.
//! - **tokio**: hyper-util's `TokioIo` over `tokio::net::TcpStream`,
//!   `TokioTimer`, on a multi-thread runtime with `enable_io()` and
//!   `enable_time()`.
//! - **smol**: the `smol-hyper` crate's `FuturesIo` over
//!   `async_io::Async<TcpStream>` and its `SmolTimer`, on the async-executor
//!   threads under `async_io::block_on` of the network workloads.
//!
//! hyper's HTTP/1.1 server spawns nothing itself, so no runtime's hyper
//! `Executor` is exercised here (that is HTTP/2's business).
//!
//! The load generator is `wrk` ([`WRK`]), run as a child process:
//! [`CONNECTIONS`] keep-alive connections, [`WRK_THREADS`] threads, a fixed
//! duration per sample, `--latency` for the percentiles. A sample with any
//! socket error or non-2xx/3xx response fails the run. Before the samples,
//! each server's answer is checked once over a plain socket.

use std::convert::Infallible;
use std::fmt::Write as _;
use std::io::{self, Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::Command;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response};

use crate::exec::{Executor, Spawner};
use crate::net::{NetExecutor, NetListener, NetStream, SmolStream};
use crate::ours::Ours;
use crate::peers::{Smol, Tokio};

/// The load generator's executable.
pub const WRK: &str = "wrk";
/// Keep-alive connections the generator keeps open.
pub const CONNECTIONS: usize = 50;
/// The generator's threads (it shares the machine with the server).
pub const WRK_THREADS: usize = 2;
/// The body of every response.
pub const HELLO: &[u8] = b"Hello, world!";

/// What a runtime needs beyond its sockets to serve hyper.
pub trait HttpRuntime: NetExecutor {
    /// The runtime's socket as hyper sees it.
    type Io: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static;
    /// The runtime's hyper timer.
    type Timer: hyper::rt::Timer + Clone + Send + Sync + 'static;

    /// Wraps an accepted stream for hyper (no wrapper for ours).
    fn io(stream: Self::Stream) -> Self::Io;

    /// The timer given to hyper's builder.
    fn timer() -> Self::Timer;

    /// Builds the runtime the server runs on.
    fn build(workers: usize) -> Self;
}

impl HttpRuntime for Ours {
    type Io = runtime::net::TcpStream;
    type Timer = runtime::time::Timer;

    fn io(stream: runtime::net::TcpStream) -> runtime::net::TcpStream {
        stream
    }

    fn timer() -> runtime::time::Timer {
        runtime::time::Timer
    }

    fn build(workers: usize) -> Self {
        Ours::new(workers)
    }
}

impl HttpRuntime for Tokio {
    type Io = hyper_util::rt::TokioIo<tokio::net::TcpStream>;
    type Timer = hyper_util::rt::TokioTimer;

    fn io(stream: tokio::net::TcpStream) -> Self::Io {
        hyper_util::rt::TokioIo::new(stream)
    }

    fn timer() -> hyper_util::rt::TokioTimer {
        hyper_util::rt::TokioTimer::new()
    }

    fn build(workers: usize) -> Self {
        Tokio::with_io_and_time(workers)
    }
}

impl HttpRuntime for Smol {
    type Io = smol_hyper::rt::FuturesIo<SmolStream>;
    type Timer = smol_hyper::rt::SmolTimer;

    fn io(stream: SmolStream) -> Self::Io {
        smol_hyper::rt::FuturesIo::new(stream)
    }

    fn timer() -> smol_hyper::rt::SmolTimer {
        smol_hyper::rt::SmolTimer::new()
    }

    fn build(workers: usize) -> Self {
        Smol::new(workers)
    }
}

/// The handler: the same static body for every request.
async fn hello(_req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(Response::new(Full::new(Bytes::from_static(HELLO))))
}

/// Accepts connections forever, serving each with hyper's HTTP/1.1 server on
/// its own task.
async fn serve<E: HttpRuntime>(spawner: E::Spawner, listener: E::Listener) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(E::timer()).keep_alive(true);
    loop {
        let stream = match listener.accept().await {
            Ok(stream) => stream,
            // A failed accept (a reset before accept) costs that connection.
            Err(_) => continue,
        };
        stream.set_nodelay().expect("http: set_nodelay");
        let conn = builder.serve_connection(E::io(stream), hyper::service::service_fn(hello));
        spawner.spawn_detached(async move {
            // The generator closes its connections at the end of a sample,
            // possibly mid-request: that error costs nothing.
            let _ = conn.await;
        });
    }
}

/// A running server: its runtime, its accept loop and its address.
pub trait Server {
    /// The runtime's name.
    fn name(&self) -> &'static str;
    /// Whether it is ours.
    fn is_ours(&self) -> bool;
    /// Where it listens.
    fn addr(&self) -> SocketAddr;
}

struct Running<E: HttpRuntime> {
    // Dropped first: cancels (smol) or detaches (tokio, ours) the accept loop,
    // then the runtime goes with its tasks.
    _accept: <E::Spawner as Spawner>::Handle<()>,
    _ex: E,
    addr: SocketAddr,
}

impl<E: HttpRuntime> Server for Running<E> {
    fn name(&self) -> &'static str {
        E::NAME
    }

    fn is_ours(&self) -> bool {
        E::OURS
    }

    fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Builds `E` with `workers` workers and starts the server on 127.0.0.1 with
/// an ephemeral port.
pub fn start<E: HttpRuntime>(workers: usize) -> Box<dyn Server> {
    let ex = E::build(workers);
    let listener = ex.block_on(ex.spawn(async {
        E::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .expect("http: bind")
    }));
    let addr = listener.local_addr().expect("http: local_addr");
    let accept = ex.spawn(serve::<E>(ex.spawner(), listener));
    Box::new(Running {
        _accept: accept,
        _ex: ex,
        addr,
    })
}

/// The servers whose runtime names `keep` accepts, in table order.
pub fn servers(workers: usize, keep: impl Fn(&str) -> bool) -> Vec<Box<dyn Server>> {
    let mut list = Vec::new();
    if keep(Tokio::NAME) {
        list.push(start::<Tokio>(workers));
    }
    if keep(Smol::NAME) {
        list.push(start::<Smol>(workers));
    }
    if keep(Ours::NAME) {
        list.push(start::<Ours>(workers));
    }
    // ab.sh: baseline http server here
    list
}

/// Checks that `wrk` can be run; the error says how to get it.
pub fn check_generator() -> Result<(), String> {
    match Command::new(WRK).arg("-v").output() {
        // `wrk -v` prints its version and exits 1: being able to run it is enough.
        Ok(_) => Ok(()),
        Err(e) => Err(format!(
            "the http workload needs the load generator `{WRK}` ({e}); \
             install it (`apt-get install -y wrk`) or run benches/http.sh, which does"
        )),
    }
}

/// One `GET /` over a plain socket, `Connection: close`: the answer must be a
/// 200 with [`HELLO`] as its body.
pub fn check_answer(addr: SocketAddr) -> Result<(), String> {
    let run = || -> io::Result<String> {
        let mut s = std::net::TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(10)))?;
        s.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
        let mut answer = Vec::new();
        s.read_to_end(&mut answer)?;
        Ok(String::from_utf8_lossy(&answer).into_owned())
    };
    let answer = run().map_err(|e| format!("GET http://{addr}/: {e}"))?;
    let hello = std::str::from_utf8(HELLO).expect("ASCII");
    if answer.starts_with("HTTP/1.1 200") && answer.ends_with(&format!("\r\n\r\n{hello}")) {
        Ok(())
    } else {
        Err(format!("GET http://{addr}/: unexpected answer {answer:?}"))
    }
}

/// What one `wrk` run reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// `Requests/sec`.
    pub requests_per_sec: f64,
    /// The 99th percentile of the latency distribution.
    pub p99: Duration,
}

/// Runs `wrk` against `addr` for `secs` seconds and parses its report; an
/// error if it failed or reported any socket error or non-2xx/3xx answer.
pub fn run_wrk(addr: SocketAddr, secs: u64) -> Result<Sample, String> {
    let out = Command::new(WRK)
        .arg(format!("-t{WRK_THREADS}"))
        .arg(format!("-c{CONNECTIONS}"))
        .arg(format!("-d{secs}s"))
        .arg("--latency")
        .arg(format!("http://{addr}/"))
        .output()
        .map_err(|e| format!("cannot run {WRK}: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "{WRK} failed ({}): {text}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    parse_wrk(&text)
}

/// Parses `wrk --latency`'s report (see the test below for its shape).
pub fn parse_wrk(text: &str) -> Result<Sample, String> {
    let mut rps = None;
    let mut p99 = None;
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("Requests/sec:") {
            rps = rest.trim().parse::<f64>().ok();
        } else if let Some(rest) = line.strip_prefix("99%") {
            p99 = parse_wrk_duration(rest.trim());
        } else if line.starts_with("Socket errors:") || line.starts_with("Non-2xx or 3xx") {
            return Err(format!("wrk reported failures: {line:?}\n{text}"));
        }
    }
    match (rps, p99) {
        (Some(requests_per_sec), Some(p99)) if requests_per_sec > 0.0 => Ok(Sample {
            requests_per_sec,
            p99,
        }),
        _ => Err(format!("cannot parse wrk's report:\n{text}")),
    }
}

/// `wrk`'s durations: `812.00us`, `1.23ms`, `2.01s`, `1.00m`.
fn parse_wrk_duration(s: &str) -> Option<Duration> {
    let split = s.find(|c: char| c.is_ascii_alphabetic())?;
    let (num, unit) = s.split_at(split);
    let value: f64 = num.parse().ok()?;
    let secs = match unit {
        "us" => value / 1e6,
        "ms" => value / 1e3,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(secs))
}

/// The samples of one server.
#[derive(Debug)]
pub struct Series {
    /// The runtime's name.
    pub name: &'static str,
    /// Whether it is ours.
    pub ours: bool,
    /// One per round.
    pub samples: Vec<Sample>,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

impl Series {
    /// The median requests/s.
    pub fn rps(&self) -> f64 {
        median(self.samples.iter().map(|s| s.requests_per_sec).collect())
    }

    /// The median of the samples' p99s.
    pub fn p99(&self) -> Duration {
        Duration::from_secs_f64(median(
            self.samples.iter().map(|s| s.p99.as_secs_f64()).collect(),
        ))
    }
}

/// Checks every server's answer, then runs `rounds` rounds of one `secs`-second
/// `wrk` sample per server in turn (A B C, A B C, …).
pub fn measure(
    servers: &[Box<dyn Server>],
    rounds: usize,
    secs: u64,
) -> Result<Vec<Series>, String> {
    for s in servers {
        check_answer(s.addr()).map_err(|e| format!("{}: {e}", s.name()))?;
    }
    let mut series: Vec<Series> = servers
        .iter()
        .map(|s| Series {
            name: s.name(),
            ours: s.is_ours(),
            samples: Vec::with_capacity(rounds),
        })
        .collect();
    for round in 0..rounds {
        for (s, server) in series.iter_mut().zip(servers) {
            eprintln!("compare: http round {}/{rounds}: {}", round + 1, s.name);
            std::thread::sleep(Duration::from_millis(200));
            let sample = run_wrk(server.addr(), secs).map_err(|e| format!("{}: {e}", s.name))?;
            s.samples.push(sample);
        }
    }
    Ok(series)
}

/// Target: ours' requests/s over tokio's.
pub const RPS_TARGET: f64 = 1.1;

/// The Markdown section of the `http` workload.
pub fn report(series: &[Series], workers: usize, rounds: usize, secs: u64) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n### HTTP (issue 14)\n");
    let _ = writeln!(
        out,
        "hyper 1.x HTTP/1.1 \"hello\" server, {workers} workers each, driven by `{WRK} -t{WRK_THREADS} \
         -c{CONNECTIONS} -d{secs}s --latency` in its own process on the same machine; \
         medians of {rounds} interleaved rounds. Ratios of requests/s: **higher is better**; \
         of p99: lower is better.\n"
    );
    let ours = series.iter().find(|s| s.ours);
    let peers: Vec<&Series> = series.iter().filter(|s| !s.ours).collect();
    let mut header = String::from("| | ");
    let mut rule = String::from("|---|");
    for s in series {
        let _ = write!(header, "{} | ", s.name);
        rule.push_str("---:|");
    }
    if ours.is_some() {
        for p in &peers {
            let _ = write!(header, "ours / {} | ", p.name);
            rule.push_str("---:|");
        }
        header.push_str("target |");
        rule.push_str("---|");
    }
    let _ = writeln!(out, "{}\n{rule}", header.trim_end());
    let tokio = series.iter().find(|s| s.name == "tokio");

    let mut line = String::from("| requests/s |");
    for s in series {
        let _ = write!(line, " {:.0} |", s.rps());
    }
    if let Some(o) = ours {
        for p in &peers {
            let _ = write!(line, " {:.2}× |", o.rps() / p.rps());
        }
        match tokio {
            Some(t) => {
                let r = o.rps() / t.rps();
                let verdict = if r >= RPS_TARGET { "met" } else { "**missed**" };
                let _ = write!(line, " ≥ {RPS_TARGET:.1}× tokio {verdict} |");
            }
            None => line.push_str(" – |"),
        }
    }
    let _ = writeln!(out, "{line}");

    let mut line = String::from("| p99 latency |");
    for s in series {
        let _ = write!(line, " {:.2} ms |", s.p99().as_secs_f64() * 1e3);
    }
    if let Some(o) = ours {
        for p in &peers {
            let _ = write!(
                line,
                " {:.2}× |",
                o.p99().as_secs_f64() / p.p99().as_secs_f64()
            );
        }
        match tokio {
            Some(t) => {
                let r = o.p99().as_secs_f64() / t.p99().as_secs_f64();
                let verdict = if r <= 1.0 { "met" } else { "**missed**" };
                let _ = write!(line, " ≤ 1.0× (≤ tokio's) {verdict} |");
            }
            None => line.push_str(" – |"),
        }
    }
    let _ = writeln!(out, "{line}");

    let _ = writeln!(out, "\nPer round (requests/s, p99):\n");
    for s in series {
        let rounds: Vec<String> = s
            .samples
            .iter()
            .map(|x| {
                format!(
                    "{:.0} / {:.2} ms",
                    x.requests_per_sec,
                    x.p99.as_secs_f64() * 1e3
                )
            })
            .collect();
        let _ = writeln!(out, "- {}: {}", s.name, rounds.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const REPORT: &str = "\
Running 5s test @ http://127.0.0.1:40000/
  2 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.41us  401.10us  12.03ms   90.00%
    Req/Sec    30.12k     1.01k   33.00k    70.00%
  Latency Distribution
     50%  760.00us
     75%  900.00us
     90%    1.10ms
     99%    2.34ms
  299650 requests in 5.00s, 25.15MB read
Requests/sec:  59930.00
Transfer/sec:      5.03MB
";

    #[test]
    fn parses_a_report() {
        let s = parse_wrk(REPORT).unwrap();
        assert_eq!(s.requests_per_sec, 59930.0);
        assert_eq!(s.p99, Duration::from_micros(2340));
    }

    #[test]
    fn failures_fail_the_sample() {
        let bad = REPORT.replace(
            "Requests/sec",
            "  Non-2xx or 3xx responses: 3\nRequests/sec",
        );
        assert!(parse_wrk(&bad).is_err());
        let bad = REPORT.replace(
            "Requests/sec",
            "  Socket errors: connect 0, read 1, write 0, timeout 0\nRequests/sec",
        );
        assert!(parse_wrk(&bad).is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_wrk_duration("1.50s"),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_wrk_duration("10.00us"),
            Some(Duration::from_micros(10))
        );
        assert_eq!(parse_wrk_duration("x"), None);
    }
}
