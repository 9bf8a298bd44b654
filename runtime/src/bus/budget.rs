//! [`ByteBudget`]: the bytes one module's bus traffic may hold in memory at once.
//!
//! Every message waiting in a module's subscription queues is charged to that module — the
//! receiver, which chose how much to queue and how often to read — as is every frame a guest
//! holds after polling it. A frame counts at its full size in each queue that holds it: the
//! pixels are shared, but a subscriber that never reads is what keeps them alive.
//!
//! Charging happens before a message is queued; a queue whose module is over budget applies
//! its overflow policy (drop its oldest to make room, or refuse). Reading a message, evicting
//! it or dropping the subscription gives its bytes back, so the figure is exactly what the
//! module's queues hold now.

use std::sync::atomic::{AtomicU64, Ordering};

/// The budget a module gets unless its manifest asks for another (`limits.bus_queue_mib`).
pub const DEFAULT_BYTE_BUDGET: u64 = 32 << 20;

/// One module's byte budget. Shared (behind an `Arc`) by its endpoint and all its queues.
#[derive(Debug)]
pub struct ByteBudget {
    limit: AtomicU64,
    used: AtomicU64,
    refused: AtomicU64,
}

impl ByteBudget {
    pub fn new(limit: u64) -> ByteBudget {
        ByteBudget { limit: AtomicU64::new(limit), used: AtomicU64::new(0), refused: AtomicU64::new(0) }
    }

    /// Takes `bytes` from the budget, or takes nothing and says no.
    pub fn try_charge(&self, bytes: u64) -> bool {
        let limit = self.limit.load(Ordering::Relaxed);
        let charged =
            self.used.fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| used.checked_add(bytes).filter(|&total| total <= limit));
        if charged.is_err() {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
        charged.is_ok()
    }

    /// Gives back `bytes` charged earlier.
    pub fn release(&self, bytes: u64) {
        // One read-modify-write, not a load and a compare-exchange: the receiver releases what
        // publishers on other cores charge, so every access moves the cache line between them.
        // Giving back more than was charged is a caller's bug; the excess is put back at once,
        // so the figure floors at zero (only a charge racing that repair sees it wrapped, and
        // is refused).
        let before = self.used.fetch_sub(bytes, Ordering::AcqRel);
        if before < bytes {
            self.used.fetch_add(bytes - before, Ordering::AcqRel);
        }
    }

    /// Bytes held now.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    pub fn limit(&self) -> u64 {
        self.limit.load(Ordering::Relaxed)
    }

    /// Changes the limit (a new manifest). What is held stays; new charges meet the new limit.
    pub fn set_limit(&self, limit: u64) {
        self.limit.store(limit, Ordering::Relaxed);
    }

    /// Charges refused because the budget was spent.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}
