//! `visor bench depth`: the depth module's figures on this machine.
//!
//! - Stereo matching at the session's size (the Motorcycle pair, 741x500, 64 disparities):
//!   milliseconds per frame, p50 and p99, on the CPU and on the GPU adapter (lavapipe where
//!   there is no GPU), with the bad-2.0 rate against the pair's ground truth.
//! - The z-composite with the real world against without, in one run on one adapter: the
//!   camera stretched (the plain composite), the camera placed per eye without depth, and the
//!   camera placed per eye with depth hiding a layer (the `stereo-depth` profile's setup).

use std::time::Instant;

use visor_compositor::{Compositor, CompositorConfig, Gpu};
use visor_depth::score::score;
use visor_depth::{Disparity, Gray, Matcher, StereoParams, StereoRig};
use visor_types::profile::Matcher as Choice;
use visor_types::{CameraFrame, DepthFrame, DeviceProfile, Passthrough};

use super::report::{Report, Table, num, text};
use crate::data::DataDir;

pub fn run(data: &DataDir, iterations: u32, eye: (u32, u32)) -> anyhow::Result<Report> {
    let root = data.root();
    let session = visor_drivers::Session::open(&root.join("assets/camera/motorcycle"))?;
    let frame = &session.frames[0];
    let (left, right) = (Gray::open(&frame.path)?, Gray::open(frame.right.as_deref().unwrap_or(&frame.path))?);
    let truth = frame.disparity.as_deref().map(Disparity::open_units).transpose()?;
    let stereo = session.stereo.ok_or_else(|| anyhow::anyhow!("the Motorcycle session lost its [stereo] table"))?;
    let rig = StereoRig::from_geometry(session.intrinsics, stereo);
    let params = StereoParams::default();

    let mut report = Report::default();
    report.context("cpus", std::thread::available_parallelism().map_or(0, |n| n.get()).to_string());
    let mut matching = Table::new(
        format!("stereo matching, {}x{}, {} disparities, {iterations} runs", left.width, left.height, params.max_disparity),
        &["processor", "p50 ms", "p99 ms", "bad 2.0 %"],
    );
    let mut result = None;
    for choice in [Choice::Cpu, Choice::Gpu] {
        let matcher = match Matcher::open(choice) {
            Ok(m) => m,
            Err(e) => {
                matching.row(vec![text(format!("GPU: {e}")), num(f64::NAN, 1), num(f64::NAN, 1), num(f64::NAN, 2)]);
                continue;
            }
        };
        // One run first: the GPU path sizes its buffers on the first pair.
        let first = matcher.match_pair(&left, &right, &params)?;
        let mut runs = Vec::new();
        for _ in 0..iterations.max(1) {
            let t = Instant::now();
            matcher.match_pair(&left, &right, &params)?;
            runs.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let bad = truth.as_ref().map_or(f64::NAN, |truth| score(&first, truth, 2.0).bad_dense as f64 * 100.0);
        let (p50, p99) = (super::percentile(&mut runs, 0.5), super::percentile(&mut runs, 0.99));
        let label = if matches!(matcher, Matcher::Cpu) { "CPU, one thread".to_string() } else { matcher.describe() };
        matching.row(vec![text(label), num(p50, 1), num(p99, 1), num(bad, 2)]);
        result.get_or_insert(first);
    }
    matching.note(
        "bad 2.0: the share of pixels with a true disparity that are more than 2 px off, holes filled along the row (Middlebury's rule).",
    );
    report.tables.push(matching);

    let depth = result.map(|d| d.to_depth(&rig).into_frame(0, 1));
    report.tables.push(composite(data, &session, depth, iterations, eye)?);
    Ok(report)
}

/// The composite of one layer over the Motorcycle picture, stretched, placed per eye, and
/// placed per eye with depth.
fn composite(
    data: &DataDir,
    session: &visor_drivers::Session,
    depth: Option<DepthFrame>,
    iterations: u32,
    eye: (u32, u32),
) -> anyhow::Result<Table> {
    let mut profile = DeviceProfile::find("stereo-depth", &data.profiles())?;
    (profile.display.eye_width, profile.display.eye_height) = eye;
    let gpu = Gpu::headless()?;
    let adapter = gpu.describe();
    let mut compositor = Compositor::new(gpu, CompositorConfig::from_profile(&profile))?;
    let picture = image::open(&session.frames[0].path)?.into_rgba8();
    let camera =
        CameraFrame { width: picture.width(), height: picture.height(), pixels: picture.into_raw().into(), timestamp_ns: 0, sequence: 1 };
    // A window over the middle third of the view, 3 m ahead: between the motorcycle and the wall.
    let layer = super::compositor::quad_layer(0, 3.0, 1.0, [[-0.33, -0.33], [0.33, 0.33]], &profile);
    let placed = Passthrough {
        intrinsics: session.intrinsics,
        size: (session.width, session.height),
        head_from_camera: profile.camera.mount.head_from_camera(),
        reproject: true,
        plane_m: profile.camera.passthrough.plane_m,
    };
    let mut table = Table::new(
        format!("z-composite with the real world, stereo {}x{} per eye, one window layer, {iterations} runs each, {adapter}", eye.0, eye.1),
        &["camera", "median ms", "p90 ms", "GPU ms", "ratio to stretched"],
    );
    let cases: [(&str, Option<Passthrough>, Option<DepthFrame>); 3] = [
        ("stretched (no world)", None, None),
        ("placed per eye", Some(placed), None),
        ("placed per eye + depth occlusion", Some(placed), depth),
    ];
    let mut floor = f64::NAN;
    for (label, passthrough, depth) in cases {
        compositor.set_passthrough(passthrough);
        compositor.set_world_depth(depth);
        compositor.render(Some(&camera), std::slice::from_ref(&layer), &layer.frame);
        let (p50, p90, gpu) = super::compositor::time_composite(&mut compositor, iterations);
        if floor.is_nan() {
            floor = p50;
        }
        table.row(vec![text(label), num(p50, 2), num(p90, 2), num(gpu, 2), num(p50 / floor, 2)]);
    }
    table.note("median and p90: wall time from submit to done (on a CPU adapter, CPU time); GPU ms: the GPU's own timestamps (– where the adapter has none).");
    Ok(table)
}
