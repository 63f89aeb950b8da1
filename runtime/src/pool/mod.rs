//! The lending pool: a thread-safe `Vec<RefCell<T>>` that never panics (issue 4).
