//! Keys (tenants) interned to small ids while they have jobs, and forgotten after, so that a
//! stream of one-off keys does not grow memory.

use std::collections::HashMap;

use super::queue::KeyId;

/// The key of jobs scheduled without one.
pub const NO_KEY: KeyId = 0;

#[derive(Debug)]
pub struct Keys {
    ids: HashMap<Box<str>, KeyId>,
    /// Per id: its name and how many live jobs hold it. Id 0 is the unnamed key, never freed.
    entries: Vec<(Box<str>, u32)>,
    free: Vec<KeyId>,
}

impl Default for Keys {
    fn default() -> Self {
        Keys { ids: HashMap::new(), entries: vec![("".into(), 0)], free: Vec::new() }
    }
}

impl Keys {
    /// The id of `name` (the empty name is [`NO_KEY`]), held once more.
    pub fn hold(&mut self, name: &str) -> KeyId {
        if name.is_empty() {
            return NO_KEY;
        }
        let id = match self.ids.get(name) {
            Some(&id) => id,
            None => {
                let id = match self.free.pop() {
                    Some(id) => {
                        self.entries[id as usize] = (name.into(), 0);
                        id
                    }
                    None => {
                        self.entries.push((name.into(), 0));
                        (self.entries.len() - 1) as KeyId
                    }
                };
                self.ids.insert(name.into(), id);
                id
            }
        };
        self.entries[id as usize].1 += 1;
        id
    }

    /// Holds a known id once more (something outlives the job that brought the key: a gate).
    pub fn hold_id(&mut self, id: KeyId) {
        if id != NO_KEY {
            self.entries[id as usize].1 += 1;
        }
    }

    /// Lets go of one hold; the last one frees the id.
    pub fn release(&mut self, id: KeyId) {
        if id == NO_KEY {
            return;
        }
        let entry = &mut self.entries[id as usize];
        entry.1 -= 1;
        if entry.1 == 0 {
            let name = std::mem::take(&mut entry.0);
            self.ids.remove(&name);
            self.free.push(id);
        }
    }

    /// How many holds `id` has (jobs, and a gate).
    pub fn holds(&self, id: KeyId) -> u32 {
        self.entries.get(id as usize).map_or(0, |e| e.1)
    }

    pub fn name(&self, id: KeyId) -> &str {
        &self.entries[id as usize].0
    }

    /// Keys that have jobs now.
    pub fn len(&self) -> usize {
        self.ids.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_reused_once_released() {
        let mut keys = Keys::default();
        assert_eq!(keys.hold(""), NO_KEY);
        let a = keys.hold("tenant-a");
        assert_eq!(keys.hold("tenant-a"), a);
        let b = keys.hold("tenant-b");
        assert_ne!(a, b);
        keys.release(a);
        assert_eq!(keys.len(), 2);
        keys.release(a);
        assert_eq!(keys.len(), 1);
        let c = keys.hold("tenant-c");
        assert_eq!(c, a);
        assert_eq!(keys.name(c), "tenant-c");
    }
}
