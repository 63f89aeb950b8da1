//! Compile tests of `#[runtime::main]` and `#[runtime::test]` (issue 3), with `trybuild`.
//!
//! - `ui/pass/*.rs` must compile and then run to a successful exit. Their `main`s check
//!   real behaviour: the options reach the runtime, `?` and `Result` work, the `crate`
//!   option routes the expansion.
//! - `ui/fail/*.rs` must fail to compile with exactly the checked-in `.stderr`: one file
//!   per mistake the attributes report, each error spanned on the offending token.
//!
//! After a change to the messages, regenerate with
//! `TRYBUILD=overwrite cargo test -p runtime --test macros` and review the diff.

#[test]
#[cfg_attr(miri, ignore)] // runs rustc
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
