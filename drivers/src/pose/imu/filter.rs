//! The attitude filter: gyroscope integration with a complementary pull towards gravity.
//!
//! Orientation (head to world) integrates the body-frame angular velocity exactly for a rate
//! held over each interval, `q ← q · exp(ω dt / 2)`. Gyroscopes drift, so each update also
//! turns the estimate a small fraction of the way (time constant [`TILT_TIME_CONSTANT_S`])
//! towards agreeing with the accelerometer about which way is up. That correction is a rotation
//! about a horizontal axis, so it fixes pitch and roll and leaves yaw alone: nothing measures
//! heading here, and yaw drifts with the gyroscope's bias (a magnetometer would be the fix).
//! Readings far from 1 g mean the head is accelerating, and are not trusted for the correction.
//!
//! The first reading sets pitch and roll straight from gravity (yaw 0), so a device that starts
//! tilted does not have to wait for the slow correction.

use glam::{Quat, Vec3};
use visor_types::Pose;

use super::ImuSample;

/// Standard gravity, m/s².
pub const GRAVITY: f32 = 9.806_65;
/// How fast tilt error decays towards the accelerometer's gravity: about 63% in this time.
pub const TILT_TIME_CONSTANT_S: f32 = 1.0;
/// Accelerometer magnitudes outside `GRAVITY * (1 ± this)` skip the correction.
const ACCEL_TRUST: f32 = 0.2;
/// The longest interval integrated at once; longer gaps (a stalled thread) count as this.
const MAX_STEP_S: f32 = 0.1;
/// How far ahead (or behind) of the newest reading a prediction extrapolates; beyond this the
/// head is held, so a stalled sensor cannot spin the view.
pub const MAX_PREDICTION_NS: i64 = 100_000_000;

/// The filter's output after a reading: what a pose source needs to answer questions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// When the reading was taken.
    pub timestamp_ns: u64,
    pub orientation: Quat,
    /// The newest body-frame angular velocity, rad/s; zero while the head is held.
    pub angular_velocity: Vec3,
}

impl Estimate {
    /// The measured pose: orientation only, at the origin (3-DoF).
    pub fn pose(&self) -> Pose {
        Pose { timestamp_ns: self.timestamp_ns, position: Vec3::ZERO, orientation: self.orientation }
    }

    /// The pose at `t_ns`, extrapolating the newest angular velocity (at most
    /// [`MAX_PREDICTION_NS`] either way).
    pub fn predict(&self, t_ns: u64) -> Pose {
        let ahead = (t_ns as i128 - self.timestamp_ns as i128).clamp(-MAX_PREDICTION_NS as i128, MAX_PREDICTION_NS as i128);
        let turn = Quat::from_scaled_axis(self.angular_velocity * (ahead as f64 * 1e-9) as f32);
        Pose { timestamp_ns: t_ns, position: Vec3::ZERO, orientation: (self.orientation * turn).normalize() }
    }
}

#[derive(Clone, Debug)]
pub struct AttitudeFilter {
    orientation: Quat,
    angular_velocity: Vec3,
    /// The previous reading's time; `None` before the first and after a gap.
    last_ns: Option<u64>,
    /// Whether the orientation holds anything yet (else the first reading levels it).
    aligned: bool,
}

impl Default for AttitudeFilter {
    fn default() -> Self {
        AttitudeFilter { orientation: Quat::IDENTITY, angular_velocity: Vec3::ZERO, last_ns: None, aligned: false }
    }
}

impl AttitudeFilter {
    /// A filter already at `orientation`: the first reading integrates from there rather than
    /// levelling it.
    pub fn starting_at(orientation: Quat) -> AttitudeFilter {
        AttitudeFilter { orientation: orientation.normalize(), aligned: true, ..AttitudeFilter::default() }
    }

    pub fn update(&mut self, sample: &ImuSample) {
        let dt = match self.last_ns {
            Some(last) if sample.timestamp_ns > last => ((sample.timestamp_ns - last) as f64 * 1e-9).min(MAX_STEP_S as f64) as f32,
            _ => 0.0,
        };
        if !self.aligned {
            if let Some(level) = level_from(sample.accel) {
                self.orientation = level;
            }
            self.aligned = true;
        } else if dt > 0.0 {
            // The rate just read stands for the interval that ended with it.
            self.orientation = (self.orientation * Quat::from_scaled_axis(sample.gyro * dt)).normalize();
            self.correct_tilt(sample.accel, dt);
        }
        self.angular_velocity = if sample.gyro.is_finite() { sample.gyro } else { Vec3::ZERO };
        self.last_ns = Some(sample.timestamp_ns);
    }

    /// The readings stopped: keep the orientation, stop extrapolating, and do not integrate
    /// across the gap when they resume.
    pub fn interrupt(&mut self) {
        self.angular_velocity = Vec3::ZERO;
        self.last_ns = None;
    }

    pub fn estimate(&self) -> Option<Estimate> {
        let timestamp_ns = self.last_ns?;
        Some(Estimate { timestamp_ns, orientation: self.orientation, angular_velocity: self.angular_velocity })
    }

    /// Turns the estimate a little towards the accelerometer's idea of up.
    fn correct_tilt(&mut self, accel: Vec3, dt: f32) {
        let magnitude = accel.length();
        if !((1.0 - ACCEL_TRUST) * GRAVITY..=(1.0 + ACCEL_TRUST) * GRAVITY).contains(&magnitude) {
            return;
        }
        // At rest an accelerometer reads the push against gravity: straight up, in body axes.
        let up = self.orientation * (accel / magnitude);
        let error = Quat::from_rotation_arc(up.normalize(), Vec3::Y);
        let gain = dt / (TILT_TIME_CONSTANT_S + dt);
        self.orientation = (Quat::IDENTITY.slerp(error, gain) * self.orientation).normalize();
    }
}

/// The orientation (yaw 0) whose up is the accelerometer's, if it reads about 1 g.
fn level_from(accel: Vec3) -> Option<Quat> {
    let magnitude = accel.length();
    ((1.0 - ACCEL_TRUST) * GRAVITY..=(1.0 + ACCEL_TRUST) * GRAVITY)
        .contains(&magnitude)
        .then(|| Quat::from_rotation_arc(accel / magnitude, Vec3::Y))
}
