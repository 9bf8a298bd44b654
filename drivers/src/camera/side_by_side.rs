//! [`SideBySide`]: a stereo camera that delivers both eyes in one frame, the left lens's image
//! in the left half and the right lens's in the right half (as many USB stereo cameras do),
//! turned into a stereo source. The left half is the picture and the right half its companion
//! ([`Companions::right`]), and the rig's geometry comes from the profile
//! (`[camera] stereo = { layout = "side-by-side", baseline_mm, doffs_px }`).
//!
//! The profile's lens (`intrinsics` or `hfov_deg`) describes one lens, in pixels of one half.
//! Each new frame is split once and the halves are shared: asking again for the same frame
//! copies nothing.

use std::sync::Arc;

use visor_types::camera::StereoGeometry;
use visor_types::profile::LensConfig;
use visor_types::{CameraFrame, CameraIntrinsics};

use super::{CameraError, CameraEvent, CameraSource, Companions};

pub struct SideBySide {
    inner: Box<dyn CameraSource>,
    lens: LensConfig,
    /// The mode asked of the camera (both halves), for explicit intrinsics; `None`: the stream's.
    nominal: Option<(u32, u32)>,
    geometry: StereoGeometry,
    /// The last frame split.
    split: Option<Split>,
    /// The size of the last frame's halves.
    half: (u32, u32),
}

impl SideBySide {
    pub fn new(inner: Box<dyn CameraSource>, lens: LensConfig, nominal: Option<(u32, u32)>, geometry: StereoGeometry) -> SideBySide {
        SideBySide { inner, lens, nominal, geometry, split: None, half: (0, 0) }
    }
}

/// One frame's pixels and its two halves.
struct Split {
    source: Arc<[u8]>,
    left: Arc<[u8]>,
    right: Arc<[u8]>,
}

/// The left and right halves of tightly packed RGBA rows `width` wide.
fn halves(pixels: &[u8], width: u32, height: u32) -> (Arc<[u8]>, Arc<[u8]>) {
    let (row, half) = (width as usize * 4, (width / 2) as usize * 4);
    let mut left = Vec::with_capacity(half * height as usize);
    let mut right = Vec::with_capacity(half * height as usize);
    for line in pixels.chunks_exact(row).take(height as usize) {
        left.extend_from_slice(&line[..half]);
        right.extend_from_slice(&line[half..2 * half]);
    }
    (left.into(), right.into())
}

impl CameraSource for SideBySide {
    fn describe(&self) -> String {
        format!("{} (side by side: left half shown, right half its stereo pair)", self.inner.describe())
    }

    fn frame_at(&mut self, now_ns: u64) -> Result<CameraFrame, CameraError> {
        let frame = self.inner.frame_at(now_ns)?;
        if frame.width < 2 || frame.pixels.len() < (frame.width * frame.height * 4) as usize {
            return Err(CameraError::Stereo {
                message: format!("a {}x{} frame cannot be split into two eyes; check the camera's mode", frame.width, frame.height),
            });
        }
        let left = match &self.split {
            Some(split) if Arc::ptr_eq(&split.source, &frame.pixels) => split.left.clone(),
            _ => {
                let (left, right) = halves(&frame.pixels, frame.width, frame.height);
                self.split = Some(Split { source: frame.pixels.clone(), left: left.clone(), right });
                left
            }
        };
        self.half = (frame.width / 2, frame.height);
        Ok(CameraFrame { width: frame.width / 2, pixels: left, ..frame })
    }

    fn intrinsics(&self) -> CameraIntrinsics {
        let nominal = self.nominal.map(|(w, h)| (w / 2, h)).unwrap_or(self.half);
        self.lens.intrinsics(nominal, self.half)
    }

    fn take_events(&mut self) -> Vec<CameraEvent> {
        self.inner.take_events()
    }

    fn stereo(&self) -> Option<StereoGeometry> {
        Some(self.geometry)
    }

    fn companions(&self, frame: &CameraFrame) -> Companions {
        let right = self.split.as_ref().filter(|s| Arc::ptr_eq(&s.left, &frame.pixels)).map(|s| s.right.clone());
        Companions { right, depth_mm: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::camera::SyntheticCamera;

    #[test]
    fn a_frame_splits_into_the_picture_and_its_right_image_once() {
        let inner = Box::new(SyntheticCamera::new(64, 16, 30.0).unwrap());
        let geometry = StereoGeometry { baseline_mm: 60.0, doffs_px: 0.0 };
        let lens = LensConfig { intrinsics: None, hfov_deg: Some(90.0) };
        let mut sbs = SideBySide::new(inner, lens, None, geometry);
        let frame = sbs.frame_at(0).unwrap();
        assert_eq!((frame.width, frame.height, frame.pixels.len()), (32, 16, 32 * 16 * 4));
        let right = sbs.companions(&frame).right.expect("the right half");
        assert_eq!(right.len(), 32 * 16 * 4);
        // One lens's 90 degrees across one half.
        assert_eq!(sbs.intrinsics(), CameraIntrinsics::from_hfov(32, 16, 90.0));
        assert_eq!(sbs.stereo(), Some(geometry));
        let again = sbs.frame_at(0).unwrap();
        assert!(Arc::ptr_eq(&again.pixels, &frame.pixels), "the same frame is not split again");
        // The halves are the frame's columns: row 3 of the right half is row 3's right columns.
        let whole = SyntheticCamera::new(64, 16, 30.0).unwrap().frame_at(0).unwrap();
        let row = 3 * 64 * 4;
        assert_eq!(&right[3 * 32 * 4..4 * 32 * 4], &whole.pixels[row + 32 * 4..row + 64 * 4]);
    }
}
