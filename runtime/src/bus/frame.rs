//! [`FrameHandle`]: an image shared read-only between every subscriber that receives it.
//!
//! The pixels live in one reference-counted buffer; cloning a handle (which the bus does once
//! per subscriber) bumps a count and copies none of them. A reader that wants pixels — a
//! guest, above all, whose memory is not the host's — copies out only the rectangle it asks
//! for, with the bounds checked here.

use std::sync::Arc;

use visor_types::{CameraFrame, DepthFrame};

use super::error::BusError;

/// Pixel layouts a frame may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PixelFormat {
    /// 8-bit RGBA, sRGB-encoded, 4 bytes per pixel (`camera/frames`, `camera/right`).
    Rgba8,
    /// A depth camera's 16-bit depth, V4L2's `Z16`: millimetres, little-endian, 0 unknown
    /// (`camera/z16`).
    Z16,
    /// Metric depth with confidence, 4 bytes per pixel: millimetres (u16, little-endian; 0
    /// unknown), confidence (u8, 0 a guess to 255 sure), 0 (`camera/depth`).
    DepthConfidence,
}

impl PixelFormat {
    pub fn bytes_per_pixel(self) -> u32 {
        match self {
            PixelFormat::Rgba8 | PixelFormat::DepthConfidence => 4,
            PixelFormat::Z16 => 2,
        }
    }
}

/// A shared, read-only image with its capture time. Fields are private so a handle always
/// describes pixels that are really there.
///
/// The handle is one pointer (its description sits beside the pixels' reference count), so
/// a [`Payload`](super::Payload) carrying it stays small and every bus message moves fewer
/// bytes through the queues; cloning it is one reference count, as before.
#[derive(Clone)]
pub struct FrameHandle(Arc<Frame>);

struct Frame {
    width: u32,
    height: u32,
    /// Bytes from the start of one row to the start of the next (≥ width × bytes per pixel).
    stride: u32,
    format: PixelFormat,
    pixels: Arc<[u8]>,
    timestamp_ns: u64,
    sequence: u64,
}

impl FrameHandle {
    /// Wraps `pixels` (shared, not copied) after checking that they hold `height` rows of
    /// `stride` bytes (the last row may stop at the last pixel).
    pub fn new(
        width: u32,
        height: u32,
        stride: u32,
        format: PixelFormat,
        pixels: Arc<[u8]>,
        timestamp_ns: u64,
        sequence: u64,
    ) -> Result<FrameHandle, BusError> {
        let bad = |reason: String| BusError::BadFrame { width, height, reason };
        let row = u64::from(width) * u64::from(format.bytes_per_pixel());
        if u64::from(stride) < row {
            return Err(bad(format!("a stride of {stride} bytes is shorter than a row ({row} bytes)")));
        }
        let needed = match height {
            0 => 0,
            h => u64::from(stride) * u64::from(h - 1) + row,
        };
        if (pixels.len() as u64) < needed {
            return Err(bad(format!("needs {needed} bytes of pixels, got {}", pixels.len())));
        }
        Ok(FrameHandle(Arc::new(Frame { width, height, stride, format, pixels, timestamp_ns, sequence })))
    }

    /// Shares a camera driver's frame (tightly packed RGBA8) without copying it.
    pub fn from_camera(frame: &CameraFrame) -> Result<FrameHandle, BusError> {
        let stride = frame.width.checked_mul(4).ok_or_else(|| BusError::BadFrame {
            width: frame.width,
            height: frame.height,
            reason: "is too wide".into(),
        })?;
        FrameHandle::new(frame.width, frame.height, stride, PixelFormat::Rgba8, frame.pixels.clone(), frame.timestamp_ns, frame.sequence)
    }

    /// Shares a depth camera's 16-bit frame (copied once into the bus's byte layout).
    pub fn from_z16(width: u32, height: u32, millimetres: &[u16], timestamp_ns: u64, sequence: u64) -> Result<FrameHandle, BusError> {
        let bytes: Vec<u8> = millimetres.iter().flat_map(|mm| mm.to_le_bytes()).collect();
        FrameHandle::new(width, height, width.saturating_mul(2), PixelFormat::Z16, bytes.into(), timestamp_ns, sequence)
    }

    /// A depth frame in the `DepthConfidence` layout.
    pub fn from_depth(frame: &DepthFrame) -> Result<FrameHandle, BusError> {
        if !frame.is_consistent() {
            return Err(BusError::BadFrame { width: frame.width, height: frame.height, reason: "has not one depth per pixel".into() });
        }
        let bytes: Vec<u8> = frame
            .millimetres
            .iter()
            .zip(frame.confidence.iter())
            .flat_map(|(mm, &c)| {
                let [a, b] = mm.to_le_bytes();
                [a, b, c, 0]
            })
            .collect();
        FrameHandle::new(
            frame.width,
            frame.height,
            frame.width.saturating_mul(4),
            PixelFormat::DepthConfidence,
            bytes.into(),
            frame.timestamp_ns,
            frame.sequence,
        )
    }

    /// The millimetres of a `Z16` frame, or the millimetres and confidence of a
    /// `DepthConfidence` one, as a [`DepthFrame`] (Z16 depth counts as sure where known);
    /// `None` for a picture.
    pub fn to_depth(&self) -> Option<DepthFrame> {
        let (w, h, bpp) = (self.0.width as usize, self.0.height as usize, self.0.format.bytes_per_pixel() as usize);
        let texel = |x: usize, y: usize| &self.0.pixels[y * self.0.stride as usize + x * bpp..][..bpp];
        let texels = (0..h).flat_map(|y| (0..w).map(move |x| (x, y)));
        let (millimetres, confidence): (Vec<u16>, Vec<u8>) = match self.0.format {
            PixelFormat::Rgba8 => return None,
            PixelFormat::Z16 => texels
                .map(|(x, y)| {
                    let t = texel(x, y);
                    let mm = u16::from_le_bytes([t[0], t[1]]);
                    (mm, if mm > 0 { 255 } else { 0 })
                })
                .unzip(),
            PixelFormat::DepthConfidence => texels
                .map(|(x, y)| {
                    let t = texel(x, y);
                    (u16::from_le_bytes([t[0], t[1]]), t[2])
                })
                .unzip(),
        };
        Some(DepthFrame {
            width: self.0.width,
            height: self.0.height,
            millimetres: millimetres.into(),
            confidence: confidence.into(),
            timestamp_ns: self.0.timestamp_ns,
            sequence: self.0.sequence,
        })
    }

    pub fn width(&self) -> u32 {
        self.0.width
    }
    pub fn height(&self) -> u32 {
        self.0.height
    }
    pub fn stride(&self) -> u32 {
        self.0.stride
    }
    pub fn format(&self) -> PixelFormat {
        self.0.format
    }
    pub fn timestamp_ns(&self) -> u64 {
        self.0.timestamp_ns
    }
    pub fn sequence(&self) -> u64 {
        self.0.sequence
    }

    /// The whole shared buffer, for native readers (a GPU upload, an inference library).
    pub fn pixels(&self) -> &Arc<[u8]> {
        &self.0.pixels
    }

    /// Whether two handles share one pixel buffer.
    pub fn ptr_eq(&self, other: &FrameHandle) -> bool {
        Arc::ptr_eq(&self.0.pixels, &other.0.pixels)
    }

    /// Bytes that a `w` × `h` region takes when tightly packed.
    pub fn region_len(&self, w: u32, h: u32) -> usize {
        (u64::from(w) * u64::from(h) * u64::from(self.0.format.bytes_per_pixel())) as usize
    }

    /// Copies the region at (`x`, `y`) of `w` × `h` pixels, rows tightly packed.
    pub fn read_region(&self, x: u32, y: u32, w: u32, h: u32) -> Result<Vec<u8>, BusError> {
        self.check_region(x, y, w, h)?;
        let mut out = vec![0; self.region_len(w, h)];
        self.copy_rows(x, y, w, h, &mut out);
        Ok(out)
    }

    /// Copies the region into `dst` (for instance a guest's memory) without an intermediate
    /// buffer. `dst` must hold at least [`region_len`](Self::region_len) bytes.
    pub fn copy_region_to(&self, x: u32, y: u32, w: u32, h: u32, dst: &mut [u8]) -> Result<(), BusError> {
        self.check_region(x, y, w, h)?;
        let needed = self.region_len(w, h);
        if dst.len() < needed {
            return Err(BusError::RegionBuffer { w, h, needed, len: dst.len() });
        }
        self.copy_rows(x, y, w, h, &mut dst[..needed]);
        Ok(())
    }

    fn check_region(&self, x: u32, y: u32, w: u32, h: u32) -> Result<(), BusError> {
        let inside = u64::from(x) + u64::from(w) <= u64::from(self.0.width) && u64::from(y) + u64::from(h) <= u64::from(self.0.height);
        if inside { Ok(()) } else { Err(BusError::RegionOutOfBounds { x, y, w, h, width: self.0.width, height: self.0.height }) }
    }

    /// Bounds already checked: every index below is inside `pixels` by [`FrameHandle::new`].
    fn copy_rows(&self, x: u32, y: u32, w: u32, h: u32, dst: &mut [u8]) {
        let bpp = self.0.format.bytes_per_pixel() as usize;
        let row_bytes = w as usize * bpp;
        if row_bytes == 0 {
            return;
        }
        for (row, out) in dst.chunks_exact_mut(row_bytes).take(h as usize).enumerate() {
            let start = (y as usize + row) * self.0.stride as usize + x as usize * bpp;
            out.copy_from_slice(&self.0.pixels[start..start + row_bytes]);
        }
    }
}

impl std::fmt::Debug for FrameHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameHandle")
            .field("width", &self.0.width)
            .field("height", &self.0.height)
            .field("stride", &self.0.stride)
            .field("format", &self.0.format)
            .field("bytes", &self.0.pixels.len())
            .field("timestamp_ns", &self.0.timestamp_ns)
            .field("sequence", &self.0.sequence)
            .finish()
    }
}
