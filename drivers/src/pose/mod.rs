//! Head pose: where the head is and how it is turned, now and at the moment a frame will be on
//! the display.
//!
//! A [`PoseSource`] answers two questions without blocking: [`PoseSource::latest`], the newest
//! measured pose (its timestamp is when it was measured, where motion-to-photon latency starts),
//! and [`PoseSource::predict`], the pose expected at a future display time. Time enters as
//! monotonic nanoseconds on the shell's injected clock, the same clock the frame loop's display
//! times come from, so a run on a manual clock is deterministic.
//!
//! [`open`] builds the source a device profile's `[pose]` section names:
//! - `simulator`: [`SimulatorPose`], driven by the simulator window through [`SimControls`]
//!   (mouse-look, WASD + QE), integrated over time.
//! - `track`: [`TrackPose`], a recorded `poses.jsonl` (or a session folder's) played in a loop
//!   from the moment it opened.
//! - `imu`: [`ImuPose`], a gyroscope + accelerometer read on a thread of its own (Linux IIO
//!   through [`IioImu`], or any [`ImuDevice`]); 3-DoF, orientation only. A missing IMU is never
//!   fatal: it is logged once, the head holds still, and the device is retried.
//! - `glasses`: [`GlassesPose`](crate::glasses::GlassesPose), the same over a pair of tethered
//!   glasses (`crate::glasses`, live or a replayed stream), turned to the display's axes and
//!   predicted to when the glasses light the frame; its keys and proximity reach the bus
//!   through [`PoseSource::glasses`].
//!
//! Sources are shared (`Arc<dyn PoseSource>`): the frame loop predicts from one thread while
//! the bus driver (`modules/pose`) publishes `latest` from another.
//!
//! Layout:
//! - `error`: [`PoseError`].
//! - `sim`: [`SimulatorPose`], [`SimControls`], [`Move`].
//! - `track`: [`TrackPose`], a looping recorded track.
//! - `imu/`: [`ImuDevice`], [`ImuSample`], [`ImuPose`] (thread, fallback, retries), the
//!   attitude filter and the IIO sysfs reader [`IioImu`].

mod error;
pub mod imu;
mod sim;
mod track;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use visor_types::Pose;
use visor_types::clock::SharedClock;
use visor_types::profile::PoseConfig;

use crate::glasses::GlassesFeed;

pub use error::PoseError;
pub use imu::{IioImu, ImuDevice, ImuOptions, ImuPose, ImuSample};
pub use sim::{Move, SimControls, SimulatorPose};
pub use track::TrackPose;

pub trait PoseSource: Send + Sync {
    /// The head pose predicted for `t_ns` (monotonic ns on the shell clock): the newest
    /// measurement extrapolated (IMU), the controls integrated (simulator), the track sampled.
    fn predict(&self, t_ns: u64) -> Pose;
    /// The newest measured pose; its timestamp is when it was measured (motion-to-photon starts there).
    fn latest(&self) -> Pose;
    /// For logs: "simulator controls", "track assets/poses/x.jsonl (12.0 s)", "IMU iio:device0".
    fn describe(&self) -> String;
    /// The glasses' other sensors (keys, worn, light) when this pose comes from a pair of
    /// glasses: the shell's `glasses` module publishes them.
    fn glasses(&self) -> Option<Arc<GlassesFeed>> {
        None
    }
}

/// An opened pose source, and the simulator's controls when it is the simulator (for the
/// window to feed).
pub struct OpenedPose {
    pub source: Arc<dyn PoseSource>,
    pub controls: Option<SimControls>,
}

/// Opens the profile's pose source. Never fails for a missing IMU: it logs one clear error,
/// serves a still head and retries (like the camera's fallback); fails only for a bad track file.
/// A relative track path is resolved against `data_root`, so profiles stay portable.
pub fn open(config: &PoseConfig, data_root: &Path, clock: SharedClock) -> Result<OpenedPose, PoseError> {
    let opened = match config {
        PoseConfig::Simulator => {
            let simulator = SimulatorPose::new(clock);
            let controls = simulator.controls();
            OpenedPose { source: Arc::new(simulator), controls: Some(controls) }
        }
        PoseConfig::Track { file } => OpenedPose { source: Arc::new(TrackPose::open(file, data_root, clock)?), controls: None },
        PoseConfig::Imu { device, rate_hz } => {
            let reader = IioImu::new(IioImu::SYSFS_ROOT, *device, clock.clone());
            let imu = ImuPose::start(Box::new(reader), clock, ImuOptions::at_rate(*rate_hz));
            OpenedPose { source: Arc::new(imu), controls: None }
        }
        PoseConfig::Glasses { model, replay, .. } => {
            let glasses = crate::glasses::open_pose(*model, replay.as_deref(), data_root, clock)?;
            OpenedPose { source: Arc::new(glasses), controls: None }
        }
    };
    tracing::info!(pose = %opened.source.describe(), "pose source opened");
    Ok(opened)
}

pub(crate) fn resolve(path: &Path, data_root: &Path) -> PathBuf {
    if path.is_absolute() { path.to_path_buf() } else { data_root.join(path) }
}

#[cfg(test)]
mod tests {
    use visor_types::clock::ManualClock;

    use super::*;

    fn data_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn the_simulator_comes_with_its_controls() {
        let clock = Arc::new(ManualClock::default());
        let opened = open(&PoseConfig::Simulator, &data_root(), clock.clone()).unwrap();
        assert_eq!(opened.source.describe(), "simulator controls");
        let controls = opened.controls.expect("the simulator hands out its controls");
        controls.set_key(Move::Forward, true);
        clock.set_ns(1_000_000_000);
        let moved = opened.source.latest();
        assert!((moved.position - glam::Vec3::new(0.0, 0.0, -1.5)).length() < 1e-5, "{moved:?}");
    }

    #[test]
    fn a_relative_track_is_found_from_the_data_root() {
        let config = PoseConfig::Track { file: "assets/poses/head-sweep.jsonl".into() };
        let opened = open(&config, &data_root(), Arc::new(ManualClock::default())).unwrap();
        assert_eq!(opened.source.describe(), "track assets/poses/head-sweep.jsonl (10.0 s)");
        assert!(opened.controls.is_none());
    }

    #[test]
    fn a_missing_track_fails_by_name() {
        let config = PoseConfig::Track { file: "assets/poses/no-such-track.jsonl".into() };
        let err = open(&config, &data_root(), Arc::new(ManualClock::default())).err().expect("a missing track must fail");
        assert!(matches!(err, PoseError::TrackRead { .. }), "{err}");
        assert!(err.to_string().contains("no-such-track.jsonl"), "{err}");
    }

    #[test]
    fn an_imu_profile_without_the_device_opens_and_holds_the_head_still() {
        // iio:device977 exists on no machine, so this is the real reader's failure path.
        let config = PoseConfig::Imu { device: 977, rate_hz: 200.0 };
        let clock = Arc::new(ManualClock::default());
        let opened = open(&config, &data_root(), clock.clone()).unwrap();
        assert_eq!(opened.source.describe(), "IMU iio:device977 @ 200 Hz");
        clock.set_ns(5_000_000);
        assert_eq!(opened.source.latest(), Pose::identity(5_000_000));
        assert_eq!(opened.source.predict(25_000_000), Pose::identity(25_000_000));
    }
}
