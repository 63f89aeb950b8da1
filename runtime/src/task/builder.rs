//! `task::Builder`: a spawn with a name, for dumps (`Handle::dump`).

use std::future::Future;
use std::io;

use super::trace::SpawnMeta;
use super::JoinHandle;
use crate::Handle;

/// Spawns a task with a name, which [`Handle::dump`] shows next to its spawn
/// location.
///
/// Every spawn records where it was called (`#[track_caller]`); a name says what the
/// task is for ("fetch user 42", "conn 10.0.0.7:5123"), which a location cannot when
/// one line spawns a task per request. A named task costs one more lock at spawn
/// (it is listed for dumps from the start), so name the long-lived and per-request
/// tasks an operator wants to find, not every tiny one.
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// let handle = runtime::task::Builder::new()
///     .name("fetch user")
///     .spawn_on(async { 42 }, rt.handle())?;
/// assert_eq!(rt.block_on(handle)?, 42);
///
/// // Inside the runtime, `spawn` uses the current one.
/// let answer = rt.block_on(async {
///     runtime::task::Builder::new().name("answer").spawn(async { 6 * 7 })?.await.map_err(std::io::Error::other)
/// })?;
/// assert_eq!(answer, 42);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Default, Clone, Copy)]
#[must_use = "a Builder does nothing until `spawn` or `spawn_on`"]
pub struct Builder<'a> {
    name: Option<&'a str>,
}

impl<'a> Builder<'a> {
    /// A builder for an unnamed task.
    pub fn new() -> Builder<'a> {
        Builder { name: None }
    }

    /// Names the task (copied into it).
    pub fn name(self, name: &'a str) -> Builder<'a> {
        Builder { name: Some(name) }
    }

    /// Spawns the task on the current runtime (see [`crate::spawn`]).
    ///
    /// # Errors
    ///
    /// An error of kind [`io::ErrorKind::NotFound`] outside a runtime (where
    /// [`crate::spawn`] would panic); use [`spawn_on`](Self::spawn_on) with a handle
    /// there.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let meta = self.meta();
        let handle = Handle::try_current().map_err(|e| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!("task::Builder::spawn called outside a runtime ({e}); use spawn_on"),
            )
        })?;
        Ok(super::spawn_maybe_boxed!(
            future,
            handle.spawn_inner(future, meta)
        ))
    }

    /// Spawns the task on the runtime of `handle`, from any thread (see
    /// [`Handle::spawn`]).
    ///
    /// # Errors
    ///
    /// None today; the `Result` leaves room for spawn options that can be refused.
    #[track_caller]
    pub fn spawn_on<F>(self, future: F, handle: &Handle) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let meta = self.meta();
        Ok(super::spawn_maybe_boxed!(
            future,
            handle.spawn_inner(future, meta)
        ))
    }

    #[track_caller]
    fn meta(&self) -> SpawnMeta<'a> {
        SpawnMeta {
            name: self.name,
            ..SpawnMeta::caller()
        }
    }
}
