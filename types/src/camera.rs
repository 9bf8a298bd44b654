//! A camera frame: RGBA8 (sRGB) pixels shared read-only, so handing a frame to several
//! consumers copies nothing.

use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct CameraFrame {
    pub width: u32,
    pub height: u32,
    /// Tightly packed RGBA8 rows, sRGB-encoded.
    pub pixels: Arc<[u8]>,
    /// Monotonic nanoseconds at capture.
    pub timestamp_ns: u64,
    /// Counts up with each frame from the same source.
    pub sequence: u64,
}

/// What the camera driver says about its stream on `camera/info` (JSON), when the stream starts
/// or changes (a live camera lost and the fallback serving) and once a second besides, so a
/// module that starts late learns it soon.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CameraInfo {
    /// The source serving frames now ("replay assets/camera/desk (8 frames)", "v4l /dev/video0 …").
    pub source: String,
    pub width: u32,
    pub height: u32,
    pub intrinsics: CameraIntrinsics,
    /// Whether frames come from a live device (false: replay, synthetic or a fallback).
    pub live: bool,
    /// A stereo camera's geometry, when it also sends right images on `camera/right`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stereo: Option<StereoGeometry>,
}

/// How the two lenses of a rectified stereo camera sit: the right lens `baseline_mm` to the
/// left lens's right, rows aligned, and `doffs_px` = cx_right - cx_left (Middlebury's doffs;
/// 0 for most rigs). The left lens is the camera's picture.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StereoGeometry {
    pub baseline_mm: f32,
    #[serde(default)]
    pub doffs_px: f32,
}

/// Pinhole intrinsics of a camera stream, in pixels of that stream: a point `(x, y, z)` in the
/// camera's frame (+x right, +y down, +z forward, metres) lands at pixel
/// `(fx * x / z + cx, fy * y / z + cy)`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CameraIntrinsics {
    pub fx: f32,
    pub fy: f32,
    pub cx: f32,
    pub cy: f32,
}

impl CameraIntrinsics {
    /// Square pixels, the principal point in the centre, and `hfov_deg` across the width.
    pub fn from_hfov(width: u32, height: u32, hfov_deg: f32) -> CameraIntrinsics {
        let f = width as f32 / 2.0 / (hfov_deg.to_radians() / 2.0).tan();
        CameraIntrinsics { fx: f, fy: f, cx: width as f32 / 2.0, cy: height as f32 / 2.0 }
    }

    /// The same lens seen through a stream resized from `from` to `to` pixels.
    pub fn scaled(self, from: (u32, u32), to: (u32, u32)) -> CameraIntrinsics {
        let sx = to.0 as f32 / from.0 as f32;
        let sy = to.1 as f32 / from.1 as f32;
        CameraIntrinsics { fx: self.fx * sx, fy: self.fy * sy, cx: self.cx * sx, cy: self.cy * sy }
    }

    /// The ray through pixel `(u, v)` at depth `z` (metres along the optical axis).
    pub fn unproject(self, u: f32, v: f32, z: f32) -> [f32; 3] {
        [(u - self.cx) / self.fx * z, (v - self.cy) / self.fy * z, z]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ninety_degrees_across_puts_the_edge_at_one_focal_length() {
        let k = CameraIntrinsics::from_hfov(640, 480, 90.0);
        assert!((k.fx - 320.0).abs() < 1e-3);
        let [x, y, z] = k.unproject(640.0, 240.0, 2.0);
        assert!((x - 2.0).abs() < 1e-4 && y.abs() < 1e-6 && z == 2.0);
        let half = k.scaled((640, 480), (320, 240));
        assert_eq!((half.fx, half.cx, half.cy), (160.0, 160.0, 120.0));
    }
}
