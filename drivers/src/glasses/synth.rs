//! Glasses streams synthesized from known motions — still, a constant-rate turn, a nod, looking
//! around — so fusion, prediction and the whole glasses path are tested against the true
//! orientation without hardware. Every synthesized stream says so in its header
//! (`synthesized`: the motion, rates, bias and noise it was made from).
//!
//! For a motion `q(t)` (head to world), the gyroscope reads the body rate — from a central
//! difference of `q` in double precision — plus a constant bias and white noise; the
//! accelerometer reads gravity's reaction in body axes, `q⁻¹ · (0, g, 0)`, plus noise. The
//! lever arm from the turning axis to the sensor (a few cm of tangential acceleration) is left
//! out. The device clock starts at 77 s and runs 50 ppm fast; each sample arrives 1 to 1.25 ms
//! after it was taken, every 97th held up 3 ms more, as USB delivers. Noise is from a seeded
//! generator: the same `Synth` always makes the same bytes.

use glam::{DQuat, DVec3, Quat, Vec3};

use super::stream::{ImuStream, StreamEvent, StreamHeader, VERSION};
use super::{DisplayMode, GlassesEvent, GlassesModel};
use crate::pose::imu::filter::GRAVITY;

/// The synthesized device clock's reading at the first sample, µs.
pub const DEVICE_START_US: u64 = 77_000_000;
/// How much faster the synthesized device clock runs than the shell's, parts per million.
pub const DEVICE_PPM: f64 = 50.0;
/// The smallest transport delay of a synthesized sample, µs.
pub const MIN_DELAY_US: u64 = 1000;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Motion {
    Still,
    /// Turning left about the vertical at `rate` rad/s.
    Turn {
        rate: f64,
    },
    /// Pitching up and down, `amplitude` rad at `hz`.
    Nod {
        amplitude: f64,
        hz: f64,
    },
    /// Yaw and pitch as sums of slow sines (peaks near 2.8 rad/s of yaw, 0.9 of pitch): a
    /// person glancing around a room.
    LookAround,
}

impl Motion {
    /// Head to world, `t` seconds into the motion.
    pub fn attitude(&self, t: f64) -> DQuat {
        use std::f64::consts::TAU;
        match *self {
            Motion::Still => DQuat::IDENTITY,
            Motion::Turn { rate } => DQuat::from_rotation_y(rate * t),
            Motion::Nod { amplitude, hz } => DQuat::from_rotation_x(amplitude * (TAU * hz * t).sin()),
            Motion::LookAround => {
                let yaw = 0.8 * (TAU * 0.3 * t).sin() + 0.3 * ((TAU * 0.7 * t + 1.0).sin() - 1f64.sin());
                let pitch = 0.3 * (TAU * 0.5 * t).sin();
                DQuat::from_rotation_y(yaw) * DQuat::from_rotation_x(pitch)
            }
        }
    }

    pub fn describe(&self) -> String {
        match *self {
            Motion::Still => "held still".into(),
            Motion::Turn { rate } => format!("turning left at a constant {rate} rad/s"),
            Motion::Nod { amplitude, hz } => format!("nodding ±{amplitude} rad at {hz} Hz"),
            Motion::LookAround => "looking around (yaw and pitch as sums of sines)".into(),
        }
    }
}

/// A stream to synthesize: a motion after a still lead-in, sampled and spoiled as a real IMU's.
#[derive(Clone, Debug)]
pub struct Synth {
    pub motion: Motion,
    /// Still before the motion starts (the filter learns the bias here).
    pub still_s: f64,
    /// Of motion, after the still lead-in.
    pub seconds: f64,
    pub rate_hz: f64,
    /// Gyroscope bias, rad/s.
    pub gyro_bias: Vec3,
    /// Gyroscope white noise, rad/s RMS per sample.
    pub gyro_noise: f32,
    /// Accelerometer white noise, m/s² RMS per sample.
    pub accel_noise: f32,
    pub seed: u64,
    /// Other events, at seconds from the start (keys, worn).
    pub extras: Vec<(f64, GlassesEvent)>,
    /// The display's v-sync events, this many a second from the start (each arriving 1 to
    /// 1.25 ms late); `None`: the model reports none.
    pub vsync_hz: Option<f64>,
}

impl Synth {
    /// `motion` for `seconds` after a second of stillness, at 1 kHz, with a consumer MEMS
    /// gyroscope's bias (0.2 to 0.6 °/s per axis) and noise (BMI160-like: 0.003 rad/s and
    /// 0.03 m/s² RMS at this rate).
    pub fn new(motion: Motion, seconds: f64) -> Synth {
        Synth {
            motion,
            still_s: 1.0,
            seconds,
            rate_hz: 1000.0,
            gyro_bias: Vec3::new(0.004, -0.006, 0.01),
            gyro_noise: 0.003,
            accel_noise: 0.03,
            seed: 1,
            extras: Vec::new(),
            vsync_hz: None,
        }
    }

    /// The true head-to-world orientation `t` seconds from the start.
    pub fn truth(&self, t: f64) -> Quat {
        self.truth_f64(t).as_quat()
    }

    fn truth_f64(&self, t: f64) -> DQuat {
        if t <= self.still_s { DQuat::IDENTITY } else { self.motion.attitude(t - self.still_s) }
    }

    /// The body-frame angular velocity at `t`, rad/s.
    pub fn body_rate(&self, t: f64) -> Vec3 {
        const H: f64 = 1e-5;
        let step = self.truth_f64(t - H).inverse() * self.truth_f64(t + H);
        (step.to_scaled_axis() / (2.0 * H)).as_vec3()
    }

    /// Sample times, seconds from the start.
    pub fn sample_times(&self) -> impl Iterator<Item = f64> + '_ {
        let n = ((self.still_s + self.seconds) * self.rate_hz).round() as u64;
        (0..n).map(move |i| i as f64 / self.rate_hz)
    }

    /// The header of every synthesized stream: a Rokid Air's geometry as `ar-drivers` 0.4.3
    /// gives it (display delay 15000 µs; display pitched 0.022 rad from the IMU).
    pub fn header(&self) -> StreamHeader {
        StreamHeader {
            visor_imu_stream: VERSION,
            model: Some(GlassesModel::RokidAir),
            name: GlassesModel::RokidAir.driver_name().to_string(),
            serial: "SYNTHESIZED".into(),
            display_mode: DisplayMode::SameOnBoth,
            display_delay_us: 15_000,
            imu_to_display: Quat::from_rotation_x(0.022).to_array(),
            synthesized: Some(format!(
                "{} s still, then {} for {} s; {} Hz; gyro bias {:?} rad/s, noise {} rad/s and {} m/s² RMS; seed {}{}",
                self.still_s,
                self.motion.describe(),
                self.seconds,
                self.rate_hz,
                self.gyro_bias.to_array(),
                self.gyro_noise,
                self.accel_noise,
                self.seed,
                self.vsync_hz.map(|hz| format!("; v-sync at {hz} Hz")).unwrap_or_default()
            )),
        }
    }

    /// The device timestamp of a sample taken at `t` seconds.
    pub fn device_us(t: f64) -> u64 {
        DEVICE_START_US + (t * 1e6 * (1.0 + DEVICE_PPM * 1e-6)).round() as u64
    }

    pub fn stream(&self) -> ImuStream {
        let mut noise = Noise(self.seed.max(1));
        let mut events: Vec<StreamEvent> = Vec::new();
        let mut arrived = 0;
        for (i, t) in self.sample_times().enumerate() {
            let gyro = self.body_rate(t) + self.gyro_bias + noise.vec3(self.gyro_noise);
            let up = self.truth(t).inverse() * Vec3::new(0.0, GRAVITY, 0.0);
            let accel = up + noise.vec3(self.accel_noise);
            let delay = MIN_DELAY_US + noise.below(250) + if i % 97 == 96 { 3000 } else { 0 };
            // USB keeps order: a held-up sample holds up the ones behind it.
            let host_us = ((t * 1e6).round() as u64 + delay).max(arrived);
            arrived = host_us;
            events.push(StreamEvent::Imu { host_us, t_us: Synth::device_us(t), gyro: round(gyro), accel: round(accel) });
        }
        if let Some(hz) = self.vsync_hz {
            // Its own noise, so a stream's samples are the same with v-sync or without.
            let mut late = Noise(self.seed.wrapping_add(0x5eed).max(1));
            let n = ((self.still_s + self.seconds) * hz).floor() as u64;
            for k in 0..n {
                let host_us = (k as f64 / hz * 1e6).round() as u64 + MIN_DELAY_US + late.below(250);
                events.push(StreamEvent::Vsync { host_us });
            }
        }
        for (t, event) in &self.extras {
            events.push(StreamEvent::from_event(event, (t * 1e6).round() as u64 + MIN_DELAY_US));
        }
        // In arrival order, as a reader sees them (stable: samples keep theirs).
        events.sort_by_key(|e| e.host_us());
        ImuStream { header: self.header(), events }
    }
}

/// Six decimals: well under the noise, and a short file.
fn round(v: Vec3) -> [f32; 3] {
    (v * 1e6).round().to_array().map(|x| x / 1e6)
}

/// xorshift64*: small, seeded, the same everywhere.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in (0, 1].
    fn unit(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Box–Muller.
    fn gaussian(&mut self) -> f64 {
        (-2.0 * self.unit().ln()).sqrt() * (std::f64::consts::TAU * self.unit()).cos()
    }

    fn vec3(&mut self, rms: f32) -> Vec3 {
        DVec3::new(self.gaussian(), self.gaussian(), self.gaussian()).as_vec3() * rms
    }
}
