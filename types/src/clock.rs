//! The shell's monotonic clock, injected everywhere time is read so runs can be made
//! deterministic: apps' `clock.now-ns`, frame display times and camera timestamps all come
//! from one [`Clock`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Nanoseconds since the clock's epoch (the shell's start).
    fn now_ns(&self) -> u64;
}

pub type SharedClock = Arc<dyn Clock>;

/// Real time since the clock was made.
#[derive(Debug)]
pub struct MonotonicClock {
    start: Instant,
}

impl MonotonicClock {
    pub fn shared() -> SharedClock {
        Arc::new(MonotonicClock { start: Instant::now() })
    }
}

impl Clock for MonotonicClock {
    fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }
}

/// A clock that moves only when told to: for tests and frame-exact headless runs.
#[derive(Debug, Default)]
pub struct ManualClock {
    now: AtomicU64,
}

impl ManualClock {
    pub fn set_ns(&self, now_ns: u64) {
        self.now.store(now_ns, Ordering::Release);
    }
}

impl Clock for ManualClock {
    fn now_ns(&self) -> u64 {
        self.now.load(Ordering::Acquire)
    }
}
