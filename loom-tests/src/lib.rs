//! loom models of the runtime's concurrent core live in `tests/`, one file per protocol.
//! Run them with `RUSTFLAGS="--cfg loom" cargo test -p loom-tests --release`.
