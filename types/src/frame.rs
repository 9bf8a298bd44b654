//! What an app is told about the frame it draws: time, frame number, and per eye the view,
//! projection and viewport. The compositor renders each app's layer with exactly the eyes the
//! app was handed, which is what makes depth comparable across apps.

use glam::Mat4;

/// A rectangle in pixels, origin top-left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Viewport {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

/// How one eye sees the world this frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EyeView {
    /// World to eye.
    pub view: Mat4,
    /// Eye to clip (reverse-Z, infinite far plane: see [`crate::math::projection`]).
    pub projection: Mat4,
    /// Where the eye's image sits in the output frame.
    pub viewport: Viewport,
}

impl EyeView {
    pub fn view_projection(&self) -> Mat4 {
        self.projection * self.view
    }
}

/// Handed to an app's `frame`.
#[derive(Clone, Debug, PartialEq)]
pub struct FrameInfo {
    /// Monotonic nanoseconds at which the frame is predicted to be shown.
    pub display_time_ns: u64,
    /// The app's own frame counter (the runtime fills it per app).
    pub frame_number: u64,
    /// World from head.
    pub head: Mat4,
    /// Left then right (one entry on mono displays).
    pub eyes: Vec<EyeView>,
}
