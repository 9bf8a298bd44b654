//! [`ClockMap`]: the glasses' own microsecond timestamps mapped onto the shell's clock.
//!
//! A sample's device timestamp says when it was measured, far better than when it happened to
//! arrive (USB delivers in bursts, the reading thread may be late), but on a clock of its own
//! with an unknown offset and a slightly different rate. Every arrival bounds the offset from
//! one side: `arrival − device ≥ offset + smallest transport delay`. So the map tracks the
//! smallest `arrival − device` seen: it drops to a lower one at once during the first
//! [`WARM_UP_US`] and then at most [`SLEW_DOWN`] of elapsed time (so a timestamp never jumps
//! back more than a hair), and creeps up at [`CREEP_UP`] of elapsed time so it follows a
//! device clock that runs slower than the shell's. The result is the measurement time plus the
//! smallest transport delay, which no host-side method can see; it is never later than the
//! arrival. A device clock that jumps back, or far ahead of its arrival, restarts the map.

/// During this long after a (re)start (device µs) the offset follows new minima at once.
pub const WARM_UP_US: u64 = 500_000;
/// After warm-up, the offset moves down by at most this fraction of elapsed time (2000 ppm).
pub const SLEW_DOWN: f64 = 2e-3;
/// The offset creeps up by this fraction of elapsed time (200 ppm: twice the skew of two
/// ±50 ppm crystals).
pub const CREEP_UP: f64 = 2e-4;
/// Arrivals this much earlier than the map expects mean the device clock jumped: restart.
const JUMP_NS: i64 = 50_000_000;
/// Arrivals this much later than the device time says mean it restarted from zero: restart.
const STALL_NS: i64 = 2_000_000_000;

#[derive(Clone, Debug, Default)]
pub struct ClockMap {
    /// `(device µs, offset ns)` at the last mapping; offset = shell ns − device ns.
    last: Option<(u64, i64)>,
    /// Device µs when the map (re)started.
    since_us: u64,
    restarts: u32,
}

impl ClockMap {
    /// The shell time (ns) at which the sample stamped `device_us` was measured, given that it
    /// arrived at `arrival_ns`.
    pub fn map(&mut self, device_us: u64, arrival_ns: u64) -> u64 {
        let device_ns = (device_us as i64).saturating_mul(1000);
        let raw = arrival_ns as i64 - device_ns;
        let offset = match self.last {
            Some((last_us, offset)) if device_us >= last_us && raw > offset - JUMP_NS && raw < offset + STALL_NS => {
                let elapsed_ns = ((device_us - last_us) as f64) * 1000.0;
                if device_us - self.since_us < WARM_UP_US {
                    offset.min(raw)
                } else if raw < offset {
                    offset - (offset - raw).min((elapsed_ns * SLEW_DOWN).ceil() as i64)
                } else {
                    offset + (raw - offset).min((elapsed_ns * CREEP_UP) as i64)
                }
            }
            was => {
                if was.is_some() {
                    self.restarts += 1;
                    tracing::debug!(device_us, "glasses clock jumped; timestamps re-synchronised");
                }
                self.since_us = device_us;
                raw
            }
        };
        self.last = Some((device_us, offset));
        (device_ns + offset).clamp(0, arrival_ns as i64) as u64
    }

    /// Forget the device (a new one, or the same one reopened).
    pub fn reset(&mut self) {
        self.last = None;
    }

    /// How often the device clock jumped and the map restarted.
    pub fn restarts(&self) -> u32 {
        self.restarts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A device clock starting at 77 s and running 100 ppm fast.
    fn device_us(true_ns: u64) -> u64 {
        77_000_000 + (true_ns as f64 * 1.0001 / 1000.0) as u64
    }

    #[test]
    fn mapped_times_are_the_measurement_plus_the_smallest_delay() {
        let mut map = ClockMap::default();
        let mut worst = 0i64;
        for i in 0..60_000u64 {
            let true_ns = 1_000_000_000 + i * 1_000_000; // 1 kHz for a minute
            // 1 to 1.25 ms as USB polls, every 97th held up 5 ms more.
            let delay = 1_000_000 + (i * 7919 % 250) * 1000 + if i % 97 == 0 { 5_000_000 } else { 0 };
            let mapped = map.map(device_us(true_ns), true_ns + delay);
            assert!(mapped <= true_ns + delay, "never after the arrival");
            if i > 1000 {
                worst = worst.max((mapped as i64 - true_ns as i64 - 1_000_000).abs());
            }
        }
        assert!(worst < 150_000, "within 0.15 ms of measurement + the 1 ms smallest delay after warm-up: {worst} ns");
        assert_eq!(map.restarts(), 0);
    }

    #[test]
    fn consecutive_samples_keep_their_device_spacing() {
        let mut map = ClockMap::default();
        let mut previous = None;
        for i in 0..5_000u64 {
            let true_ns = i * 1_000_000;
            let delay = 1_000_000 + if i % 50 == 0 { 8_000_000 } else { (i % 3) * 300_000 };
            let mapped = map.map(device_us(true_ns), true_ns + delay);
            if let Some(p) = previous
                && i > 600
            {
                let step = mapped as i64 - p as i64;
                assert!((step - 1_000_100).abs() < 3_000, "a late burst does not bend the timeline: step {step} at {i}");
            }
            previous = Some(mapped);
        }
    }

    #[test]
    fn a_device_clock_that_restarts_is_followed() {
        let mut map = ClockMap::default();
        for i in 0..1000u64 {
            map.map(5_000_000 + i * 1000, 10_000_000_000 + i * 1_000_000 + 2_000_000);
        }
        // Replugged: the device counts from zero again.
        let mapped = map.map(0, 20_000_000_000);
        assert_eq!(mapped, 20_000_000_000);
        assert_eq!(map.map(1000, 20_001_500_000), 20_001_000_000);
        assert_eq!(map.restarts(), 1);
    }
}
