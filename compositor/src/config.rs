//! What the compositor renders, from the device profile: the eyes, whether the camera shows,
//! whether layers are reprojected to the display pose, and the lens correction.

use visor_types::frame::Viewport;
use visor_types::profile::{DeviceProfile, DisplayKind, Optics};

#[derive(Clone, Debug, PartialEq)]
pub struct CompositorConfig {
    pub eye_width: u32,
    pub eye_height: u32,
    pub eyes: u32,
    /// Passthrough displays draw the camera behind the apps; additive ones draw black.
    pub show_camera: bool,
    /// Warp each app's layer from the head pose it was drawn for to the display's (on unless
    /// a test or benchmark wants to see the difference).
    pub reproject: bool,
    /// The lens correction applied as the last pass; `None` shows the composite as it is.
    pub optics: Option<Optics>,
    /// GPU time one app's layer may take in a frame before it is left out (and, repeated,
    /// reported); see the compositor's watchdog.
    pub gpu_budget_ms: f64,
}

/// The default GPU budget per app layer per frame: far beyond any honest layer even on a
/// software rasterizer, well short of a hang.
pub const DEFAULT_GPU_BUDGET_MS: f64 = 100.0;
/// On a CPU adapter (lavapipe) the default budget is this many times longer: the "GPU" is the
/// shared CPU, slowed by whatever else runs.
pub const CPU_ADAPTER_BUDGET_FACTOR: f64 = 4.0;

impl CompositorConfig {
    pub fn from_profile(profile: &DeviceProfile) -> CompositorConfig {
        CompositorConfig {
            eye_width: profile.display.eye_width,
            eye_height: profile.display.eye_height,
            eyes: profile.display.eyes,
            show_camera: profile.display.kind == DisplayKind::Passthrough,
            reproject: true,
            optics: profile.display.optics,
            gpu_budget_ms: DEFAULT_GPU_BUDGET_MS,
        }
    }

    /// Where eye `eye` sits in the output frame.
    pub fn viewport(&self, eye: u32) -> Viewport {
        Viewport { x: eye * self.eye_width, y: 0, width: self.eye_width, height: self.eye_height }
    }
}
