//! Threads and thread-locals: std's, or loom's under `cfg(loom)`.
//!
//! This module stands in for `std::thread` itself (`crate::sync::thread::spawn`, …);
//! `thread_local!` is re-exported next to it as `crate::sync::thread_local!`. Under
//! loom every model thread gets its own value of a thread-local, and the values are
//! dropped when the model thread ends.

#[cfg(not(loom))]
pub(crate) use std::thread::*;
#[cfg(not(loom))]
pub(crate) use std::thread_local;

#[cfg(loom)]
pub(crate) use loom::thread::*;

/// `loom::thread_local!`, which also accepts std's `= const { … }` form (loom's own
/// macro does not).
#[cfg(loom)]
macro_rules! loom_thread_local {
    () => {};
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = const { $($init:tt)* }; $($rest:tt)*) => {
        loom::thread_local!($(#[$attr])* $vis static $name: $t = { $($init)* });
        $crate::sync::thread_local!($($rest)*);
    };
    ($(#[$attr:meta])* $vis:vis static $name:ident: $t:ty = $init:expr; $($rest:tt)*) => {
        loom::thread_local!($(#[$attr])* $vis static $name: $t = $init);
        $crate::sync::thread_local!($($rest)*);
    };
}

#[cfg(loom)]
pub(crate) use loom_thread_local as thread_local;
