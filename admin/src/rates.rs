//! Messages per second per topic. The bus keeps only cumulative counts, so the server samples
//! them on each `/api/bus` request and divides the growth over a recent window by its length.
//! Pure logic over injected times: the caller passes "now".

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

/// How far back a rate looks; older samples are forgotten.
const WINDOW: Duration = Duration::from_secs(3);
/// The shortest span a rate is computed over (two requests in a row would divide by ~0).
const MIN_SPAN: Duration = Duration::from_millis(200);

#[derive(Debug, Default)]
pub struct RateMeter {
    /// (time, counts per topic), oldest first.
    samples: VecDeque<(Duration, HashMap<String, u64>)>,
}

impl RateMeter {
    pub fn new() -> RateMeter {
        RateMeter::default()
    }

    /// Records `counts` seen at `now` (any monotonic time base) and returns each topic's rate
    /// over the window, `None` for a topic until a sample at least `MIN_SPAN` older exists.
    pub fn observe(&mut self, now: Duration, counts: &[(&str, u64)]) -> Vec<Option<f64>> {
        while self.samples.len() > 1 && self.samples.get(1).is_some_and(|(t, _)| now.saturating_sub(*t) >= WINDOW) {
            self.samples.pop_front();
        }
        let rates = counts
            .iter()
            .map(|(topic, count)| {
                // The oldest sample that knew the topic and is old enough to measure against.
                let (then, before) = self
                    .samples
                    .iter()
                    .filter(|(t, _)| now.saturating_sub(*t) >= MIN_SPAN)
                    .find_map(|(t, seen)| Some((*t, *seen.get(*topic)?)))
                    // A topic that appeared inside the window started from zero.
                    .or_else(|| self.samples.front().filter(|(t, _)| now.saturating_sub(*t) >= MIN_SPAN).map(|(t, _)| (*t, 0)))?;
                let span = now.saturating_sub(then).as_secs_f64();
                Some(count.saturating_sub(before) as f64 / span)
            })
            .collect();
        if self.samples.back().is_none_or(|(t, _)| now > *t) {
            self.samples.push_back((now, counts.iter().map(|(topic, n)| (topic.to_string(), *n)).collect()));
        }
        rates
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn the_first_sample_has_no_rate_and_the_next_one_does() {
        let mut meter = RateMeter::new();
        assert_eq!(meter.observe(secs(10.0), &[("a", 100)]), vec![None]);
        assert_eq!(meter.observe(secs(11.0), &[("a", 130)]), vec![Some(30.0)]);
    }

    #[test]
    fn requests_closer_than_the_minimum_span_measure_against_an_older_sample() {
        let mut meter = RateMeter::new();
        meter.observe(secs(0.0), &[("a", 0)]);
        assert_eq!(meter.observe(secs(0.05), &[("a", 5)]), vec![None]);
        assert_eq!(meter.observe(secs(1.0), &[("a", 60)]), vec![Some(60.0)]);
        // 1.1 is too close to 1.0: the rate is measured from the oldest sample in the window.
        let rate = meter.observe(secs(1.1), &[("a", 66)])[0].unwrap();
        assert!((rate - 60.0).abs() < 1e-9, "{rate}");
    }

    #[test]
    fn old_samples_leave_the_window_so_a_quiet_topic_falls_to_zero() {
        let mut meter = RateMeter::new();
        meter.observe(secs(0.0), &[("a", 0)]);
        meter.observe(secs(1.0), &[("a", 1000)]);
        meter.observe(secs(5.0), &[("a", 1000)]);
        assert_eq!(meter.observe(secs(6.0), &[("a", 1000)]), vec![Some(0.0)]);
    }

    #[test]
    fn a_new_topic_counts_from_zero_at_the_oldest_sample() {
        let mut meter = RateMeter::new();
        meter.observe(secs(0.0), &[("a", 0)]);
        assert_eq!(meter.observe(secs(2.0), &[("a", 0), ("b", 10)]), vec![Some(0.0), Some(5.0)]);
    }
}
