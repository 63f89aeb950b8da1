//! The download already in progress: several callers want the same URL while the
//! first download is still running; they all await that one download, instead of
//! each starting their own, and all get the same result.
//!
//! A task is hot (it runs whether or not anyone awaits it), and `JoinHandle::shared`
//! turns its handle into a cloneable future, so a cache can hand a clone of the
//! running download to every caller, like caching a C# `Task<T>`.
//!
//! ```text
//! $ cargo run --example shared
//! caller 0 got 22 bytes
//! ...
//! 5 callers, 1 download
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use runtime::task::Shared;

/// What a download gives: the body, or why it failed (both cheap to clone).
type Body = Result<Arc<[u8]>, String>;

/// How many downloads really ran.
static DOWNLOADS: AtomicUsize = AtomicUsize::new(0);

/// A stand-in for an HTTP GET that takes a while.
async fn download(url: String) -> Body {
    DOWNLOADS.fetch_add(1, Ordering::SeqCst);
    for _ in 0..1_000 {
        runtime::yield_now().await; // where real I/O would wait
    }
    Ok(Arc::from(format!("<{url}>").into_bytes()))
}

/// URL → the download for it, running or finished.
#[derive(Clone, Default)]
struct Cache {
    downloads: Arc<Mutex<HashMap<String, Shared<Body>>>>,
}

impl Cache {
    /// The download of `url`: the one already in progress (or done), else a new one.
    fn get(&self, url: &str) -> Shared<Body> {
        let mut downloads = self.downloads.lock().unwrap();
        downloads
            .entry(url.to_owned())
            .or_insert_with(|| runtime::spawn(download(url.to_owned())).shared())
            .clone()
    }
}

#[runtime::main(worker_threads = 2)]
async fn main() {
    let cache = Cache::default();

    // Five callers ask for the same URL at about the same time.
    let callers: Vec<_> = (0..5)
        .map(|i| {
            let cache = cache.clone();
            runtime::spawn(async move {
                let body = cache.get("https://example.com/").await;
                (i, body)
            })
        })
        .collect();

    for caller in callers {
        let (i, body) = caller.await.expect("the caller task did not panic");
        // The outer `Result` is the task's (a panic or an abort); the inner one is ours.
        match body {
            Ok(Ok(bytes)) => println!("caller {i} got {} bytes", bytes.len()),
            Ok(Err(e)) => println!("caller {i}: download failed: {e}"),
            Err(e) => println!("caller {i}: download task died: {e}"),
        }
    }

    // Asking again after it finished gives the remembered result at once.
    assert!(cache.get("https://example.com/").await.is_ok());
    let runs = DOWNLOADS.load(Ordering::SeqCst);
    println!("5 callers, {runs} download");
    assert_eq!(runs, 1);
}
