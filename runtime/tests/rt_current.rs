//! One rule for "the current runtime" (context.rs, `enter`): the runtime entered most
//! recently on this thread. Every entry point that names no runtime uses it, also on
//! a worker of another runtime.

mod common;

use std::time::Duration;

use common::bounded;
use runtime::task::JoinSet;
use runtime::{Builder, Handle};

fn thread_name() -> String {
    std::thread::current().name().unwrap_or_default().to_owned()
}

#[test]
fn inside_another_runtimes_spawn_immediate_every_entry_point_means_that_runtime() {
    bounded(Duration::from_secs(20), || {
        let a = Builder::new()
            .worker_threads(1)
            .thread_name("rt-a")
            .build()
            .unwrap();
        let b = Builder::new()
            .worker_threads(1)
            .thread_name("rt-b")
            .build()
            .unwrap();
        let hb = b.handle().clone();
        let names = a
            .block_on(a.spawn(async move {
                assert!(
                    thread_name().starts_with("rt-a"),
                    "the outer task runs on A"
                );
                // B's prefix runs here, on A's worker, with B current.
                let inner = hb.spawn_immediate(async {
                    let free = runtime::spawn(async { thread_name() });
                    let current = Handle::current().spawn(async { thread_name() });
                    let mut set = JoinSet::new();
                    set.spawn(async { thread_name() });
                    let blocking = runtime::spawn_blocking(thread_name);
                    let immediate = runtime::spawn_immediate(async {
                        runtime::yield_now().await;
                        thread_name()
                    });
                    vec![
                        free.await.unwrap(),
                        current.await.unwrap(),
                        set.join_next().await.unwrap().unwrap(),
                        blocking.await.unwrap(),
                        immediate.await.unwrap(),
                    ]
                });
                inner.await.unwrap()
            }))
            .unwrap();
        for name in &names {
            assert!(
                name.starts_with("rt-b"),
                "ran on {name}, not on B: {names:?}"
            );
        }
        // And back on A's worker after the prefix, A is current again.
        let hb = b.handle().clone();
        let back = a
            .block_on(a.spawn(async move {
                drop(hb.spawn_immediate(async {}));
                runtime::spawn(async { thread_name() }).await.unwrap()
            }))
            .unwrap();
        assert!(back.starts_with("rt-a"), "ran on {back}");
    });
}
