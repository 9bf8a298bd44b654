//! The attitude filter: Madgwick's fusion of gyroscope and accelerometer, with the gyroscope's
//! bias learned whenever the head is still.
//!
//! Orientation (head to world) integrates the bias-corrected body-frame angular velocity exactly
//! for a rate held over each interval, `q ← q · exp((ω − b) dt / 2)`. Gyroscopes drift, so each
//! update also takes one step of Madgwick's gradient descent towards agreeing with the
//! accelerometer about which way is up. In its geometric form that step is a turn about the
//! horizontal axis between the estimate's up and the measured one, at the fixed rate
//! [`CORRECTION_RATE`] (Madgwick's `2β`), never past agreement: it fixes pitch and roll and
//! leaves yaw alone, since nothing here measures heading. Readings far from 1 g mean the head
//! is accelerating, and are not trusted for the correction.
//!
//! Yaw therefore drifts with whatever gyroscope bias is left, so the bias is estimated: over
//! windows of [`STILL_WINDOW_S`] in which the gyroscope holds steady near zero and the
//! accelerometer near 1 g, the head is taken to be still and the window's mean rate is the
//! bias. The first still window sets it; later ones pull it with time constant
//! [`BIAS_TIME_CONSTANT_S`], so temperature drift is followed. Since the head did not turn
//! during a still window, what the window integrated beyond the bias then in use is taken back
//! out of the orientation: a head held still does not drift at all, even before the bias is
//! known. A turn slower than
//! [`STILL_RATE`] held perfectly steady for a whole window would be mistaken for bias; heads do
//! not turn that smoothly, glasses on a desk are the common still case.
//!
//! The first reading sets pitch and roll straight from gravity (yaw 0), so a device that starts
//! tilted does not have to wait for the correction.

use glam::{Quat, Vec3};
use visor_types::Pose;

use super::ImuSample;

/// Standard gravity, m/s².
pub const GRAVITY: f32 = 9.806_65;
/// How fast tilt error is corrected towards the accelerometer's gravity, rad/s: Madgwick's
/// `2β` (his quaternion-rate gain β = 0.05 here; he suggests 0.033 to 0.1 for consumer MEMS).
pub const CORRECTION_RATE: f32 = 0.1;
/// Accelerometer magnitudes outside `GRAVITY * (1 ± this)` skip the correction.
const ACCEL_TRUST: f32 = 0.15;
/// The longest interval integrated at once; longer gaps (a stalled thread) count as this.
const MAX_STEP_S: f32 = 0.1;
/// How far ahead (or behind) of the newest reading a prediction extrapolates; beyond this the
/// head is held, so a stalled sensor cannot spin the view.
pub const MAX_PREDICTION_NS: i64 = 100_000_000;
/// How long the head must hold still for its gyroscope reading to count as bias.
pub const STILL_WINDOW_S: f32 = 0.5;
/// Still means the bias-corrected rate stays under this (about 2.9 °/s)…
pub const STILL_RATE: f32 = 0.05;
/// …every reading of the window within this of the window's mean (per axis, rad/s)…
const STILL_SPREAD: f32 = 0.03;
/// …and the accelerometer within this of its window mean (per axis, m/s²).
const STILL_ACCEL_SPREAD: f32 = 0.6;
/// How fast later still windows move the bias: about 63% of the way in this much stillness.
pub const BIAS_TIME_CONSTANT_S: f32 = 2.0;
/// Before any bias is known, a still window's rate may be this large (uncalibrated consumer
/// gyroscopes are off by up to a few degrees a second).
const FIRST_STILL_RATE: f32 = 0.1;

/// The filter's output after a reading: what a pose source needs to answer questions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// When the reading was taken.
    pub timestamp_ns: u64,
    pub orientation: Quat,
    /// The newest body-frame angular velocity, bias removed, rad/s; zero while the head is held.
    pub angular_velocity: Vec3,
    /// The gyroscope bias the filter has learned (rad/s, body axes); zero until the first
    /// still window.
    pub gyro_bias: Vec3,
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
    bias: Vec3,
    bias_known: bool,
    still: Stillness,
    /// The previous reading's time; `None` before the first and after a gap.
    last_ns: Option<u64>,
    /// Whether the orientation holds anything yet (else the first reading levels it).
    aligned: bool,
}

impl Default for AttitudeFilter {
    fn default() -> Self {
        AttitudeFilter {
            orientation: Quat::IDENTITY,
            angular_velocity: Vec3::ZERO,
            bias: Vec3::ZERO,
            bias_known: false,
            still: Stillness::default(),
            last_ns: None,
            aligned: false,
        }
    }
}

impl AttitudeFilter {
    /// A filter already at `orientation`: the first reading integrates from there rather than
    /// levelling it.
    pub fn starting_at(orientation: Quat) -> AttitudeFilter {
        AttitudeFilter { orientation: orientation.normalize(), aligned: true, ..AttitudeFilter::default() }
    }

    pub fn update(&mut self, sample: &ImuSample) {
        if !(sample.gyro.is_finite() && sample.accel.is_finite()) {
            return;
        }
        let dt = match self.last_ns {
            Some(last) if sample.timestamp_ns > last => ((sample.timestamp_ns - last) as f64 * 1e-9).min(MAX_STEP_S as f64) as f32,
            _ => 0.0,
        };
        let rate = sample.gyro - self.bias;
        if !self.aligned {
            if let Some(level) = level_from(sample.accel) {
                self.orientation = level;
            }
            self.aligned = true;
        } else if dt > 0.0 {
            // The rate just read stands for the interval that ended with it.
            self.orientation = (self.orientation * Quat::from_scaled_axis(rate * dt)).normalize();
            self.correct_tilt(sample.accel, dt);
        }
        if let Some((mean, span_s)) = self.still.push(sample, rate, dt, self.bias_known) {
            // The head did not turn in the window, so whatever was integrated over it was bias:
            // take it back out, then learn from it.
            self.orientation = (self.orientation * Quat::from_scaled_axis((self.bias - mean) * span_s)).normalize();
            self.learn_bias(mean);
        }
        self.angular_velocity = sample.gyro - self.bias;
        // A sample older than the last (a device clock re-synchronised) is used, not rewound to.
        self.last_ns = Some(self.last_ns.map_or(sample.timestamp_ns, |last| last.max(sample.timestamp_ns)));
    }

    /// The readings stopped: keep the orientation (and the bias), stop extrapolating, and do
    /// not integrate across the gap when they resume.
    pub fn interrupt(&mut self) {
        self.angular_velocity = Vec3::ZERO;
        self.last_ns = None;
        self.still = Stillness::default();
    }

    pub fn estimate(&self) -> Option<Estimate> {
        let timestamp_ns = self.last_ns?;
        Some(Estimate { timestamp_ns, orientation: self.orientation, angular_velocity: self.angular_velocity, gyro_bias: self.bias })
    }

    /// The gyroscope bias learned so far, if any still window has been seen.
    pub fn gyro_bias(&self) -> Option<Vec3> {
        self.bias_known.then_some(self.bias)
    }

    /// One gradient-descent step: a turn towards the accelerometer's up, at most
    /// [`CORRECTION_RATE`]` · dt`, never past it.
    fn correct_tilt(&mut self, accel: Vec3, dt: f32) {
        let magnitude = accel.length();
        if !((1.0 - ACCEL_TRUST) * GRAVITY..=(1.0 + ACCEL_TRUST) * GRAVITY).contains(&magnitude) {
            return;
        }
        // At rest an accelerometer reads the push against gravity: straight up, in body axes.
        let up = (self.orientation * (accel / magnitude)).normalize();
        let axis = up.cross(Vec3::Y);
        let sin = axis.length();
        if sin < 1e-9 {
            return;
        }
        let angle = sin.atan2(up.dot(Vec3::Y));
        let step = angle.min(CORRECTION_RATE * dt);
        self.orientation = (Quat::from_axis_angle(axis / sin, step) * self.orientation).normalize();
    }

    fn learn_bias(&mut self, window_mean_gyro: Vec3) {
        if self.bias_known {
            let gain = STILL_WINDOW_S / (BIAS_TIME_CONSTANT_S + STILL_WINDOW_S);
            self.bias += (window_mean_gyro - self.bias) * gain;
        } else {
            self.bias = window_mean_gyro;
            self.bias_known = true;
            tracing::debug!(bias = ?self.bias, "gyroscope bias learned from the first still half-second");
        }
    }
}

/// The current candidate window of stillness.
#[derive(Clone, Debug, Default)]
struct Stillness {
    span_s: f32,
    count: u32,
    gyro_sum: Vec3,
    gyro_min: Vec3,
    gyro_max: Vec3,
    accel_sum: Vec3,
    accel_min: Vec3,
    accel_max: Vec3,
}

impl Stillness {
    /// Adds a reading (raw gyro, and with the current bias removed); returns the window's mean
    /// raw gyro and its length (s) when a whole still window has been seen. `calibrated`: a
    /// bias is known, so still means near it rather than merely slow.
    fn push(&mut self, sample: &ImuSample, corrected: Vec3, dt: f32, calibrated: bool) -> Option<(Vec3, f32)> {
        let limit = if calibrated { STILL_RATE } else { FIRST_STILL_RATE };
        let calm = corrected.length() < limit && (sample.accel.length() - GRAVITY).abs() < ACCEL_TRUST * GRAVITY;
        if !calm {
            *self = Stillness::default();
            return None;
        }
        if self.count == 0 {
            *self = Stillness {
                gyro_min: sample.gyro,
                gyro_max: sample.gyro,
                accel_min: sample.accel,
                accel_max: sample.accel,
                ..Stillness::default()
            };
        } else {
            self.span_s += dt;
        }
        self.count += 1;
        self.gyro_sum += sample.gyro;
        self.gyro_min = self.gyro_min.min(sample.gyro);
        self.gyro_max = self.gyro_max.max(sample.gyro);
        self.accel_sum += sample.accel;
        self.accel_min = self.accel_min.min(sample.accel);
        self.accel_max = self.accel_max.max(sample.accel);
        if (self.gyro_max - self.gyro_min).max_element() > 2.0 * STILL_SPREAD
            || (self.accel_max - self.accel_min).max_element() > 2.0 * STILL_ACCEL_SPREAD
        {
            // Not steady: start a new window from this reading.
            *self = Stillness::default();
            return self.push(sample, corrected, dt, calibrated);
        }
        if self.span_s < STILL_WINDOW_S {
            return None;
        }
        let mean = self.gyro_sum / self.count as f32;
        let span_s = self.span_s;
        *self = Stillness::default();
        Some((mean, span_s))
    }
}

/// The orientation (yaw 0) whose up is the accelerometer's, if it reads about 1 g.
fn level_from(accel: Vec3) -> Option<Quat> {
    let magnitude = accel.length();
    ((1.0 - ACCEL_TRUST) * GRAVITY..=(1.0 + ACCEL_TRUST) * GRAVITY)
        .contains(&magnitude)
        .then(|| Quat::from_rotation_arc(accel / magnitude, Vec3::Y))
}
