//! Bounds that a manifest may not exceed and that the runtime enforces, defined once here so
//! that the manifest's checker and the runtime's engine cannot disagree.

/// The largest linear memory one app may grow: a manifest's `limits.memory_mib` may ask for
/// less, not more, and the runtime's engine sizes its instance pool's memories to it.
pub const MAX_MEMORY_BYTES: usize = 1 << 30;
