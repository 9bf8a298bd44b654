//! Cranelift's incremental cache, kept in memory for the life of the engine: each compiled
//! function is stored under a key made from its body, so compiling a component whose code
//! mostly did not change reuses almost everything.
//!
//! That is what makes a reload quick: a saved change to a Python or JavaScript app changes the
//! app's snapshot (data), not the interpreter's tens of thousands of functions, and a Rust
//! edit changes a few functions. The whole-component cache on disk (`registry::cache`) still
//! answers a component seen before; this one answers a component that is new but mostly known
//! (the next build, or a second app on the same interpreter).
//!
//! Bounded: past [`FunctionCache::CAPACITY`] bytes it starts afresh rather than grow.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

use wasmtime::CacheStore;

/// Compiled functions by cache key, with their total size.
#[derive(Debug, Default)]
pub(crate) struct FunctionCache {
    entries: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<Vec<u8>, Vec<u8>>,
    bytes: usize,
}

impl FunctionCache {
    /// The most it holds: the functions of a few interpreters (CPython's are about 60 MiB).
    pub(crate) const CAPACITY: usize = 384 << 20;
}

impl CacheStore for FunctionCache {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        // A poisoned lock only means a compile thread panicked mid-insert: the map is whole.
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.map.get(key).map(|value| Cow::Owned(value.clone()))
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let size = key.len() + value.len();
        if entries.bytes + size > Self::CAPACITY {
            tracing::debug!(bytes = entries.bytes, "the function cache is full: starting afresh");
            entries.map.clear();
            entries.bytes = 0;
        }
        if let Some(old) = entries.map.insert(key.to_vec(), value) {
            entries.bytes -= key.len() + old.len();
        }
        entries.bytes += size;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_replaces_and_stays_bounded() {
        let cache = FunctionCache::default();
        assert!(cache.get(b"f").is_none());
        cache.insert(b"f", vec![1, 2, 3]);
        cache.insert(b"f", vec![4]);
        assert_eq!(cache.get(b"f").as_deref(), Some(&[4][..]));
        assert_eq!(cache.entries.lock().unwrap().bytes, 2);
        let big = vec![0; FunctionCache::CAPACITY / 2];
        cache.insert(b"a", big.clone());
        cache.insert(b"b", big);
        let entries = cache.entries.lock().unwrap();
        assert!(entries.bytes <= FunctionCache::CAPACITY && entries.map.contains_key(&b"b"[..]));
    }
}
