//! The lending pool against the two obvious alternatives (issue 4):
//! `Mutex<Vec<T>>` (one lock for everything) and `Vec<parking_lot::Mutex<T>>` (a
//! lock per item, no shared borrows, no waiting queues).
//!
//! - `uncontended`: one thread, `try_borrow_mut(i)`, bump the item, drop.
//! - `contended`: two threads hammering 4 items with non-blocking exclusive tries
//!   (a failed try is a miss and counts as an operation); time per operation.
//!
//! All three use non-blocking tries, so only the cost of the borrow and of the give
//! back differ (ours also runs the release path: a SeqCst fence and two loads).
//!
//! Run: `cargo bench -p benches --bench pool -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use runtime::pool::LendingPool;

const ITEMS: usize = 4;

/// The three contenders behind one interface: try to borrow item `i` exclusively,
/// bump it, give it back; `false` if it was busy.
trait Contender: Send + Sync + 'static {
    fn try_bump(&self, i: usize) -> bool;
}

impl Contender for LendingPool<u64> {
    #[inline]
    fn try_bump(&self, i: usize) -> bool {
        match self.try_borrow_mut(i) {
            Ok(mut item) => {
                *item += 1;
                true
            }
            Err(_) => false,
        }
    }
}

struct OneMutex(Mutex<Vec<u64>>);

impl Contender for OneMutex {
    #[inline]
    fn try_bump(&self, i: usize) -> bool {
        match self.0.try_lock() {
            Ok(mut items) => {
                items[i] += 1;
                true
            }
            Err(_) => false,
        }
    }
}

struct MutexPerItem(Vec<parking_lot::Mutex<u64>>);

impl Contender for MutexPerItem {
    #[inline]
    fn try_bump(&self, i: usize) -> bool {
        match self.0[i].try_lock() {
            Some(mut item) => {
                *item += 1;
                true
            }
            None => false,
        }
    }
}

fn contenders() -> Vec<(&'static str, Arc<dyn Contender>)> {
    vec![
        (
            "LendingPool",
            Arc::new(LendingPool::new(vec![0_u64; ITEMS])),
        ),
        (
            "Mutex<Vec<T>>",
            Arc::new(OneMutex(Mutex::new(vec![0; ITEMS]))),
        ),
        (
            "Vec<parking_lot::Mutex<T>>",
            Arc::new(MutexPerItem(
                (0..ITEMS).map(|_| parking_lot::Mutex::new(0)).collect(),
            )),
        ),
    ]
}

fn uncontended(c: &mut Criterion) {
    let mut group = c.benchmark_group("pool/uncontended try_borrow_mut+drop");
    for (name, contender) in contenders() {
        group.bench_function(name, |b| {
            b.iter(|| black_box(contender.try_bump(black_box(1))))
        });
    }
    group.finish();
}

/// Two threads, `iters` tries each over the 4 items; the time of the slower one.
fn two_threads(contender: &Arc<dyn Contender>, iters: u64) -> Duration {
    let start = Arc::new(Barrier::new(2));
    let threads: Vec<_> = (0..2_usize)
        .map(|t| {
            let (contender, start) = (Arc::clone(contender), Arc::clone(&start));
            thread::spawn(move || {
                start.wait();
                let begun = Instant::now();
                let mut misses = 0_u64;
                for k in 0..iters as usize {
                    // The two threads walk the items in opposite directions, so they
                    // meet on the same item every other step.
                    let i = if t == 0 {
                        k % ITEMS
                    } else {
                        ITEMS - 1 - k % ITEMS
                    };
                    misses += u64::from(!contender.try_bump(i));
                }
                black_box(misses);
                begun.elapsed()
            })
        })
        .collect();
    threads
        .into_iter()
        .map(|t| t.join().unwrap())
        .max()
        .unwrap_or_default()
}

fn contended(c: &mut Criterion) {
    let mut group = c.benchmark_group("pool/2 threads x 4 items try_borrow_mut+drop");
    for (name, contender) in contenders() {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| two_threads(&contender, iters))
        });
    }
    group.finish();
}

criterion_group!(benches, uncontended, contended);
criterion_main!(benches);
