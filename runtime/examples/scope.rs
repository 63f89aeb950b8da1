//! "None of these values will ever leave the function": tasks that borrow.
//!
//! A user of tonic asked why `Box<dyn Body>` holding `&str`s borrowed from a request
//! demanded `'static`. The answer: whatever is *spawned* (or boxed as `dyn Trait`
//! without a lifetime) may outlive the function, so the compiler must assume it
//! does. Two ways out, both shown here on the same request handler, which fans out to
//! three tasks and joins them:
//!
//! 1. **Borrow, with `runtime::scope`.** The tasks borrow `&str` fields of the request.
//!    `scope` does not return until every task it spawned has finished, so the borrows
//!    cannot outlive the request: the compiler accepts them. `scope` blocks its thread,
//!    so async code calls it inside `task::block_in_place`.
//! 2. **Own, with `Arc<str>`.** Plain `runtime::spawn` needs `'static` futures: give
//!    each task its own reference-counted copy of the strings. Nothing is borrowed, so
//!    nothing can dangle; the cost is one allocation per field and an atomic
//!    increment per task.
//!
//! Run it with `cargo run --release --example scope`.

use std::sync::Arc;

/// A request as a server library hands it over: owned by the handler's caller.
struct SignupRequest {
    name: String,
    addr: String,
    pwd: String,
}

/// What each check found, for the response.
#[derive(Debug, PartialEq)]
struct Checks {
    name_ok: bool,
    addr_ok: bool,
    pwd_strength: usize,
}

/// 1. Borrowing: the three tasks hold `&str`s into `request`.
fn handle_borrowing(request: &SignupRequest) -> Checks {
    // Borrowed views of the request's fields, as in the tonic thread's `TxSignup`.
    let name: &str = &request.name;
    let addr: &str = &request.addr;
    let pwd: &str = &request.pwd;
    runtime::task::block_in_place(|| {
        runtime::scope(|s| {
            let name_ok = s.spawn(async move { !name.is_empty() && name.len() < 32 });
            let addr_ok = s.spawn(async move { addr.contains('@') });
            let pwd_strength = s.spawn(async move {
                runtime::yield_now().await;
                pwd.chars().filter(|c| !c.is_alphanumeric()).count() + pwd.len() / 4
            });
            // Joined inside the scope, where the handles live.
            runtime::block_on(async {
                Checks {
                    name_ok: name_ok.await.unwrap(),
                    addr_ok: addr_ok.await.unwrap(),
                    pwd_strength: pwd_strength.await.unwrap(),
                }
            })
        })
    })
}

/// 2. Owning: each task gets an `Arc<str>` of its field; `spawn` is satisfied.
async fn handle_owning(request: &SignupRequest) -> Checks {
    let name: Arc<str> = Arc::from(request.name.as_str());
    let addr: Arc<str> = Arc::from(request.addr.as_str());
    let pwd: Arc<str> = Arc::from(request.pwd.as_str());
    let name_ok = runtime::spawn(async move { !name.is_empty() && name.len() < 32 });
    let addr_ok = runtime::spawn(async move { addr.contains('@') });
    let pwd_strength = runtime::spawn(async move {
        runtime::yield_now().await;
        pwd.chars().filter(|c| !c.is_alphanumeric()).count() + pwd.len() / 4
    });
    Checks {
        name_ok: name_ok.await.unwrap(),
        addr_ok: addr_ok.await.unwrap(),
        pwd_strength: pwd_strength.await.unwrap(),
    }
}

fn main() -> std::io::Result<()> {
    let rt = runtime::Runtime::new()?;
    let request = SignupRequest {
        name: "ada".to_owned(),
        addr: "ada@example.com".to_owned(),
        pwd: "correct horse battery staple!".to_owned(),
    };
    let (borrowed, owned) = rt.block_on(rt.spawn(async move {
        // A handler running as a task, like a server's.
        let borrowed = handle_borrowing(&request);
        let owned = handle_owning(&request).await;
        (borrowed, owned)
    }))?;
    println!("borrowing (runtime::scope): {borrowed:?}");
    println!("owning (Arc<str> + spawn):  {owned:?}");
    assert_eq!(borrowed, owned, "both handlers check the same request");
    assert_eq!(
        borrowed,
        Checks {
            name_ok: true,
            addr_ok: true,
            pwd_strength: 11
        }
    );
    Ok(())
}
