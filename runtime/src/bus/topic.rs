//! Topics as the bus keys them. The names and patterns themselves ([`Topic`],
//! [`TopicPattern`], their parsing and matching) are pure data shared with manifests and
//! policies, so they live in `visor_manifest::topic`; this file re-exports them and adds the
//! hash map the routing table and the statistics key by topic.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

pub use visor_manifest::topic::{MAX_TOPIC_BYTES, RESERVED_SEGMENT, Topic, TopicError, TopicPattern};

/// A hash map keyed by [`Topic`] that uses each topic's stored hash as is.
pub(super) type TopicMap<V> = HashMap<Topic, V, BuildHasherDefault<StoredHash>>;

/// Passes a [`Topic`]'s stored hash through; only ever fed by `Topic::hash`, which writes
/// the hash it computed once, with a per-process random key, as a single `u64`.
#[derive(Default)]
pub(super) struct StoredHash(u64);

impl Hasher for StoredHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write_u64(&mut self, hash: u64) {
        self.0 = hash;
    }
    /// Not reached for topics; a plain FNV-1a keeps it correct for anything else.
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}
