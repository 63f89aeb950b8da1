//! Handle results as they complete, stop early, cancel the rest.
//!
//! "How can I join all the futures in a vector without cancelling on failure like
//! `join_all` does?" Put them in a `JoinSet`: `join_next` hands back each result as its
//! task finishes, a failure is just one more result, and you decide when you know
//! enough. Dropping the set (or `shutdown().await`) cancels whatever is still running.
//!
//! ```text
//! $ cargo run --example as_completed
//! replica 1 answered 100
//! replica 2 failed: replica 2 is down
//! replica 3 answered 300
//! replica 4 answered 400
//! enough: [100, 300, 400]; 8 queries left running are cancelled
//! ```

use runtime::task::JoinSet;

/// A stand-in for a query to one replica: farther replicas take longer (each
/// `yield_now` is a point where real I/O would wait), and two of them are down.
async fn query(replica: u32) -> Result<u32, String> {
    for _ in 0..replica * 50 {
        runtime::yield_now().await;
    }
    if replica == 2 || replica == 7 {
        return Err(format!("replica {replica} is down"));
    }
    Ok(replica * 100)
}

#[runtime::main(worker_threads = 2)]
async fn main() {
    // Ask twelve replicas at once; every query starts running on spawn.
    let mut set = JoinSet::new();
    for replica in 1..=12 {
        set.spawn(async move { (replica, query(replica).await) });
    }

    // Take answers in the order they arrive; three good ones are enough.
    let mut answers = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((replica, Ok(answer))) => {
                println!("replica {replica} answered {answer}");
                answers.push(answer);
            }
            // A failed query cancels nothing: keep waiting for the others.
            Ok((replica, Err(e))) => println!("replica {replica} failed: {e}"),
            // The task itself panicked or was aborted: also just one result.
            Err(e) => println!("a query task died: {e}"),
        }
        if answers.len() == 3 {
            break;
        }
    }

    // Stop early: cancel the queries still in flight and wait until they are gone.
    let left = set.len();
    set.shutdown().await;
    println!("enough: {answers:?}; {left} queries left running are cancelled");
    assert_eq!(answers.len(), 3);
}
