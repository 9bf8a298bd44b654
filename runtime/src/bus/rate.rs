//! A per-module message allowance: `rate` messages per second with a burst of one second's
//! worth, kept as one atomic (the generic cell rate algorithm, equivalent to a token bucket),
//! so checking it takes no lock and time comes from the bus's injected clock.

use std::sync::atomic::{AtomicU64, Ordering};

const SECOND_NS: u64 = 1_000_000_000;

#[derive(Debug)]
pub(super) struct RateLimiter {
    rate: u32,
    /// Nanoseconds one message "costs"; 0 when the rate is too high to matter.
    interval_ns: u64,
    /// How far ahead of now the schedule may run: the burst.
    tolerance_ns: u64,
    /// Theoretical arrival time of the next message.
    tat_ns: AtomicU64,
}

impl RateLimiter {
    /// `rate` messages per second; 0 allows none.
    pub(super) fn new(rate: u32) -> RateLimiter {
        let interval_ns = if rate == 0 { u64::MAX } else { SECOND_NS / u64::from(rate) };
        let tolerance_ns = interval_ns.saturating_mul(u64::from(rate.saturating_sub(1)));
        RateLimiter { rate, interval_ns, tolerance_ns, tat_ns: AtomicU64::new(0) }
    }

    pub(super) fn rate(&self) -> u32 {
        self.rate
    }

    /// Takes one message from the allowance at `now_ns`, or says there is none left.
    pub(super) fn try_acquire(&self, now_ns: u64) -> bool {
        if self.rate == 0 {
            return false;
        }
        if self.interval_ns == 0 {
            return true;
        }
        let mut tat = self.tat_ns.load(Ordering::Relaxed);
        loop {
            if tat > now_ns.saturating_add(self.tolerance_ns) {
                return false;
            }
            let next = tat.max(now_ns).saturating_add(self.interval_ns);
            match self.tat_ns.compare_exchange_weak(tat, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return true,
                Err(current) => tat = current,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_of_one_second_then_steady_rate() {
        let limiter = RateLimiter::new(10);
        let sent = (0..100).filter(|_| limiter.try_acquire(0)).count();
        assert_eq!(sent, 10, "a full second's allowance at once");
        assert!(!limiter.try_acquire(50_000_000), "half an interval later: nothing yet");
        assert!(limiter.try_acquire(100_000_000), "one interval later: one more");
        assert!(!limiter.try_acquire(100_000_000));
        // After a long quiet spell the burst is back, but no bigger than one second's worth.
        let sent = (0..100).filter(|_| limiter.try_acquire(60 * SECOND_NS)).count();
        assert_eq!(sent, 10);
    }

    #[test]
    fn zero_allows_nothing_and_huge_rates_allow_everything() {
        assert!(!RateLimiter::new(0).try_acquire(123));
        let fast = RateLimiter::new(u32::MAX);
        assert!((0..10_000).all(|_| fast.try_acquire(0)));
    }
}
