//! The store's resource limiter: wasmtime's [`StoreLimits`] decides what an app may grow to,
//! and [`MeteredLimits`] around it records what the store holds now in a [`MemoryGauge`], which
//! other threads (the shell, the admin panel) read without locking.
//!
//! Wasmtime asks the limiter before every growth of a linear memory or a table, creations
//! included (a growth from 0 to the initial size), and never reports a shrink: memories and
//! tables go away only with their store. So the limiter adds every growth it allows
//! (`desired - current`), which sums all the memories in the store (a component has one per
//! core instance that defines one), and takes its whole share back when the store drops it.
//!
//! One inexactness: a growth allowed here that the host then fails to provide (wasmtime calls
//! `memory_grow_failed` without saying which growth) stays counted until the store ends. That
//! takes the host running out of memory; the declared maximums are checked before counting.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime::{ResourceLimiter, StoreLimits};

/// What one app's store holds now: bytes of linear memory and elements of tables, summed over
/// all of them. Cheap to clone; every clone reads the same figures.
#[derive(Clone, Debug, Default)]
pub struct MemoryGauge(Arc<Cells>);

#[derive(Debug, Default)]
struct Cells {
    memory_bytes: AtomicU64,
    table_elements: AtomicU64,
}

impl MemoryGauge {
    pub fn new() -> MemoryGauge {
        MemoryGauge::default()
    }

    /// Bytes of linear memory the store's instances hold (0 when no store is alive).
    pub fn memory_bytes(&self) -> u64 {
        self.0.memory_bytes.load(Ordering::Relaxed)
    }

    /// Table elements the store's instances hold (0 when no store is alive).
    pub fn table_elements(&self) -> u64 {
        self.0.table_elements.load(Ordering::Relaxed)
    }
}

/// [`StoreLimits`] that also keeps a [`MemoryGauge`] up to date. Lives in the store's data.
pub(crate) struct MeteredLimits {
    limits: StoreLimits,
    gauge: MemoryGauge,
    /// This store's share of the gauge, given back on drop.
    memory_bytes: u64,
    table_elements: u64,
}

impl MeteredLimits {
    pub(crate) fn new(limits: StoreLimits, gauge: MemoryGauge) -> MeteredLimits {
        MeteredLimits { limits, gauge, memory_bytes: 0, table_elements: 0 }
    }

    fn grew_memory(&mut self, current: usize, desired: usize) {
        let delta = growth(current, desired);
        self.memory_bytes += delta;
        self.gauge.0.memory_bytes.fetch_add(delta, Ordering::Relaxed);
    }

    fn grew_table(&mut self, current: usize, desired: usize) {
        let delta = growth(current, desired);
        self.table_elements += delta;
        self.gauge.0.table_elements.fetch_add(delta, Ordering::Relaxed);
    }
}

fn growth(current: usize, desired: usize) -> u64 {
    u64::try_from(desired.saturating_sub(current)).unwrap_or(u64::MAX)
}

impl ResourceLimiter for MeteredLimits {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = self.limits.memory_growing(current, desired, maximum)?;
        if allowed {
            self.grew_memory(current, desired);
        }
        Ok(allowed)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.memory_grow_failed(error)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let allowed = self.limits.table_growing(current, desired, maximum)?;
        if allowed {
            self.grew_table(current, desired);
        }
        Ok(allowed)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

impl Drop for MeteredLimits {
    /// The store is going, and its memories and tables with it.
    fn drop(&mut self) {
        self.gauge.0.memory_bytes.fetch_sub(self.memory_bytes, Ordering::Relaxed);
        self.gauge.0.table_elements.fetch_sub(self.table_elements, Ordering::Relaxed);
    }
}
