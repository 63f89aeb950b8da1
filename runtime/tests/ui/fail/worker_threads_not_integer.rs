#[runtime::main(worker_threads = "4")]
async fn main() {}

#[runtime::test(worker_threads = 2.5)]
async fn fractional() {}
