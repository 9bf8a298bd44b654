//! `visor run --headless`: runs the shell for N frames and writes each composited frame as a
//! PNG plus one JSON line of timings per frame (`timing.jsonl`): frame, compositor ms, and per
//! app the last `frame` call's ms and the submission shown.
//!
//! Frames are paced at the profile's refresh rate by default, so apps at their own rates meet
//! the display as they would on a device; `--unpaced` runs as fast as the compositor can.
//!
//! `--frames 0` runs until Ctrl-C or SIGTERM and writes no PNGs (an endless run would fill the
//! disk), only the timing log. `--admin` serves the admin panel while the run lasts
//! ([`crate::admin_backend`]); the loop answers it between frames.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use visor_compositor::{DisplaySink, PngSequenceSink};
use visor_types::DeviceProfile;
use visor_types::clock::MonotonicClock;
use visor_runtime::registry::Registry;

use crate::admin_backend::{AdminLink, AdminOptions};
use crate::{guests, module_cmd};
use crate::shell::{self, Shell, StepReport};

/// The sample apps `visor run` starts when no app is named.
pub const SAMPLE_APPS: [&str; 2] = ["cube", "hud"];
/// The launcher's component, among the built guests.
pub const LAUNCHER: &str = "launcher";

pub struct HeadlessOptions {
    /// Frames to make; 0 runs until `stop`.
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
    /// Serve the admin panel while running.
    pub admin: Option<AdminOptions>,
    /// Set to end the run after the current frame (the binary sets it on Ctrl-C / SIGTERM).
    pub stop: Arc<AtomicBool>,
    /// Play this recorded pose track instead of the profile's pose source.
    pub pose_track: Option<PathBuf>,
    /// Start the launcher app.
    pub launcher: bool,
}

/// A flag that Ctrl-C (SIGINT) or SIGTERM sets, for [`HeadlessOptions::stop`]. A second signal
/// ends the process at once, for a run stuck before its loop.
pub fn stop_on_signals() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // In this order: the first signal finds the flag unset and only sets it.
        signal_hook::flag::register_conditional_shutdown(signal, 130, stop.clone()).context("handling Ctrl-C")?;
        signal_hook::flag::register(signal, stop.clone()).context("handling Ctrl-C")?;
    }
    Ok(stop)
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

/// Starts what a run shows, the same for the window and headless: the launcher first when
/// asked for (it gets the shell capability its manifest asks for: the user started it), then
/// the named components, or else the store's `boot` modules, or else — with no launcher — the
/// sample apps. The shell serves the launcher's `shell/` topics over `registry` either way.
pub fn start_apps(shell: &mut Shell, repo: &Path, registry: &Registry, apps: &[PathBuf], launcher: bool) -> anyhow::Result<()> {
    shell.serve_store(registry.clone())?;
    if launcher {
        let built = guests::GuestArtifacts::in_repo(repo);
        let artifacts = if built.path(LAUNCHER).is_file() { built } else { guests::build_guests(repo)? };
        shell.launch(&artifacts.path(LAUNCHER), &[])?;
    }
    let booted = if apps.is_empty() { module_cmd::boot(registry, &mut shell.modules)? } else { 0 };
    if booted > 0 {
        tracing::info!(modules = booted, store = %registry.root().display(), "started the installed modules marked boot");
    } else if launcher && apps.is_empty() {
        tracing::info!("nothing installed starts at boot: the launcher opens the rest");
    } else {
        for app in &resolve_apps(repo, apps)? {
            shell.launch(app, &[])?;
        }
    }
    Ok(())
}

pub fn run(repo: &Path, options: &HeadlessOptions) -> anyhow::Result<()> {
    let mut profile = DeviceProfile::find(&options.profile, &shell::profiles_dir(repo))?;
    if let Some(track) = &options.pose_track {
        profile.pose = visor_types::profile::PoseConfig::Track { file: track.clone() };
    }
    let registry = module_cmd::open_store(options.store.as_deref())?;
    let policy = module_cmd::load_policy(&registry)?;
    let mut shell = Shell::new(profile, repo, MonotonicClock::shared(), policy)?;
    tracing::info!(gpu = %shell.compositor.gpu().describe(), profile = %shell.profile.name, "headless run");
    start_apps(&mut shell, repo, &registry, &options.apps, options.launcher)?;
    shell.publish(0, shell.clock.now_ns());
    shell.wait_for_apps(options.startup_timeout);

    let endless = options.frames == 0;
    std::fs::create_dir_all(&options.out).with_context(|| format!("creating {}", options.out.display()))?;
    let mut sink = if endless { None } else { Some(PngSequenceSink::new(&options.out)?) };
    let mut admin = options.admin.as_ref().map(|a| AdminLink::start(a, &shell)).transpose()?;
    let log_path = options.out.join("timing.jsonl");
    let mut log = BufWriter::new(File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?);
    let period = Duration::from_secs_f64(1.0 / f64::from(shell.profile.display.refresh_hz));
    let start = Instant::now();
    let start_ns = shell.clock.now_ns();
    let mut total_ms = 0.0;
    let mut frame = 0;
    while (endless || frame < options.frames) && !options.stop.load(Ordering::Relaxed) {
        let due = start + period.mul_f64(frame as f64);
        if options.paced && due > Instant::now() {
            std::thread::sleep(due - Instant::now());
        }
        let display_time_ns = start_ns + period.as_nanos() as u64 * (frame + 1);
        let report = shell.step(frame, display_time_ns);
        total_ms += report.stats.ms;
        if let Some(admin) = &mut admin {
            admin.serve(&mut shell);
        }
        let preview = admin.as_ref().filter(|a| a.wants_frame());
        if sink.is_some() || preview.is_some() {
            let image = shell.compositor.read_frame()?;
            if let Some(sink) = &mut sink {
                sink.present(frame, &image)?;
            }
            if let Some(admin) = preview {
                admin.offer_frame(frame, image);
            }
        }
        serde_json::to_writer(&mut log, &TimingLine::from(&report))?;
        log.write_all(b"\n")?;
        frame += 1;
    }
    log.flush()?;
    drop(admin);
    for module in shell.modules.list() {
        if let visor_runtime::AppStatus::Failed(why) = module.status {
            tracing::warn!(module = %module.name, "stopped during the run: {why}");
        }
    }
    let frames = frame.max(1) as f64;
    tracing::info!(
        frames = frame,
        out = %options.out.display(),
        mean_compositor_ms = format!("{:.2}", total_ms / frames),
        "headless run done"
    );
    Ok(())
}
