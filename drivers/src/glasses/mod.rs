//! Tethered AR glasses — XREAL/Nreal Air and Light, Rokid Air and Max, Mad Gaze Glow, Grawoow
//! G530 — through their own USB protocols (the `ar-drivers` crate), and recorded streams of
//! them played back behind the same traits.
//!
//! Data enters through a [`GlassesFinder`], which opens a [`GlassesDevice`]: the live one
//! (`live`, feature `glasses` on Linux) finds whichever supported pair is plugged in; the
//! replay one ([`ReplayFinder`]) plays an [`ImuStream`] recorded from a pair (or synthesized
//! from a known motion by [`synth`], and labelled so) at its recorded pace, and can be
//! "unplugged" by a test. A device yields [`GlassesEvent`]s: accelerometer + gyroscope with the
//! glasses' own timestamps, magnetometer, keys, proximity (worn or taken off), ambient light and
//! v-sync, and can switch its display mode.
//!
//! Data leaves two ways. [`GlassesImu`] is an [`ImuDevice`](crate::pose::ImuDevice): it finds
//! the glasses when read (so [`ImuPose`](crate::pose::ImuPose)'s thread, fallback and retries
//! serve them as they serve any IMU), switches them to side-by-side 3D while open and back when
//! closed, maps device timestamps onto the shell's clock ([`ClockMap`]) and hands every other
//! event to a shared [`GlassesFeed`]. [`GlassesPose`] is the [`PoseSource`](crate::pose::PoseSource)
//! over it: the fused IMU orientation turned from the IMU's frame to the display's, predicted to
//! when the photons leave the glasses (display time plus the model's own display delay). The
//! shell's `glasses` bus module reads the feed for keys, worn state and light.
//!
//! Layout:
//! - `error`: [`GlassesError`].
//! - `clock`: [`ClockMap`], device microseconds to shell nanoseconds.
//! - `feed`: [`GlassesFeed`], [`GlassesStatus`], [`GlassesNews`]: what the reading thread tells
//!   the rest of the shell.
//! - `display`: side-by-side on open, the previous mode back on close, and after a crash.
//! - `adapter`: [`GlassesImu`], the glasses as an IMU device.
//! - `pose`: [`GlassesPose`], [`open_pose`].
//! - `stream`: [`ImuStream`], the recorded format (`*.imu.jsonl`), and [`StreamRecorder`].
//! - `replay`: [`ReplayFinder`] and its [`Plug`].
//! - `synth`: streams synthesized from known motions, with their true orientation.
//! - `live`: the `ar-drivers` finder (feature `glasses`, Linux).
//! - `tests`: fusion against known motions, plug/unplug, worn, display modes, all on replays.

mod adapter;
mod clock;
mod display;
mod error;
mod feed;
#[cfg(all(feature = "glasses", target_os = "linux"))]
mod live;
mod pose;
mod replay;
pub mod stream;
pub mod synth;
#[cfg(test)]
mod tests;

use glam::{Quat, Vec3};
use serde::{Deserialize, Serialize};
pub use visor_types::profile::GlassesModel;

pub use adapter::{GlassesImu, GlassesOptions};
pub use clock::ClockMap;
pub use display::{ModeKeeper, default_state_dir};
pub use error::GlassesError;
pub use feed::{GlassesFeed, GlassesNews, GlassesStatus, VsyncPhase};
pub use pose::{GlassesPose, open_pose};
pub use replay::{Pacing, Plug, ReplayFinder};
pub use stream::{ImuStream, StreamEvent, StreamHeader, StreamRecorder};

/// The display modes of `ar-drivers` (not every model has every one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DisplayMode {
    /// One picture for both eyes (the glasses as a plain 1920x1080 monitor).
    SameOnBoth,
    /// Side-by-side 3D: 3840x1080 (or 3840x1200), the left half for the left eye.
    Stereo,
    /// Half side-by-side: 1920x1080 squeezed, each half stretched to an eye.
    HalfSbs,
    /// One picture for both eyes at the higher refresh rate.
    HighRefreshRate,
    /// Side-by-side 3D at the higher refresh rate.
    HighRefreshRateSbs,
}

impl std::fmt::Display for DisplayMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DisplayMode::SameOnBoth => "2D (same picture on both eyes)",
            DisplayMode::Stereo => "side-by-side 3D",
            DisplayMode::HalfSbs => "half side-by-side 3D",
            DisplayMode::HighRefreshRate => "2D at high refresh",
            DisplayMode::HighRefreshRateSbs => "side-by-side 3D at high refresh",
        })
    }
}

/// What an opened pair is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GlassesInfo {
    /// The model, if it is one Visor has a profile for.
    pub model: Option<GlassesModel>,
    /// The driver's name for it ("Rokid Max").
    pub name: String,
    pub serial: String,
    /// How long after a frame arrives on DisplayPort the glasses show it, µs (the driver's
    /// figure; a relative measure between models).
    pub display_delay_us: u64,
    /// The rotation taking IMU axes to display axes (the centre of the two eyes').
    pub imu_to_display: Quat,
}

/// One event from a pair. Vectors are in the glasses' axes: x right, y up, z back.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GlassesEvent {
    /// Accelerometer (m/s², about (0, 9.81, 0) level at rest) and gyroscope (rad/s) read
    /// together, stamped in device microseconds.
    Imu { device_us: u64, gyro: Vec3, accel: Vec3 },
    /// Magnetic field, µT, stamped in device microseconds.
    Magnetometer { device_us: u64, field: Vec3 },
    /// A key was pressed (its number, from 0).
    Key(u8),
    /// The proximity sensor: put on (true) or taken off (false).
    Worn(bool),
    /// Ambient light, in the vendor's units.
    AmbientLight(u16),
    /// The glasses' display started a frame.
    VSync,
}

/// An opened pair of glasses.
pub trait GlassesDevice: Send {
    fn info(&self) -> &GlassesInfo;
    /// The next event; blocks until there is one (a millisecond while the IMU streams). An
    /// error means the pair is gone or failing: the caller drops it and looks again.
    fn read_event(&mut self) -> Result<GlassesEvent, GlassesError>;
    fn display_mode(&mut self) -> Result<DisplayMode, GlassesError>;
    fn set_display_mode(&mut self, mode: DisplayMode) -> Result<(), GlassesError>;
}

/// Finds and opens a pair: whichever is connected (live), or a recorded one (replay).
pub trait GlassesFinder: Send {
    fn find(&mut self) -> Result<Box<dyn GlassesDevice>, GlassesError>;
    /// For logs: "glasses (USB)", "glasses replay assets/imu/look-around.imu.jsonl".
    fn describe(&self) -> String;
}

/// The finder for glasses plugged into this machine: `ar-drivers` when built with the
/// `glasses` feature on Linux; otherwise one that says how to get it.
pub fn usb_finder() -> Box<dyn GlassesFinder> {
    #[cfg(all(feature = "glasses", target_os = "linux"))]
    {
        Box::new(live::UsbFinder)
    }
    #[cfg(not(all(feature = "glasses", target_os = "linux")))]
    {
        Box::new(NotBuilt)
    }
}

/// Whether this build can talk to glasses over USB.
pub const USB_SUPPORT: bool = cfg!(all(feature = "glasses", target_os = "linux"));

#[cfg(not(all(feature = "glasses", target_os = "linux")))]
struct NotBuilt;

#[cfg(not(all(feature = "glasses", target_os = "linux")))]
impl GlassesFinder for NotBuilt {
    fn find(&mut self) -> Result<Box<dyn GlassesDevice>, GlassesError> {
        Err(GlassesError::NotBuilt)
    }

    fn describe(&self) -> String {
        "glasses (USB; not built)".into()
    }
}
