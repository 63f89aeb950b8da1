// Every mistake is reported in one build, and the function is still expanded, so
// the rest of the crate type-checks: `main` calls `run` without further errors.
#[runtime::main(workers = 2, worker_threads = 0)]
fn run() -> u32 {
    1
}

fn main() {
    let n: u32 = run();
    let _ = n;
}
