//! The hash of the core's maps: a small multiply-and-rotate hash (as rustc's own FxHash), not
//! std's SipHash. The keys are the core's own (key ids, priorities' bits) or tenant names that
//! the caller chose; SipHash's protection against chosen collisions needs random keys, which
//! std does not draw on wasm32-unknown-unknown anyway. This one is several times faster and
//! smaller in the .wasm.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

#[derive(Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
        }
        let mut last = [0u8; 8];
        let rest = chunks.remainder();
        last[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(last) ^ (rest.len() as u64) << 56);
    }

    fn write_u32(&mut self, n: u32) {
        self.add(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_keep_every_key_apart() {
        let mut ids: FastMap<u64, u64> = FastMap::default();
        for i in 0..10_000u64 {
            ids.insert(i.wrapping_mul(0x9e37_79b9_7f4a_7c15), i);
        }
        assert_eq!(ids.len(), 10_000);
        let mut names: FastMap<Box<str>, u32> = FastMap::default();
        for i in 0..1_000u32 {
            names.insert(format!("tenant-{i}").into(), i);
        }
        assert_eq!(names.get("tenant-417"), Some(&417));
        assert_eq!(names.get("tenant-1000"), None);
    }
}
