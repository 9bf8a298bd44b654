//! `visor bench pose`: the glasses' head pose on a recorded IMU stream — how long a sample
//! takes to become a pose, and how far off the pose predicted for a later time is.
//!
//! The stream is `assets/imu/look-around.imu.jsonl` (synthesized from a known motion and
//! labelled so: this project has no glasses to record) unless `--imu-stream FILE` names a
//! recording (`visor devices --record-imu`). Three measurements:
//! - the fusion step alone (clock map, Madgwick, bias), timed per sample on this thread;
//! - sample measured → pose readable: the stream replayed at its recorded pace through the
//!   real reading thread ([`GlassesPose`]), a second thread watching for each new estimate;
//!   beside it, the floor, the stream's own delay from measurement to arrival (what USB took);
//! - prediction error: at each sample, the pose predicted `h` ms ahead against what the filter
//!   itself measured `h` ms later (interpolated), beside holding the pose still (no prediction).

use std::path::Path;
use std::time::{Duration, Instant};

use glam::{Quat, Vec3};
use visor_drivers::glasses::{ClockMap, GlassesOptions, GlassesPose, ImuStream, Pacing, ReplayFinder, StreamEvent};
use visor_drivers::pose::ImuSample;
use visor_drivers::pose::imu::filter::{AttitudeFilter, Estimate};
use visor_types::clock::MonotonicClock;

use super::percentile;
use super::report::{Report, Table, num, text};
use crate::data::DataDir;

/// The stream benchmarked unless told otherwise, in the data folder.
pub const STREAM: &str = "assets/imu/look-around.imu.jsonl";
/// Prediction horizons, ms: a 60 Hz frame is 16.7, and the glasses add 7 to 15.5 more.
const HORIZONS_MS: [f64; 5] = [5.0, 10.0, 20.0, 30.0, 50.0];
/// Samples in the still lead-in are left out of the prediction figures (nothing to predict).
const SKIP_S: f64 = 1.0;

pub fn run(data: &DataDir, stream: Option<&Path>, seconds: u64) -> anyhow::Result<Report> {
    let path = stream.map_or_else(|| data.root().join(STREAM), Path::to_path_buf);
    let stream = ImuStream::read(&path)?;
    let mut report = Report::default();
    report
        .context("stream", format!("{} ({:.1} s, {:.0} Hz IMU)", path.display(), stream.duration_us() as f64 * 1e-6, stream.imu_rate_hz()));
    report.context(
        "made by",
        stream
            .header
            .synthesized
            .as_ref()
            .map_or_else(|| format!("recorded from {} {}", stream.header.name, stream.header.serial), |s| format!("SYNTHESIZED: {s}")),
    );
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        report.context("load average at start (1, 5, 15 min)", load.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    }
    report.context("cores", std::thread::available_parallelism().map_or(0, |n| n.get()).to_string());
    let fused = fuse(&stream);
    report.tables.push(latency_table(&stream, &fused, seconds)?);
    report.tables.push(prediction_table(&fused));
    Ok(report)
}

/// One sample through the clock map and the filter, as the reading thread does.
struct Fused {
    estimates: Vec<Estimate>,
    /// Per sample: arrival − mapped measurement time, ms.
    transport_ms: Vec<f64>,
    /// Per sample: the fusion step's own time, µs.
    step_us: Vec<f64>,
}

fn fuse(stream: &ImuStream) -> Fused {
    let mut map = ClockMap::default();
    let mut filter = AttitudeFilter::default();
    let mut fused = Fused { estimates: Vec::new(), transport_ms: Vec::new(), step_us: Vec::new() };
    for event in &stream.events {
        if let StreamEvent::Imu { host_us, t_us, gyro, accel } = *event {
            let arrival_ns = host_us * 1000;
            let started = Instant::now();
            let timestamp_ns = map.map(t_us, arrival_ns);
            filter.update(&ImuSample { timestamp_ns, gyro: Vec3::from_array(gyro), accel: Vec3::from_array(accel) });
            let estimate = filter.estimate();
            fused.step_us.push(started.elapsed().as_secs_f64() * 1e6);
            fused.transport_ms.push((arrival_ns - timestamp_ns) as f64 / 1e6);
            fused.estimates.extend(estimate);
        }
    }
    fused
}

fn latency_table(stream: &ImuStream, fused: &Fused, seconds: u64) -> anyhow::Result<Table> {
    let mut table = Table::new("IMU sample to head pose", &["stage", "samples", "p50", "p90", "p99", "max", "unit"]);
    let row = |table: &mut Table, stage: &str, samples: &[f64], unit: &str, decimals: usize| {
        let mut s = samples.to_vec();
        table.row(vec![
            text(stage),
            text(s.len().to_string()),
            num(percentile(&mut s, 0.5), decimals),
            num(percentile(&mut s, 0.9), decimals),
            num(percentile(&mut s, 0.99), decimals),
            num(percentile(&mut s, 1.0), decimals),
            text(unit),
        ]);
    };
    row(&mut table, "fusion step (clock map + Madgwick + bias), this thread", &fused.step_us, "µs", 2);
    row(&mut table, "floor: the stream's measured -> arrived (USB, as recorded)", &fused.transport_ms, "ms", 3);
    let watched = watch_thread(stream, Duration::from_secs(seconds.clamp(1, 60)))?;
    row(&mut table, "measured -> pose readable, through the reading thread", &watched, "ms", 3);
    table.note(
        "The reading thread's figure includes the stream's own delay (the floor): Visor's share is the difference. \
         The watcher sees an estimate only if it looks before the next lands, so it samples most, not all, of them. \
         Its tail is the reading thread waiting for a core: on a loaded machine it runs late and then catches up.",
    );
    Ok(table)
}

/// Replays `stream` at its pace through [`GlassesPose`] for `run`; returns, for each estimate
/// the watcher saw, how long after its measurement it became readable (ms).
fn watch_thread(stream: &ImuStream, run: Duration) -> anyhow::Result<Vec<f64>> {
    let clock = MonotonicClock::shared();
    let finder = ReplayFinder::new(stream.clone(), "the bench stream", clock.clone(), Pacing::RealTime);
    let options = GlassesOptions { state_dir: None, ..GlassesOptions::default() };
    let pose = GlassesPose::start(Box::new(finder), clock.clone(), options, Duration::from_millis(100));
    pose.wait_for_device(Duration::from_secs(10)).map_err(|e| anyhow::anyhow!("the replayed glasses did not deliver: {e}"))?;
    let mut seen = Vec::new();
    let mut last = 0;
    let end = Instant::now() + run;
    while Instant::now() < end {
        if let Some(estimate) = pose.estimate()
            && estimate.timestamp_ns != last
        {
            last = estimate.timestamp_ns;
            seen.push(clock.now_ns().saturating_sub(estimate.timestamp_ns) as f64 / 1e6);
        }
        std::thread::yield_now();
    }
    Ok(seen)
}

fn prediction_table(fused: &Fused) -> Table {
    let mut table = Table::new(
        "prediction error: the pose predicted h ahead vs what the filter measured h later (degrees)",
        &["h ms", "predicted p50", "predicted p99", "held still p50", "held still p99"],
    );
    let estimates = &fused.estimates;
    let Some(first) = estimates.first() else { return table };
    let start = first.timestamp_ns + (SKIP_S * 1e9) as u64;
    for h in HORIZONS_MS {
        let ahead_ns = (h * 1e6) as u64;
        let (mut predicted, mut held) = (Vec::new(), Vec::new());
        for estimate in estimates.iter().filter(|e| e.timestamp_ns >= start) {
            let Some(later) = measured_at(estimates, estimate.timestamp_ns + ahead_ns) else { break };
            predicted.push(degrees(estimate.predict(estimate.timestamp_ns + ahead_ns).orientation, later));
            held.push(degrees(estimate.orientation, later));
        }
        table.row(vec![
            num(h, 1),
            num(percentile(&mut predicted, 0.5), 3),
            num(percentile(&mut predicted, 0.99), 3),
            num(percentile(&mut held, 0.5), 3),
            num(percentile(&mut held, 0.99), 3),
        ]);
    }
    table.note(
        "Predicted: the newest bias-corrected rate held over h (what PoseSource::predict does). Held still: no prediction, the floor.",
    );
    table
}

/// The angle between two orientations, in degrees, precise near zero (glam's `angle_between`
/// goes through `acos`, which in f32 cannot tell angles under about 0.03° apart).
fn degrees(a: Quat, b: Quat) -> f64 {
    let d = a.inverse() * b;
    (2.0 * f64::from(d.xyz().length()).atan2(f64::from(d.w.abs()))).to_degrees()
}

/// The filter's orientation at `t_ns`, between the two estimates around it.
fn measured_at(estimates: &[Estimate], t_ns: u64) -> Option<Quat> {
    let after = estimates.partition_point(|e| e.timestamp_ns < t_ns);
    let (a, b) = (estimates.get(after.checked_sub(1)?)?, estimates.get(after)?);
    let span = b.timestamp_ns.saturating_sub(a.timestamp_ns).max(1) as f32;
    Some(a.orientation.slerp(b.orientation, (t_ns - a.timestamp_ns) as f32 / span))
}
