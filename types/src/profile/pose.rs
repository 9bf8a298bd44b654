//! The `[pose]` section of a device profile: where the head pose comes from.

use std::path::PathBuf;

use serde::Deserialize;

#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", tag = "source")]
pub enum PoseConfig {
    /// Mouse-look and WASD/QE in the simulator window; a still head when headless.
    #[default]
    Simulator,
    /// A recorded track: a `poses.jsonl` file, or a recorded session folder holding one; played
    /// from the start of the run and looped. Relative to the repository.
    Track { file: PathBuf },
    /// An inertial measurement unit through Linux IIO (`/sys/bus/iio/devices/iio:deviceN`):
    /// the gyroscope integrated into orientation, its drift towards the accelerometer's gravity.
    Imu {
        /// The `N` of `iio:deviceN`.
        #[serde(default)]
        device: u32,
        /// How often to read it.
        #[serde(default = "default_imu_rate")]
        rate_hz: f32,
    },
}

fn default_imu_rate() -> f32 {
    400.0
}

impl PoseConfig {
    pub(super) fn problems(&self, p: &mut Vec<String>) {
        if let PoseConfig::Imu { rate_hz, .. } = self
            && !(*rate_hz >= 1.0 && *rate_hz <= 10_000.0)
        {
            p.push(format!("pose.rate_hz is {rate_hz}; use 1 to 10000 readings a second"));
        }
        if let PoseConfig::Track { file } = self
            && file.as_os_str().is_empty()
        {
            p.push("pose.file is empty; name a poses.jsonl or a recorded session folder".into());
        }
    }
}

/// The built-in driver modules a profile can load.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DriverName {
    /// `modules/camera`: frames on `camera/frames`.
    Camera,
    /// `modules/pose`: the head pose on `pose/head`.
    Pose,
}

pub(super) fn default_drivers() -> Vec<DriverName> {
    vec![DriverName::Camera, DriverName::Pose]
}
