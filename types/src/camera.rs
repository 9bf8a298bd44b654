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
