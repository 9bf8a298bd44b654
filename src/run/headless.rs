//! The headless displays: [`Display::Png`](super::Display::Png) writes each composited frame
//! as a PNG plus one JSON line of timings per frame (`timing.jsonl`): frame, compositor ms, and
//! per app the last `frame` call's ms and the submission shown. [`Display::None`](super::Display::None)
//! keeps no frames, only the timing log: a server run until Ctrl-C or SIGTERM.
//!
//! Frames are paced at the profile's refresh rate by default — or by the glasses' v-sync where
//! the pair reports it — so apps at their own rates meet the display as they would on a
//! device; `--unpaced` runs as fast as the compositor can.
//! The admin panel (`--admin`) is answered between frames.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use visor_compositor::{DisplaySink, Gpu, PngSequenceSink};

use super::{Display, RunOptions, Running};
use crate::shell::StepReport;

/// [`Display::Png`](super::Display::Png): `frames` frames into `out`.
pub struct PngOptions {
    pub out: PathBuf,
    pub frames: u64,
    pub paced: bool,
}

/// [`Display::None`](super::Display::None): run until stopped (or for `frames`), the timing
/// log in `out`.
pub struct NoDisplayOptions {
    pub out: PathBuf,
    /// `None`: until stopped.
    pub frames: Option<u64>,
    pub paced: bool,
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
    /// The GPU's own milliseconds per stage (`layers`, `display`, `composite`, `optics`),
    /// where the adapter has timestamps.
    #[serde(skip_serializing_if = "Option::is_none")]
    gpu_ms: Option<GpuMs>,
    apps: BTreeMap<String, AppTiming>,
}

#[derive(Serialize)]
struct GpuMs {
    layers: f64,
    display: f64,
    composite: f64,
    optics: f64,
}

impl From<&StepReport> for TimingLine {
    fn from(r: &StepReport) -> Self {
        TimingLine {
            frame: r.frame,
            display_time_ms: r.display_time_ns as f64 / 1e6,
            compositor_ms: r.stats.ms,
            gpu_ms: r.stats.gpu.map(|g| GpuMs {
                layers: g.layers_ms,
                display: g.display_ms,
                composite: g.composite_ms,
                optics: g.optics_ms,
            }),
            layers: r.stats.layers,
            layers_rendered: r.stats.layers_rendered,
            apps: r.apps.iter().map(|(name, t, s)| (name.clone(), AppTiming { frame_ms: t.as_secs_f64() * 1e3, submission: *s })).collect(),
        }
    }
}

/// Runs `options` on a headless GPU until its frames are made or it is stopped.
pub fn run(options: &RunOptions) -> anyhow::Result<()> {
    let (out, frames, paced, pngs) = match &options.display {
        Display::Png(png) => (&png.out, Some(png.frames), png.paced, true),
        Display::None(none) => (&none.out, none.frames, none.paced, false),
        Display::Window(_) => anyhow::bail!("the headless loop was handed a window display"),
    };
    let profile = super::resolve_profile(&options.data, &options.profile, options.pose_track.as_deref())?;
    let mut running = super::start(options, profile, Gpu::headless()?)?;
    let result = frame_loop(&mut running, options, out, frames, paced, pngs);
    running.finish();
    result
}

fn frame_loop(running: &mut Running, options: &RunOptions, out: &Path, frames: Option<u64>, paced: bool, pngs: bool) -> anyhow::Result<()> {
    let Running { shell, admin, dev, bridge, offload } = running;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut sink = if pngs { Some(PngSequenceSink::new(out)?) } else { None };
    let log_path = out.join("timing.jsonl");
    let mut log = BufWriter::new(File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?);
    let period = Duration::from_secs_f64(1.0 / f64::from(shell.profile.display.refresh_hz));
    let start = Instant::now();
    let start_ns = shell.clock.now_ns();
    let mut total_ms = 0.0;
    let mut frame = 0;
    while frames.is_none_or(|n| frame < n) && !options.stop.load(Ordering::Relaxed) {
        let display_time_ns = match shell.vsync().filter(|_| paced) {
            // Glasses that report their v-sync pace the frames: one a refresh, shown at the next.
            Some(v) => {
                let now = shell.clock.now_ns();
                let edge = v.next_edge(now + 1);
                std::thread::sleep(Duration::from_nanos(edge - now));
                edge + v.period_ns
            }
            None => {
                let due = start + period.mul_f64(frame as f64);
                if paced && due > Instant::now() {
                    std::thread::sleep(due - Instant::now());
                }
                start_ns + period.as_nanos() as u64 * (frame + 1)
            }
        };
        crate::offload::tick(offload.as_mut(), bridge.as_ref(), &mut shell.modules);
        let report = shell.step(frame, display_time_ns);
        total_ms += report.stats.ms;
        if let Some(admin) = admin.as_mut() {
            admin.serve(shell);
        }
        if let Some(dev) = dev.as_mut() {
            dev.poll(shell);
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
    tracing::info!(
        frames = frame,
        out = %out.display(),
        mean_compositor_ms = format!("{:.2}", total_ms / frame.max(1) as f64),
        "headless run done"
    );
    Ok(())
}
