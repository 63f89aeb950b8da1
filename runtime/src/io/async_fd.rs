//! TODO (helper net): `AsyncFd`.
#![allow(missing_docs)]
pub struct AsyncFd<T>(T);
pub struct AsyncFdReadyGuard<'a, T>(&'a T);
pub struct AsyncFdReadyMutGuard<'a, T>(&'a mut T);
pub struct TryIoError(());
