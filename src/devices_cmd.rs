//! `visor devices`: what is plugged in that Visor can drive — glasses (model, the profile to
//! run with, serial, display mode, measured IMU rate) and cameras — and a display mode left
//! behind by a run that crashed. With no glasses it says so and succeeds: an empty machine is
//! an answer, not an error.
//!
//! `visor devices --record-imu FILE --seconds S` records what the connected pair says (IMU,
//! magnetometer, keys, proximity, light, v-sync) as an `*.imu.jsonl` stream that a profile's
//! `[pose] replay = "FILE"` plays back.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use visor_drivers::camera::capture::video_devices;
use visor_drivers::glasses::{self, GlassesDevice, GlassesError, GlassesEvent, ModeKeeper, StreamHeader, StreamRecorder};
use visor_types::clock::MonotonicClock;

#[derive(clap::Args, Debug)]
pub struct DevicesArgs {
    /// Record the connected glasses' events to FILE (an .imu.jsonl stream) instead of listing.
    #[arg(long, value_name = "FILE")]
    pub record_imu: Option<PathBuf>,
    /// With --record-imu: how long to record.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// How long to watch a found pair's IMU to measure its rate.
    #[arg(long, default_value_t = 1.0)]
    pub sample_seconds: f64,
}

pub fn run(args: &DevicesArgs) -> anyhow::Result<String> {
    match &args.record_imu {
        Some(file) => record(file, args.seconds),
        None => Ok(list(args.sample_seconds)),
    }
}

/// The listing.
pub fn list(sample_seconds: f64) -> String {
    let mut out = String::from("Glasses:\n");
    match glasses::usb_finder().find() {
        Ok(mut device) => out.push_str(&describe(&mut *device, sample_seconds)),
        Err(GlassesError::NotFound) => out.push_str(
            "  none connected (Visor drives XREAL/Nreal Air and Light, Rokid Air and Max, Mad Gaze Glow, Grawoow G530 over USB;\n  \
             a pair that is plugged in but not listed may need ar-drivers' udev rules: see README, \"Glasses\")\n",
        ),
        Err(e) => out.push_str(&format!("  {e}\n")),
    }
    for (name, serial, mode) in ModeKeeper::new(glasses::default_state_dir()).all_left_behind() {
        out.push_str(&format!(
            "  note: a run that did not end cleanly left {name} ({serial}) to be put back in {mode}; the next run with it does that\n"
        ));
    }
    out.push_str("Cameras:\n");
    let cameras = video_devices();
    if cameras.is_empty() {
        out.push_str("  none (no /dev/video* nodes)\n");
    }
    for camera in cameras {
        out.push_str(&format!("  {camera}\n"));
    }
    out
}

/// One found pair, its IMU watched for `sample_seconds` to measure the rate.
fn describe(device: &mut dyn GlassesDevice, sample_seconds: f64) -> String {
    let info = device.info().clone();
    let profile = info.model.map_or_else(|| "no Visor profile for this model".to_string(), |m| format!("--profile {}", m.slug()));
    let mode = device.display_mode().map_or_else(|e| format!("unknown ({e})"), |m| m.to_string());
    let start = Instant::now();
    let (mut samples, mut first, mut last) = (0u64, None, 0u64);
    let mut problem = None;
    while start.elapsed() < Duration::from_secs_f64(sample_seconds.clamp(0.1, 10.0)) {
        match device.read_event() {
            Ok(GlassesEvent::Imu { device_us, .. }) => {
                samples += 1;
                first.get_or_insert(device_us);
                last = device_us;
            }
            Ok(_) => {}
            Err(e) => {
                problem = Some(e.to_string());
                break;
            }
        }
    }
    let rate = match first {
        Some(first) if last > first => format!("{:.0} Hz", (samples - 1) as f64 / ((last - first) as f64 * 1e-6)),
        _ => problem.map_or_else(|| "no IMU samples".to_string(), |p| format!("unreadable: {p}")),
    };
    format!(
        "  {} ({profile}), serial {}, display: {mode}, IMU {rate}, display delay {:.1} ms\n",
        info.name,
        info.serial,
        info.display_delay_us as f64 / 1000.0
    )
}

/// Records the connected pair for `seconds` into `file`.
fn record(file: &std::path::Path, seconds: f64) -> anyhow::Result<String> {
    if !(seconds > 0.0 && seconds <= 3600.0) {
        bail!("--seconds is {seconds}; record between a fraction of a second and an hour");
    }
    let mut device = glasses::usb_finder().find().context("recording the glasses' IMU")?;
    let mode = device.display_mode().context("reading the glasses' display mode")?;
    let header = StreamHeader::for_pair(device.info(), mode, None);
    let mut recorder = StreamRecorder::create(file, &header)?;
    let clock = MonotonicClock::shared();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs_f64(seconds) {
        let event = device.read_event().context("the glasses stopped answering while recording")?;
        recorder.write(&event, clock.now_ns())?;
    }
    let events = recorder.finish()?;
    tracing::info!(file = %file.display(), events, "recorded");
    Ok(format!("recorded {events} events from {} ({}) in {seconds} s to {}\n", header.name, header.serial, file.display()))
}
