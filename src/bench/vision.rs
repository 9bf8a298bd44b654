//! `visor bench vision`: the face detector's figures on this machine, as a table.
//!
//! - Inference alone at the model's input size (BlazeFace front: 128x128), p50 and p99 over
//!   many runs of tract, next to onnxruntime (PyPI, in a private venv under `target/`) running
//!   the same model file on the very same input tensor in the same run; the ratio is tract's
//!   time over onnxruntime's, single-threaded and with onnxruntime's default threads.
//! - The whole detector (letterbox + inference + decode + suppression) on a 320x240 frame.
//! - The pipeline as it runs in the shell: the camera driver replaying the astronaut clip at
//!   30 fps and the vision module on the bus — capture-to-detection-on-bus latency p50/p99,
//!   how many frames vision kept up with, and the CPU share of each module's thread.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::Context;
use visor_runtime::bus::{Bus, BusCapabilities, ModuleRef, Overflow, QueueOptions, TopicPattern};
use visor_runtime::modules::ModuleHost;
use visor_runtime::policy::Policy;
use visor_runtime::{AppEngine, FrameFeed};
use visor_types::DeviceProfile;
use visor_types::clock::MonotonicClock;
use visor_vision::{Detections, Detector, DetectorConfig, ImageView};

use super::report::{Report, Table, num, text};
use crate::builtin;
use crate::data::DataDir;

/// p50 and p99 of samples in milliseconds.
fn percentiles(samples: &mut [f64]) -> (f64, f64) {
    (super::percentile(samples, 0.5), super::percentile(samples, 0.99))
}

pub fn run(data: &DataDir, iterations: u32, seconds: u64) -> anyhow::Result<Report> {
    let config = DetectorConfig::default();
    let repo = data.root();
    let model = repo.join(&config.model);
    let detector = Detector::load(config.clone(), repo)?;
    let frame = image::open(repo.join("assets/camera/astronaut/frame-0000.jpg"))?.to_rgba8();
    let view = ImageView::packed(frame.width(), frame.height(), frame.as_raw())?;
    let input = detector.input_for(view)?;

    for _ in 0..10 {
        detector.infer(&input)?;
    }
    let mut tract: Vec<f64> = (0..iterations).map(|_| time(|| detector.infer(&input).map(drop))).collect::<anyhow::Result<_>>()?;
    let mut whole: Vec<f64> = (0..iterations).map(|_| time(|| detector.detect(view).map(drop))).collect::<anyhow::Result<_>>()?;
    let (t50, t99) = percentiles(&mut tract);
    let (w50, w99) = percentiles(&mut whole);

    let (w, h) = (config.input.width, config.input.height);
    let mut report = Report::default();
    report.context("model", format!("{} ({w}x{h} input)", detector.model_name()));
    report.context("cpus", std::thread::available_parallelism().map_or(0, |n| n.get()).to_string());
    let mut table = Table::new(
        format!("face detector inference, {iterations} runs each"),
        &["runtime", "threads", "p50 ms", "p99 ms", "ratio to onnxruntime 1 thread (p50)"],
    );
    let shape = format!("1,{h},{w},3");
    let mut onnx_rows = Vec::new();
    let mut floor = f64::NAN;
    for threads in [1, 0] {
        let label = if threads == 0 { "default".to_string() } else { threads.to_string() };
        match onnxruntime(&model, &input, &shape, iterations, threads) {
            Ok((version, mut ms)) => {
                let (o50, o99) = percentiles(&mut ms);
                if threads == 1 {
                    floor = o50;
                }
                onnx_rows.push((format!("onnxruntime {version}"), label, o50, o99));
            }
            Err(e) => table.note(format!("onnxruntime ({label} threads) unavailable: {e:#}")),
        }
    }
    table.row(vec![text("tract-onnx (Visor)"), text("1"), num(t50, 2), num(t99, 2), num(t50 / floor, 2)]);
    for (runtime, threads, o50, o99) in onnx_rows {
        table.row(vec![text(runtime), text(threads), num(o50, 2), num(o99, 2), num(o50 / floor, 2)]);
    }
    report.tables.push(table);
    let mut whole_table = Table::new(
        format!("whole detector on a {}x{} frame, {iterations} runs", frame.width(), frame.height()),
        &["stage", "p50 ms", "p99 ms"],
    );
    whole_table.row(vec![text("letterbox + inference + decode + NMS"), num(w50, 2), num(w99, 2)]);
    whole_table.row(vec![text("of which inference"), num(t50, 2), num(t99, 2)]);
    report.tables.push(whole_table);
    report.tables.push(operator_profile(&detector, &input, iterations.min(200))?);
    report.tables.push(pipeline(repo, seconds)?);
    Ok(report)
}

fn time(f: impl FnOnce() -> Result<(), visor_vision::VisionError>) -> anyhow::Result<f64> {
    let start = Instant::now();
    f()?;
    Ok(start.elapsed().as_secs_f64() * 1e3)
}

/// The onnxruntime timer (`scripts/bench_onnxruntime.py`), carried in the binary.
const ONNXRUNTIME_SCRIPT: &str = include_str!("../../scripts/bench_onnxruntime.py");

/// Runs the onnxruntime timer in a venv of its own under the user's cache folder (made on first
/// use with pip).
fn onnxruntime(model: &Path, input: &[f32], shape: &str, iterations: u32, threads: u32) -> anyhow::Result<(String, Vec<f64>)> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .context("neither XDG_CACHE_HOME nor HOME is set: nowhere to keep onnxruntime's venv")?;
    let venv = cache.join("visor/bench-venv");
    let python = venv.join("bin/python");
    if !python.is_file() {
        tracing::info!(venv = %venv.display(), "installing onnxruntime and numpy from PyPI for the comparison");
        let made = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().context("running python3 -m venv")?;
        anyhow::ensure!(made.success(), "python3 -m venv {} failed; install python3-venv", venv.display());
        let pip = Command::new(&python).args(["-m", "pip", "install", "--quiet", "onnxruntime", "numpy"]).status()?;
        anyhow::ensure!(pip.success(), "pip install onnxruntime numpy failed (is PyPI reachable?)");
    }
    let raw: PathBuf = venv.join("bench-input.f32");
    std::fs::write(&raw, input.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>())?;
    let script = venv.join("bench_onnxruntime.py");
    std::fs::write(&script, ONNXRUNTIME_SCRIPT).with_context(|| format!("writing {}", script.display()))?;
    let output =
        Command::new(&python).arg(&script).arg(model).arg(&raw).arg(shape).arg(iterations.to_string()).arg(threads.to_string()).output()?;
    anyhow::ensure!(output.status.success(), "onnxruntime script failed: {}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let ms = json["ms"].as_array().context("no times")?.iter().filter_map(|v| v.as_f64()).collect();
    Ok((json["version"].as_str().unwrap_or("?").to_string(), ms))
}

/// Camera driver + vision module on a real bus for `seconds`.
fn pipeline(repo: &Path, seconds: u64) -> anyhow::Result<Table> {
    let toml = "name = \"bench\"\n[display]\nkind = \"passthrough\"\neyes = 1\neye_width = 320\neye_height = 240\nrefresh_hz = 30\n\
                fov_deg = { left = -45, right = 45, up = 36.87, down = -36.87 }\nipd_mm = 64\n\
                [camera]\nsource = \"replay\"\nfolder = \"assets/camera/astronaut\"\nfps = 30\n";
    let profile = DeviceProfile::from_toml(toml, "bench profile")?;
    let clock = MonotonicClock::shared();
    let feed = FrameFeed::new(crate::shell::frame_info(&profile, 0, 0, glam::Mat4::IDENTITY));
    let bus = Bus::new(clock.clone());
    let engine = AppEngine::new().map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let mut host = ModuleHost::new(bus, engine, feed, clock, Policy::parse("", "bench")?, 30.0);
    let still = std::sync::Arc::new(visor_drivers::pose::SimulatorPose::new(MonotonicClock::shared()));
    builtin::register(&mut host, &profile, repo, MonotonicClock::shared(), still);
    builtin::load(&mut host, repo, &[visor_types::profile::DriverName::Camera])?;
    let caps = BusCapabilities {
        publish: vec![],
        subscribe: vec![TopicPattern::from_str("#")?],
        messages_per_second: 0,
        shell: false,
        serve: Vec::new(),
        call: Vec::new(),
    };
    let tester = host.bus().endpoint(ModuleRef::new(900, "bench"), caps);
    let faces = tester.subscribe(TopicPattern::from_str("vision/faces")?, QueueOptions { capacity: 1024, policy: Overflow::DropOldest })?;
    let frames =
        tester.subscribe(TopicPattern::from_str("camera/frames")?, QueueOptions { capacity: 1024, policy: Overflow::DropOldest })?;
    host.start(host.find("vision").context("vision module")?)?;
    // Let the model load and the first frames flow before measuring.
    faces.recv_timeout(Duration::from_secs(30))?;
    let _ = frames.drain().count();
    let _ = faces.drain().count();
    // Frames are counted as they leave the queue, read or dropped: the queue only holds what
    // the bench endpoint's byte budget allows (about a hundred 320x240 frames), so counting
    // what is left at the end would count the budget, not the camera.
    let dropped_before = frames.dropped();
    let mut camera_frames = 0;

    let before = thread_cpu()?;
    let started = Instant::now();
    let mut latencies = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        camera_frames += frames.drain().count();
        if let Ok(message) = faces.recv_timeout(Duration::from_millis(100)) {
            let d: Detections = message.payload.decode()?;
            latencies.push(message.sent_ns.saturating_sub(d.frame_timestamp_ns) as f64 / 1e6);
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let after = thread_cpu()?;
    let camera_frames = camera_frames + (frames.dropped() - dropped_before) as usize;
    anyhow::ensure!(!latencies.is_empty(), "no detections in {seconds} s");
    let detections = latencies.len();
    let (l50, l99) = percentiles(&mut latencies);
    let share = |name: &str| (after.get(name).copied().unwrap_or(0.0) - before.get(name).copied().unwrap_or(0.0)) / wall * 100.0;
    let mut table = Table::new(
        format!("pipeline: camera driver replaying assets/camera/astronaut (30 fps) → vision module → bus, {seconds} s"),
        &["figure", "value", "unit"],
    );
    table.row(vec![text("camera frames published"), num(camera_frames as f64 / wall, 1), text("per second")]);
    table.row(vec![text("detections published"), num(detections as f64 / wall, 1), text("per second")]);
    table.row(vec![text("capture → detection on bus, p50"), num(l50, 2), text("ms")]);
    table.row(vec![text("capture → detection on bus, p99"), num(l99, 2), text("ms")]);
    table.row(vec![text("vision module thread CPU"), num(share("native-vision"), 1), text("% of one core")]);
    table.row(vec![text("camera driver thread CPU"), num(share("native-camera"), 1), text("% of one core")]);
    for id in host.list().iter().map(|m| m.id).collect::<Vec<_>>() {
        host.stop(id)?;
    }
    Ok(table)
}

/// Where tract's inference time goes, per kind of operator (timing each operator adds a little
/// to every one, so the total runs above the plain inference time).
fn operator_profile(detector: &Detector, input: &[f32], runs: u32) -> anyhow::Result<Table> {
    let profile = detector.profile(input, runs)?;
    let total: f64 = profile.iter().map(|p| p.per_run.as_secs_f64()).sum::<f64>() * 1e3;
    let mut table =
        Table::new(format!("tract inference by operator, mean of {runs} runs"), &["operator", "nodes", "ms per run", "share %"]);
    for op in profile.iter().take(12) {
        let ms = op.per_run.as_secs_f64() * 1e3;
        table.row(vec![text(&op.op), text(op.nodes.to_string()), num(ms, 3), num(ms / total * 100.0, 1)]);
    }
    table.note(format!("all operators: {total:.3} ms per run, {} kinds", profile.len()));
    Ok(table)
}

/// CPU seconds used so far by each named thread of this process (from /proc).
fn thread_cpu() -> anyhow::Result<std::collections::HashMap<String, f64>> {
    let ticks: f64 = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0);
    let mut cpu = std::collections::HashMap::new();
    for task in std::fs::read_dir("/proc/self/task")? {
        let dir = task?.path();
        let (Ok(name), Ok(stat)) = (std::fs::read_to_string(dir.join("comm")), std::fs::read_to_string(dir.join("stat"))) else { continue };
        // Fields after the parenthesised name: state is 3rd, utime 14th and stime 15th overall.
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let (Some(u), Some(s)) = (fields.get(11).and_then(|v| v.parse::<f64>().ok()), fields.get(12).and_then(|v| v.parse::<f64>().ok()))
        else {
            continue;
        };
        *cpu.entry(name.trim().to_string()).or_insert(0.0) += (u + s) / ticks;
    }
    Ok(cpu)
}
