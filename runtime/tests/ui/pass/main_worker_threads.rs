//! `worker_threads = N` reaches `Builder::worker_threads`.

#[runtime::main(worker_threads = 3)]
async fn main() {
    assert_eq!(runtime::Handle::current().metrics().workers(), 3);
}
