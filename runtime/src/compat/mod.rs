//! Implementations of other crates' runtime traits for the runtime's own types, so
//! libraries written against them run here with no adapter crate (issue 14).
//!
//! - always: `futures_task::Spawn` for [`Handle`](crate::Handle) (below);
//! - feature `hyper`: hyper 1.x's `rt` traits ([`hyper`](self::hyper));
//! - feature `tokio-io`: tokio's `AsyncRead`/`AsyncWrite` ([`tokio_io`](self::tokio_io)).
//!
//! The socket impls of both features read and write through the stream's
//! `PollEvented` (io/registration.rs): wait for readiness, try the syscall, clear on
//! `WouldBlock` or a short transfer, exactly as the `futures-io` impls do.

use futures_task::{FutureObj, Spawn, SpawnError};

use crate::Handle;

#[cfg(all(feature = "hyper", not(loom)))]
pub(crate) mod hyper;
#[cfg(all(any(feature = "hyper", feature = "tokio-io"), not(loom)))]
mod stream_io;
#[cfg(all(feature = "tokio-io", not(loom)))]
mod tokio_io;

/// Spawns the future as a detached task (its `JoinHandle` is dropped). After the
/// runtime shut down, it fails with `SpawnError::shutdown()` instead.
impl Spawn for Handle {
    fn spawn_obj(&self, future: FutureObj<'static, ()>) -> Result<(), SpawnError> {
        self.status()?;
        drop(self.spawn(future));
        Ok(())
    }

    fn status(&self) -> Result<(), SpawnError> {
        if self.shared.is_shutdown() {
            Err(SpawnError::shutdown())
        } else {
            Ok(())
        }
    }
}
