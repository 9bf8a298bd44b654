//! Projection math shared by the compositor (which renders) and the runtime (which tells apps).

use glam::{Mat4, Vec4};
use serde::{Deserialize, Serialize};

/// A field of view as four angles in radians from the view axis, as OpenXR gives them:
/// `left` and `down` are usually negative. Asymmetric frusta are normal for each eye of a
/// headset.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fov {
    pub left: f32,
    pub right: f32,
    pub up: f32,
    pub down: f32,
}

impl Fov {
    /// A symmetric field of view from a full horizontal angle and an aspect ratio (w / h).
    pub fn symmetric(horizontal: f32, aspect: f32) -> Fov {
        let half_w = (horizontal / 2.0).tan();
        let half_h = half_w / aspect;
        Fov { left: -half_w.atan(), right: half_w.atan(), up: half_h.atan(), down: -half_h.atan() }
    }
}

/// Near plane for every projection Visor hands out, in metres.
pub const NEAR_PLANE: f32 = 0.05;

/// A right-handed, reverse-Z projection with an infinite far plane: a point at the near plane
/// maps to depth 1, infinity to depth 0. Reverse-Z with a float depth buffer keeps depth
/// precision nearly uniform with distance, which is what lets separate apps' depths be
/// compared without fighting.
pub fn projection(fov: Fov, near: f32) -> Mat4 {
    let (l, r) = (fov.left.tan(), fov.right.tan());
    let (u, d) = (fov.up.tan(), fov.down.tan());
    let (w, h) = (r - l, u - d);
    Mat4::from_cols(
        Vec4::new(2.0 / w, 0.0, 0.0, 0.0),
        Vec4::new(0.0, 2.0 / h, 0.0, 0.0),
        Vec4::new((r + l) / w, (u + d) / h, 0.0, -1.0),
        Vec4::new(0.0, 0.0, near, 0.0),
    )
}

/// The reverse-Z depth a point `distance` metres in front of the eye gets from [`projection`].
pub fn depth_at(distance: f32, near: f32) -> f32 {
    near / distance
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::Vec3;

    #[test]
    fn reverse_z_maps_near_to_one_and_far_toward_zero() {
        let p = projection(Fov::symmetric(90f32.to_radians(), 1.0), NEAR_PLANE);
        let near = p.project_point3(Vec3::new(0.0, 0.0, -NEAR_PLANE));
        let two_m = p.project_point3(Vec3::new(0.0, 0.0, -2.0));
        assert!((near.z - 1.0).abs() < 1e-6);
        assert!((two_m.z - depth_at(2.0, NEAR_PLANE)).abs() < 1e-6);
        // 90 degrees: a point at 45 degrees to the right lands on the right edge.
        let edge = p.project_point3(Vec3::new(2.0, 0.0, -2.0));
        assert!((edge.x - 1.0).abs() < 1e-5);
    }

    #[test]
    fn asymmetric_fov_shifts_the_centre() {
        let fov = Fov { left: -0.8, right: 0.4, up: 0.5, down: -0.5 };
        let p = projection(fov, NEAR_PLANE);
        let left_edge = p.project_point3(Vec3::new(-(0.8f32.tan()), 0.0, -1.0));
        let right_edge = p.project_point3(Vec3::new(0.4f32.tan(), 0.0, -1.0));
        assert!((left_edge.x + 1.0).abs() < 1e-5 && (right_edge.x - 1.0).abs() < 1e-5);
    }
}
