//! `visor bench`: the compositor's figures on the adapter at hand, as a table.
//!
//! - The z-composite alone for 1, 4, 8 and 16 layers, stereo, at the chosen per-eye size
//!   (1920x1080 by default): median and p90 over repeated runs, the texel bytes the pass
//!   fetches per frame, and the fetch rate that implies — to hold against the device's memory
//!   bandwidth. Fetches, not DRAM traffic: the walk re-reads depth texels, mostly from cache.
//! - End to end with the sample apps: a whole frame (publish, take submissions, render layers,
//!   composite, wait for the GPU) through the same [`Shell`] as `visor run`, plus the readback a
//!   headless sink adds.
//!
//! Timings are wall-clock from submit to GPU completion, so on lavapipe they are CPU figures.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use glam::Mat4;
use visor_compositor::{Compositor, CompositorConfig, Gpu};
use visor_runtime::policy::Policy;
use visor_types::clock::MonotonicClock;
use visor_types::layer::{BuiltinPipeline, DrawCmd, IndexData, Pipeline, Vertex, VertexData};
use visor_types::profile::{DeviceProfile, SourceConfig};
use visor_types::{AppId, CameraFrame, LayerSubmission};

use crate::data::DataDir;
use crate::run::resolve_apps;
use crate::shell::{self, Shell};

pub struct BenchOptions {
    pub eye_width: u32,
    pub eye_height: u32,
    pub layers: Vec<u32>,
    pub iterations: u32,
    /// Frames of the end-to-end run (0 skips it).
    pub frames: u64,
    pub profile: String,
}

/// Median and 90th percentile of a set of durations, in milliseconds.
fn percentiles(samples: &mut [f64]) -> (f64, f64) {
    (super::percentile(samples, 0.5), super::percentile(samples, 0.9))
}

/// A layer that covers the whole view at `distance` metres, every pixel drawn.
fn full_layer(app: u32, distance: f32, alpha: f32, config: &DeviceProfile) -> Arc<LayerSubmission> {
    let c = [0.2 + 0.05 * app as f32, 0.5, 0.8 - 0.04 * app as f32, alpha];
    let v = |x: f32, y: f32| Vertex { position: [x, y, -distance], normal: [0.0, 0.0, 1.0], color: c, uv: [0.0, 0.0] };
    let s = distance * 4.0;
    let vertices = Arc::new(VertexData::new(vec![v(-s, -s), v(s, -s), v(s, s), v(-s, s)]));
    let indices = Arc::new(IndexData::new(vec![0, 1, 2, 0, 2, 3]));
    let draw = DrawCmd {
        pipeline: Pipeline::Builtin(BuiltinPipeline::Unlit),
        vertices,
        indices: Some(indices),
        first: 0,
        count: 6,
        model: Mat4::from_rotation_y(0.1 * app as f32),
        texture: None,
        clip: None,
        clip_planes: Default::default(),
        clip_plane_count: 0,
    };
    Arc::new(LayerSubmission {
        app: AppId(app),
        sequence: 0,
        frame: shell::frame_info(config, 0, 0, glam::Mat4::IDENTITY),
        draws: vec![draw],
        cpu_time: Duration::ZERO,
    })
}

/// Bytes the composite shader reads and writes for one pixel covered by every layer, the
/// layers' alphas given nearest first: it mirrors the shader's walk (`shaders/composite.wgsl`)
/// — one pass of depth loads and one color load per visited layer, the camera texel if the
/// pixel is still translucent, and the 4-byte write.
pub fn composite_bytes_per_pixel(alphas_nearest_first: &[f32]) -> u64 {
    let n = alphas_nearest_first.len().min(visor_compositor::MAX_LAYERS as usize) as u64;
    let (mut bytes, mut alpha) = (0u64, 0.0f32);
    for &a in alphas_nearest_first.iter().take(n as usize) {
        if alpha >= 0.999 {
            break;
        }
        bytes += n * 4 + 4;
        alpha += (1.0 - alpha) * a;
    }
    // Every layer covers the pixel, so the walk ends by visiting all of them or by going
    // opaque; the camera is read only if the pixel is still translucent.
    if alpha < 0.999 {
        bytes += 4;
    }
    bytes + 4
}

fn bench_profile(base: &DeviceProfile, width: u32, height: u32) -> DeviceProfile {
    let mut profile = base.clone();
    profile.display.eye_width = width;
    profile.display.eye_height = height;
    profile.display.eyes = 2;
    profile.camera = SourceConfig::Synthetic { width: 1280, height: 720, fps: 30.0 }.into();
    profile
}

/// Runs the benchmarks and returns the report as a Markdown table.
pub fn run(data: &DataDir, options: &BenchOptions) -> anyhow::Result<String> {
    let base = DeviceProfile::find(&options.profile, &data.profiles())?;
    let profile = bench_profile(&base, options.eye_width, options.eye_height);
    let gpu = Gpu::headless()?;
    let adapter = gpu.describe();
    let mut compositor = Compositor::new(gpu, CompositorConfig::from_profile(&profile))?;
    let camera = CameraFrame { width: 1280, height: 720, pixels: vec![90u8; 1280 * 720 * 4].into(), timestamp_ns: 0, sequence: 1 };
    let mut out = String::new();
    let pixels = u64::from(options.eye_width) * u64::from(options.eye_height) * 2;
    writeln!(out, "adapter: {adapter}\n")?;
    writeln!(out, "z-composite, stereo {}x{} per eye, {} runs each\n", options.eye_width, options.eye_height, options.iterations)?;
    writeln!(out, "| layers | scene | median ms | p90 ms | texel MB fetched / frame | GB/s fetched |")?;
    writeln!(out, "|---:|---|---:|---:|---:|---:|")?;
    for &n in &options.layers {
        for (scene, front_alpha) in [("opaque in front", 1.0), ("all translucent", 0.5)] {
            // Layer 0 is the nearest. Opaque in front: the others alternate opaque and
            // translucent behind it. All translucent: every layer at half alpha.
            let alphas: Vec<f32> = (0..n).map(|i| if front_alpha < 1.0 || (i % 2 == 1) { 0.5 } else { 1.0 }).collect();
            let layers: Vec<_> =
                alphas.iter().enumerate().map(|(i, &a)| full_layer(i as u32, 1.0 + i as f32 * 0.25, a, &profile)).collect();
            compositor.render(Some(&camera), &layers, &layers[0].frame);
            let mut samples: Vec<f64> = (0..options.iterations.max(1))
                .map(|_| {
                    let t = Instant::now();
                    compositor.composite_only();
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            let (p50, p90) = percentiles(&mut samples);
            let mb = (pixels * composite_bytes_per_pixel(&alphas)) as f64 / 1e6;
            writeln!(out, "| {n} | {scene} | {p50:.2} | {p90:.2} | {mb:.1} | {:.2} |", mb / p50)?;
        }
    }
    drop(compositor);
    if options.frames > 0 {
        end_to_end(data, &base, options.frames, &mut out)?;
    }
    Ok(out)
}

fn end_to_end(data: &DataDir, profile: &DeviceProfile, frames: u64, out: &mut String) -> anyhow::Result<()> {
    let apps = resolve_apps(data, &[])?;
    let mut shell = Shell::new(profile.clone(), data.root(), MonotonicClock::shared(), Policy::default())?;
    for app in &apps {
        shell.launch(app, &[])?;
    }
    shell.publish(0, shell.clock.now_ns());
    shell.wait_for_apps(Duration::from_secs(60));
    let (mut step_ms, mut total_ms) = (Vec::new(), Vec::new());
    for frame in 0..frames {
        let t = Instant::now();
        let report = shell.step(frame, shell.clock.now_ns());
        shell.compositor.read_frame()?;
        step_ms.push(report.stats.ms);
        total_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (s50, s90) = percentiles(&mut step_ms);
    let (t50, t90) = percentiles(&mut total_ms);
    let d = &profile.display;
    writeln!(
        out,
        "\nend to end, sample apps ({}), profile {} ({} x {}x{}), {frames} frames\n",
        apps.len(),
        profile.name,
        d.eyes,
        d.eye_width,
        d.eye_height
    )?;
    writeln!(out, "| stage | median ms | p90 ms |")?;
    writeln!(out, "|---|---:|---:|")?;
    writeln!(out, "| frame (layers + composite, GPU done) | {s50:.2} | {s90:.2} |")?;
    writeln!(out, "| frame + readback to CPU | {t50:.2} | {t90:.2} |")?;
    Ok(())
}
