//! `visor bench compositor`: the compositor's figures on the adapter at hand.
//!
//! - The z-composite alone, stereo, at the chosen per-eye size (1920x1080 by default), for 1,
//!   4, 8 and 16 layers, in scenes where every layer fills the view (an opaque one in front, or
//!   all translucent) and where each layer is an app window covering 10 % or 30 % of it: median
//!   and p90 over repeated runs, with the layers binned into tiles by their bounds (as `visor
//!   run` composites) and, in the same run, with every tile walking every layer — the
//!   composite before binning. The tile census says how much of the view each scene contests.
//!   Camera frames come slower than composites, so most composites reuse the camera's backdrop;
//!   a column times each composite with a new camera picture too.
//! - End to end with the sample apps: a whole frame (publish, take submissions, render layers,
//!   composite, wait for the GPU) through the same [`Shell`] as `visor run`, plus the readback a
//!   headless sink adds.
//!
//! Timings are wall-clock from submit to GPU completion, so on lavapipe they are CPU figures.
//! The naive one-pass composite to hold them against is `../shared/tools/naive-composite`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use glam::{Mat4, Vec3};
use visor_compositor::{Compositor, CompositorConfig, Gpu};
use visor_runtime::policy::Policy;
use visor_types::clock::MonotonicClock;
use visor_types::layer::{BuiltinPipeline, DrawCmd, IndexData, Pipeline, Vertex, VertexData};
use visor_types::profile::{DeviceProfile, SourceConfig};
use visor_types::{AppId, CameraFrame, LayerSubmission};

use super::report::{Report, Table, num, text};
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

/// One quad layer: `corners` in NDC of the first eye (x right, y up) at `distance` metres.
pub(super) fn quad_layer(app: u32, distance: f32, alpha: f32, corners: [[f32; 2]; 2], config: &DeviceProfile) -> Arc<LayerSubmission> {
    let frame = shell::frame_info(config, 0, 0, Mat4::IDENTITY);
    let eye = &frame.eyes[0];
    // Unproject each NDC corner onto the plane `distance` metres ahead of the first eye.
    let to_world = eye.view.inverse() * eye.projection.inverse();
    let near = visor_types::math::depth_at(distance, visor_types::math::NEAR_PLANE);
    let c = [0.2 + 0.05 * app as f32, 0.5, 0.8 - 0.04 * app as f32, alpha];
    let v = |x: f32, y: f32| {
        let p = to_world.project_point3(Vec3::new(x, y, near));
        Vertex { position: p.to_array(), normal: [0.0, 0.0, 1.0], color: c, uv: [0.0, 0.0] }
    };
    let [[x0, y0], [x1, y1]] = corners;
    let vertices = Arc::new(VertexData::new(vec![v(x0, y0), v(x1, y0), v(x1, y1), v(x0, y1)]));
    let indices = Arc::new(IndexData::new(vec![0, 1, 2, 0, 2, 3]));
    let draw = DrawCmd {
        pipeline: Pipeline::Builtin(BuiltinPipeline::Unlit),
        vertices,
        indices: Some(indices),
        first: 0,
        count: 6,
        model: Mat4::IDENTITY,
        texture: None,
        clip: None,
        clip_planes: Default::default(),
        clip_plane_count: 0,
        world_occludes: true,
    };
    Arc::new(LayerSubmission { app: AppId(app), sequence: 0, frame, draws: vec![draw], cpu_time: Duration::ZERO })
}

/// The scenes, each a function of the layer index giving (alpha, NDC corners).
#[derive(Clone, Copy)]
enum Scene {
    /// Every layer fills the view (past its edges), layer 0 opaque and the others alternating.
    FullOpaqueFront,
    /// Every layer fills the view at half alpha.
    FullTranslucent,
    /// Opaque app windows, each covering this share of the view, spread around it.
    Windows(f32),
}

impl Scene {
    fn label(self) -> String {
        match self {
            Scene::FullOpaqueFront => "full view, opaque in front".to_owned(),
            Scene::FullTranslucent => "full view, all translucent".to_owned(),
            Scene::Windows(share) => format!("windows, {:.0} % of view each", share * 100.0),
        }
    }

    fn layer(self, i: u32) -> (f32, [[f32; 2]; 2]) {
        const BEYOND: [[f32; 2]; 2] = [[-1.5, -1.5], [1.5, 1.5]];
        match self {
            Scene::FullOpaqueFront => (if i % 2 == 1 { 0.5 } else { 1.0 }, BEYOND),
            Scene::FullTranslucent => (0.5, BEYOND),
            Scene::Windows(share) => {
                // A square in NDC covering `share` of the eye, its centre walking round the
                // view so windows overlap some, as a desktop's do.
                let half = share.sqrt();
                let (cx, cy) = ((i as f32 * 2.4).sin() * (1.0 - half) * 0.9, (i as f32 * 1.7 + 0.6).cos() * (1.0 - half) * 0.9);
                (1.0, [[cx - half, cy - half], [cx + half, cy + half]])
            }
        }
    }
}

/// Times `iterations` composites of the layers in place: (median, p90) ms of wall time from
/// submit to done, and the median of the GPU's own time for the composite (NaN where the
/// adapter has no timestamps).
pub(super) fn time_composite(compositor: &mut Compositor, iterations: u32) -> (f64, f64, f64) {
    time_composite_after(compositor, iterations, |_, _| {})
}

/// [`time_composite`], calling `before(compositor, run)` ahead of each timed composite (outside
/// the timing; what it queues for the GPU runs inside it).
fn time_composite_after(compositor: &mut Compositor, iterations: u32, mut before: impl FnMut(&mut Compositor, u32)) -> (f64, f64, f64) {
    let (mut wall, mut gpu) = (Vec::new(), Vec::new());
    for run in 0..iterations.max(1) {
        before(compositor, run);
        let t = Instant::now();
        let stages = compositor.composite_only();
        wall.push(t.elapsed().as_secs_f64() * 1e3);
        gpu.extend(stages.map(|s| s.composite_ms));
    }
    let (p50, p90) = percentiles(&mut wall);
    (p50, p90, super::percentile(&mut gpu, 0.5))
}

fn bench_profile(base: &DeviceProfile, width: u32, height: u32) -> DeviceProfile {
    let mut profile = base.clone();
    profile.display.eye_width = width;
    profile.display.eye_height = height;
    profile.display.eyes = 2;
    profile.camera = SourceConfig::Synthetic { width: 1280, height: 720, fps: 30.0 }.into();
    profile
}

/// Runs the benchmarks and returns the report.
pub fn run(data: &DataDir, options: &BenchOptions) -> anyhow::Result<Report> {
    let base = DeviceProfile::find(&options.profile, &data.profiles())?;
    let profile = bench_profile(&base, options.eye_width, options.eye_height);
    let gpu = Gpu::headless()?;
    let mut report = Report::default();
    report.context("adapter", gpu.describe());
    report.context("cpus", std::thread::available_parallelism().map_or(0, |n| n.get()).to_string());
    let mut compositor = Compositor::new(gpu, CompositorConfig::from_profile(&profile))?;
    let camera = CameraFrame { width: 1280, height: 720, pixels: vec![90u8; 1280 * 720 * 4].into(), timestamp_ns: 0, sequence: 1 };
    let mut table = Table::new(
        format!("z-composite, stereo {}x{} per eye, {} runs each", options.eye_width, options.eye_height, options.iterations),
        &[
            "layers",
            "scene",
            "binned median ms",
            "binned p90 ms",
            "binned GPU ms",
            "new camera each run median ms",
            "unbinned median ms",
            "binned / unbinned",
            "tiles empty / one / contested %",
        ],
    );
    let scenes = [Scene::FullOpaqueFront, Scene::FullTranslucent, Scene::Windows(0.1), Scene::Windows(0.3)];
    for &n in &options.layers {
        for scene in scenes {
            let layers: Vec<_> = (0..n)
                .map(|i| {
                    let (alpha, corners) = scene.layer(i);
                    quad_layer(i, 1.0 + i as f32 * 0.25, alpha, corners, &profile)
                })
                .collect();
            compositor.set_layer_binning(true);
            compositor.render(Some(&camera), &layers, &layers[0].frame);
            let census = compositor.tile_census().first().copied().unwrap_or_default();
            let (b50, b90, gpu50) = time_composite(&mut compositor, options.iterations);
            // A new camera picture before every composite: the backdrop is rendered each time.
            let (c50, _, _) = time_composite_after(&mut compositor, options.iterations, |compositor, run| {
                compositor.show_camera_frame(&CameraFrame { sequence: 2 + u64::from(run), ..camera.clone() });
            });
            compositor.set_layer_binning(false);
            compositor.render(Some(&camera), &layers, &layers[0].frame);
            let (u50, _, _) = time_composite(&mut compositor, options.iterations);
            let census = census.map(|c| format!("{:.0}", c * 100.0)).join(" / ");
            table.row(vec![
                text(n.to_string()),
                text(scene.label()),
                num(b50, 2),
                num(b90, 2),
                num(gpu50, 2),
                num(c50, 2),
                num(u50, 2),
                num(b50 / u50, 2),
                text(census),
            ]);
        }
    }
    table.note("median and p90: wall time from submit to done (on a CPU adapter, CPU time); GPU ms: the GPU's own timestamps around the composite (– where the adapter has none).");
    table.note("new camera each run: binned, with a new camera picture uploaded before each composite, so the camera's backdrop is rendered every time (the composites between camera frames copy it); the other columns show one camera picture throughout.");
    table.note("unbinned: every tile walks every layer, as the composite did before binning. Tiles: share of one eye's 32-pixel tiles no layer, one layer and several layers reach.");
    report.tables.push(table);
    drop(compositor);
    if options.frames > 0 {
        report.tables.push(end_to_end(data, &base, options.frames)?);
    }
    Ok(report)
}

fn end_to_end(data: &DataDir, profile: &DeviceProfile, frames: u64) -> anyhow::Result<Table> {
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
    let mut table = Table::new(
        format!(
            "end to end, sample apps ({}), profile {} ({} x {}x{}), {frames} frames",
            apps.len(),
            profile.name,
            d.eyes,
            d.eye_width,
            d.eye_height
        ),
        &["stage", "median ms", "p90 ms"],
    );
    table.row(vec![text("frame (layers + composite, GPU done)"), num(s50, 2), num(s90, 2)]);
    table.row(vec![text("frame + readback to CPU"), num(t50, 2), num(t90, 2)]);
    Ok(table)
}
