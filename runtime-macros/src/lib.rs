//! Procedural macros for the `runtime` crate: `#[runtime::main]` and `#[runtime::test]`.
//!
//! The attributes arrive with issue 3; this crate is a placeholder so the workspace
//! layout is complete.
