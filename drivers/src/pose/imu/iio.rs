//! [`IioImu`]: an IMU through the Linux Industrial I/O subsystem's sysfs files.
//!
//! An IIO device `iio:deviceN` under `/sys/bus/iio/devices` exposes each channel as text files:
//! `in_anglvel_{x,y,z}_raw` (gyroscope) and `in_accel_{x,y,z}_raw` (accelerometer), with the
//! conversion to SI units in `in_anglvel_scale` / `in_accel_scale` (or per axis,
//! `in_accel_x_scale`), and an optional `..._offset`: value = (raw + offset) · scale, in rad/s
//! and m/s². Polling these files is the simplest reader every IIO driver supports (the
//! buffered `/dev/iio:deviceN` interface is faster but needs per-driver trigger setup).
//!
//! Scales and offsets are read on the first read and again after any failure, so a device that
//! is unplugged and comes back (perhaps with another driver) is re-learned. Readings are stamped
//! on the injected clock as they are taken: sysfs carries no timestamps.
//!
//! The sensor's axes are taken as the head's (x right, y up, z towards the back of the head);
//! a sensor mounted otherwise needs its mount rotation applied (not yet configurable).
//!
//! The root folder is a parameter so tests lay out a temporary tree shaped like sysfs and run
//! this very reader over it.

use std::path::{Path, PathBuf};

use glam::Vec3;
use visor_types::clock::SharedClock;

use super::{ImuDevice, ImuSample};
use crate::pose::PoseError;

const AXES: [&str; 3] = ["x", "y", "z"];

/// One axis of one sensor: where its raw value is, and how to turn it into SI units.
#[derive(Clone, Debug)]
struct Channel {
    raw: PathBuf,
    offset: f64,
    scale: f64,
}

#[derive(Clone, Debug)]
struct Channels {
    gyro: [Channel; 3],
    accel: [Channel; 3],
}

pub struct IioImu {
    dir: PathBuf,
    name: String,
    clock: SharedClock,
    /// Learned on the first read, forgotten on any failure.
    channels: Option<Channels>,
}

impl IioImu {
    /// Where the kernel lists IIO devices.
    pub const SYSFS_ROOT: &'static str = "/sys/bus/iio/devices";

    /// The device `iio:device{device}` under `root` (normally [`IioImu::SYSFS_ROOT`]). Nothing is
    /// read until the first [`ImuDevice::read`].
    pub fn new(root: impl Into<PathBuf>, device: u32, clock: SharedClock) -> IioImu {
        let name = format!("iio:device{device}");
        IioImu { dir: root.into().join(&name), name, clock, channels: None }
    }

    /// The device's sysfs folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn learn(&self) -> Result<Channels, PoseError> {
        if !self.dir.is_dir() {
            return Err(PoseError::ImuAbsent { path: self.dir.clone() });
        }
        let sensor = |kind: &'static str| -> Result<[Channel; 3], PoseError> {
            let channel = |axis: &str| -> Result<Channel, PoseError> {
                let raw = self.dir.join(format!("in_{kind}_{axis}_raw"));
                // Reading it once now names a missing channel before the first sample.
                read_number(&raw, kind)?;
                let scale = self.attribute(kind, axis, "scale")?.ok_or_else(|| PoseError::ImuChannel {
                    path: self.dir.join(format!("in_{kind}_scale")),
                    channel: kind,
                    source: std::io::ErrorKind::NotFound.into(),
                })?;
                let offset = self.attribute(kind, axis, "offset")?.unwrap_or(0.0);
                Ok(Channel { raw, offset, scale })
            };
            Ok([channel(AXES[0])?, channel(AXES[1])?, channel(AXES[2])?])
        };
        Ok(Channels { gyro: sensor("anglvel")?, accel: sensor("accel")? })
    }

    /// `in_{kind}_{axis}_{name}`, else the shared `in_{kind}_{name}`, else `None`.
    fn attribute(&self, kind: &'static str, axis: &str, name: &str) -> Result<Option<f64>, PoseError> {
        for file in [format!("in_{kind}_{axis}_{name}"), format!("in_{kind}_{name}")] {
            let path = self.dir.join(file);
            if path.exists() {
                return read_number(&path, kind).map(Some);
            }
        }
        Ok(None)
    }

    fn sample(&self, channels: &Channels) -> Result<ImuSample, PoseError> {
        let timestamp_ns = self.clock.now_ns();
        let read = |sensor: &[Channel; 3], kind: &'static str| -> Result<Vec3, PoseError> {
            let mut value = [0.0f32; 3];
            for (v, c) in value.iter_mut().zip(sensor) {
                *v = ((read_number(&c.raw, kind)? + c.offset) * c.scale) as f32;
            }
            Ok(Vec3::from_array(value))
        };
        Ok(ImuSample { timestamp_ns, gyro: read(&channels.gyro, "anglvel")?, accel: read(&channels.accel, "accel")? })
    }
}

impl ImuDevice for IioImu {
    fn read(&mut self) -> Result<ImuSample, PoseError> {
        let channels = match self.channels.take() {
            Some(channels) => channels,
            None => self.learn()?,
        };
        let sample = self.sample(&channels).map_err(|e| match e {
            // The whole device went away, rather than one of its files.
            PoseError::ImuChannel { .. } if !self.dir.is_dir() => PoseError::ImuAbsent { path: self.dir.clone() },
            e => e,
        })?;
        self.channels = Some(channels);
        Ok(sample)
    }

    fn describe(&self) -> String {
        format!("IMU {}", self.name)
    }
}

fn read_number(path: &Path, channel: &'static str) -> Result<f64, PoseError> {
    let text = std::fs::read_to_string(path).map_err(|source| PoseError::ImuChannel { path: path.to_path_buf(), channel, source })?;
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| PoseError::ImuValue { path: path.to_path_buf(), text })
}
