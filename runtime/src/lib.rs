//! A multi-threaded, work-stealing async runtime with hot tasks.
//!
//! (Crate docs are filled in with the scheduler core.)

#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs, clippy::undocumented_unsafe_blocks)]

pub mod pool;

mod sync;
