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
    /// Tethered AR glasses through their own USB protocol (the `ar-drivers` crate): the IMU
    /// fused into orientation on the glasses' own timestamps, keys and proximity on the bus.
    Glasses {
        /// The model the profile describes; a different pair is still used, with a warning
        /// naming the profile to pick. None: whichever pair is connected.
        #[serde(default)]
        model: Option<GlassesModel>,
        /// A recorded IMU stream (`*.imu.jsonl`) played instead of live glasses, relative to
        /// the data folder: for runs and tests without the hardware.
        #[serde(default)]
        replay: Option<PathBuf>,
        /// What the pair's keys do in the shell.
        #[serde(default)]
        keys: GlassesKeys,
    },
}

/// The shell's bindings for a pair's keys, by the key numbers `ar-drivers` reports (from 0, in
/// the order of the model's protocol: on the XREAL Light 0 is up and 1 down; on the Rokid
/// pairs each bit of the key byte). A key bound to nothing is still published on
/// `glasses/keys` for apps; the same key twice is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GlassesKeys {
    /// Opens the launcher in front of the head, or closes it when it is open.
    pub launcher: Option<u8>,
    /// Takes the current heading as straight ahead.
    pub recentre: Option<u8>,
}

impl Default for GlassesKeys {
    /// The first key opens the launcher and the second recentres: every supported model has
    /// at least two keys (or a key and a rocker).
    fn default() -> Self {
        GlassesKeys { launcher: Some(0), recentre: Some(1) }
    }
}

/// The glasses models the glasses driver (`ar-drivers`) speaks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GlassesModel {
    XrealAir,
    XrealLight,
    RokidAir,
    RokidMax,
    MadGazeGlow,
    GrawoowG530,
}

impl GlassesModel {
    pub const ALL: [GlassesModel; 6] = [
        GlassesModel::XrealAir,
        GlassesModel::XrealLight,
        GlassesModel::RokidAir,
        GlassesModel::RokidMax,
        GlassesModel::MadGazeGlow,
        GlassesModel::GrawoowG530,
    ];

    /// The profile name of the model (`device-profiles/NAME.toml`), as written in TOML.
    pub fn slug(self) -> &'static str {
        match self {
            GlassesModel::XrealAir => "xreal-air",
            GlassesModel::XrealLight => "xreal-light",
            GlassesModel::RokidAir => "rokid-air",
            GlassesModel::RokidMax => "rokid-max",
            GlassesModel::MadGazeGlow => "mad-gaze-glow",
            GlassesModel::GrawoowG530 => "grawoow-g530",
        }
    }

    /// The name `ar-drivers` gives the model (`ARGlasses::name`).
    pub fn driver_name(self) -> &'static str {
        match self {
            GlassesModel::XrealAir => "Nreal Air",
            GlassesModel::XrealLight => "Nreal Light",
            GlassesModel::RokidAir => "Rokid Air",
            GlassesModel::RokidMax => "Rokid Max",
            GlassesModel::MadGazeGlow => "Mad Gaze Glow",
            GlassesModel::GrawoowG530 => "Grawoow G530",
        }
    }

    pub fn from_driver_name(name: &str) -> Option<GlassesModel> {
        GlassesModel::ALL.into_iter().find(|m| m.driver_name() == name)
    }
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
        if let PoseConfig::Glasses { replay: Some(file), .. } = self
            && file.as_os_str().is_empty()
        {
            p.push("pose.replay is empty; name a recorded IMU stream (*.imu.jsonl) or leave it out for live glasses".into());
        }
        if let PoseConfig::Glasses { keys: GlassesKeys { launcher: Some(a), recentre: Some(b) }, .. } = self
            && a == b
        {
            p.push(format!("pose.keys binds key {a} to both the launcher and recentring; give each its own key"));
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
    /// `modules/glasses`: the glasses' keys, proximity and light on `glasses/`.
    Glasses,
    /// `modules/depth`: the real world's depth on `camera/depth`, from the `[depth]` section
    /// (loaded whenever the profile has one).
    Depth,
}

pub(super) fn default_drivers() -> Vec<DriverName> {
    vec![DriverName::Camera, DriverName::Pose]
}
