//! `visor bench motion`: motion-to-photon inside the pipeline — from the timestamp of the
//! head-pose measurement a frame was predicted from, to the frame leaving the compositor
//! (rendered, reprojected, composited and finished on the GPU; windowed, also presented).
//!
//! The head follows the recorded track `assets/poses/head-sweep.jsonl`, so every frame
//! reprojects the sample apps' layers from the pose they drew for to the frame's own; frames
//! are paced at the profile's refresh rate as on a device. The windowed run needs a display
//! (an X server or Xvfb) and is skipped, saying so, without one.

use std::path::Path;
use std::time::{Duration, Instant};

use visor_types::clock::MonotonicClock;
use visor_types::profile::{DeviceProfile, PoseConfig};

use super::report::{Report, Table, num, text};
use crate::data::DataDir;
use crate::run::resolve_apps;
use crate::shell::Shell;

/// The recorded head track the benchmark moves along.
pub const TRACK: &str = "assets/poses/head-sweep.jsonl";

/// Motion-to-photon samples of one run, in milliseconds.
pub struct Latencies {
    pub mode: &'static str,
    pub samples: Vec<f64>,
}

impl Latencies {
    fn percentile(&self, q: f64) -> f64 {
        super::percentile(&mut self.samples.clone(), q)
    }
}

/// The profile to measure with, its head on the recorded track.
pub fn tracked_profile(data: &DataDir, name: &str) -> anyhow::Result<DeviceProfile> {
    let mut profile = DeviceProfile::find(name, &data.profiles())?;
    profile.pose = PoseConfig::Track { file: TRACK.into() };
    Ok(profile)
}

/// Runs `frames` paced frames headless and returns each frame's motion-to-photon.
pub fn headless(data: &DataDir, profile: &str, frames: u64) -> anyhow::Result<Latencies> {
    let mut shell = Shell::new(tracked_profile(data, profile)?, data.root(), MonotonicClock::shared(), Default::default())?;
    for app in resolve_apps(data, &[])? {
        shell.launch(&app, &[])?;
    }
    shell.publish(0, shell.clock.now_ns());
    shell.wait_for_apps(Duration::from_secs(30));
    let period = Duration::from_secs_f64(1.0 / f64::from(shell.profile.display.refresh_hz));
    let start = Instant::now();
    let mut samples = Vec::with_capacity(frames as usize);
    for frame in 0..frames {
        let due = start + period.mul_f64(frame as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let display_time_ns = shell.clock.now_ns() + period.as_nanos() as u64;
        let report = shell.step(frame, display_time_ns);
        samples.push(report.done_ns.saturating_sub(report.pose_measured_ns) as f64 / 1e6);
    }
    Ok(Latencies { mode: "headless", samples })
}

/// The table `visor bench motion` prints.
pub fn table(gpu: &str, runs: &[Latencies], skipped: &[String]) -> Report {
    let mut table = Table::new(
        "motion-to-photon inside the pipeline (pose measured -> frame out of the compositor)",
        &["run", "frames", "p50 ms", "p99 ms", "max ms"],
    );
    for run in runs {
        table.row(vec![
            text(run.mode),
            text(run.samples.len().to_string()),
            num(run.percentile(0.5), 2),
            num(run.percentile(0.99), 2),
            num(run.percentile(1.0), 2),
        ]);
    }
    for why in skipped {
        table.note(format!("skipped: {why}"));
    }
    Report { context: vec![("adapter".to_owned(), gpu.to_owned())], tables: vec![table] }
}

/// Reads a windowed run's motion log: one line per presented frame, milliseconds.
pub fn read_log(path: &Path) -> anyhow::Result<Vec<f64>> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().parse::<f64>().map_err(|e| anyhow::anyhow!("{}: bad line {l:?}: {e}", path.display())))
        .collect()
}

/// `visor bench motion`: the headless run in this process, then the windowed one as a child
/// `visor run --motion-log` on the current display (skipped, saying why, without one).
pub fn run(data: &DataDir, profile: &str, frames: u64) -> anyhow::Result<Report> {
    let frames = frames.max(120);
    let headless = headless(data, profile, frames)?;
    let gpu = visor_compositor::Gpu::headless()?.describe();
    let mut runs = vec![headless];
    let mut skipped = Vec::new();
    let display = std::env::var_os("DISPLAY").or_else(|| std::env::var_os("WAYLAND_DISPLAY"));
    if display.is_none() {
        skipped.push("windowed: no DISPLAY or WAYLAND_DISPLAY (run under xvfb-run for a virtual one)".into());
    } else {
        let log = std::env::temp_dir().join(format!("visor-motion-{}.log", std::process::id()));
        let status = std::process::Command::new(std::env::current_exe()?)
            .arg("--data-dir")
            .arg(data.root())
            .args(["run", "--profile", profile, "--exit-after-frames", &frames.to_string()])
            .arg("--pose-track")
            .arg(data.root().join(TRACK))
            .arg("--motion-log")
            .arg(&log)
            .status()?;
        anyhow::ensure!(status.success(), "the windowed run failed ({status})");
        let samples = read_log(&log);
        let _ = std::fs::remove_file(&log);
        runs.push(Latencies { mode: "windowed (presented)", samples: samples? });
    }
    Ok(table(&gpu, &runs, &skipped))
}
