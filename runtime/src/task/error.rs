//! `JoinError`: why a task produced no value.

use std::any::Any;
use std::fmt;

use super::Id;

/// The task did not return a value: it was cancelled, or it panicked.
///
/// # Examples
///
/// ```
/// let rt = runtime::Runtime::new()?;
/// let handle = rt.spawn(async { panic!("boom") });
/// let err = rt.block_on(handle).unwrap_err();
/// assert!(err.is_panic());
/// assert_eq!(err.to_string(), format!("task {} panicked with message \"boom\"", err.id()));
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct JoinError {
    id: Id,
    repr: Repr,
}

enum Repr {
    Cancelled,
    Panic {
        /// The panic's message when it was a string, extracted on the worker so that
        /// `Display` never needs to look into the payload.
        message: Option<String>,
        payload: SyncWrapper<Box<dyn Any + Send + 'static>>,
    },
}

/// Makes a `Send` value `Sync` by never handing out a shared reference to it.
struct SyncWrapper<T>(T);

// SAFETY: a `SyncWrapper` exposes its contents only by value (`into_inner`), never
// through `&self`, so sharing `&SyncWrapper<T>` between threads shares nothing of `T`.
unsafe impl<T: Send> Sync for SyncWrapper<T> {}

impl<T> SyncWrapper<T> {
    fn into_inner(self) -> T {
        self.0
    }
}

impl JoinError {
    pub(crate) fn cancelled(id: Id) -> JoinError {
        JoinError {
            id,
            repr: Repr::Cancelled,
        }
    }

    pub(crate) fn panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        let message = panic_message(&*payload);
        JoinError {
            id,
            repr: Repr::Panic {
                message,
                payload: SyncWrapper(payload),
            },
        }
    }

    /// A copy of this error for one awaiter of a [`Shared`](super::Shared) task. A panic
    /// payload cannot be cloned, so the copy's payload is the panic's message as a
    /// `String` (or `NON_STRING_PAYLOAD` when the payload was not a string).
    pub(crate) fn clone_shared(&self) -> JoinError {
        let repr = match &self.repr {
            Repr::Cancelled => Repr::Cancelled,
            Repr::Panic { message, .. } => {
                let text = message
                    .clone()
                    .unwrap_or_else(|| NON_STRING_PAYLOAD.to_owned());
                Repr::Panic {
                    message: message.clone(),
                    payload: SyncWrapper(Box::new(text)),
                }
            }
        };
        JoinError { id: self.id, repr }
    }

    /// The task was cancelled: aborted, dropped from a `JoinSet`, or stopped by the
    /// runtime's shutdown.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let task = rt.spawn(std::future::pending::<()>());
    /// task.abort();
    /// let err = rt.block_on(task).unwrap_err();
    /// assert!(err.is_cancelled() && !err.is_panic());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled)
    }

    /// The task panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let err = rt.block_on(rt.spawn(async { panic!("boom") })).unwrap_err();
    /// assert!(err.is_panic() && !err.is_cancelled());
    /// // The worker survived the panic and runs the next task.
    /// assert_eq!(rt.block_on(rt.spawn(async { 1 }))?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic { .. })
    }

    /// The panic's payload, to resume it with `std::panic::resume_unwind`.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let err = rt.block_on(rt.spawn(async { panic!("boom") })).unwrap_err();
    /// let payload = err.into_panic();
    /// assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    ///
    /// # Panics
    ///
    /// Panics if the error is not a panic; see [`try_into_panic`](Self::try_into_panic).
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("`JoinError::into_panic` called on an error that is not a panic")
    }

    /// The panic's payload, or the error back if it is not a panic.
    ///
    /// # Errors
    ///
    /// Returns `Err(self)` when the task was cancelled rather than panicking.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let panicked = rt.block_on(rt.spawn(async { panic!("boom") })).unwrap_err();
    /// let payload = panicked.try_into_panic().expect("a panic");
    /// assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    ///
    /// let task = rt.spawn(std::future::pending::<()>());
    /// task.abort();
    /// let cancelled = rt.block_on(task).unwrap_err();
    /// assert!(cancelled.try_into_panic().unwrap_err().is_cancelled());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic { payload, .. } => Ok(payload.into_inner()),
            Repr::Cancelled => Err(self),
        }
    }

    /// The id of the task that failed.
    ///
    /// # Examples
    ///
    /// ```
    /// let rt = runtime::Runtime::new()?;
    /// let task = rt.spawn(std::future::pending::<()>());
    /// let id = task.id();
    /// task.abort();
    /// assert_eq!(rt.block_on(task).unwrap_err().id(), id);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> Id {
        self.id
    }
}

/// The `String` payload a [`Shared`](super::Shared) awaiter gets for a panic whose payload
/// was neither a `&str` nor a `String` (what std's panic hook prints for one, too).
const NON_STRING_PAYLOAD: &str = "Box<dyn Any>";

pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> Option<String> {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        Some((*s).to_owned())
    } else {
        payload.downcast_ref::<String>().cloned()
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "task {} was cancelled", self.id),
            Repr::Panic {
                message: Some(m), ..
            } => {
                write!(f, "task {} panicked with message {m:?}", self.id)
            }
            Repr::Panic { message: None, .. } => write!(f, "task {} panicked", self.id),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Cancelled => write!(f, "JoinError::Cancelled({})", self.id),
            Repr::Panic {
                message: Some(m), ..
            } => {
                write!(f, "JoinError::Panic({}, {m:?}, ...)", self.id)
            }
            Repr::Panic { message: None, .. } => write!(f, "JoinError::Panic({}, ...)", self.id),
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(err: JoinError) -> std::io::Error {
        std::io::Error::other(err.to_string())
    }
}
