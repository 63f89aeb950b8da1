//! `#[runtime::main]` returning `Err(e)` behaves like a plain `fn main`: it prints
//! `Error: {e:?}` to stderr and exits with status 1 (API.md, "Details that are fixed").
//!
//! This test binary has no libtest harness (`harness = false` in Cargo.toml), so its
//! `main` is the attributed function itself. Run by `cargo test`, it starts itself
//! again as a child with `MAIN_EXIT_CHILD` set, in which the body fails through `?`,
//! and checks the child's exit status and stderr. A child that hangs is killed after
//! a time bound and fails the test.

use std::error::Error;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD: &str = "MAIN_EXIT_CHILD";

#[runtime::main(worker_threads = 1)]
async fn main() -> Result<(), Box<dyn Error>> {
    if std::env::var_os(CHILD).is_some() {
        // The child: a task's result goes through `?` twice, the second one fails.
        let parsed = runtime::spawn(async { "not a number".parse::<u32>() }).await?;
        let n = parsed?;
        unreachable!("parsing succeeded: {n}");
    }

    let mut child = Command::new(std::env::current_exe()?)
        .env(CHILD, "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > Duration::from_secs(60) {
            child.kill()?;
            return Err("the child did not exit within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr)?;

    assert_eq!(status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr, "Error: ParseIntError { kind: InvalidDigit }\n");
    // Printed so that `cargo test` shows what this harness-less binary checked.
    println!("main_exit: `Err` from #[runtime::main] printed `Error: ..` and exited 1: ok");
    Ok(())
}
