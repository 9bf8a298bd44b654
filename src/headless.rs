//! `visor run --headless`: runs the shell for N frames and writes each composited frame as a
//! PNG plus one JSON line of timings per frame (`timing.jsonl`): frame, compositor ms, and per
//! app the last `frame` call's ms and the submission shown.
//!
//! Frames are paced at the profile's refresh rate by default, so apps at their own rates meet
//! the display as they would on a device; `--unpaced` runs as fast as the compositor can.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use visor_compositor::{DisplaySink, PngSequenceSink};
use visor_types::DeviceProfile;
use visor_types::clock::MonotonicClock;

use crate::{guests, module_cmd};
use crate::shell::{self, Shell, StepReport};

/// The sample apps `visor run` starts when no app is named.
pub const SAMPLE_APPS: [&str; 2] = ["cube", "hud"];

pub struct HeadlessOptions {
    pub frames: u64,
    pub out: PathBuf,
    pub profile: String,
    /// Components to run; empty runs the sample apps.
    pub apps: Vec<PathBuf>,
    pub paced: bool,
    /// How long to wait for every app's first frame before the first composite.
    pub startup_timeout: Duration,
    /// The module store to boot from when no app is named (`None`: the default store).
    pub store: Option<PathBuf>,
}

#[derive(Serialize)]
struct AppTiming {
    frame_ms: f64,
    /// The app's submission composited in this frame (none before its first or after a stop).
    submission: Option<u64>,
}

#[derive(Serialize)]
struct TimingLine {
    frame: u64,
    display_time_ms: f64,
    compositor_ms: f64,
    layers: u32,
    layers_rendered: u32,
    apps: BTreeMap<String, AppTiming>,
}

impl From<&StepReport> for TimingLine {
    fn from(r: &StepReport) -> Self {
        TimingLine {
            frame: r.frame,
            display_time_ms: r.display_time_ns as f64 / 1e6,
            compositor_ms: r.stats.ms,
            layers: r.stats.layers,
            layers_rendered: r.stats.layers_rendered,
            apps: r
                .apps
                .iter()
                .map(|(name, t, s)| (name.clone(), AppTiming { frame_ms: t.as_secs_f64() * 1e3, submission: *s }))
                .collect(),
        }
    }
}

/// The components to run: those named, or the sample apps (built first if need be).
pub fn resolve_apps(repo: &Path, named: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    if !named.is_empty() {
        for path in named {
            anyhow::ensure!(path.is_file(), "app component {} does not exist", path.display());
        }
        return Ok(named.to_vec());
    }
    let built = guests::GuestArtifacts::in_repo(repo);
    let artifacts = if SAMPLE_APPS.iter().all(|a| built.path(a).is_file()) {
        built
    } else {
        tracing::info!("building the sample apps (first run)");
        guests::build_guests(repo)?
    };
    Ok(SAMPLE_APPS.iter().map(|a| artifacts.path(a)).collect())
}

pub fn run(repo: &Path, options: &HeadlessOptions) -> anyhow::Result<()> {
    let profile = DeviceProfile::find(&options.profile, &shell::profiles_dir(repo))?;
    let registry = module_cmd::open_store(options.store.as_deref())?;
    let policy = module_cmd::load_policy(&registry)?;
    let mut shell = Shell::new(profile, repo, MonotonicClock::shared(), policy)?;
    tracing::info!(gpu = %shell.compositor.gpu().describe(), profile = %shell.profile.name, "headless run");
    let booted = if options.apps.is_empty() { module_cmd::boot(&registry, &mut shell.modules)? } else { 0 };
    if booted > 0 {
        tracing::info!(modules = booted, store = %registry.root().display(), "started the installed modules marked boot");
    } else {
        for app in &resolve_apps(repo, &options.apps)? {
            shell.launch(app, &[])?;
        }
    }
    shell.publish(0, shell.clock.now_ns());
    shell.wait_for_apps(options.startup_timeout);

    let mut sink = PngSequenceSink::new(&options.out)?;
    let log_path = options.out.join("timing.jsonl");
    let mut log = BufWriter::new(File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?);
    let period = Duration::from_secs_f64(1.0 / f64::from(shell.profile.display.refresh_hz));
    let start = Instant::now();
    let start_ns = shell.clock.now_ns();
    let mut total_ms = 0.0;
    for frame in 0..options.frames {
        let due = start + period.mul_f64(frame as f64);
        if options.paced && due > Instant::now() {
            std::thread::sleep(due - Instant::now());
        }
        let display_time_ns = start_ns + period.as_nanos() as u64 * (frame + 1);
        let report = shell.step(frame, display_time_ns);
        total_ms += report.stats.ms;
        let image = shell.compositor.read_frame()?;
        sink.present(frame, &image)?;
        serde_json::to_writer(&mut log, &TimingLine::from(&report))?;
        log.write_all(b"\n")?;
    }
    log.flush()?;
    for module in shell.modules.list() {
        if let visor_runtime::AppStatus::Failed(why) = module.status {
            tracing::warn!(module = %module.name, "stopped during the run: {why}");
        }
    }
    let frames = options.frames.max(1) as f64;
    tracing::info!(
        frames = options.frames,
        out = %options.out.display(),
        mean_compositor_ms = format!("{:.2}", total_ms / frames),
        "headless run done"
    );
    Ok(())
}
