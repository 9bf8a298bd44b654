//! [`SyntheticCamera`]: an animated test pattern for machines without a camera (CI, headless).
//!
//! The top two thirds are eight colour bars (so colour-space mistakes show), the bottom third a
//! checker of coloured ramps that scrolls right, and a white line sweeps across the whole frame
//! (so motion and stale frames show). Every pixel is a pure function of the frame index, which
//! makes frames reproducible in golden tests.

use visor_types::profile::LensConfig;
use visor_types::{CameraFrame, CameraIntrinsics};

use super::timing::FrameRate;
use super::{CameraError, CameraSource, MAX_SIDE};

/// 75% bars, white to black, in the usual order (sRGB).
const BARS: [[u8; 3]; 8] =
    [[191, 191, 191], [191, 191, 0], [0, 191, 191], [0, 191, 0], [191, 0, 191], [191, 0, 0], [0, 0, 191], [16, 16, 16]];

pub struct SyntheticCamera {
    width: u32,
    height: u32,
    fps: FrameRate,
    intrinsics: CameraIntrinsics,
    /// The last rendered frame: asked again within its period, it is handed out as-is, so
    /// consumers share one buffer and the pattern is drawn once per frame, not once per call.
    current: Option<CameraFrame>,
}

impl SyntheticCamera {
    pub fn new(width: u32, height: u32, fps: f32) -> Result<SyntheticCamera, CameraError> {
        if !(1..=MAX_SIDE).contains(&width) || !(1..=MAX_SIDE).contains(&height) {
            return Err(CameraError::BadSize { width, height });
        }
        let fps = FrameRate::new(fps)?;
        let intrinsics = LensConfig::default().intrinsics((width, height), (width, height));
        Ok(SyntheticCamera { width, height, fps, intrinsics, current: None })
    }

    /// Takes the profile's lens (explicit intrinsics are in pixels of this pattern's size).
    pub fn with_lens(mut self, lens: &LensConfig) -> SyntheticCamera {
        let size = (self.width, self.height);
        self.intrinsics = lens.intrinsics(size, size);
        self
    }
}

impl CameraSource for SyntheticCamera {
    fn describe(&self) -> String {
        format!("synthetic {}x{} @ {}", self.width, self.height, self.fps)
    }

    fn frame_at(&mut self, now_ns: u64) -> Result<CameraFrame, CameraError> {
        let index = self.fps.index(now_ns);
        if let Some(frame) = &self.current
            && frame.sequence == index
        {
            return Ok(frame.clone());
        }
        let frame = CameraFrame {
            width: self.width,
            height: self.height,
            pixels: render(self.width, self.height, index).into(),
            timestamp_ns: self.fps.capture_ns(index),
            sequence: index,
        };
        self.current = Some(frame.clone());
        Ok(frame)
    }

    fn intrinsics(&self) -> CameraIntrinsics {
        self.intrinsics
    }
}

/// Draws frame `index` as tightly packed RGBA8.
fn render(width: u32, height: u32, index: u64) -> Vec<u8> {
    let (w, h) = (u64::from(width), u64::from(height));
    let bars_end = h * 2 / 3;
    let cell = (h / 12).max(2);
    // The checker repeats every two cells, so scrolling modulo that keeps the math small
    // however long the camera has run.
    let scroll = (index * 2) % (2 * cell);
    let line_width = (w / 160).max(1);
    let line_x = (index * (w / 64).max(1)) % w;
    let hue_shift = (index * 8) % 256;

    let mut pixels = vec![0u8; (w * h * 4) as usize];
    for (y, row) in pixels.chunks_exact_mut((w * 4) as usize).enumerate() {
        let y = y as u64;
        for (x, px) in row.chunks_exact_mut(4).enumerate() {
            let x = x as u64;
            let rgb = if x >= line_x && x < line_x + line_width {
                [255, 255, 255]
            } else if y < bars_end {
                BARS[(x * 8 / w) as usize]
            } else if ((x + 2 * cell - scroll) / cell + (y - bars_end) / cell).is_multiple_of(2) {
                let ramp = x * 255 / w.saturating_sub(1).max(1);
                [ramp as u8, ((ramp + hue_shift) % 256) as u8, (255 - ramp) as u8]
            } else {
                [40, 40, 40]
            };
            px.copy_from_slice(&[rgb[0], rgb[1], rgb[2], 255]);
        }
    }
    pixels
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    const NS: u64 = 1_000_000_000;

    #[test]
    fn frames_are_shared_within_a_period_and_change_between_periods() {
        let mut camera = SyntheticCamera::new(64, 48, 10.0).unwrap();
        let a = camera.frame_at(0).unwrap();
        let a_again = camera.frame_at(NS / 10 - 1).unwrap();
        assert!(Arc::ptr_eq(&a.pixels, &a_again.pixels), "same index must hand out the same buffer");
        assert_eq!((a.sequence, a.timestamp_ns), (0, 0));

        let b = camera.frame_at(NS / 10).unwrap();
        assert_eq!((b.sequence, b.timestamp_ns), (1, NS / 10));
        assert!(!Arc::ptr_eq(&a.pixels, &b.pixels));
        assert_ne!(a.pixels, b.pixels, "the pattern must move between frames");
    }

    #[test]
    fn a_frame_depends_only_on_its_index() {
        let mut one = SyntheticCamera::new(33, 17, 30.0).unwrap();
        let mut two = SyntheticCamera::new(33, 17, 30.0).unwrap();
        // Visit frames in different orders: the pixels of frame 7 must not depend on history.
        one.frame_at(0).unwrap();
        let from_one = one.frame_at(7 * NS / 30 + 5).unwrap();
        let from_two = two.frame_at(7 * NS / 30 + 5).unwrap();
        assert_eq!(from_one.sequence, 7);
        assert_eq!(from_one.pixels, from_two.pixels);
        assert_eq!(from_one.pixels.len(), 33 * 17 * 4);
        assert!(from_one.pixels.chunks_exact(4).all(|p| p[3] == 255), "camera frames are opaque");
    }

    #[test]
    fn tiny_and_invalid_sizes() {
        let mut one_pixel = SyntheticCamera::new(1, 1, 30.0).unwrap();
        assert_eq!(one_pixel.frame_at(123 * NS).unwrap().pixels.len(), 4);
        assert!(matches!(SyntheticCamera::new(0, 10, 30.0), Err(CameraError::BadSize { .. })));
        assert!(matches!(SyntheticCamera::new(10, MAX_SIDE + 1, 30.0), Err(CameraError::BadSize { .. })));
        assert!(matches!(SyntheticCamera::new(10, 10, 0.0), Err(CameraError::BadFps { .. })));
    }
}
