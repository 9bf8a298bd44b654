//! The matcher's settings and the camera pair they serve.

use visor_types::CameraIntrinsics;

use crate::DepthError;

/// How the semi-global matcher searches. The defaults suit a 9x7 census cost (0..=62).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StereoParams {
    /// Disparities `0..max_disparity` are searched; a multiple of 8, at most 256.
    pub max_disparity: u32,
    /// Penalty for a disparity step of one pixel between neighbours along a path.
    pub p1: u32,
    /// Penalty for a larger jump, where the image is flat. Across an intensity edge of
    /// `g` grey levels it shrinks to `max(P1 + 1, P2 * 16 / (16 + g))`: depth jumps where the
    /// picture has an edge.
    pub p2: u32,
    /// A left pixel whose match's own best match lands more than this many pixels away is
    /// marked invalid (occluded or mismatched).
    pub lr_tolerance: u32,
    /// Below this confidence (0..=255, the uniqueness of the winner) a pixel is marked invalid.
    pub min_confidence: u8,
}

impl Default for StereoParams {
    fn default() -> StereoParams {
        StereoParams { max_disparity: 64, p1: 10, p2: 120, lr_tolerance: 1, min_confidence: 0 }
    }
}

impl StereoParams {
    pub fn validate(&self) -> Result<(), DepthError> {
        if !(8..=256).contains(&self.max_disparity) || !self.max_disparity.is_multiple_of(8) {
            return Err(DepthError::MaxDisparity(self.max_disparity));
        }
        if !(1 <= self.p1 && self.p1 < self.p2 && self.p2 <= 1000) {
            return Err(DepthError::Penalties { p1: self.p1, p2: self.p2 });
        }
        Ok(())
    }

    /// `P2` across an edge of `gradient` grey levels between a pixel and the one before it.
    pub fn p2_across(&self, gradient: u32) -> u32 {
        (self.p2 * 16 / (16 + gradient)).max(self.p1 + 1)
    }
}

/// A rectified camera pair: the left lens's intrinsics in the images' pixels, the baseline, and
/// the difference of the principal points (`doffs = cx_right - cx_left`, 0 for most rigs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StereoRig {
    pub intrinsics: CameraIntrinsics,
    pub baseline_m: f32,
    pub doffs_px: f32,
}

impl StereoRig {
    /// A rig of `intrinsics` (the left lens, in pixels of its images) and `geometry` (baseline
    /// in millimetres, doffs), as sessions and cameras state them.
    pub fn from_geometry(intrinsics: CameraIntrinsics, geometry: visor_types::camera::StereoGeometry) -> StereoRig {
        StereoRig { intrinsics, baseline_m: geometry.baseline_mm / 1000.0, doffs_px: geometry.doffs_px }
    }

    pub fn validate(&self) -> Result<(), DepthError> {
        let k = self.intrinsics;
        if !(k.fx.is_finite() && k.fx > 0.0) {
            return Err(DepthError::Rig(format!("focal length {} px; give the lens's focal length in pixels, above 0", k.fx)));
        }
        if !(self.baseline_m.is_finite() && self.baseline_m > 0.0) {
            return Err(DepthError::Rig(format!("baseline {} m; give the distance between the lenses, above 0", self.baseline_m)));
        }
        if !self.doffs_px.is_finite() {
            return Err(DepthError::Rig("doffs is not a number; give cx_right - cx_left in pixels (often 0)".into()));
        }
        Ok(())
    }

    /// The disparity in pixels of a point `z_m` metres along the optical axis.
    pub fn disparity(&self, z_m: f32) -> f32 {
        self.intrinsics.fx * self.baseline_m / z_m - self.doffs_px
    }

    /// Metres along the optical axis for a disparity in pixels; `None` at or beyond infinity.
    pub fn depth_m(&self, disparity: f32) -> Option<f32> {
        let d = disparity + self.doffs_px;
        (disparity >= 0.0 && d > 0.0).then(|| self.intrinsics.fx * self.baseline_m / d)
    }
}
