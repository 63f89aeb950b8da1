//! `#[runtime::main]` with a `Result` and `?`: sums the squares of the numbers given on
//! the command line, one task per number.
//!
//! ```text
//! $ cargo run --example main_macro -- 1 2 3
//! 1² + 2² + 3² = 14 (on 2 workers)
//! $ cargo run --example main_macro -- 1 two
//! Error: BadNumber("two", ParseIntError { kind: InvalidDigit })
//! ```
//!
//! A bad number makes `main` return `Err`, which (as for a plain `fn main`) prints
//! `Error: {e:?}` and exits with status 1.

use std::error::Error;
use std::fmt;
use std::num::ParseIntError;

/// An argument that is not a number.
#[derive(Debug)]
struct BadNumber(String, ParseIntError);

impl fmt::Display for BadNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not a number: {}", self.0, self.1)
    }
}

impl Error for BadNumber {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.1)
    }
}

fn parse(arg: String) -> Result<u64, BadNumber> {
    arg.parse().map_err(|e| BadNumber(arg, e))
}

#[runtime::main(worker_threads = 2, thread_name = "squares")]
async fn main() -> Result<(), Box<dyn Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() {
        args = vec!["1".into(), "2".into(), "3".into()];
    }
    let numbers = args.into_iter().map(parse).collect::<Result<Vec<_>, _>>()?;

    // Hot tasks: each starts on a worker as soon as it is spawned.
    let tasks: Vec<_> = numbers
        .iter()
        .map(|&n| runtime::spawn(async move { n * n }))
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await?; // a `JoinError` (a panicked task) converts too
    }

    let terms: Vec<String> = numbers.iter().map(|n| format!("{n}²")).collect();
    let workers = runtime::Handle::current().metrics().workers();
    println!("{} = {total} (on {workers} workers)", terms.join(" + "));
    Ok(())
}
