//! The registry of waiting tasks: a sharded intrusive list of the registry references.
//!
//! Shutdown walks it to cancel tasks that sit in no run queue (a task waiting on a
//! waker nobody will ever call is reachable only from here). A task is inserted the
//! first time its poll returns `Pending` with no wake-up pending, by its runner before
//! it gives up `RUNNING` (rule L2 in task/mod.rs), and removed when it completes; a
//! task that completes on its first poll, or only ever yields, is never listed. The
//! shard is chosen by the task's id, so tasks on different workers rarely meet on one
//! lock, and each critical section is a few pointer writes (rule L1 in task/mod.rs).
//!
//! A named task (`task::Builder`) is listed from its spawn, and its shard keeps its
//! name, keyed by task id, so that no task header pays for a name (trace.rs).

use std::collections::HashMap;
use std::ptr::NonNull;

use super::raw::Header;
use super::{Task, TaskRef};
use crate::sync::{CachePadded, Mutex};

pub(crate) struct Registry {
    shards: Box<[CachePadded<Mutex<Shard>>]>,
    mask: u64,
}

struct Shard {
    head: Option<NonNull<Header>>,
    /// Set by shutdown: no task is inserted afterwards.
    closed: bool,
    /// The names of the listed named tasks, by id.
    names: HashMap<u64, Box<str>>,
}

// SAFETY: the shard owns registry references to tasks, which are `Send`; the raw
// pointers are only followed under the shard's lock (rule L1).
unsafe impl Send for Shard {}

impl Registry {
    /// A registry with at least `min_shards` shards (rounded up to a power of two).
    pub(crate) fn new(min_shards: usize) -> Registry {
        let n = min_shards.max(1).next_power_of_two();
        let shards = (0..n)
            .map(|_| {
                CachePadded::new(Mutex::new(Shard {
                    head: None,
                    closed: false,
                    names: HashMap::new(),
                }))
            })
            .collect();
        Registry {
            shards,
            mask: n as u64 - 1,
        }
    }

    fn shard(&self, header: NonNull<Header>) -> &Mutex<Shard> {
        // SAFETY: callers hold a reference to the task.
        let id = unsafe { header.as_ref() }.id.as_u64();
        &self.shards[(id & self.mask) as usize]
    }

    /// Takes ownership of the registry reference. Fails (handing it back) once the
    /// registry is closed: the caller then cancels the task.
    pub(crate) fn insert(&self, task: Task) -> Result<(), Task> {
        self.insert_inner(task, None)
    }

    /// `insert` for a named task, whose name the shard keeps until the task leaves.
    pub(crate) fn insert_named(&self, task: Task, name: Box<str>) -> Result<(), Task> {
        self.insert_inner(task, Some(name))
    }

    fn insert_inner(&self, task: Task, name: Option<Box<str>>) -> Result<(), Task> {
        let raw = task.raw;
        let mut shard = self.shard(raw).lock();
        if shard.closed {
            return Err(task);
        }
        if let Some(name) = name {
            // SAFETY: we hold the registry's reference.
            shard
                .names
                .insert(unsafe { raw.as_ref() }.id.as_u64(), name);
        }
        let old_head = shard.head;
        // SAFETY: rule L1: we hold the shard's lock; the task is new and in no list.
        unsafe {
            raw.as_ref().links.with_mut(|links| {
                let links = &mut *links;
                debug_assert!(!links.linked);
                links.prev = None;
                links.next = old_head;
                links.linked = true;
            });
            if let Some(old) = old_head {
                old.as_ref()
                    .links
                    .with_mut(|links| (*links).prev = Some(raw));
            }
        }
        shard.head = Some(raw);
        std::mem::forget(task);
        Ok(())
    }

    /// Unlinks the task if it is still listed, returning the registry's reference.
    pub(crate) fn remove(&self, task: TaskRef) -> Option<Task> {
        let raw = task.0;
        let mut shard = self.shard(raw).lock();
        // SAFETY: rule L1: we hold the lock of the task's shard. Its neighbours are
        // listed in the same shard, so their links are ours too, and they are alive
        // because the list holds their registry references.
        unsafe {
            let (prev, next) = raw.as_ref().links.with_mut(|links| {
                let links = &mut *links;
                if !links.linked {
                    return None;
                }
                links.linked = false;
                Some((links.prev.take(), links.next.take()))
            })?;
            match prev {
                Some(p) => p.as_ref().links.with_mut(|l| (*l).next = next),
                None => shard.head = next,
            }
            if let Some(n) = next {
                n.as_ref().links.with_mut(|l| (*l).prev = prev);
            }
            if raw.as_ref().named {
                shard.names.remove(&raw.as_ref().id.as_u64());
            }
        }
        Some(Task::from_raw(raw))
    }

    /// Calls `f` with every listed task, one shard at a time, each under its lock
    /// (so `f` must be quick and take no lock of the runtime). A task is listed in one
    /// shard from its first wait (or, named, from its spawn) to its end, so a walk sees
    /// every task listed throughout it exactly once.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Header, Option<&str>)) {
        for shard in self.shards.iter() {
            let shard = shard.lock();
            let mut cursor = shard.head;
            while let Some(raw) = cursor {
                // SAFETY: rule L1: we hold the shard's lock, and the list holds a
                // reference to every task in it, so each is alive and its links stay
                // still while we read them.
                let header = unsafe { raw.as_ref() };
                let name = if header.named {
                    shard.names.get(&header.id.as_u64()).map(|n| &**n)
                } else {
                    None
                };
                f(header, name);
                // SAFETY: as above.
                cursor = header.links.with(|links| unsafe { (*links).next });
            }
        }
    }

    /// Closes every shard (later inserts fail) and takes every listed task out.
    pub(crate) fn close_and_take_all(&self) -> Vec<Task> {
        let mut all = Vec::new();
        for shard in self.shards.iter() {
            let mut shard = shard.lock();
            shard.closed = true;
            shard.names.clear();
            let mut cursor = shard.head.take();
            while let Some(raw) = cursor {
                // SAFETY: rule L1: we hold the shard's lock and the list's reference.
                cursor = unsafe {
                    raw.as_ref().links.with_mut(|links| {
                        let links = &mut *links;
                        links.linked = false;
                        links.prev = None;
                        links.next.take()
                    })
                };
                all.push(Task::from_raw(raw));
            }
        }
        all
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        // Shutdown empties the registry before the scheduler is freed; if it did not
        // run, release the references rather than leak them.
        for task in self.close_and_take_all() {
            task.shutdown();
        }
    }
}
