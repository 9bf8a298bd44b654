//! The head pose from an inertial measurement unit: [`ImuPose`] reads any [`ImuDevice`] on a
//! thread of its own and serves the filtered orientation to whoever asks, without blocking.
//!
//! This is 3-DoF tracking: a gyroscope and an accelerometer measure how the head turns, not
//! where it is, so the position stays at the origin. Orientation comes from the attitude filter
//! (`filter`): Madgwick's fusion — gyroscope integration, pitch and roll stepped towards the
//! accelerometer's gravity — with the gyroscope's bias learned while the head is still, so yaw
//! drifts only with what bias is left. `predict` extrapolates the
//! newest angular velocity to the asked time (at most 100 ms), which is what hides the
//! motion-to-photon latency.
//!
//! A device that is absent or fails is never fatal: the error is logged once (naming the path
//! and the fix), the head holds still — at the last orientation, or looking ahead if there never
//! was one — the device is retried every [`ImuOptions::retry`] (2 s unless told), and its return
//! is logged.
//!
//! Layout:
//! - `filter`: [`AttitudeFilter`](filter::AttitudeFilter) (Madgwick, gyro bias while still) and
//!   its [`Estimate`](filter::Estimate).
//! - `iio`: [`IioImu`], the Linux IIO sysfs reader.
//! - `link`: the reading thread and the state it shares with [`ImuPose`].
//! - `tests`: the real reader over a temporary sysfs tree, the filter, the thread's life cycle.

pub mod filter;
mod iio;
mod link;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use glam::Vec3;
use visor_types::Pose;
use visor_types::clock::SharedClock;

use self::link::{Link, Status, Worker};
use super::{PoseError, PoseSource};

pub use iio::IioImu;

/// One reading of an IMU.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImuSample {
    /// When it was read, on the shell's clock.
    pub timestamp_ns: u64,
    /// Angular velocity about the head's axes (x right, y up, z back), rad/s.
    pub gyro: Vec3,
    /// Specific force along the same axes, m/s²: about (0, 9.81, 0) for a level head at rest.
    pub accel: Vec3,
}

/// A gyroscope + accelerometer that can be read one sample at a time.
pub trait ImuDevice: Send {
    /// The current reading; may block for about one sample period. An error means the device
    /// is absent or failing; the caller retries later.
    fn read(&mut self) -> Result<ImuSample, PoseError>;
    /// For logs: "IMU iio:device0".
    fn describe(&self) -> String {
        "IMU".to_string()
    }
    /// True for a device whose `read` waits for the sensor's next sample (USB glasses stream
    /// at their own rate): the reading thread then reads back to back instead of pacing reads
    /// at [`ImuOptions::rate_hz`].
    fn paces_itself(&self) -> bool {
        false
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ImuOptions {
    /// Readings a second.
    pub rate_hz: f32,
    /// How long to wait before trying an absent or failed device again.
    pub retry: Duration,
}

impl ImuOptions {
    /// Reads at `rate_hz` (kept within the profile's 1 to 10000), retrying every 2 s.
    pub fn at_rate(rate_hz: f32) -> ImuOptions {
        let rate_hz = if rate_hz.is_finite() { rate_hz.clamp(1.0, 10_000.0) } else { 400.0 };
        ImuOptions { rate_hz, retry: Duration::from_secs(2) }
    }
}

pub struct ImuPose {
    link: Arc<Link>,
    thread: Option<JoinHandle<()>>,
    name: String,
    rate_hz: f32,
    clock: SharedClock,
}

impl ImuPose {
    /// Starts reading `device` on a thread of its own; until it delivers, the head is still.
    pub fn start(device: Box<dyn ImuDevice>, clock: SharedClock, options: ImuOptions) -> ImuPose {
        let name = device.describe();
        let link = Arc::new(Link::default());
        let worker = Worker { name: name.clone(), options, link: link.clone() };
        let thread = std::thread::Builder::new()
            .name(format!("pose {name}"))
            .spawn(move || worker.run(device))
            .map_err(|e| tracing::error!("cannot start the IMU thread, the head stays still: {e}"))
            .ok();
        ImuPose { link, thread, name, rate_hz: options.rate_hz, clock }
    }

    /// True while readings arrive.
    pub fn is_live(&self) -> bool {
        matches!(self.link.lock().status, Status::Live)
    }

    /// The filter's newest estimate (orientation, rate, learned gyroscope bias), if any.
    pub fn estimate(&self) -> Option<filter::Estimate> {
        self.link.lock().estimate
    }

    /// Waits up to `timeout` for the first read: `Ok` once the device delivers, else why not.
    pub fn wait_for_device(&self, timeout: Duration) -> Result<(), String> {
        match &self.link.wait_settled(timeout).status {
            Status::Live => Ok(()),
            Status::Down { reason, .. } => Err(reason.clone()),
            Status::Opening => Err(format!("{} gave no reading within {timeout:?}", self.name)),
        }
    }
}

impl PoseSource for ImuPose {
    fn predict(&self, t_ns: u64) -> Pose {
        match self.link.lock().estimate {
            Some(estimate) => estimate.predict(t_ns),
            None => Pose::identity(t_ns),
        }
    }

    /// The newest reading's pose, stamped when it was read; a still head stamped now if there
    /// never was one.
    fn latest(&self) -> Pose {
        match self.link.lock().estimate {
            Some(estimate) => estimate.pose(),
            None => Pose::identity(self.clock.now_ns()),
        }
    }

    fn describe(&self) -> String {
        format!("{} @ {} Hz", self.name, self.rate_hz)
    }
}

impl Drop for ImuPose {
    /// Stops the reading thread; a sysfs read returns within microseconds, so this is quick.
    fn drop(&mut self) {
        self.link.stop();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::warn!(imu = %self.name, "the IMU thread panicked");
        }
    }
}
