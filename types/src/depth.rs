//! The real world's depth, and how the camera picture maps into each eye.
//!
//! A [`DepthFrame`] is metric depth in the camera's pixels (millimetres along the optical axis,
//! 0 unknown) with a confidence per pixel, what the `depth` module publishes on `camera/depth`.
//! [`Passthrough`] is where the camera sits and how it sees; [`Passthrough::lookup`] finds, for
//! one pixel of one eye, which camera pixel shows there and how far that real surface is. The
//! compositor runs the same steps per pixel on the GPU (`world_at` in
//! `shaders/composite.wgsl`); this is the CPU reference the hit test and the tests use.
//!
//! The lookup. The eye's ray through the pixel is walked to the real surface by fixed-point
//! iteration: guess a depth (the fallback plane), see which camera pixel the ray point at that
//! depth lands on, read the depth there, and move along the ray to it. With the camera a few
//! centimetres from the eye this settles in a few steps everywhere but right at depth edges,
//! where it picks one side — which is what the eye sees there too.

use std::sync::Arc;

use glam::{Mat4, Vec2, Vec3, Vec4, Vec4Swizzles};

use crate::camera::CameraIntrinsics;

/// Metric depth of the real world in a camera's pixels.
#[derive(Clone, Debug)]
pub struct DepthFrame {
    pub width: u32,
    pub height: u32,
    /// Millimetres along the camera's optical axis, row-major; 0 where unknown.
    pub millimetres: Arc<[u16]>,
    /// 0 (a guess) to 255 (sure), one per pixel; 0 where the depth is unknown.
    pub confidence: Arc<[u8]>,
    /// Capture time of the picture it belongs to (monotonic ns).
    pub timestamp_ns: u64,
    /// The camera frame's sequence it was measured for.
    pub sequence: u64,
}

impl DepthFrame {
    /// Metres at pixel (`x`, `y`), if known there.
    pub fn metres_at(&self, x: u32, y: u32) -> Option<f32> {
        if x >= self.width || y >= self.height {
            return None;
        }
        let mm = *self.millimetres.get((y * self.width + x) as usize)?;
        (mm > 0).then(|| f32::from(mm) / 1000.0)
    }

    /// Whether the pixel buffers hold one entry per pixel.
    pub fn is_consistent(&self) -> bool {
        let n = self.width as usize * self.height as usize;
        self.millimetres.len() == n && self.confidence.len() == n
    }
}

/// How the camera picture is placed in each eye.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Passthrough {
    /// The camera's lens, in pixels of its stream.
    pub intrinsics: CameraIntrinsics,
    /// The stream's size in pixels.
    pub size: (u32, u32),
    /// Head from camera (the profile's `[camera] mount`), in head axes (+x right, +y up, -z
    /// forward); the camera looks along its -z.
    pub head_from_camera: Mat4,
    /// Reproject the picture per eye through the lens and mount (true), or stretch it over
    /// each eye's view as it comes (false: the picture as the simulator always showed it).
    pub reproject: bool,
    /// Where there is no depth, the world is taken to be a plane this far along the camera's
    /// axis, in metres.
    pub plane_m: f32,
}

/// Which camera pixel shows at an eye pixel, and the real surface's depth there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lookup {
    /// Camera pixel coordinates (continuous; pixel centres at +0.5).
    pub camera_px: Vec2,
    /// The real surface's reverse-Z depth in the eye's projection; 0 where there is no depth
    /// (the fallback plane never hides anything).
    pub depth: f32,
}

/// Fixed-point steps of the lookup: enough for centimetre baselines (each step cuts the error
/// by the ratio of baseline to depth change).
pub const LOOKUP_STEPS: u32 = 4;

/// Camera axes (+x right, +y down, +z forward) from head-style axes (+y up, -z forward).
pub fn vision_from_gl() -> Mat4 {
    Mat4::from_scale(Vec3::new(1.0, -1.0, -1.0))
}

impl Passthrough {
    /// World from camera (vision axes) when the head is at `world_from_head`.
    pub fn world_from_camera(&self, world_from_head: Mat4) -> Mat4 {
        world_from_head * self.head_from_camera * vision_from_gl()
    }

    /// The eye's clip space to camera space (vision axes), and back: the two matrices the
    /// composite shader takes per eye.
    pub fn clip_camera(&self, world_from_head: Mat4, view_projection: Mat4) -> (Mat4, Mat4) {
        let world_from_camera = self.world_from_camera(world_from_head);
        let camera_to_clip = view_projection * world_from_camera;
        (camera_to_clip.inverse(), camera_to_clip)
    }

    /// The lookup at eye pixel `pixel` of an eye `size` pixels large, with `depth` (in this
    /// camera's pixels) where there is some. `None` where the pixel sees nothing the camera saw.
    pub fn lookup(
        &self,
        world_from_head: Mat4,
        view_projection: Mat4,
        pixel: Vec2,
        size: Vec2,
        depth: Option<&DepthFrame>,
    ) -> Option<Lookup> {
        let (clip_to_camera, camera_to_clip) = self.clip_camera(world_from_head, view_projection);
        let uv = (pixel + 0.5) / size;
        let cam = Vec2::new(self.size.0 as f32, self.size.1 as f32);
        let k = self.intrinsics;
        let metres_at = |px: Vec2| {
            let inside = px.x >= 0.0 && px.y >= 0.0 && px.x < cam.x && px.y < cam.y;
            depth.filter(|_| inside).and_then(|d| {
                // Depth maps may come at another size than the picture: same lens, scaled.
                let scale = Vec2::new(d.width as f32, d.height as f32) / cam;
                d.metres_at((px.x * scale.x) as u32, (px.y * scale.y) as u32)
            })
        };
        let (camera_px, metres) = if self.reproject {
            let ndc = Vec2::new(uv.x * 2.0 - 1.0, 1.0 - uv.y * 2.0);
            let at = |d: f32| {
                let p = clip_to_camera * Vec4::new(ndc.x, ndc.y, d, 1.0);
                p.xyz() / p.w
            };
            let origin = at(1.0);
            let direction = at(0.5) - origin;
            if direction.z <= 0.0 {
                return None;
            }
            let project = |p: Vec3| Vec2::new(k.fx * p.x / p.z + k.cx, k.fy * p.y / p.z + k.cy);
            let mut z = self.plane_m;
            let mut px = Vec2::ZERO;
            let mut known = None;
            for _ in 0..LOOKUP_STEPS {
                let point = origin + direction * ((z - origin.z) / direction.z);
                px = project(point);
                known = metres_at(px);
                z = known.unwrap_or(self.plane_m);
            }
            if !(px.x >= 0.0 && px.y >= 0.0 && px.x < cam.x && px.y < cam.y) {
                return None;
            }
            (px, known)
        } else {
            let px = uv * cam;
            (px, metres_at(px))
        };
        let depth = metres.map_or(0.0, |z| {
            let point = Vec3::new((camera_px.x - k.cx) / k.fx * z, (camera_px.y - k.cy) / k.fy * z, z);
            let clip = camera_to_clip * point.extend(1.0);
            (clip.z / clip.w).max(0.0)
        });
        Some(Lookup { camera_px, depth })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::{Fov, NEAR_PLANE, depth_at, projection};

    fn plane(width: u32, height: u32, mm: u16) -> DepthFrame {
        let n = (width * height) as usize;
        DepthFrame { width, height, millimetres: vec![mm; n].into(), confidence: vec![255; n].into(), timestamp_ns: 0, sequence: 0 }
    }

    #[test]
    fn an_eye_beside_the_camera_sees_a_wall_shifted_by_its_parallax() {
        let k = CameraIntrinsics::from_hfov(640, 480, 90.0);
        let passthrough = Passthrough { intrinsics: k, size: (640, 480), head_from_camera: Mat4::IDENTITY, reproject: true, plane_m: 2.0 };
        let wall = plane(640, 480, 1000);
        let projection = projection(Fov::symmetric(90f32.to_radians(), 640.0 / 480.0), NEAR_PLANE);
        // The left eye 32 mm left of the camera: a wall 1 m away appears shifted right by
        // fx * 0.032 / 1 = 10.24 camera pixels, so the eye's centre sees camera pixel 330.24.
        let view = Mat4::from_translation(Vec3::new(0.032, 0.0, 0.0));
        let size = Vec2::new(640.0, 480.0);
        let hit = passthrough.lookup(Mat4::IDENTITY, projection * view, Vec2::new(319.5, 239.5), size, Some(&wall)).unwrap();
        assert!((hit.camera_px.x - (320.0 - 10.24)).abs() < 0.05, "{hit:?}");
        assert!((hit.depth - depth_at(1.0, NEAR_PLANE)).abs() < 1e-4, "{hit:?}");
        // Without depth: the fallback plane at 2 m, half the shift, and nothing to hide behind.
        let hit = passthrough.lookup(Mat4::IDENTITY, projection * view, Vec2::new(319.5, 239.5), size, None).unwrap();
        assert!((hit.camera_px.x - (320.0 - 5.12)).abs() < 0.05 && hit.depth == 0.0, "{hit:?}");
    }
}
