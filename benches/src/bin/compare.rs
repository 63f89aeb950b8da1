//! Runs every workload on every runtime, interleaved (A B C D, A B C D, …),
//! and prints a Markdown table of medians with the ratios ours / tokio and
//! ours / fastest peer; the network workloads (issue 13) get a table of their
//! own with throughputs, ratios of throughput, and `tcp_echo`'s p99 latency.
//!
//! ```text
//! cargo run --release -p benches --bin compare -- [--runs N] [--quick] [--out FILE]
//!     [--workload NAME]… [--runtime NAME]… [--target-ms MS]
//! ```
//!
//! Each sample times a batch of iterations sized to about `--target-ms`
//! (calibrated per runtime after a warm-up), divided by the batch size; a
//! round takes one sample of every runtime in turn, so slow drifts of the
//! machine (another build, frequency changes) hit every runtime alike.

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use benches::harness::{self, AnyRuntime, Rayon, FLOOR_LATCH_NAME, FLOOR_NAME};
use benches::net::Scale;
use benches::workload::{Measurement, SPAWN_MANY};
use benches::Workload;

const USAGE: &str = "\
usage: compare [options]

  --runs N          interleaved rounds per workload (default 21; --quick: 5)
  --quick           fewer, shorter samples, the network workloads at their
                    small (criterion) size: a smoke test, not a result
  --target-ms MS    wall time of one sample (default 40; --quick: 5)
  --out FILE        also write the Markdown report to FILE
  --workload NAME   only this workload (repeatable); one of:
                    spawn_many_local spawn_many_remote_idle spawn_many_remote_busy
                    yield_many ping_pong chained_spawn fib fan_out
                    tcp_echo tcp_churn tcp_stream (network: tokio, smol, ours)
                    http (hyper server driven by wrk in its own process;
                    needs wrk, so never part of the default run; see
                    benches/http.sh)
  --runtime NAME    only this runtime (repeatable), e.g. tokio, smol, ours
  --stat STAT       median (default) or min: the per-runtime figure the table
                    and ratios use; min is steadier on a loaded machine
  --http-secs S     duration of one http sample (default 5; --quick: 1);
                    the http workload takes --runs rounds (default 5; --quick: 2)
  --no-refs         skip the floor and rayon reference lines
  --metrics         also print what an iteration of each workload does to the
                    counters of runtimes that have them (ours), mean of 10
  -h, --help        this text

The worker count of every runtime is $BENCH_WORKERS (default 2).";

/// Iterations `--metrics` averages the counters over.
const METRICS_ITERS: u64 = 10;

/// Pause before each sample, so the previous contender's threads are idle.
const SETTLE: Duration = Duration::from_millis(2);

/// Target ratio ours / fastest peer on the spawn workloads.
const SPAWN_TARGET: f64 = 0.8;
/// Target ratio ours / fastest peer on the other workloads.
const OTHER_TARGET: f64 = 1.0;
/// Target for ours' spawn_many_local per task, in multiples of the floor.
const FLOOR_TARGET: f64 = 4.0;

struct Options {
    runs: usize,
    target: Duration,
    out: Option<String>,
    workloads: Vec<Workload>,
    runtimes: Vec<String>,
    refs: bool,
    quick: bool,
    metrics: bool,
    stat: Stat,
    /// `--workload http`: the hyper server driven by wrk.
    http: bool,
    /// `--runs` as given, if given (the http workload's default differs).
    runs_given: Option<usize>,
    http_secs: Option<u64>,
}

/// Which statistic of the samples the table shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stat {
    Median,
    Min,
}

impl Stat {
    fn name(self) -> &'static str {
        match self {
            Stat::Median => "Median",
            Stat::Min => "Minimum",
        }
    }
}

fn parse_args() -> Result<Options, String> {
    let mut runs = None;
    let mut target_ms = None;
    let mut opts = Options {
        runs: 0,
        target: Duration::ZERO,
        out: None,
        workloads: Vec::new(),
        runtimes: Vec::new(),
        refs: true,
        quick: false,
        metrics: false,
        stat: Stat::Median,
        http: false,
        runs_given: None,
        http_secs: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--runs" => {
                let n: usize = value("--runs")?
                    .parse()
                    .map_err(|e| format!("--runs: {e}"))?;
                if n == 0 {
                    return Err("--runs must be at least 1".into());
                }
                runs = Some(n);
            }
            "--target-ms" => {
                let ms: u64 = value("--target-ms")?
                    .parse()
                    .map_err(|e| format!("--target-ms: {e}"))?;
                target_ms = Some(ms.max(1));
            }
            "--quick" => opts.quick = true,
            "--out" => opts.out = Some(value("--out")?),
            "--workload" => {
                let name = value("--workload")?;
                if name == "http" {
                    opts.http = true;
                    continue;
                }
                let w = Workload::from_name(&name).ok_or(format!("unknown workload {name:?}"))?;
                opts.workloads.push(w);
            }
            "--runtime" => opts.runtimes.push(value("--runtime")?),
            "--http-secs" => {
                let secs: u64 = value("--http-secs")?
                    .parse()
                    .map_err(|e| format!("--http-secs: {e}"))?;
                opts.http_secs = Some(secs.max(1));
            }
            "--no-refs" => opts.refs = false,
            "--metrics" => opts.metrics = true,
            "--stat" => {
                opts.stat = match value("--stat")?.as_str() {
                    "median" => Stat::Median,
                    "min" => Stat::Min,
                    other => return Err(format!("--stat: median or min, not {other:?}")),
                }
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    opts.runs_given = runs;
    opts.runs = runs.unwrap_or(if opts.quick { 5 } else { 21 });
    opts.target = Duration::from_millis(target_ms.unwrap_or(if opts.quick { 5 } else { 40 }));
    if opts.workloads.is_empty() && !opts.http {
        opts.workloads = Workload::ALL.to_vec();
    }
    if opts.quick {
        for w in &mut opts.workloads {
            *w = w.at_scale(Scale::Small);
        }
    }
    for name in &opts.runtimes {
        if !harness::RUNTIMES.contains(&name.as_str()) {
            return Err(format!(
                "unknown runtime {name:?}; known: {}",
                harness::RUNTIMES.join(", ")
            ));
        }
    }
    Ok(opts)
}

/// Something that can be timed over a batch of iterations.
trait Timed {
    fn time(&self, iters: u64) -> Measurement;
}

impl<F: Fn(u64) -> Duration> Timed for F {
    fn time(&self, iters: u64) -> Measurement {
        self(iters).into()
    }
}

/// A runtime running one workload.
struct RuntimeTimer<'a> {
    rt: &'a dyn AnyRuntime,
    workload: Workload,
}

impl Timed for RuntimeTimer<'_> {
    fn time(&self, iters: u64) -> Measurement {
        self.rt.measure(self.workload, iters)
    }
}

/// The per-iteration samples of one contender on one workload.
struct Series {
    name: &'static str,
    kind: Kind,
    /// Whether it counts when looking for the fastest peer.
    meaningful: bool,
    iters: u64,
    samples: Vec<Duration>,
    /// The p99 latency of each sample, for the workloads that record one.
    p99s: Vec<Duration>,
    /// The statistic [`Series::headline`] reports.
    stat: Stat,
}

impl Series {
    /// The figure the table and the ratios use: the median, or with
    /// `--stat min` the minimum.
    fn headline(&self) -> Duration {
        match self.stat {
            Stat::Median => self.median(),
            Stat::Min => self.min(),
        }
    }

    fn is_ours(&self) -> bool {
        self.kind == Kind::Ours
    }

    fn is_peer(&self) -> bool {
        self.kind == Kind::Peer
    }

    fn median(&self) -> Duration {
        let mut sorted = self.samples.clone();
        sorted.sort();
        let n = sorted.len();
        if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2
        }
    }

    fn min(&self) -> Duration {
        self.samples.iter().copied().min().unwrap_or_default()
    }

    fn max(&self) -> Duration {
        self.samples.iter().copied().max().unwrap_or_default()
    }

    /// The median (or with `--stat min` the minimum) of the samples' p99
    /// latencies, if the workload records latencies.
    fn p99(&self) -> Option<Duration> {
        if self.p99s.is_empty() {
            return None;
        }
        let mut sorted = self.p99s.clone();
        sorted.sort();
        Some(match self.stat {
            Stat::Median => sorted[sorted.len() / 2],
            Stat::Min => sorted[0],
        })
    }
}

/// Warms `timed` up and returns how many iterations make one sample of
/// about `target`.
fn calibrate(timed: &dyn Timed, target: Duration) -> u64 {
    timed.time(1);
    let one = timed.time(1).elapsed.max(Duration::from_nanos(1));
    let iters = target.as_nanos() / one.as_nanos();
    iters.clamp(1, 1_000_000) as u64
}

/// One thing to time in a round: a runtime, or a reference line.
struct Contender<'a> {
    name: &'static str,
    kind: Kind,
    /// Whether its figure measures scheduling (see `Series::meaningful`).
    meaningful: bool,
    timed: &'a dyn Timed,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ours,
    Peer,
    /// rayon's `join` or the floor: shown, never "the fastest peer".
    Reference,
    /// A baseline build of ours (`ab.sh`): a column and an ours / baseline
    /// ratio, never "the fastest peer".
    Baseline,
}

/// Times every contender `runs` times, round-robin, and returns the series.
fn measure(contenders: &[Contender<'_>], opts: &Options) -> Vec<Series> {
    let (runs, target) = (opts.runs, opts.target);
    let mut series: Vec<Series> = contenders
        .iter()
        .map(|c| Series {
            name: c.name,
            kind: c.kind,
            meaningful: c.meaningful,
            iters: calibrate(c.timed, target),
            samples: Vec::with_capacity(runs),
            p99s: Vec::new(),
            stat: opts.stat,
        })
        .collect();
    for _ in 0..runs {
        for (s, c) in series.iter_mut().zip(contenders) {
            // Let the previous contender's threads go idle (rayon's and tokio's
            // spin a while before they sleep) so they do not eat this one's CPU.
            std::thread::sleep(SETTLE);
            let m = c.timed.time(s.iters);
            s.samples.push(m.elapsed / s.iters as u32);
            s.p99s.extend(m.p99);
        }
    }
    series
}

fn fmt_duration(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    let (value, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    if value < 10.0 {
        format!("{value:.2} {unit}")
    } else if value < 100.0 {
        format!("{value:.1} {unit}")
    } else {
        format!("{value:.0} {unit}")
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Today's date (UTC) as `YYYY-MM-DD`, from the system clock.
fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Howard Hinnant's days-to-civil algorithm.
    let z = (secs / 86_400) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

struct Row {
    workload: Workload,
    series: Vec<Series>,
}

/// The 1-minute load average, to tell a quiet run from a shared machine's.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

fn report(
    opts: &Options,
    workers: usize,
    names: &[&'static str],
    rows: &[Row],
    refs: &Refs,
    load_before: &str,
) -> String {
    let mut out = String::new();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let _ = writeln!(out, "## Runtimes side by side\n");
    let _ = writeln!(
        out,
        "Machine: {} ({cores} cores). Date: {}. {}. Every runtime has {workers} workers. \
         {} of {} interleaved rounds, samples of about {} ms{}. \
         Load average (1 min) {} before, {} after.\n",
        cpu_model(),
        today(),
        env!("BENCH_RUSTC_VERSION"),
        opts.stat.name(),
        opts.runs,
        opts.target.as_millis(),
        if opts.quick {
            " (--quick: a smoke test, not a result)"
        } else {
            ""
        },
        load_before,
        load_average(),
    );
    let (net_rows, rows): (Vec<&Row>, Vec<&Row>) = rows.iter().partition(|r| r.workload.is_net());
    if !rows.is_empty() {
        scheduling_table(&mut out, names, &rows, refs);
    }
    if !net_rows.is_empty() {
        net_tables(&mut out, opts, workers, names, &net_rows);
    }

    if rows.is_empty() && net_rows.is_empty() {
        // Only the http workload: its section follows, with its own spread.
        return out;
    }
    // Spread, to judge the noise.
    let _ = writeln!(out, "<details><summary>Spread (min / median / max per iteration, iterations per sample)</summary>\n");
    let _ = writeln!(
        out,
        "| workload | runtime | min | median | max | iters/sample |\n|---|---|---:|---:|---:|---:|"
    );
    let ref_rows = refs
        .floor
        .iter()
        .chain(refs.floor_latch.iter())
        .map(|s| ("floor", s));
    let all = rows
        .iter()
        .chain(&net_rows)
        .flat_map(|r| r.series.iter().map(move |s| (r.workload.name(), s)))
        .chain(ref_rows);
    for (workload, s) in all {
        let _ = writeln!(
            out,
            "| {workload} | {} | {} | {} | {} | {} |",
            s.name,
            fmt_duration(s.min()),
            fmt_duration(s.median()),
            fmt_duration(s.max()),
            s.iters
        );
    }
    let _ = writeln!(out, "\n</details>");
    out
}

/// The names of `names` that have a series in one of `rows`, in order.
fn columns(names: &[&'static str], rows: &[&Row]) -> Vec<&'static str> {
    names
        .iter()
        .copied()
        .filter(|n| rows.iter().any(|r| r.series.iter().any(|s| s.name == *n)))
        .collect()
}

/// The table of the scheduling workloads (issue 7) and its reference lines.
fn scheduling_table(out: &mut String, names: &[&'static str], rows: &[&Row], refs: &Refs) {
    let names = &columns(names, rows)[..];
    let has_ours = rows.iter().any(|r| r.series.iter().any(Series::is_ours));
    let has_tokio = names.contains(&"tokio");

    // The table of medians.
    let mut header = String::from("| workload |");
    let mut rule = String::from("|---|");
    for name in names {
        let _ = write!(header, " {name} |");
        rule.push_str("---:|");
    }
    let has_baseline = rows
        .iter()
        .any(|r| r.series.iter().any(|s| s.kind == Kind::Baseline));
    if has_ours && has_baseline {
        header.push_str(" ours / baseline |");
        rule.push_str("---:|");
    }
    if has_ours && has_tokio {
        header.push_str(" ours / tokio |");
        rule.push_str("---:|");
    }
    header.push_str(" fastest peer |");
    rule.push_str("---|");
    if has_ours {
        header.push_str(" ours / fastest peer | target |");
        rule.push_str("---:|---|");
    }
    let _ = writeln!(out, "{header}\n{rule}");

    let mut excluded_note = false;
    for row in rows {
        let mut line = format!("| {} |", row.workload.name());
        for name in names {
            match row.series.iter().find(|s| s.name == *name) {
                Some(s) => {
                    let mark = if s.meaningful { "" } else { " †" };
                    excluded_note |= !s.meaningful;
                    let _ = write!(line, " {}{mark} |", fmt_duration(s.headline()));
                }
                None => line.push_str(" – |"),
            }
        }
        let ours = row
            .series
            .iter()
            .find(|s| s.is_ours())
            .map(Series::headline);
        let tokio = row
            .series
            .iter()
            .find(|s| s.name == "tokio")
            .map(Series::headline);
        let fastest = row
            .series
            .iter()
            .filter(|s| s.is_peer() && s.meaningful)
            .min_by_key(|s| s.headline());
        if has_ours && has_baseline {
            let baseline = row
                .series
                .iter()
                .find(|s| s.kind == Kind::Baseline)
                .map(Series::headline);
            match (ours, baseline) {
                (Some(o), Some(b)) => {
                    let _ = write!(line, " {:.2}× |", ratio(o, b));
                }
                _ => line.push_str(" – |"),
            }
        }
        if has_ours && has_tokio {
            match (ours, tokio) {
                (Some(o), Some(t)) => {
                    let _ = write!(line, " {:.2}× |", ratio(o, t));
                }
                _ => line.push_str(" – |"),
            }
        }
        match fastest {
            Some(f) => {
                let _ = write!(line, " {} |", f.name);
            }
            None => line.push_str(" – |"),
        }
        if has_ours {
            let target = if row.workload.is_spawn() {
                SPAWN_TARGET
            } else {
                OTHER_TARGET
            };
            match (ours, fastest) {
                (Some(o), Some(f)) => {
                    let r = ratio(o, f.headline());
                    let verdict = if r <= target { "met" } else { "**missed**" };
                    let _ = write!(line, " {r:.2}× | ≤ {target:.1}× {verdict} |");
                }
                _ => line.push_str(" – | – |"),
            }
        }
        let _ = writeln!(out, "{line}");
    }
    if excluded_note {
        let _ = writeln!(
            out,
            "\n† Not scheduling: the futures ThreadPool polls a task that wakes itself \
             again in place, so `yield_now` never reaches its queue; left out of the \
             fastest peer."
        );
    }

    // Reference lines.
    if refs.floor.is_some() {
        let _ = writeln!(out, "\n### Reference lines\n");
    }
    if let Some(floor) = &refs.floor {
        let floor_median = floor.headline();
        let per_future = floor_median / SPAWN_MANY as u32;
        let _ = writeln!(
            out,
            "Floor (one thread: box a future, poll it once, free it): {} per {SPAWN_MANY} futures, {} each.\n",
            fmt_duration(floor_median),
            fmt_duration(per_future),
        );
        let latch_median = refs.floor_latch.as_ref().map(Series::headline);
        if let Some(latch) = latch_median {
            let _ = writeln!(
                out,
                "Floor plus spawn_many_local's own per-task work (clone the latch's `Arc`, count it down in the future), one thread: {} each.\n",
                fmt_duration(latch / SPAWN_MANY as u32),
            );
        }
        if let Some(row) = rows.iter().find(|r| r.workload == Workload::SpawnManyLocal) {
            let _ = writeln!(
                out,
                "| spawn_many_local per task | per task | × floor | × floor + latch |\n|---|---:|---:|---:|"
            );
            for s in row.series.iter().filter(|s| s.kind != Kind::Reference) {
                let per_task = s.headline() / SPAWN_MANY as u32;
                let x = ratio(s.headline(), floor_median);
                let target = if s.is_ours() {
                    format!(" (target ≤ {FLOOR_TARGET:.0}×)")
                } else {
                    String::new()
                };
                let with_latch = latch_median
                    .map(|l| format!("{:.1}×", ratio(s.headline(), l)))
                    .unwrap_or_else(|| "–".to_owned());
                let _ = writeln!(
                    out,
                    "| {} | {} | {x:.1}×{target} | {with_latch} |",
                    s.name,
                    fmt_duration(per_task)
                );
            }
            let _ = writeln!(out);
        }
    }
    let fib_row = rows.iter().find(|r| r.workload == Workload::Fib);
    let rayon = fib_row.and_then(|r| r.series.iter().find(|s| s.kind == Kind::Reference));
    if let (Some(row), Some(rayon)) = (fib_row, rayon) {
        let _ = write!(
            out,
            "fib({}) with rayon's `join` (interleaved with the runtimes): {}",
            benches::workload::FIB_N,
            fmt_duration(rayon.headline())
        );
        for s in row.series.iter().filter(|s| s.kind != Kind::Reference) {
            let _ = write!(
                out,
                "; {} {:.1}×",
                s.name,
                ratio(s.headline(), rayon.headline())
            );
        }
        let _ = writeln!(out, " (runtime / rayon).\n");
    }
}

/// `value` per second with a k / M / G prefix, e.g. `123 k msg/s`, or
/// `1.23 GiB/s` for bytes.
fn fmt_rate(value: f64, unit: &str) -> String {
    let (value, prefix, unit) = if unit == "B/s" {
        let units = [(1u64 << 30, "Gi"), (1 << 20, "Mi"), (1 << 10, "Ki")];
        match units.iter().find(|(scale, _)| value >= *scale as f64) {
            Some((scale, prefix)) => (value / *scale as f64, *prefix, unit),
            None => (value, "", unit),
        }
    } else if value >= 1e9 {
        (value / 1e9, "G ", unit)
    } else if value >= 1e6 {
        (value / 1e6, "M ", unit)
    } else if value >= 1e3 {
        (value / 1e3, "k ", unit)
    } else {
        (value, "", unit)
    };
    let digits = if value < 10.0 {
        2
    } else if value < 100.0 {
        1
    } else {
        0
    };
    format!("{value:.digits$} {prefix}{unit}")
}

/// The tables of the network workloads (issue 13): throughput per runtime,
/// ratios of throughput (higher is better), and `tcp_echo`'s p99 latency.
fn net_tables(
    out: &mut String,
    opts: &Options,
    workers: usize,
    names: &[&'static str],
    rows: &[&Row],
) {
    let names = &columns(names, rows)[..];
    let peers: Vec<&'static str> = names
        .iter()
        .copied()
        .filter(|n| {
            rows.iter()
                .any(|r| r.series.iter().any(|s| s.name == *n && s.is_peer()))
        })
        .collect();
    let has_ours = rows.iter().any(|r| r.series.iter().any(Series::is_ours));
    let has_baseline = rows
        .iter()
        .any(|r| r.series.iter().any(|s| s.kind == Kind::Baseline));
    let _ = writeln!(out, "\n### Networking (issue 13)\n");
    let _ = writeln!(
        out,
        "Server and clients on the same runtime, over 127.0.0.1, {workers} workers each \
         (smol: async-executor threads under `async_io::block_on`; tokio: `enable_io()`). \
         Throughput from the {} per-iteration time of {} interleaved rounds; the ratios \
         are ours' throughput over the other's, so **higher is better** here.\n",
        opts.stat.name().to_lowercase(),
        opts.runs,
    );
    let mut header = String::from("| workload | one iteration |");
    let mut rule = String::from("|---|---|");
    for name in names {
        let _ = write!(header, " {name} |");
        rule.push_str("---:|");
    }
    if has_ours {
        if has_baseline {
            header.push_str(" ours / baseline |");
            rule.push_str("---:|");
        }
        for peer in &peers {
            let _ = write!(header, " ours / {peer} |");
            rule.push_str("---:|");
        }
        header.push_str(" target |");
        rule.push_str("---|");
    }
    let _ = writeln!(out, "{header}\n{rule}");
    let rate = |row: &Row, s: &Series| row.workload.elements() as f64 / s.headline().as_secs_f64();
    for row in rows {
        let find = |name: &str| row.series.iter().find(|s| s.name == name);
        let mut line = format!("| {} | {} |", row.workload.name(), row.workload.describe());
        for name in names {
            match find(name) {
                Some(s) => {
                    let _ = write!(line, " {} |", fmt_rate(rate(row, s), row.workload.unit()));
                }
                None => line.push_str(" – |"),
            }
        }
        if has_ours {
            let ours = row.series.iter().find(|s| s.is_ours());
            let mut versus = |other: Option<&Series>| match (ours, other) {
                (Some(o), Some(p)) => {
                    let _ = write!(line, " {:.2}× |", ratio(p.headline(), o.headline()));
                }
                _ => line.push_str(" – |"),
            };
            if has_baseline {
                versus(row.series.iter().find(|s| s.kind == Kind::Baseline));
            }
            for peer in &peers {
                versus(find(peer));
            }
            match (ours, find("tokio"), row.workload.net_target()) {
                (Some(o), Some(t), Some(target)) => {
                    let r = ratio(t.headline(), o.headline());
                    let verdict = if r >= target { "met" } else { "**missed**" };
                    let _ = write!(line, " ≥ {target:.2}× tokio {verdict} |");
                }
                _ => line.push_str(" – |"),
            }
        }
        let _ = writeln!(out, "{line}");
    }

    // Latency, for the workloads that record it.
    for row in rows {
        if !row.series.iter().any(|s| s.p99().is_some()) {
            continue;
        }
        let _ = writeln!(
            out,
            "\n{} latency per message (write to echo read back), p99 over all messages of \
             one sample, {} of the rounds' p99s:\n",
            row.workload.name(),
            opts.stat.name().to_lowercase(),
        );
        let mut header = String::from("|");
        let mut rule = String::from("|");
        for name in names {
            let _ = write!(header, " {name} |");
            rule.push_str("---:|");
        }
        let tokio_p99 = row
            .series
            .iter()
            .find(|s| s.name == "tokio")
            .and_then(Series::p99);
        let ours_p99 = row
            .series
            .iter()
            .find(|s| s.is_ours())
            .and_then(Series::p99);
        if tokio_p99.is_some() && ours_p99.is_some() {
            header.push_str(" ours / tokio | target |");
            rule.push_str("---:|---|");
        }
        let mut line = String::from("|");
        for name in names {
            match row
                .series
                .iter()
                .find(|s| s.name == *name)
                .and_then(Series::p99)
            {
                Some(p) => {
                    let _ = write!(line, " {} |", fmt_duration(p));
                }
                None => line.push_str(" – |"),
            }
        }
        if let (Some(o), Some(t)) = (ours_p99, tokio_p99) {
            let r = ratio(o, t);
            let verdict = if r <= 1.0 { "met" } else { "**missed**" };
            let _ = write!(line, " {r:.2}× | ≤ 1.0× (≤ tokio's) {verdict} |");
        }
        let _ = writeln!(out, "{header}\n{rule}\n{line}");
    }
    let _ = writeln!(out);
}

/// A table of the counters one iteration of each workload moves, for the
/// runtimes that have counters.
fn metrics_report(runtimes: &[Box<dyn AnyRuntime>], workloads: &[Workload]) -> String {
    let mut out = String::new();
    for rt in runtimes {
        let mut header_done = false;
        for &workload in workloads {
            if !rt.runs(workload) {
                continue;
            }
            let counters = rt.counters_per_iteration(workload, METRICS_ITERS);
            if counters.is_empty() {
                break;
            }
            if !header_done {
                let _ = writeln!(
                    out,
                    "\n### {} counters per iteration (mean of {METRICS_ITERS})\n",
                    rt.name()
                );
                let names: Vec<_> = counters.iter().map(|(n, _)| *n).collect();
                let _ = writeln!(out, "| workload | {} |", names.join(" | "));
                let _ = writeln!(out, "|---|{}", "---:|".repeat(names.len()));
                header_done = true;
            }
            let values: Vec<_> = counters.iter().map(|(_, v)| v.to_string()).collect();
            let _ = writeln!(out, "| {} | {} |", workload.name(), values.join(" | "));
        }
    }
    out
}

struct Refs {
    floor: Option<Series>,
    /// The floor plus spawn_many_local's own per-task work (its latch).
    floor_latch: Option<Series>,
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(opts) => opts,
        Err(msg) if msg.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("compare: {msg}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if opts.http {
        if let Err(msg) = benches::http::check_generator() {
            eprintln!("compare: {msg}");
            return ExitCode::FAILURE;
        }
    }
    let load_before = load_average();
    let workers = harness::workers();
    let keep = |name: &str| opts.runtimes.is_empty() || opts.runtimes.iter().any(|r| r == name);
    let runtimes = harness::runtimes(workers, keep);
    // One name per runtime (tokio has two instances, see `harness::runtimes`).
    let mut names: Vec<&'static str> = runtimes.iter().map(|rt| rt.name()).collect();
    names.dedup();
    eprintln!(
        "compare: {} on {workers} workers, {} rounds of ~{} ms samples",
        names.join(", "),
        opts.runs,
        opts.target.as_millis()
    );

    let rayon = (opts.refs && opts.workloads.contains(&Workload::Fib)).then(|| Rayon::new(workers));
    let mut rows = Vec::new();
    for &workload in &opts.workloads {
        let running: Vec<&dyn AnyRuntime> = runtimes
            .iter()
            .map(|rt| rt.as_ref())
            .filter(|rt| rt.runs(workload))
            .collect();
        let timers: Vec<_> = running
            .iter()
            .map(|&rt| RuntimeTimer { rt, workload })
            .collect();
        let mut contenders: Vec<Contender<'_>> = running
            .iter()
            .zip(&timers)
            .map(|(rt, timed)| Contender {
                name: rt.name(),
                kind: if rt.is_ours() {
                    Kind::Ours
                } else if rt.is_baseline() {
                    Kind::Baseline
                } else {
                    Kind::Peer
                },
                meaningful: rt.is_meaningful(workload),
                timed,
            })
            .collect();
        let rayon_fib = rayon
            .as_ref()
            .map(|rayon| move |iters| rayon.time_fib(iters));
        if let (Workload::Fib, Some(timed)) = (workload, &rayon_fib) {
            contenders.push(Contender {
                name: Rayon::NAME,
                kind: Kind::Reference,
                meaningful: true,
                timed,
            });
        }
        eprintln!("compare: {}", workload.name());
        let series = measure(&contenders, &opts);
        rows.push(Row { workload, series });
    }

    let mut refs = Refs {
        floor: None,
        floor_latch: None,
    };
    if opts.refs && opts.workloads.iter().any(|w| !w.is_net()) {
        eprintln!("compare: floor");
        let floor = Contender {
            name: FLOOR_NAME,
            kind: Kind::Reference,
            meaningful: true,
            timed: &harness::time_floor,
        };
        let floor_latch = Contender {
            name: FLOOR_LATCH_NAME,
            kind: Kind::Reference,
            meaningful: true,
            timed: &harness::time_floor_with_latch,
        };
        let mut both = measure(&[floor, floor_latch], &opts).into_iter();
        refs.floor = both.next();
        refs.floor_latch = both.next();
    }

    let http_section = if opts.http {
        match run_http(&opts, workers, &keep) {
            Ok(section) => Some(section),
            Err(msg) => {
                eprintln!("compare: http: {msg}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };

    let mut text = report(&opts, workers, &names, &rows, &refs, &load_before);
    if let Some(section) = http_section {
        text.push_str(&section);
    }
    if opts.metrics {
        text.push_str(&metrics_report(&runtimes, &opts.workloads));
    }
    println!("{text}");
    if let Some(path) = &opts.out {
        if let Err(e) = std::fs::write(path, &text) {
            eprintln!("compare: cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
        eprintln!("compare: wrote {path}");
    }
    ExitCode::SUCCESS
}

/// The `http` workload: starts the hyper servers (tokio, smol, ours), runs
/// the interleaved `wrk` rounds, and returns the Markdown section.
fn run_http(opts: &Options, workers: usize, keep: &dyn Fn(&str) -> bool) -> Result<String, String> {
    let rounds = opts.runs_given.unwrap_or(if opts.quick { 2 } else { 5 });
    let secs = opts.http_secs.unwrap_or(if opts.quick { 1 } else { 5 });
    let servers = benches::http::servers(workers, keep);
    if servers.is_empty() {
        return Err("none of the chosen runtimes runs http (tokio, smol, ours do)".into());
    }
    eprintln!("compare: http, {} rounds of {secs} s per server", rounds);
    let series = benches::http::measure(&servers, rounds, secs)?;
    Ok(benches::http::report(&series, workers, rounds, secs))
}
