//! Task blocks are recycled between tasks of different types (task/alloc.rs): a block
//! freed by one task's cell holds the next task of its size class. Every task here
//! checks that its own future's state is intact across a wait, that its output reaches
//! its handle, and that its future is dropped exactly once, over many rounds of mixed
//! sizes and alignments (including cells too large or too aligned to be cached).

mod common;

use std::future::Future;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::within;

/// A future of `N` bytes of payload (plus what its state machine adds), filled with
/// a pattern derived from `seed`, that yields once and then checks the pattern.
async fn payload<const N: usize>(seed: u8, drops: Arc<AtomicUsize>) -> u64 {
    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
    let _counted = Counted(drops);
    let mut bytes = [0u8; N];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = seed.wrapping_add(i as u8);
    }
    runtime::yield_now().await;
    let bytes = black_box(bytes);
    for (i, b) in bytes.iter().enumerate() {
        assert_eq!(
            *b,
            seed.wrapping_add(i as u8),
            "a task's state was overwritten"
        );
    }
    bytes.iter().map(|&b| u64::from(b)).sum()
}

/// The same, over-aligned, so its cell is never cached.
#[repr(align(64))]
struct Aligned([u8; 48]);

async fn aligned(seed: u8, drops: Arc<AtomicUsize>) -> u64 {
    let value = Aligned([seed; 48]);
    assert_eq!(std::ptr::addr_of!(value) as usize % 64, 0);
    payload::<8>(seed, drops).await + u64::from(black_box(value).0[47])
}

fn expected<const N: usize>(seed: u8) -> u64 {
    (0..N).map(|i| u64::from(seed.wrapping_add(i as u8))).sum()
}

fn spawn_mix(round: usize, drops: &Arc<AtomicUsize>) -> Vec<(u64, runtime::JoinHandle<u64>)> {
    let mut out = Vec::new();
    for i in 0..40 {
        let seed = (round * 40 + i) as u8;
        let d = drops.clone();
        let (want, handle) = match i % 6 {
            0 => (expected::<1>(seed), runtime::spawn(payload::<1>(seed, d))),
            1 => (expected::<24>(seed), runtime::spawn(payload::<24>(seed, d))),
            2 => (
                expected::<100>(seed),
                runtime::spawn(payload::<100>(seed, d)),
            ),
            3 => (
                expected::<300>(seed),
                runtime::spawn(payload::<300>(seed, d)),
            ),
            4 => (
                expected::<700>(seed),
                runtime::spawn(payload::<700>(seed, d)),
            ),
            _ => (
                expected::<8>(seed) + u64::from(seed),
                runtime::spawn(aligned(seed, d)),
            ),
        };
        out.push((want, handle));
    }
    out
}

#[test]
fn recycled_blocks_hold_tasks_of_every_size_intact() {
    let rounds = if cfg!(miri) { 3 } else { 200 };
    within(60, move || {
        let rt = runtime::Builder::new().worker_threads(2).build().unwrap();
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        let checked = rt
            .block_on(rt.spawn(async move {
                let mut checked = 0;
                for round in 0..rounds {
                    // Two generations alive at once, freed in a different order than
                    // they were allocated, on whichever worker ran them.
                    let first = spawn_mix(round, &d);
                    let second = spawn_mix(round + 1000, &d);
                    for (want, handle) in second.into_iter().rev().chain(first) {
                        assert_eq!(handle.await.unwrap(), want);
                        checked += 1;
                    }
                }
                checked
            }))
            .unwrap();
        assert_eq!(checked, rounds * 80);
        drop(rt);
        assert_eq!(
            drops.load(Ordering::Relaxed),
            rounds * 80,
            "each future dropped once"
        );
    });
}

/// Tasks that finish on another thread than the one that spawned them, and handles
/// dropped outside the runtime, free their blocks wherever that happens.
#[test]
fn tasks_finished_on_workers_and_released_off_them_are_intact() {
    let tasks = if cfg!(miri) { 20 } else { 5000 };
    within(60, move || {
        let rt = runtime::Builder::new().worker_threads(2).build().unwrap();
        let drops = Arc::new(AtomicUsize::new(0));
        let d = drops.clone();
        // Spawned on a worker, handles carried out and dropped on this thread.
        let handles = rt
            .block_on(rt.spawn(async move {
                (0..tasks)
                    .map(|i| runtime::spawn(payload::<40>(i as u8, d.clone())))
                    .collect::<Vec<_>>()
            }))
            .unwrap();
        let outputs = rt.block_on(async move {
            let mut sum = 0;
            for h in handles {
                sum += h.await.unwrap();
            }
            sum
        });
        let want: u64 = (0..tasks).map(|i| expected::<40>(i as u8)).sum();
        assert_eq!(outputs, want);
        drop(rt);
        assert_eq!(drops.load(Ordering::Relaxed), tasks);
    });
}

/// The future types must be `Send` for `spawn`; a compile-time check of the helpers.
#[allow(dead_code)]
fn assert_send() {
    fn is_send<T: Future + Send>(_: T) {}
    is_send(payload::<1>(0, Arc::new(AtomicUsize::new(0))));
    is_send(aligned(0, Arc::new(AtomicUsize::new(0))));
}
