//! What a soak measures and how it judges it: one [`Sample`] of the process every few
//! seconds (resident memory, open files, threads, GPU memory), every frame's time, and the
//! verdict over the run.
//!
//! "Grows without bound" is judged by comparing the last quarter of the run with the quarter
//! after warm-up: a figure that is still climbing at the end by more than its allowance
//! fails. Frame times are judged per minute: the last minute's p99 may not pass 1.2× the
//! first minute's (plus a millisecond, the resolution a noisy shared machine can hold).

use std::fmt::Write as _;
use std::time::Duration;

use crate::bench::percentile;

/// One look at the process.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    pub at: Duration,
    pub rss_bytes: u64,
    pub open_files: u64,
    pub threads: u64,
    /// GPU memory the device's allocator holds; `None` where the backend does not report it.
    pub gpu_bytes: Option<u64>,
}

impl Sample {
    /// Reads `/proc/self` now.
    pub fn take(at: Duration, gpu_bytes: Option<u64>) -> Sample {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let field = |name: &str| -> u64 {
            let line = status.lines().find_map(|l| l.strip_prefix(name)).unwrap_or_default();
            line.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0)
        };
        let open_files = std::fs::read_dir("/proc/self/fd").map(|d| d.count() as u64).unwrap_or(0);
        Sample { at, rss_bytes: field("VmRSS:") * 1024, open_files, threads: field("Threads:"), gpu_bytes }
    }
}

/// Everything a run recorded.
#[derive(Default)]
pub struct Record {
    pub samples: Vec<Sample>,
    /// (when, milliseconds) per frame.
    pub frames: Vec<(Duration, f64)>,
    pub installs: u32,
    pub removes: u32,
    pub restarts: u32,
}

/// One minute of a run.
struct Minute {
    index: usize,
    samples: Vec<Sample>,
    /// (when, milliseconds) per frame.
    frames: Vec<(Duration, f64)>,
}

/// One figure of a sample (`None` where it was not measured).
type Reading = fn(&Sample) -> Option<f64>;

/// How much a figure may still be climbing at the end of a run.
struct Allowance {
    name: &'static str,
    unit: &'static str,
    scale: f64,
    absolute: f64,
}

const MIB: f64 = 1024.0 * 1024.0;

impl Record {
    /// The per-minute table: resident memory, files, threads, GPU memory, frame p50/p99.
    pub fn table(&self) -> String {
        let mut out = String::from(
            "| minute | RSS (MiB) | open files | threads | GPU (MiB) | frames | frame p50 (ms) | frame p99 (ms) |\n\
             |---:|---:|---:|---:|---:|---:|---:|---:|\n",
        );
        for Minute { index: minute, samples, frames } in self.minutes() {
            // The minute's last look at the process.
            let process = match samples.last() {
                Some(s) => {
                    let gpu = s.gpu_bytes.map_or("n/a".to_string(), |b| format!("{:.1}", b as f64 / MIB));
                    format!("{:.1} | {} | {} | {gpu}", s.rss_bytes as f64 / MIB, s.open_files, s.threads)
                }
                None => "- | - | - | -".to_string(),
            };
            let mut times: Vec<f64> = frames.iter().map(|(_, ms)| *ms).collect();
            let _ = writeln!(
                out,
                "| {} | {process} | {} | {:.2} | {:.2} |",
                minute + 1,
                times.len(),
                percentile(&mut times, 0.5),
                percentile(&mut times, 0.99),
            );
        }
        out
    }

    /// The samples and frames of each whole or partial minute.
    fn minutes(&self) -> Vec<Minute> {
        let end = self.frames.last().map_or(Duration::ZERO, |(at, _)| *at);
        let count = (end.as_secs() / 60 + 1) as usize;
        (0..count)
            .map(|m| {
                let inside = |at: &Duration| at.as_secs() as usize / 60 == m;
                let samples = self.samples.iter().filter(|s| inside(&s.at)).copied().collect();
                let frames = self.frames.iter().filter(|(at, _)| inside(at)).copied().collect();
                Minute { index: m, samples, frames }
            })
            .collect()
    }

    /// What failed, one line each; empty when the run held.
    pub fn problems(&self, warm_up: Duration) -> Vec<String> {
        let mut problems = Vec::new();
        let settled: Vec<&Sample> = self.samples.iter().filter(|s| s.at >= warm_up).collect();
        if settled.len() >= 8 {
            let quarter = settled.len() / 4;
            let (early, late) = (&settled[..quarter], &settled[settled.len() - quarter..]);
            let checks: [(Allowance, Reading); 4] = [
                (Allowance { name: "resident memory", unit: "MiB", scale: MIB, absolute: 64.0 }, |s| Some(s.rss_bytes as f64)),
                (Allowance { name: "open files", unit: "", scale: 1.0, absolute: 16.0 }, |s| Some(s.open_files as f64)),
                (Allowance { name: "threads", unit: "", scale: 1.0, absolute: 8.0 }, |s| Some(s.threads as f64)),
                (Allowance { name: "GPU memory", unit: "MiB", scale: MIB, absolute: 64.0 }, |s| s.gpu_bytes.map(|b| b as f64)),
            ];
            for (allowance, read) in checks {
                let (Some(before), Some(after)) = (mean(early.iter().filter_map(|s| read(s))), mean(late.iter().filter_map(|s| read(s))))
                else {
                    continue;
                };
                let grown = (after - before) / allowance.scale;
                // Ten per cent of the level plus a fixed margin: caches that fill once pass.
                let allowed = allowance.absolute + before / allowance.scale * 0.1;
                if grown > allowed {
                    problems.push(format!(
                        "{} kept growing: {:.1}{u} after warm-up, {:.1}{u} at the end (+{grown:.1}{u}, allowed +{allowed:.1}{u})",
                        allowance.name,
                        before / allowance.scale,
                        after / allowance.scale,
                        u = allowance.unit
                    ));
                }
            }
        }
        let minutes = self.minutes();
        if let (Some(first), Some(last)) = (minutes.first(), minutes.last())
            && minutes.len() >= 2
        {
            let mut first: Vec<f64> = first.frames.iter().map(|(_, ms)| *ms).collect();
            let mut last_times: Vec<f64> = last.frames.iter().map(|(_, ms)| *ms).collect();
            let (p_first, p_last) = (percentile(&mut first, 0.99), percentile(&mut last_times, 0.99));
            if last_times.len() >= 60 && p_last > p_first * 1.2 + 1.0 {
                problems.push(format!("frame p99 rose from {p_first:.2} ms in the first minute to {p_last:.2} ms in the last"));
            }
        }
        problems
    }
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(secs: u64, rss_mib: u64) -> Sample {
        Sample { at: Duration::from_secs(secs), rss_bytes: rss_mib << 20, open_files: 40, threads: 30, gpu_bytes: Some(100 << 20) }
    }

    #[test]
    fn a_steady_run_holds_and_a_leak_is_named() {
        let steady = Record { samples: (0..40).map(|i| sample(i * 5, 300 + i % 3)).collect(), ..Default::default() };
        assert!(steady.problems(Duration::from_secs(30)).is_empty());
        let leaking = Record { samples: (0..40).map(|i| sample(i * 5, 300 + i * 8)).collect(), ..Default::default() };
        let problems = leaking.problems(Duration::from_secs(30));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("resident memory kept growing"), "{problems:?}");
    }

    #[test]
    fn frame_p99_may_not_climb_past_a_fifth_over_the_first_minute() {
        let frames = |ms_late: f64| -> Vec<(Duration, f64)> {
            (0..7200).map(|i| (Duration::from_millis(i * 1000 / 60), if i < 3600 { 10.0 } else { ms_late })).collect()
        };
        let fine = Record { frames: frames(12.5), ..Default::default() };
        assert!(fine.problems(Duration::ZERO).is_empty());
        let slow = Record { frames: frames(14.0), ..Default::default() };
        assert!(slow.problems(Duration::ZERO)[0].starts_with("frame p99 rose"));
        assert!(slow.table().contains("| 2 |"));
    }
}
