//! The real world for the compositor: where the camera sits and how it sees (from the
//! profile's `[camera]` mount and passthrough keys, and the lens the camera driver states on
//! `camera/info`), and the newest depth from `camera/depth`. Depth captured more than
//! [`DEPTH_STALE_NS`] ago is dropped: stale depth would hide apps behind things that moved.

use std::str::FromStr;

use visor_compositor::Compositor;
use visor_runtime::bus::{Endpoint, Overflow, QueueOptions, Subscription, TopicPattern};
use visor_types::profile::CameraConfig;
use visor_types::{CameraInfo, DepthFrame, Passthrough};

use crate::builtin;

/// Depth older than this is not used. Longer than the camera's limit: a CPU stereo matcher
/// delivers its depth most of a second after the picture.
pub const DEPTH_STALE_NS: u64 = 2_000_000_000;

pub struct WorldWatch {
    camera: CameraConfig,
    info: Subscription,
    depth: Subscription,
    /// The lens last handed to the compositor.
    shown: Option<CameraInfo>,
    /// Capture time of the depth the compositor has, if any.
    depth_ns: Option<u64>,
}

/// The topics the shell's endpoint reads for this.
pub fn patterns() -> [TopicPattern; 2] {
    [builtin::camera::INFO, builtin::depth::DEPTH].map(|t| TopicPattern::from_str(t).expect("a valid pattern"))
}

impl WorldWatch {
    pub fn new(endpoint: &Endpoint, camera: CameraConfig) -> Result<WorldWatch, visor_runtime::bus::BusError> {
        let [info, depth] = patterns();
        let info = endpoint.subscribe(info, QueueOptions { capacity: 4, policy: Overflow::DropOldest })?;
        let depth = endpoint.subscribe(depth, QueueOptions { capacity: 1, policy: Overflow::DropOldest })?;
        Ok(WorldWatch { camera, info, depth, shown: None, depth_ns: None })
    }

    /// Hands the compositor what changed since the last frame.
    pub fn update(&mut self, compositor: &mut Compositor, now_ns: u64) {
        if let Some(info) = self.info.drain().filter_map(|m| m.payload.decode::<CameraInfo>().ok()).last()
            && self.shown.as_ref().is_none_or(|s| (s.width, s.height, s.intrinsics) != (info.width, info.height, info.intrinsics))
        {
            compositor.set_passthrough(Some(self.passthrough(&info)));
            self.shown = Some(info);
        }
        let newest: Option<DepthFrame> = self.depth.drain().filter_map(|m| m.payload.as_frame().and_then(|f| f.to_depth())).last();
        if let Some(depth) = newest {
            self.depth_ns = Some(depth.timestamp_ns);
            compositor.set_world_depth(Some(depth));
        } else if self.depth_ns.is_some_and(|at| now_ns.saturating_sub(at) > DEPTH_STALE_NS) {
            tracing::warn!("no fresh depth from camera/depth; nothing real hides the apps until it is back");
            self.depth_ns = None;
            compositor.set_world_depth(None);
        }
    }

    fn passthrough(&self, info: &CameraInfo) -> Passthrough {
        Passthrough {
            intrinsics: info.intrinsics,
            size: (info.width, info.height),
            head_from_camera: self.camera.mount.head_from_camera(),
            reproject: self.camera.passthrough.reproject,
            plane_m: self.camera.passthrough.plane_m,
        }
    }
}
