//! The reactor's table of registrations: a slab whose keys carry a generation, so
//! that the mio `Token` of a removed registration never names the registration that
//! reuses its slot (io/README.md, "Tokens and ABA").
//!
//! Pure data: no atomics, no syscalls (the reactor keeps it under a mutex), so its
//! unit tests run under Miri.

/// Bits of a token that hold the slot index; the rest hold the generation.
const INDEX_BITS: u32 = usize::BITS / 2;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
/// The generation is stored in `GEN_BITS` bits and wraps.
const GEN_BITS: u32 = usize::BITS - INDEX_BITS;
const GEN_MASK: usize = usize::MAX >> INDEX_BITS;

/// The highest index is never handed out, so no key's token is `usize::MAX`, the
/// token the reactor keeps for its waker.
const MAX_SLOTS: usize = INDEX_MASK;
const _: () = assert!(GEN_BITS >= 16 && INDEX_BITS >= 16);

/// A registration's address: slot and generation. Its token form is what mio hands
/// back with each event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    index: usize,
    generation: usize,
}

impl Key {
    pub(crate) fn to_token(self) -> usize {
        (self.generation << INDEX_BITS) | self.index
    }

    pub(crate) fn from_token(token: usize) -> Key {
        Key {
            index: token & INDEX_MASK,
            generation: (token >> INDEX_BITS) & GEN_MASK,
        }
    }
}

struct Slot<T> {
    /// Bumped (wrapping) on every removal: a key is live only while its generation
    /// equals its slot's.
    generation: usize,
    value: Option<T>,
}

/// Values addressed by generation-checked keys; removed slots are reused.
pub(crate) struct Slab<T> {
    slots: Vec<Slot<T>>,
    /// Indices of empty slots, reused last-freed first.
    free: Vec<usize>,
    len: usize,
}

impl<T> Slab<T> {
    pub(crate) const fn new() -> Slab<T> {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }

    /// Number of values held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Stores `value`; `None` if the table is full (`MAX_SLOTS`, 4 billion on 64-bit
    /// targets, 65 535 on 32-bit ones).
    pub(crate) fn insert(&mut self, value: T) -> Option<Key> {
        let index = match self.free.pop() {
            Some(index) => index,
            None if self.slots.len() < MAX_SLOTS => {
                self.slots.push(Slot {
                    generation: 0,
                    value: None,
                });
                self.slots.len() - 1
            }
            None => return None,
        };
        let slot = &mut self.slots[index];
        debug_assert!(slot.value.is_none(), "a free slot is empty");
        slot.value = Some(value);
        self.len += 1;
        Some(Key {
            index,
            generation: slot.generation,
        })
    }

    /// The value at `key`, if `key` is still live (not removed, slot not reused).
    pub(crate) fn get(&self, key: Key) -> Option<&T> {
        let slot = self.slots.get(key.index)?;
        if slot.generation != key.generation {
            return None;
        }
        slot.value.as_ref()
    }

    /// Removes and returns the value at `key` if it is live; the slot's generation
    /// moves on, so `key` (and its token) names nothing from now on.
    pub(crate) fn remove(&mut self, key: Key) -> Option<T> {
        let slot = self.slots.get_mut(key.index)?;
        if slot.generation != key.generation {
            return None;
        }
        let value = slot.value.take()?;
        slot.generation = (slot.generation + 1) & GEN_MASK;
        self.free.push(key.index);
        self.len -= 1;
        Some(value)
    }

    /// Every live value.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter_map(|slot| slot.value.as_ref())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{Key, Slab, GEN_MASK};

    #[test]
    fn insert_get_remove() {
        let mut slab = Slab::new();
        let a = slab.insert("a").unwrap();
        let b = slab.insert("b").unwrap();
        assert_eq!(slab.len(), 2);
        assert_eq!(slab.get(a), Some(&"a"));
        assert_eq!(slab.get(b), Some(&"b"));
        assert_eq!(slab.remove(a), Some("a"));
        assert_eq!(slab.get(a), None);
        assert_eq!(slab.remove(a), None, "a second removal finds nothing");
        assert_eq!(slab.len(), 1);
        assert_eq!(slab.iter().copied().collect::<Vec<_>>(), ["b"]);
    }

    #[test]
    fn a_stale_token_never_names_the_slot_s_next_value() {
        let mut slab = Slab::new();
        let old = slab.insert(1).unwrap();
        let token = old.to_token();
        slab.remove(old);
        let new = slab.insert(2).unwrap();
        assert_eq!(new.index, old.index, "the slot is reused");
        assert_ne!(new.to_token(), token);
        assert_eq!(slab.get(Key::from_token(token)), None);
        assert_eq!(slab.get(Key::from_token(new.to_token())), Some(&2));
    }

    #[test]
    fn tokens_round_trip_and_never_collide_with_the_waker_token() {
        let mut slab = Slab::new();
        let mut keys = Vec::new();
        for i in 0..100 {
            keys.push(slab.insert(i).unwrap());
        }
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(Key::from_token(key.to_token()), *key);
            assert_ne!(key.to_token(), usize::MAX);
            assert_eq!(slab.get(*key), Some(&i));
        }
    }

    #[test]
    fn generations_wrap() {
        let mut slab = Slab::new();
        let key = slab.insert(()).unwrap();
        slab.slots[key.index].generation = GEN_MASK;
        slab.slots[key.index].value = Some(());
        let last = Key {
            index: key.index,
            generation: GEN_MASK,
        };
        assert_eq!(slab.remove(last), Some(()));
        let wrapped = slab.insert(()).unwrap();
        assert_eq!(wrapped.generation, 0);
        assert_eq!(slab.get(last), None);
    }
}
