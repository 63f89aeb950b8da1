//! "Is there a more friendly RefCell-like object?" — the lending library, as a program.
//!
//! A `Vec<RefCell<Book>>` panics when a second reader asks for a book that is already
//! out. A library would just say "it's checked out". `runtime::pool::LendingPool` does
//! that, from any thread, and lets async borrowers wait for the book to come back.
//! The last part shows the one way to hang with it, waiting for an item you hold, and
//! the non-waiting alternative.
//!
//! Run: `cargo run -p runtime --example lending_pool`

use std::sync::Arc;
use std::time::Duration;

use runtime::pool::{LendError, LendingPool};
use runtime::Runtime;

fn main() -> std::io::Result<()> {
    the_library();
    the_connection_pool()?;
    waiting_for_yourself()
}

/// The seed's story: `LendingLibrary::new(vec![1, 2, 3])`, two borrowers, and a third
/// who is told the book is out instead of the program panicking.
fn the_library() {
    println!("== The lending library ==");
    let library = LendingPool::new(vec!["Dune", "Emma", "Ulysses"]);

    let alice = library.try_borrow_mut(0).expect("the shelf is full");
    println!("Alice takes {:?} home", *alice);
    let bob = library.try_borrow_mut(1).expect("the shelf is full");
    println!("Bob takes {:?} home", *bob);

    // With `RefCell` this line is `already borrowed: BorrowMutError` and a panic.
    match library.try_borrow_mut(0) {
        Ok(book) => println!("Carol takes {:?}", *book),
        Err(LendError::CheckedOut) => println!("Carol asks for book 0: it's checked out"),
        Err(other) => println!("Carol asks for book 0: {other}"),
    }
    match library.try_borrow(7) {
        Ok(book) => println!("Carol takes {:?}", *book),
        Err(error) => println!("Carol asks for book 7: {error}"),
    }

    // Reading room: any number of readers may share a book that is not lent out.
    let dave = library.try_borrow(2).expect("Ulysses is on the shelf");
    let erin = library.try_borrow(2).expect("readers share");
    println!("Dave and Erin both read {:?} in the reading room", *dave);
    println!(
        "Frank wants to take {:?} home: {}",
        *erin,
        library
            .try_borrow_mut(2)
            .err()
            .map_or("ok".into(), |e| e.to_string())
    );
    drop((dave, erin));

    drop(alice); // Dune comes back...
    let carol = library.try_borrow_mut(0).expect("Dune is back");
    println!("Alice returns it; Carol takes {:?} home", *carol);
    drop((bob, carol));
}

/// The same pool as an object pool: two database connections shared by six tasks on a
/// multi-threaded runtime. Tasks that find both connections busy wait (without
/// blocking a worker thread) until one is returned.
fn the_connection_pool() -> std::io::Result<()> {
    println!("\n== A connection pool ==");
    let rt = Runtime::new()?;
    let pool = Arc::new(LendingPool::new(vec![
        Connection::new("db-a"),
        Connection::new("db-b"),
    ]));

    rt.block_on(async {
        // One connection is kept by a long-running task (borrowed indefinitely,
        // until it is done): owned guards are `'static` and can move into tasks.
        let kept = pool
            .try_borrow_mut_owned(0)
            .expect("both connections are free");
        let migration = runtime::spawn(async move {
            let mut conn = kept;
            conn.query("migrate schema").await;
            println!("migration done on {}; returning it", conn.name);
        });

        // Meanwhile six requests share whatever connection is free.
        let requests: Vec<_> = (0..6)
            .map(|n| {
                let pool = Arc::clone(&pool);
                runtime::spawn(async move {
                    let (index, mut conn) = pool
                        .borrow_any_mut_owned()
                        .await
                        .expect("the pool is not empty");
                    conn.query(&format!("request {n}")).await;
                    index
                })
            })
            .collect();

        // A task that needs db-a in particular waits for the migration to return it.
        let pool_for_report = Arc::clone(&pool);
        let report = runtime::spawn(async move {
            let conn = pool_for_report.borrow_mut(0).await.expect("index 0 exists");
            format!("report ran on {} after {} queries", conn.name, conn.queries)
        });

        migration.await.expect("the migration task finished");
        for request in requests {
            let index = request.await.expect("the request task finished");
            println!("a request was served by connection {index}");
        }
        println!("{}", report.await.expect("the report task finished"));
    });

    for (index, conn) in Arc::into_inner(pool)
        .expect("every task is done")
        .into_inner()
        .into_iter()
        .enumerate()
    {
        println!(
            "connection {index} ({}) served {} queries",
            conn.name, conn.queries
        );
    }
    Ok(())
}

/// The one way to hang with the pool: a task that holds an item and awaits the same
/// item waits for its own guard, for ever. The pool cannot tell who holds a guard, so
/// it cannot refuse; here a timeout stands in for "for ever". `try_borrow_mut` is the
/// way out: it answers "checked out" at once.
fn waiting_for_yourself() -> std::io::Result<()> {
    println!("\n== Waiting for yourself ==");
    let rt = Runtime::new()?;
    let pool = LendingPool::new(vec![Connection::new("db-a")]);
    rt.block_on(async {
        let held = pool.borrow_mut(0).await.expect("index 0 exists");
        println!("this task holds {}", held.name);

        // Do not do this: the borrow waits for `held`, which this task only drops
        // after the borrow returns.
        let again = runtime::time::timeout(Duration::from_millis(100), pool.borrow_mut(0)).await;
        assert!(again.is_err(), "a task cannot borrow what it holds");
        println!("borrow_mut(0).await while holding item 0: still waiting after 100 ms");

        // Ask without waiting instead, and keep using the guard you have.
        match pool.try_borrow_mut(0) {
            Ok(_) => unreachable!("item 0 is lent to this very task"),
            Err(error) => println!("try_borrow_mut(0) while holding item 0: {error}"),
        }
        drop(held);
        let conn = pool.borrow_mut(0).await.expect("index 0 exists");
        println!(
            "after giving it back, borrow_mut(0).await gets {} at once",
            conn.name
        );
    });
    Ok(())
}

/// A pretend database connection.
struct Connection {
    name: &'static str,
    queries: u32,
}

impl Connection {
    fn new(name: &'static str) -> Connection {
        Connection { name, queries: 0 }
    }

    /// Runs a query: takes a little while, during which the connection is lent out.
    async fn query(&mut self, what: &str) {
        runtime::time::sleep(Duration::from_millis(20)).await;
        self.queries += 1;
        println!("  {} ran {what:?}", self.name);
    }
}
