//! A head pose at an instant: where the head was (metres, world space) and how it was turned
//! (head to world). Pose drivers produce them, the bus carries them (`pose/head`, as
//! [`PoseMessage`] JSON), and the shell derives each frame's eyes from the one predicted for
//! the frame's display time.

use glam::{Mat4, Quat, Vec3};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pose {
    /// Monotonic nanoseconds (the shell's clock) at which the head was here.
    pub timestamp_ns: u64,
    pub position: Vec3,
    pub orientation: Quat,
}

impl Pose {
    /// The head at rest at the world origin, looking down -z.
    pub const fn identity(timestamp_ns: u64) -> Pose {
        Pose { timestamp_ns, position: Vec3::ZERO, orientation: Quat::IDENTITY }
    }

    /// World from head.
    pub fn matrix(&self) -> Mat4 {
        Mat4::from_rotation_translation(self.orientation, self.position)
    }
}

/// A pose as the bus carries it (JSON on `pose/head`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PoseMessage {
    pub timestamp_ns: u64,
    pub position: [f32; 3],
    /// `[x, y, z, w]`, head to world.
    pub orientation: [f32; 4],
}

impl From<&Pose> for PoseMessage {
    fn from(p: &Pose) -> Self {
        PoseMessage { timestamp_ns: p.timestamp_ns, position: p.position.to_array(), orientation: p.orientation.to_array() }
    }
}

impl From<&PoseMessage> for Pose {
    fn from(m: &PoseMessage) -> Self {
        Pose {
            timestamp_ns: m.timestamp_ns,
            position: Vec3::from_array(m.position),
            orientation: Quat::from_array(m.orientation).normalize(),
        }
    }
}
