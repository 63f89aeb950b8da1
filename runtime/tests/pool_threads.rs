//! The lending pool on plain threads (no runtime): random try-borrows from many
//! threads, with an "in use" flag in every item that would catch two writers at once
//! (or a writer alongside a reader), and plain counters that would lose updates.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier};

use common::within;
use runtime::pool::{LendError, LendingPool, OwnedRef, OwnedRefMut};

#[cfg(not(miri))]
const THREADS: usize = 8;
#[cfg(miri)]
const THREADS: usize = 3;
#[cfg(not(miri))]
const ROUNDS: usize = 10_000;
#[cfg(miri)]
const ROUNDS: usize = 150;
const ITEMS: usize = 4;

/// An item that checks its own exclusion rules.
#[derive(Default)]
struct Item {
    /// Set while a writer has the item.
    writing: AtomicBool,
    /// The number of readers that have the item.
    readers: AtomicUsize,
    /// Incremented by writers through `&mut`, without atomics: concurrent writers
    /// would lose updates (and be reported by Miri or ThreadSanitizer).
    writes: u64,
}

impl Item {
    fn enter_write(&mut self) {
        assert!(
            !self.writing.swap(true, SeqCst),
            "two writers hold the same item"
        );
        assert_eq!(
            self.readers.load(SeqCst),
            0,
            "a writer holds an item that is being read"
        );
        self.writes += 1;
    }

    fn leave_write(&self) {
        self.writing.store(false, SeqCst);
    }

    fn enter_read(&self) {
        self.readers.fetch_add(1, SeqCst);
        assert!(
            !self.writing.load(SeqCst),
            "a reader holds an item that is being written"
        );
    }

    fn leave_read(&self) {
        self.readers.fetch_sub(1, SeqCst);
    }
}

/// xorshift64*: a small deterministic generator, one per thread.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

/// A guard kept across rounds, to make borrows overlap.
enum Kept {
    Read(OwnedRef<Item>),
    Write(OwnedRefMut<Item>),
}

impl Kept {
    fn release(self) {
        match self {
            Kept::Read(guard) => guard.leave_read(),
            Kept::Write(guard) => guard.leave_write(),
        }
    }
}

/// One thread's share of the random test; returns the number of writes it made.
fn churn(pool: &Arc<LendingPool<Item>>, seed: u64) -> u64 {
    let mut rng = Rng(seed);
    let mut kept: Vec<Kept> = Vec::new();
    let mut writes = 0;
    for _ in 0..ROUNDS {
        let index = rng.below(ITEMS);
        match rng.below(8) {
            0 | 1 => {
                if let Ok(item) = pool.try_borrow(index) {
                    item.enter_read();
                    item.leave_read();
                }
            }
            2 | 3 => {
                if let Ok(mut item) = pool.try_borrow_mut(index) {
                    item.enter_write();
                    item.leave_write();
                    writes += 1;
                }
            }
            4 => {
                if let Some((_, mut item)) = pool.try_borrow_any_mut() {
                    item.enter_write();
                    item.leave_write();
                    writes += 1;
                }
            }
            5 => match pool.try_borrow_owned(index) {
                Ok(item) => {
                    item.enter_read();
                    kept.push(Kept::Read(item));
                }
                Err(error) => assert_eq!(error, LendError::CheckedOut),
            },
            6 => {
                if let Ok(mut item) = pool.try_borrow_mut_owned(index) {
                    item.enter_write();
                    writes += 1;
                    kept.push(Kept::Write(item));
                }
            }
            _ => {
                let out = ITEMS + index;
                assert_eq!(
                    pool.try_borrow(out).err(),
                    Some(LendError::OutOfRange {
                        index: out,
                        len: ITEMS
                    })
                );
            }
        }
        if kept.len() > 2 || (rng.below(3) == 0 && !kept.is_empty()) {
            kept.swap_remove(0).release();
        }
    }
    kept.into_iter().for_each(Kept::release);
    writes
}

#[test]
fn random_try_borrows_from_many_threads_respect_exclusion() {
    within(120, || {
        let pool = Arc::new(
            (0..ITEMS)
                .map(|_| Item::default())
                .collect::<LendingPool<_>>(),
        );
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let pool = Arc::clone(&pool);
                std::thread::spawn(move || churn(&pool, 0x9e37_79b9_7f4a_7c15 ^ (t as u64 + 1)))
            })
            .collect();
        let writes: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
        let pool = Arc::into_inner(pool).expect("every guard was dropped");
        let counted: u64 = pool.into_inner().iter().map(|item| item.writes).sum();
        assert_eq!(counted, writes, "every write through a guard was kept");
        assert!(writes > 0);
    });
}

#[test]
fn readers_on_many_threads_hold_an_item_at_once() {
    within(60, || {
        let pool = Arc::new(LendingPool::new(vec![String::from("shared")]));
        let all_in = Arc::new(Barrier::new(THREADS + 1));
        let may_leave = Arc::new(Barrier::new(THREADS + 1));
        let readers: Vec<_> = (0..THREADS)
            .map(|_| {
                let (pool, all_in, may_leave) = (
                    Arc::clone(&pool),
                    Arc::clone(&all_in),
                    Arc::clone(&may_leave),
                );
                std::thread::spawn(move || {
                    let guard = pool.try_borrow(0).expect("readers coexist");
                    assert_eq!(*guard, "shared");
                    all_in.wait();
                    may_leave.wait();
                })
            })
            .collect();
        all_in.wait(); // every reader holds the item now
        assert_eq!(pool.is_lent(0), Ok(true));
        assert_eq!(pool.try_borrow_mut(0).err(), Some(LendError::CheckedOut));
        assert!(pool.try_borrow_any_mut().is_none());
        assert!(pool.try_borrow(0).is_ok(), "one more reader is welcome");
        may_leave.wait();
        readers.into_iter().for_each(|r| r.join().unwrap());
        assert_eq!(pool.is_lent(0), Ok(false));
        pool.try_borrow_mut(0)
            .expect("all readers are gone")
            .push('!');
    });
}

#[test]
fn a_guard_moved_to_another_thread_is_released_there() {
    within(60, || {
        let pool = Arc::new(LendingPool::new(vec![0_u32; 2]));
        let mut guard = pool.try_borrow_mut_owned(1).unwrap();
        *guard = 1;
        let (tx, rx) = std::sync::mpsc::channel();
        let holder = std::thread::spawn(move || {
            *guard += 1;
            rx.recv().unwrap(); // kept until told to give it back
            drop(guard);
        });
        assert_eq!(pool.try_borrow(1).err(), Some(LendError::CheckedOut));
        assert_eq!(*pool.try_borrow(0).unwrap(), 0);
        tx.send(()).unwrap();
        holder.join().unwrap();
        assert_eq!(*pool.try_borrow(1).unwrap(), 2);
    });
}
