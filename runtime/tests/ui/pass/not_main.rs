//! `#[runtime::main]` on functions not named `main`: each is a plain function that
//! blocks on its own runtime. They may take arguments (moved into the body), be
//! generic, be associated functions, and return borrowed data.

struct Counter;

impl Counter {
    #[runtime::main(worker_threads = 1)]
    async fn count(n: u64) -> u64 {
        let tasks: Vec<_> = (0..n).map(|i| runtime::spawn(async move { i })).collect();
        let mut sum = 0;
        for t in tasks {
            sum += t.await.unwrap();
        }
        sum
    }
}

#[runtime::main]
async fn total<T: Into<u64> + Send + 'static>(items: Vec<T>) -> u64 {
    items.into_iter().map(Into::into).sum()
}

#[runtime::main]
async fn first_word(s: &str) -> &str {
    s.split(' ').next().unwrap_or("")
}

#[runtime::main]
async fn describe() -> impl std::fmt::Display {
    "opaque return types work"
}

fn main() {
    assert_eq!(Counter::count(5), 10);
    assert_eq!(total(vec![1u8, 2, 3]), 6);
    assert_eq!(first_word("hello world"), "hello");
    assert_eq!(describe().to_string(), "opaque return types work");
    // Each call built its own runtime and shut it down.
    assert!(runtime::Handle::try_current().is_err());
}
