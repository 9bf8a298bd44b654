//! What the detector finds, in the camera frame's own normalized coordinates (0..1 across,
//! 0..1 down), and the message the vision module publishes for one frame.
//!
//! The JSON form of [`Detections`] is the `vision/faces` topic's contract with apps:
//!
//! ```json
//! { "frame_sequence": 41, "frame_timestamp_ns": 1366666666, "frame_width": 320, "frame_height": 240,
//!   "inference_us": 3400, "model": "face_detection_front_128x128_barracuda.onnx",
//!   "faces": [{ "bbox": { "x": 0.41, "y": 0.12, "w": 0.22, "h": 0.29 }, "score": 0.93,
//!               "landmarks": [[0.47, 0.2], …], "position": [0.05, -0.11, 0.61] }] }
//! ```
//!
//! `position` is where the face is in the camera's frame (metres; +x right, +y down, +z
//! forward), estimated from the camera's intrinsics and an average adult face width; it is
//! absent when the camera's intrinsics are unknown.

use serde::{Deserialize, Serialize};
use visor_types::CameraIntrinsics;

/// Average adult face width (bizygomatic breadth), metres: what turns a box width into a depth.
pub const FACE_WIDTH_M: f32 = 0.14;

/// A box, normalized: top-left corner and size.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BBox {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
}

impl BBox {
    pub fn center(&self) -> [f32; 2] {
        [self.x + self.w / 2.0, self.y + self.h / 2.0]
    }

    pub fn iou(&self, other: &BBox) -> f32 {
        let ix = (self.x + self.w).min(other.x + other.w) - self.x.max(other.x);
        let iy = (self.y + self.h).min(other.y + other.h) - self.y.max(other.y);
        if ix <= 0.0 || iy <= 0.0 {
            return 0.0;
        }
        let inter = ix * iy;
        inter / (self.w * self.h + other.w * other.h - inter)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    pub bbox: BBox,
    pub score: f32,
    /// Keypoints, normalized; for BlazeFace: right eye, left eye, nose, mouth, right ear, left ear.
    pub landmarks: Vec<[f32; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<[f32; 3]>,
}

impl Detection {
    /// Estimates [`Detection::position`] for a frame of `width`x`height` pixels seen through
    /// `intrinsics`, assuming the face is [`FACE_WIDTH_M`] wide.
    pub fn locate(&mut self, intrinsics: CameraIntrinsics, width: u32, height: u32) {
        let box_px = self.bbox.w * width as f32;
        if box_px <= 0.0 {
            return;
        }
        let z = intrinsics.fx * FACE_WIDTH_M / box_px;
        let [u, v] = self.bbox.center();
        self.position = Some(intrinsics.unproject(u * width as f32, v * height as f32, z));
    }
}

/// Everything found in one camera frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detections {
    pub frame_sequence: u64,
    pub frame_timestamp_ns: u64,
    pub frame_width: u32,
    pub frame_height: u32,
    pub inference_us: u64,
    pub model: String,
    pub faces: Vec<Detection>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_face_a_quarter_of_a_ninety_degree_frame_wide_is_at_two_focal_lengths_of_face_widths() {
        let k = CameraIntrinsics::from_hfov(320, 240, 90.0);
        let mut d = Detection { bbox: BBox { x: 0.375, y: 0.25, w: 0.25, h: 0.5 }, score: 1.0, landmarks: vec![], position: None };
        d.locate(k, 320, 240);
        let [x, y, z] = d.position.unwrap();
        assert!((z - 160.0 * FACE_WIDTH_M / 80.0).abs() < 1e-5, "{z}");
        assert!(x.abs() < 1e-6 && y.abs() < 1e-6);
    }

    #[test]
    fn iou_of_a_box_with_itself_is_one_and_with_a_far_box_zero() {
        let a = BBox { x: 0.1, y: 0.1, w: 0.2, h: 0.2 };
        assert!((a.iou(&a) - 1.0).abs() < 1e-6);
        assert_eq!(a.iou(&BBox { x: 0.6, ..a }), 0.0);
    }
}
