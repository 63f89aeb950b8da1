//! The `#[runtime::main]` and `#[runtime::test]` attributes of the `runtime` crate.
//!
//! Use them through `runtime`, which re-exports both; a crate needs only `runtime` in
//! its `Cargo.toml`:
//!
//! ```
//! #[runtime::main(worker_threads = 2)]
//! async fn main() {
//!     let answer = runtime::spawn(async { 6 * 7 }).await.unwrap();
//!     assert_eq!(answer, 42);
//! }
//! ```
//!
//! Each attribute turns an `async fn` into a plain function that builds a fresh
//! `runtime::Runtime` with `runtime::Builder` and runs the body on it with `block_on`.
//! The expansion names nothing that the user must have imported: it goes through
//! `::runtime`, or through the path given with `crate = "..."`.
//!
//! Mistakes are compile errors spanned on the token to change, never a panic in the
//! macro: a function without `async`, a method that takes `self`, a `main` (or a test)
//! with arguments, an unknown or repeated option, a value of the wrong kind.

#![doc(test(attr(deny(warnings))))]

mod entry;

use proc_macro::TokenStream;

/// Runs `async fn main` on a fresh multi-threaded runtime.
///
/// The body runs on the main thread with `Runtime::block_on`; tasks it spawns run on
/// the runtime's worker threads. When the body returns, the runtime shuts down.
///
/// # Examples
///
/// ```
/// #[runtime::main]
/// async fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let task = runtime::spawn(async { "42".parse::<u32>() });
///     let n = task.await??;
///     assert_eq!(n, 42);
///     Ok(())
/// }
/// ```
///
/// The same program without the macro:
///
/// ```
/// fn main() -> Result<(), Box<dyn std::error::Error>> {
///     let body = async {
///         let task = runtime::spawn(async { "42".parse::<u32>() });
///         let n = task.await??;
///         assert_eq!(n, 42);
///         Ok(())
///     };
///     runtime::Builder::new()
///         .build()
///         .expect("failed to build the runtime")
///         .block_on(body)
/// }
/// ```
///
/// The body may return `()` or any type that a plain `fn main` may return, such as
/// `Result<(), E>` with `E: Debug`; `?` works in it. As with a plain `fn main`,
/// returning `Err(e)` prints `Error: {e:?}` and exits with status 1.
///
/// # Options
///
/// | option | meaning | the builder call |
/// |---|---|---|
/// | `worker_threads = N` | `N` worker threads; a positive integer literal | `.worker_threads(N)` |
/// | `thread_name = "name"` | workers are named `name-0`, `name-1`, … | `.thread_name("name")` |
/// | `crate = "path"` | where the `runtime` crate is, if it was renamed | (paths start with `path`) |
///
/// Without options the runtime has the `runtime::Builder`'s defaults: one worker per core, named `runtime-worker-{index}`.
///
/// ```
/// #[runtime::main(worker_threads = 2, thread_name = "app")]
/// async fn main() {
///     let name = runtime::spawn(async { std::thread::current().name().map(str::to_owned) });
///     let name = name.await.unwrap().unwrap();
///     assert!(name.starts_with("app-"), "{name}");
/// }
/// ```
///
/// A crate that renamed `runtime` in its `Cargo.toml` (say `rt = { package = "runtime" }`)
/// writes `#[rt::main(crate = "rt")]`.
///
/// On a function not named `main` the attribute is allowed too: the function becomes a
/// plain function that blocks on its own runtime until the body is done. Its arguments
/// move into the body, as they would into an `async fn`'s future.
///
/// ```
/// #[runtime::main(worker_threads = 1)]
/// async fn sum(numbers: Vec<u64>) -> u64 {
///     runtime::spawn(async move { numbers.iter().sum() }).await.unwrap()
/// }
///
/// fn main() {
///     assert_eq!(sum(vec![1, 2, 3]), 6);
/// }
/// ```
///
/// # Panics
///
/// The generated function panics with "failed to build the runtime" and the I/O error
/// if the runtime cannot be built (for example, if the worker threads cannot be
/// spawned), and it lets a panic of the body propagate.
///
/// # Compile errors
///
/// On a function that is not `async`, on a method that takes `self`, on a `main` with
/// arguments, and for an unknown, repeated or ill-typed option, such as
/// `worker_threads = 0`:
///
/// ```compile_fail
/// #[runtime::main(worker_threads = 0)]
/// async fn main() {}
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::entry(entry::Kind::Main, args.into(), item.into()).into()
}

/// Runs an `async fn` test on a fresh multi-threaded runtime.
///
/// The function becomes a `#[test]` whose body runs with `Runtime::block_on` on a
/// runtime built for this test alone and shut down when it ends. It works in unit
/// tests (`#[cfg(test)] mod tests`) and in integration tests (`tests/*.rs`). Other
/// attributes, such as `#[should_panic]` and `#[ignore]`, are kept; a panic of the body
/// fails the test (or passes it, with `#[should_panic]`). The macro puts no time bound
/// on the test.
///
/// # Examples
///
/// ```
/// #[runtime::test(worker_threads = 1)]
/// async fn spawned_tasks_run() {
///     let handle = runtime::spawn(async { 1 + 1 });
///     assert_eq!(handle.await.unwrap(), 2);
/// }
/// # fn main() {}
/// ```
///
/// The same test without the macro:
///
/// ```
/// #[cfg_attr(test, test)] // `#[test]`, written so that this doc example runs too
/// fn spawned_tasks_run() {
///     let body = async {
///         let handle = runtime::spawn(async { 1 + 1 });
///         assert_eq!(handle.await.unwrap(), 2);
///     };
///     runtime::Builder::new()
///         .worker_threads(1)
///         .build()
///         .expect("failed to build the runtime")
///         .block_on(body)
/// }
/// # fn main() { spawned_tasks_run() }
/// ```
///
/// In a unit test the function usually sits in a `#[cfg(test)] mod tests`. (Doc
/// examples are not built with `--test`, so the first one only checks that the
/// attribute expands; the second one runs.)
///
/// A test may return `Result<(), E>` and use `?`, as a plain `#[test]` may.
///
/// # Options
///
/// The same as [`main`](macro@main): `worker_threads = N`, `thread_name = "name"` and
/// `crate = "path"`. Without options the runtime has the `Builder`'s defaults.
///
/// # Panics
///
/// The test panics, and so fails, if the runtime cannot be built or if the body panics.
///
/// # Compile errors
///
/// On a function that is not `async`, on a function with arguments or a `self`
/// receiver, on a function that already has `#[test]`, and for an unknown, repeated or
/// ill-typed option:
///
/// ```compile_fail
/// #[runtime::test]
/// fn not_async() {}
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::entry(entry::Kind::Test, args.into(), item.into()).into()
}
