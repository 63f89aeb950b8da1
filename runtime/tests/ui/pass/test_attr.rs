//! `#[runtime::test]` with every option and with other attributes kept. A trybuild
//! pass case is not built with `--test`, so this checks only that the attribute
//! expands; `runtime/tests/macros_test.rs` runs such tests.

#[runtime::test]
async fn plain() {}

#[runtime::test(worker_threads = 2, thread_name = "t", crate = "::runtime")]
#[should_panic(expected = "boom")]
async fn with_options() {
    panic!("boom");
}

#[runtime::test]
#[ignore = "kept"]
async fn returns_result() -> Result<(), std::num::ParseIntError> {
    let _: u8 = "1".parse()?;
    Ok(())
}

fn main() {}
