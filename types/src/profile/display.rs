//! The `[display]` section of a device profile: the eyes' panels, their field of view, how
//! the display mixes with the world, and the optics the compositor corrects for.

use serde::Deserialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DisplayKind {
    /// Video passthrough: the camera feed is drawn behind the apps.
    Passthrough,
    /// Optical see-through: the display adds light, black is transparent, no camera is drawn.
    Additive,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FovDegrees {
    pub left: f32,
    pub right: f32,
    pub up: f32,
    pub down: f32,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Display {
    pub kind: DisplayKind,
    /// 1 (mono) or 2 (stereo, left then right, side by side in the output frame).
    pub eyes: u32,
    pub eye_width: u32,
    pub eye_height: u32,
    pub refresh_hz: f32,
    /// Per-eye field of view in degrees from the view axis (left and down negative).
    pub fov_deg: FovDegrees,
    /// Interpupillary distance in millimetres.
    pub ipd_mm: f32,
    /// The lens correction the compositor applies last; none for a flat panel (a desktop).
    #[serde(default)]
    pub optics: Option<Optics>,
    /// The monitor the glasses show up as (`visor outputs` lists the names): a window run goes
    /// full screen there. `--output` overrides it; none opens a desktop window.
    #[serde(default)]
    pub output: Option<String>,
}

/// Lens correction, applied per eye as the compositor's last pass.
///
/// Positions are measured from the centre of the eye's viewport in units of half its width
/// (so `r = 1` at the middle of its left and right edges, the same unit on both axes). A
/// display pixel at radius `r` shows the rendered image at radius
/// `r * (1 + k1 r^2 + k2 r^4) * (1 + chromatic[channel])`: positive `k` is the barrel
/// pre-distortion that cancels a magnifier's pincushion, and the per-channel scale cancels
/// lateral chromatic aberration (red and blue bend by different amounts through the lens).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Optics {
    /// `[k1, k2]`.
    pub distortion: [f32; 2],
    /// Radial scale offsets of `[red, green, blue]`; green is usually 0.
    #[serde(default)]
    pub chromatic: [f32; 3],
}

impl Optics {
    /// Where a display pixel at radius `r` samples the rendered image, for one channel.
    pub fn source_radius(&self, r: f32, channel: usize) -> f32 {
        let [k1, k2] = self.distortion;
        let r2 = r * r;
        r * (1.0 + k1 * r2 + k2 * r2 * r2) * (1.0 + self.chromatic[channel])
    }

    /// Problems for a viewport of `aspect` (width / height): the mapping must be finite and
    /// keep increasing out to the corners, or the picture would fold over itself.
    pub(super) fn problems(&self, aspect: f32, p: &mut Vec<String>) {
        let finite = self.distortion.iter().chain(&self.chromatic).all(|v| v.is_finite());
        if !finite {
            p.push("display.optics holds a non-finite coefficient; write numbers".into());
            return;
        }
        if let Some(c) = self.chromatic.iter().find(|c| c.abs() > 0.1) {
            p.push(format!("display.optics.chromatic has {c}; lenses stay within ±0.1 (a 10% scale)"));
        }
        let corner = (1.0 + 1.0 / (aspect * aspect)).sqrt();
        let steps = 64;
        let folds = (1..=steps).any(|i| {
            let (r0, r1) = (corner * (i - 1) as f32 / steps as f32, corner * i as f32 / steps as f32);
            self.source_radius(r1, 1) <= self.source_radius(r0, 1)
        });
        if folds {
            p.push(format!(
                "display.optics.distortion {:?} folds the image before the corners (r = {corner:.2}); use smaller coefficients",
                self.distortion
            ));
        }
    }
}
