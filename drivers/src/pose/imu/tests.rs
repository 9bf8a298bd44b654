//! The IMU path end to end over a temporary folder laid out like `/sys/bus/iio/devices`: the
//! real [`IioImu`] reader and [`AttitudeFilter`], deterministic on a manual clock; the gravity
//! correction on its own; and [`ImuPose`]'s thread losing and finding the device.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use glam::{EulerRot, Quat, Vec3};
use visor_types::clock::{ManualClock, MonotonicClock};

use super::filter::{AttitudeFilter, CORRECTION_RATE, GRAVITY};
use super::*;

/// BMI160-like scales: ±2000 °/s gyroscope, ±2 g accelerometer, 16-bit.
const GYRO_SCALE: f64 = 0.001065264;
const ACCEL_SCALE: f64 = 0.000598550;
/// Counts for 1 g on the accelerometer.
const ONE_G: i64 = 16384;
const WAIT: Duration = Duration::from_secs(10);

/// A temporary `/sys/bus/iio/devices`.
struct Sysfs {
    root: tempfile::TempDir,
}

impl Sysfs {
    fn new() -> Sysfs {
        Sysfs { root: tempfile::tempdir().unwrap() }
    }

    fn root(&self) -> &Path {
        self.root.path()
    }

    fn device(&self, n: u32) -> PathBuf {
        self.root().join(format!("iio:device{n}"))
    }

    /// A level IMU turning left at `yaw_counts` gyroscope counts, appearing all at once (as a
    /// driver's folder does) so a reader polling meanwhile never sees half of it.
    fn install(&self, n: u32, yaw_counts: i64) {
        let staging = self.root().join(format!(".staging{n}"));
        std::fs::create_dir_all(&staging).unwrap();
        write(&staging, "name", "bmi160");
        write(&staging, "in_anglvel_scale", &format!("{GYRO_SCALE}"));
        write(&staging, "in_accel_scale", &format!("{ACCEL_SCALE}"));
        set(&staging, [0, yaw_counts, 0], [0, ONE_G, 0]);
        let _ = std::fs::remove_dir_all(self.device(n));
        std::fs::rename(&staging, self.device(n)).unwrap();
    }

    /// Unplugs it, all at once.
    fn remove(&self, n: u32) {
        let gone = self.root().join(format!(".gone{n}"));
        std::fs::rename(self.device(n), &gone).unwrap();
        std::fs::remove_dir_all(gone).unwrap();
    }

    fn set(&self, n: u32, gyro: [i64; 3], accel: [i64; 3]) {
        set(&self.device(n), gyro, accel);
    }

    fn write(&self, n: u32, file: &str, value: &str) {
        write(&self.device(n), file, value);
    }
}

fn set(dir: &Path, gyro: [i64; 3], accel: [i64; 3]) {
    for (axis, (g, a)) in ["x", "y", "z"].iter().zip(gyro.iter().zip(accel)) {
        write(dir, &format!("in_anglvel_{axis}_raw"), &g.to_string());
        write(dir, &format!("in_accel_{axis}_raw"), &a.to_string());
    }
}

fn write(dir: &Path, file: &str, value: &str) {
    // As sysfs shows them: one value and a newline.
    std::fs::write(dir.join(file), format!("{value}\n")).unwrap();
}

fn yaw(q: Quat) -> f32 {
    q.to_euler(EulerRot::YXZ).0
}

/// How far `q`'s up is from the world's.
fn tilt(q: Quat) -> f32 {
    (q * Vec3::Y).angle_between(Vec3::Y)
}

#[test]
fn the_iio_reader_turns_counts_into_si_units() {
    let sysfs = Sysfs::new();
    sysfs.install(2, 470);
    sysfs.write(2, "in_accel_z_scale", "0.001");
    sysfs.write(2, "in_accel_x_offset", "-10");
    sysfs.set(2, [-3, 470, 12], [110, ONE_G, 2000]);
    let clock = Arc::new(ManualClock::default());
    clock.set_ns(42);
    let mut imu = IioImu::new(sysfs.root(), 2, clock);
    assert_eq!(imu.describe(), "IMU iio:device2");
    let sample = imu.read().unwrap();
    assert_eq!(sample.timestamp_ns, 42, "stamped on the injected clock");
    let expected_gyro = Vec3::new(-3.0, 470.0, 12.0) * GYRO_SCALE as f32;
    assert!((sample.gyro - expected_gyro).length() < 1e-6, "{:?}", sample.gyro);
    let expected_accel = Vec3::new(100.0 * ACCEL_SCALE as f32, GRAVITY, 2.0);
    assert!((sample.accel - expected_accel).length() < 1e-3, "per-axis scale and offset: {:?}", sample.accel);
}

#[test]
fn a_constant_yaw_rate_integrates_to_the_analytic_yaw() {
    let sysfs = Sysfs::new();
    sysfs.install(0, 470);
    let rate = (470.0 * GYRO_SCALE) as f32; // about 0.5 rad/s, turning left
    let clock = Arc::new(ManualClock::default());
    let mut imu = IioImu::new(sysfs.root(), 0, clock.clone());
    let mut filter = AttitudeFilter::default();
    const STEP_NS: u64 = 2_500_000; // 400 Hz
    const READS: u64 = 800;
    for i in 0..READS {
        clock.set_ns(i * STEP_NS);
        filter.update(&imu.read().unwrap());
    }
    let estimate = filter.estimate().unwrap();
    let elapsed = ((READS - 1) * STEP_NS) as f32 * 1e-9;
    assert!((yaw(estimate.orientation) - rate * elapsed).abs() < 1e-4, "yaw {} vs {}", yaw(estimate.orientation), rate * elapsed);
    assert!(tilt(estimate.orientation) < 1e-5, "a level IMU stays level");

    let ahead = estimate.predict(estimate.timestamp_ns + 20_000_000);
    assert!((yaw(ahead.orientation) - rate * (elapsed + 0.02)).abs() < 1e-4, "20 ms ahead turns on at the same rate");
    assert_eq!(ahead.position, Vec3::ZERO, "3-DoF: the head stays at the origin");
    let stalled = estimate.predict(estimate.timestamp_ns + 5_000_000_000);
    assert!((yaw(stalled.orientation) - rate * (elapsed + 0.1)).abs() < 1e-4, "extrapolation stops at 100 ms");
}

#[test]
fn gravity_steps_a_tilted_start_back_to_level_and_leaves_yaw_alone() {
    let start = Quat::from_rotation_y(0.5) * Quat::from_rotation_x(20f32.to_radians());
    let mut filter = AttitudeFilter::starting_at(start);
    let level = |t_ms: u64, accel: Vec3| ImuSample { timestamp_ns: t_ms * 1_000_000, gyro: Vec3::ZERO, accel };
    let tilt_after = |filter: &mut AttitudeFilter, from: u64, to: u64, accel: Vec3| {
        for t in (from..to).step_by(10) {
            filter.update(&level(t, accel));
        }
        tilt(filter.estimate().unwrap().orientation).to_degrees()
    };
    // Jolts of 2 g say nothing about where up is, and are ignored.
    let jolted = tilt_after(&mut filter, 0, 500, Vec3::new(0.0, 2.0 * GRAVITY, 0.0));
    assert!((jolted - 20.0).abs() < 1e-3, "{jolted}");
    // Madgwick's step: a steady turn towards gravity at CORRECTION_RATE (5.7°/s), about 1 s of steps.
    let after_1s = tilt_after(&mut filter, 500, 1510, Vec3::new(0.0, GRAVITY, 0.0));
    let expected = 20.0 - (CORRECTION_RATE * 1.0).to_degrees();
    assert!((after_1s - expected).abs() < 0.2, "{after_1s} vs {expected}");
    let after_4s = tilt_after(&mut filter, 1510, 4510, Vec3::new(0.0, GRAVITY, 0.0));
    assert!(after_4s < 0.01, "level, and not overshooting: {after_4s}");
    assert!((yaw(filter.estimate().unwrap().orientation) - 0.5).abs() < 1e-4, "heading is not gravity's to correct");
}

#[test]
fn the_first_reading_levels_a_tilted_device_at_once() {
    let pitch = 30f32.to_radians();
    let mut filter = AttitudeFilter::default();
    // Looking up by `pitch`, the push against gravity leans towards the face (-z) in body axes.
    let accel = Vec3::new(0.0, pitch.cos(), -pitch.sin()) * GRAVITY;
    filter.update(&ImuSample { timestamp_ns: 7, gyro: Vec3::ZERO, accel });
    let orientation = filter.estimate().unwrap().orientation;
    assert!(orientation.angle_between(Quat::from_rotation_x(pitch)) < 1e-4, "{:?}", orientation.to_euler(EulerRot::YXZ));
}

#[test]
fn unreadable_channels_are_named() {
    let sysfs = Sysfs::new();
    let clock = Arc::new(ManualClock::default());
    let mut imu = IioImu::new(sysfs.root(), 4, clock);
    let err = imu.read().unwrap_err();
    assert!(matches!(err, PoseError::ImuAbsent { .. }), "{err}");
    assert!(err.to_string().contains("iio:device4") && err.to_string().contains("pose.device"), "{err}");

    sysfs.install(4, 0);
    std::fs::remove_file(sysfs.device(4).join("in_accel_y_raw")).unwrap();
    let err = imu.read().unwrap_err();
    assert!(matches!(err, PoseError::ImuChannel { channel: "accel", .. }), "{err}");
    assert!(err.to_string().contains("in_accel_y_raw"), "{err}");

    sysfs.install(4, 0);
    imu.read().expect("back once the file is");
    sysfs.write(4, "in_anglvel_z_raw", "banana");
    let err = imu.read().unwrap_err();
    assert!(matches!(err, PoseError::ImuValue { .. }) && err.to_string().contains("in_anglvel_z_raw"), "{err}");
}

fn options() -> ImuOptions {
    ImuOptions { rate_hz: 500.0, retry: Duration::from_millis(10) }
}

fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "{what} did not happen within {WAIT:?}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_missing_imu_holds_the_head_still_and_is_picked_up_when_it_appears() {
    let sysfs = Sysfs::new();
    let clock = MonotonicClock::shared();
    let imu = ImuPose::start(Box::new(IioImu::new(sysfs.root(), 1, clock.clone())), clock.clone(), options());
    assert_eq!(imu.describe(), "IMU iio:device1 @ 500 Hz");
    let reason = imu.wait_for_device(WAIT).unwrap_err();
    assert!(reason.contains(&sysfs.device(1).display().to_string()), "the error names the path: {reason}");
    let still = imu.latest();
    assert_eq!((still.position, still.orientation), (Vec3::ZERO, Quat::IDENTITY));
    assert_eq!(imu.predict(123).orientation, Quat::IDENTITY);
    std::thread::sleep(Duration::from_millis(60));
    assert_eq!(imu.link.lock().changes, 1, "one error, not one per retry");

    // Plugged in, turning left at about 0.5 rad/s.
    sysfs.install(1, 470);
    until("the IMU being picked up", || imu.is_live());
    until("the head turning", || yaw(imu.latest().orientation) > 0.02);
    let latest = imu.latest();
    assert!(latest.timestamp_ns <= clock.now_ns(), "stamped when it was read");
    let rate = (470.0 * GYRO_SCALE) as f32;
    let ahead = imu.predict(latest.timestamp_ns + 40_000_000);
    // `latest` and `predict` may straddle a new reading; allow a few readings' worth of turn.
    assert!((yaw(ahead.orientation) - yaw(latest.orientation) - rate * 0.04).abs() < 0.01, "{:?} {:?}", ahead, latest);

    // Unplugged: held where it was, no longer turning.
    sysfs.remove(1);
    until("the IMU being lost", || !imu.is_live());
    let held = imu.latest();
    let later = imu.predict(held.timestamp_ns + 80_000_000);
    assert!(later.orientation.angle_between(held.orientation) < 1e-6, "a lost IMU stops extrapolating");
    assert!(yaw(held.orientation) > 0.02, "and keeps the last orientation rather than snapping back");
    assert_eq!(imu.link.lock().changes, 3, "absent, live, lost");
}
