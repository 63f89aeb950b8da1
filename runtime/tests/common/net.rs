//! Helpers for the networking tests (`net_*.rs`, `io_async_fd.rs`): a bounded
//! runtime body, the fd budget, byte patterns with a checksum, and temp dirs.
//! Include with `#[path = "common/net.rs"] mod net;` next to `mod common;`.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Builds a fresh runtime on its own thread and runs `body` on it with `block_on`;
/// fails the test if that does not finish within `secs` seconds.
pub fn run<F, Fut>(secs: u64, body: F) -> Fut::Output
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future,
    Fut::Output: Send + 'static,
{
    super::common::within(secs, move || {
        let rt = runtime::Runtime::new().expect("runtime");
        rt.block_on(body())
    })
}

/// The soft limit on open files of this process (`/proc/self/limits`), if known.
pub fn open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line.split_whitespace().nth(3)?;
    if soft == "unlimited" {
        return Some(u64::MAX);
    }
    soft.parse().ok()
}

/// How many of `wanted` things can be had when each needs `fds_each` descriptors,
/// leaving room for the runtime and the test harness. Prints a note when it scales
/// the test down.
pub fn fd_budget(wanted: usize, fds_each: usize) -> usize {
    let reserve = 200;
    let Some(limit) = open_file_limit() else {
        return wanted;
    };
    let room = usize::try_from(limit.saturating_sub(reserve)).unwrap_or(usize::MAX) / fds_each;
    if room < wanted {
        println!("note: the open-file limit is {limit}; scaling {wanted} down to {room}");
        room.max(1)
    } else {
        wanted
    }
}

/// `len` pseudo-random bytes from `seed` (xorshift), different for each seed.
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A running checksum that depends on order as well as content (Fletcher-64 style).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checksum {
    a: u64,
    b: u64,
    pub len: u64,
}

impl Checksum {
    pub fn update(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.a = (self.a + u64::from(byte)) % 0xFFFF_FFFB;
            self.b = (self.b + self.a) % 0xFFFF_FFFB;
        }
        self.len += bytes.len() as u64;
    }
}

/// A fresh directory under the system temp dir, named with the pid, a tag and a
/// counter; removed (with its contents) on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("rt-net-{}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create the temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Compile-time check that `T` is `Send + Sync + Unpin`.
pub const fn assert_send_sync_unpin<T: Send + Sync + Unpin>() {}

/// Compile-time check that a value (a future) is `Send`.
pub fn assert_send<T: Send>(_: &T) {}
