//! The jobs' storage: a slab (slots reused through a free list), addressed by ids that carry
//! the slot's generation, so an id of an ended job never reaches its successor. Denser than a
//! hash map, and grown in fixed chunks rather than by doubling: a queued job costs its slot
//! and nothing more, and growing never copies (nor strands in wasm memory) the slots so far.

use super::queue::JobId;

/// Slot indices take the low bits of an id; the generation the rest (ids stay below 2^53, exact in JS).
const INDEX_BITS: u32 = 26;
const MAX_GENERATION: u64 = (1 << (53 - INDEX_BITS)) - 1;
const CHUNK: usize = 1_024;
/// The most values held at once (2^26: 67 million jobs).
pub const CAPACITY: usize = 1 << INDEX_BITS;

/// A slot: its generation, and what it holds.
type Slot<T> = (u64, Option<T>);

#[derive(Debug)]
pub struct Slab<T> {
    chunks: Vec<Vec<Slot<T>>>,
    free: Vec<u32>,
    /// Slots ever made.
    made: usize,
    live: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab { chunks: Vec::new(), free: Vec::new(), made: 0, live: 0 }
    }
}

fn split(id: JobId) -> (usize, u64) {
    ((id & ((1 << INDEX_BITS) - 1)) as usize, id >> INDEX_BITS)
}

impl<T> Slab<T> {
    /// Stores `value` and returns its id (never 0).
    pub fn insert(&mut self, value: T) -> JobId {
        let index = match self.free.pop() {
            Some(index) => index as usize,
            None => {
                assert!(self.made < CAPACITY, "more than 2^26 jobs at once"); // callers check `len` first
                if self.made % CHUNK == 0 {
                    self.chunks.push(Vec::with_capacity(CHUNK));
                }
                self.chunks.last_mut().expect("a chunk with room").push((0, None));
                self.made += 1;
                self.made - 1
            }
        };
        let slot = &mut self.chunks[index / CHUNK][index % CHUNK];
        slot.0 = if slot.0 >= MAX_GENERATION { 1 } else { slot.0 + 1 };
        slot.1 = Some(value);
        self.live += 1;
        (slot.0 << INDEX_BITS) | index as u64
    }

    fn slot(&self, id: &JobId) -> Option<&Slot<T>> {
        let (index, generation) = split(*id);
        self.chunks.get(index / CHUNK)?.get(index % CHUNK).filter(|s| s.0 == generation)
    }

    fn slot_mut(&mut self, id: &JobId) -> Option<&mut Slot<T>> {
        let (index, generation) = split(*id);
        self.chunks.get_mut(index / CHUNK)?.get_mut(index % CHUNK).filter(|s| s.0 == generation)
    }

    /// Values held now.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn get(&self, id: &JobId) -> Option<&T> {
        self.slot(id)?.1.as_ref()
    }

    pub fn get_mut(&mut self, id: &JobId) -> Option<&mut T> {
        self.slot_mut(id)?.1.as_mut()
    }

    pub fn remove(&mut self, id: &JobId) -> Option<T> {
        let index = split(*id).0;
        let slot = self.slot_mut(id)?;
        let value = slot.1.take()?;
        self.free.push(index as u32);
        self.live -= 1;
        Some(value)
    }

    pub fn iter(&self) -> impl Iterator<Item = (JobId, &T)> {
        self.chunks
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, (generation, value))| value.as_ref().map(|v| ((generation << INDEX_BITS) | i as u64, v)))
    }
}

impl<T> std::ops::Index<&JobId> for Slab<T> {
    type Output = T;
    fn index(&self, id: &JobId) -> &T {
        self.get(id).expect("a live id")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_ended_values_never_reach_their_successors() {
        let mut slab = Slab::default();
        let a = slab.insert("a");
        let b = slab.insert("b");
        assert!(a > 0 && b > 0 && a != b);
        assert_eq!(slab.remove(&a), Some("a"));
        let c = slab.insert("c");
        assert_ne!(c, a, "same slot, new generation");
        assert_eq!(slab.get(&a), None);
        assert_eq!(slab.remove(&a), None);
        assert_eq!(slab[&c], "c");
        let mut all: Vec<_> = slab.iter().map(|(id, v)| (id, *v)).collect();
        all.sort();
        assert_eq!(all, vec![(b, "b"), (c, "c")]);
        assert_eq!(slab.len(), 2);
        assert!(c < 1 << 53);
    }

    #[test]
    fn grows_chunk_by_chunk() {
        let mut slab = Slab::default();
        let ids: Vec<JobId> = (0..3 * CHUNK + 5).map(|i| slab.insert(i)).collect();
        assert_eq!(slab.chunks.len(), 4);
        assert!(slab.chunks.iter().all(|c| c.capacity() == CHUNK));
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(slab[id], i);
        }
        assert_eq!(slab.iter().count(), ids.len());
    }
}
