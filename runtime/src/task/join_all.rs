//! `join_all`: await many hot tasks, keeping every result.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::vec;

use super::{JoinError, JoinHandle};

/// Waits for every task and returns their results in input order.
///
/// One task's failure (a panic, or an abort) is just an `Err` in its place: it never
/// cancels the others, and every other result is still returned.
///
/// The tasks are hot, so they all run at once whatever order they are awaited in;
/// `join_all` awaits the handles one after the other, which costs one poll per handle
/// (plus one wake-up per handle that was not finished when its turn came), so a million
/// handles cost a million polls, not a million squared. Dropping the returned future
/// detaches the tasks it had not awaited yet (it does not cancel them), as dropping
/// their handles does. To handle results as they finish, or to cancel the rest, use a
/// [`JoinSet`](super::JoinSet).
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// rt.block_on(async {
///     let handles = vec![
///         runtime::spawn(async { 1 }),
///         runtime::spawn(async { panic!("two fails") }),
///         runtime::spawn(async { 3 }),
///     ];
///     let results = runtime::task::join_all(handles).await;
///     assert_eq!(results.len(), 3);
///     assert_eq!(*results[0].as_ref().unwrap(), 1);
///     assert!(results[1].as_ref().unwrap_err().is_panic());
///     assert_eq!(*results[2].as_ref().unwrap(), 3);
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn join_all<T, I>(handles: I) -> JoinAll<T>
where
    I: IntoIterator<Item = JoinHandle<T>>,
{
    let handles: Vec<JoinHandle<T>> = handles.into_iter().collect();
    JoinAll {
        results: Vec::with_capacity(handles.len()),
        current: None,
        rest: handles.into_iter(),
    }
}

/// The future of [`join_all`]: every task's result, in input order.
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// let handles: Vec<_> = (0..4).map(|i| rt.spawn(async move { i * 10 })).collect();
/// let all: runtime::task::JoinAll<i32> = runtime::task::join_all(handles);
/// let values: Vec<i32> = rt.block_on(all).into_iter().map(Result::unwrap).collect();
/// assert_eq!(values, [0, 10, 20, 30]);
/// # Ok::<(), std::io::Error>(())
/// ```
#[must_use = "futures do nothing unless polled; the tasks run anyway, but their results are lost"]
pub struct JoinAll<T> {
    results: Vec<Result<T, JoinError>>,
    /// The handle being awaited now.
    current: Option<JoinHandle<T>>,
    rest: vec::IntoIter<JoinHandle<T>>,
}

// The results are only moved, never pinned: nothing here is structurally pinned.
impl<T> Unpin for JoinAll<T> {}

impl<T> Future for JoinAll<T> {
    type Output = Vec<Result<T, JoinError>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            let handle = match &mut this.current {
                Some(handle) => handle,
                None => match this.rest.next() {
                    Some(handle) => this.current.insert(handle),
                    None => return Poll::Ready(std::mem::take(&mut this.results)),
                },
            };
            match Pin::new(handle).poll(cx) {
                Poll::Ready(result) => {
                    this.results.push(result);
                    this.current = None;
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl<T> fmt::Debug for JoinAll<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinAll")
            .field("done", &self.results.len())
            .field(
                "left",
                &(self.rest.len() + usize::from(self.current.is_some())),
            )
            .finish()
    }
}
