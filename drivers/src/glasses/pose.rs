//! [`GlassesPose`]: the head pose from a pair of glasses, as a [`PoseSource`].
//!
//! An [`ImuPose`] reads a [`GlassesImu`] on its own thread (finding the pair, fusing its IMU,
//! holding the head still and looking again while it is away). This wraps its answers for the
//! display: the orientation is turned from the IMU's axes to the display's (the model's
//! IMU-to-display rotation; ar-drivers documents it as taking IMU-frame vectors into the
//! display frame, so the display's orientation is the IMU's times its inverse), a recentre
//! takes the current heading off, and a prediction for display time `t` is made for when the
//! glasses actually light the frame, `t` plus the model's display delay.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use glam::{Quat, Vec3};
use visor_types::Pose;
use visor_types::clock::SharedClock;

use super::{GlassesFeed, GlassesFinder, GlassesImu, GlassesModel, GlassesOptions, ImuStream, Pacing, ReplayFinder};
use crate::pose::imu::filter::Estimate;
use crate::pose::{ImuOptions, ImuPose, PoseError, PoseSource};

/// How long after losing (or not finding) the pair the driver looks again.
pub const RETRY: Duration = Duration::from_secs(1);

pub struct GlassesPose {
    imu: ImuPose,
    feed: Arc<GlassesFeed>,
    name: String,
}

impl GlassesPose {
    /// Starts looking for the pair `finder` finds, on a thread of its own; until it delivers,
    /// the head is still.
    pub fn start(finder: Box<dyn GlassesFinder>, clock: SharedClock, options: GlassesOptions, retry: Duration) -> GlassesPose {
        let feed = Arc::new(GlassesFeed::default());
        let name = finder.describe();
        let device = GlassesImu::new(finder, feed.clone(), clock.clone(), options);
        // The pair streams at its own rate; the IMU rate here only paces devices that do not.
        let imu = ImuPose::start(Box::new(device), clock, ImuOptions { rate_hz: 1000.0, retry });
        GlassesPose { imu, feed, name }
    }

    pub fn feed(&self) -> Arc<GlassesFeed> {
        self.feed.clone()
    }

    /// Waits up to `timeout` for the first IMU sample: `Ok` once the pair delivers, else why not.
    pub fn wait_for_device(&self, timeout: Duration) -> Result<(), String> {
        self.imu.wait_for_device(timeout)
    }

    /// The fusion's newest estimate, in the IMU's own axes (for tests and the bench).
    pub fn estimate(&self) -> Option<Estimate> {
        self.imu.estimate()
    }

    fn for_display(&self, pose: Pose, mount: Quat) -> Pose {
        let display = (pose.orientation * mount.inverse()).normalize();
        let centre = self.feed.centre(|| heading(display));
        Pose { orientation: (centre.inverse() * display).normalize(), ..pose }
    }
}

impl PoseSource for GlassesPose {
    fn predict(&self, t_ns: u64) -> Pose {
        let (mount, delay_ns) = self.feed.geometry();
        let ahead = self.imu.predict(t_ns.saturating_add(delay_ns));
        self.for_display(Pose { timestamp_ns: t_ns, ..ahead }, mount)
    }

    fn latest(&self) -> Pose {
        let (mount, _) = self.feed.geometry();
        self.for_display(self.imu.latest(), mount)
    }

    fn describe(&self) -> String {
        self.name.clone()
    }

    fn glasses(&self) -> Option<Arc<GlassesFeed>> {
        Some(self.feed.clone())
    }
}

/// The yaw-only part of `orientation`: the way it faces, turned level.
fn heading(orientation: Quat) -> Quat {
    let forward = orientation * Vec3::NEG_Z;
    if forward.x.hypot(forward.z) < 1e-6 {
        return Quat::IDENTITY;
    }
    Quat::from_rotation_y((-forward.x).atan2(-forward.z))
}

/// The glasses a profile's `[pose] source = "glasses"` names: live over USB, or `replay` (a
/// recorded stream, relative to `data_root`) played in real time on `clock`. Fails only for a
/// stream that cannot be read; missing glasses are the reading thread's to wait for.
pub fn open_pose(
    model: Option<GlassesModel>,
    replay: Option<&Path>,
    data_root: &Path,
    clock: SharedClock,
) -> Result<GlassesPose, PoseError> {
    let (finder, options): (Box<dyn GlassesFinder>, GlassesOptions) = match replay {
        Some(file) => {
            let path = crate::pose::resolve(file, data_root);
            let stream = ImuStream::read(&path)?;
            let finder = ReplayFinder::new(stream, file.display().to_string(), clock.clone(), Pacing::RealTime);
            // A replay has no display to leave in 3D, and nothing to note across a crash.
            (Box::new(finder), GlassesOptions { state_dir: None, expect_model: model, ..GlassesOptions::default() })
        }
        None => (super::usb_finder(), GlassesOptions { expect_model: model, ..GlassesOptions::default() }),
    };
    Ok(GlassesPose::start(finder, clock, options, RETRY))
}
