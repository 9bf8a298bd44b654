//! Frame timing shared by every timed source: which frame index a moment falls in, and when
//! that frame was "captured".
//!
//! Frame `i` covers `[i / fps, (i + 1) / fps)` seconds of monotonic time, so the index is
//! `floor(now_ns * fps / 1e9)` and the capture time is the start of that interval. The rate is
//! kept as whole millihertz and the math runs in u128, so the two directions agree exactly for
//! any uptime; f64 would drift past 2^53 ns (about 104 days).

use std::fmt;

use super::CameraError;

const MHZ_NS_PER_S: u128 = 1_000 * 1_000_000_000;
/// Faster than any camera; the cap keeps `now_ns * rate` and every index well inside u64.
const MAX_FPS: f32 = 100_000.0;

/// A frame rate in whole millihertz (29.97 fps is 29970).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FrameRate {
    millihertz: u64,
}

impl FrameRate {
    /// Checks a rate once, at construction, so the per-frame math cannot divide by zero.
    pub(crate) fn new(fps: f32) -> Result<FrameRate, CameraError> {
        let millihertz = (f64::from(fps) * 1000.0).round();
        if fps.is_finite() && fps <= MAX_FPS && millihertz >= 1.0 {
            Ok(FrameRate { millihertz: millihertz as u64 })
        } else {
            Err(CameraError::BadFps { fps })
        }
    }

    /// The index of the frame that is current at `now_ns`.
    pub(crate) fn index(self, now_ns: u64) -> u64 {
        // At most now_ns / 10 with the fps cap, so it always fits.
        (u128::from(now_ns) * u128::from(self.millihertz) / MHZ_NS_PER_S) as u64
    }

    /// When frame `index` began: the earliest `now_ns` for which [`FrameRate::index`] returns it.
    pub(crate) fn capture_ns(self, index: u64) -> u64 {
        let ns = (u128::from(index) * MHZ_NS_PER_S).div_ceil(u128::from(self.millihertz));
        u64::try_from(ns).unwrap_or(u64::MAX)
    }
}

impl fmt::Display for FrameRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} fps", self.millihertz as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_time_is_the_first_nanosecond_of_its_frame() {
        for fps in [0.5, 1.0, 8.0, 29.97, 30.0, 60.0, 90.0, 144.0] {
            let rate = FrameRate::new(fps).unwrap();
            for index in (1..2000).chain([1_000_000, 123_456_789, 9_000_000_000]) {
                let t = rate.capture_ns(index);
                assert_eq!(rate.index(t), index, "fps {fps} index {index}");
                assert_eq!(rate.index(t - 1), index - 1, "fps {fps} index {index}");
            }
        }
    }

    #[test]
    fn the_index_is_floor_of_time_times_rate() {
        let rate = FrameRate::new(30.0).unwrap();
        assert_eq!(rate.index(0), 0);
        assert_eq!(rate.index(33_333_333), 0);
        assert_eq!(rate.index(33_333_334), 1);
        assert_eq!(rate.index(1_000_000_000), 30);
        assert_eq!(rate.to_string(), "30 fps");
        assert_eq!(FrameRate::new(29.97).unwrap().to_string(), "29.97 fps");
    }

    #[test]
    fn bad_rates_are_refused() {
        for fps in [0.0, 0.0004, -1.0, f32::NAN, f32::INFINITY, MAX_FPS * 2.0] {
            assert!(FrameRate::new(fps).is_err(), "{fps}");
        }
    }
}
