//! `CachePadded`: crossbeam-utils', or under `cfg(loom)` a transparent wrapper with
//! its API (padding means nothing to loom).

#[cfg(not(loom))]
pub(crate) use crossbeam_utils::CachePadded;

#[cfg(loom)]
pub(crate) use self::loom_impl::CachePadded;

#[cfg(loom)]
mod loom_impl {
    use std::ops::{Deref, DerefMut};

    /// `crossbeam_utils::CachePadded`'s API, without the padding.
    #[derive(Debug, Default)]
    #[repr(transparent)]
    pub(crate) struct CachePadded<T>(T);

    impl<T> CachePadded<T> {
        pub(crate) fn new(value: T) -> CachePadded<T> {
            CachePadded(value)
        }
    }

    impl<T> Deref for CachePadded<T> {
        type Target = T;
        fn deref(&self) -> &T {
            &self.0
        }
    }

    impl<T> DerefMut for CachePadded<T> {
        fn deref_mut(&mut self) -> &mut T {
            &mut self.0
        }
    }
}
