//! The display layers: what the composite and the hit test read. Per eye and slot they hold
//! the app's rendered layer either as drawn (copied) or warped to the display pose.
//!
//! An app's layer was rendered with the eyes of the frame it drew for; the display shows the
//! head pose predicted for now. When the two differ (any eye's view or projection not exactly
//! equal) and reprojection is on, the layer is warped ([`crate::reproject`]); otherwise it is
//! copied. Either is redone only when the submission or the display eye changed: a still head
//! over a slow app costs nothing per frame.

use visor_types::frame::{EyeView, FrameInfo};
use visor_types::layer::{AppId, LayerSubmission};

use crate::reproject::WarpJob;

/// What one display slot of one eye holds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shown {
    pub app: AppId,
    pub sequence: u64,
    /// The eye its pixels are seen from: the display eye when warped or when the poses match,
    /// the app's own eye when copied without reprojection.
    pub eye: EyeView,
    pub warped: bool,
}

/// How to bring one display slot up to date this frame.
#[derive(Debug, PartialEq)]
pub enum Update {
    Copy { eye: usize, slot: u32 },
    Warp { eye: usize, slot: u32 },
}

/// The submission's eye for display eye `eye` (a mono submission serves both eyes).
pub fn eye_for(frame: &FrameInfo, eye: usize) -> Option<&EyeView> {
    frame.eyes.get(eye).or(frame.eyes.last())
}

/// What display slot `slot` of eye `eye` should show for `submission` under `display`.
pub fn wanted(submission: &LayerSubmission, display: &FrameInfo, eye: usize, reproject: bool) -> Option<Shown> {
    let drawn = *eye_for(&submission.frame, eye)?;
    let (eye, warped) = match eye_for(display, eye) {
        Some(target) if reproject && !same_pose(&drawn, target) => (*target, true),
        Some(target) if reproject => (*target, false),
        _ => (drawn, false),
    };
    Some(Shown { app: submission.app, sequence: submission.sequence, eye, warped })
}

/// Exact equality: the same pose gives bit-identical matrices, and anything else is a warp.
fn same_pose(a: &EyeView, b: &EyeView) -> bool {
    a.view == b.view && a.projection == b.projection
}

/// Decides the frame's updates: `shown` is what each display slot holds now (slot-major,
/// `eyes` per slot) and becomes what it will hold. Returns the copies and warps to record,
/// with the warps' matrices.
pub fn plan(
    shown: &mut Vec<Option<Shown>>,
    layers: &[impl AsRef<LayerSubmission>],
    display: &FrameInfo,
    eyes: usize,
    reproject: bool,
) -> (Vec<Update>, Vec<WarpJob>) {
    shown.resize(layers.len() * eyes, None);
    shown.truncate(layers.len() * eyes);
    let mut updates = Vec::new();
    let mut warps = Vec::new();
    for (slot, submission) in layers.iter().enumerate() {
        let submission = submission.as_ref();
        for eye in 0..eyes {
            let want = wanted(submission, display, eye, reproject);
            let current = &mut shown[slot * eyes + eye];
            if *current == want {
                continue;
            }
            *current = want;
            let Some(want) = want else { continue };
            let slot = slot as u32;
            if want.warped {
                let Some(drawn) = eye_for(&submission.frame, eye) else { continue };
                let (source, target) = (drawn.view_projection(), want.eye.view_projection());
                warps.push(WarpJob { eye, slot, layer: (want.app, want.sequence), source, target });
                updates.push(Update::Warp { eye, slot });
            } else {
                updates.push(Update::Copy { eye, slot });
            }
        }
    }
    (updates, warps)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use glam::{Mat4, Vec3};
    use visor_types::frame::Viewport;

    use super::*;

    fn frame(x: f32) -> FrameInfo {
        let eye = |dx: f32| EyeView {
            view: Mat4::from_translation(Vec3::new(-x - dx, 0.0, 0.0)),
            projection: Mat4::IDENTITY,
            viewport: Viewport::default(),
        };
        FrameInfo { display_time_ns: 0, frame_number: 0, head: Mat4::IDENTITY, eyes: vec![eye(-0.03), eye(0.03)] }
    }

    fn submission(sequence: u64, x: f32) -> Arc<LayerSubmission> {
        Arc::new(LayerSubmission { app: AppId(7), sequence, frame: frame(x), draws: Vec::new(), cpu_time: Duration::ZERO })
    }

    #[test]
    fn copies_once_when_the_poses_match_and_warps_only_when_something_changed() {
        let mut shown = Vec::new();
        let layer = [submission(1, 0.0)];
        let (updates, warps) = plan(&mut shown, &layer, &frame(0.0), 2, true);
        assert_eq!(updates, [Update::Copy { eye: 0, slot: 0 }, Update::Copy { eye: 1, slot: 0 }]);
        assert!(warps.is_empty());
        assert!(plan(&mut shown, &layer, &frame(0.0), 2, true).0.is_empty(), "nothing changed");

        let (updates, warps) = plan(&mut shown, &layer, &frame(0.1), 2, true);
        assert_eq!(updates.len(), 2);
        assert!(matches!(updates[0], Update::Warp { eye: 0, slot: 0 }));
        assert_eq!(warps[1].target, frame(0.1).eyes[1].view_projection());
        assert!(plan(&mut shown, &layer, &frame(0.1), 2, true).0.is_empty(), "the same display pose again");

        let newer = [submission(2, 0.1)];
        let (updates, _) = plan(&mut shown, &newer, &frame(0.1), 2, true);
        assert_eq!(updates[0], Update::Copy { eye: 0, slot: 0 }, "the new submission is drawn for the display pose");
    }

    #[test]
    fn without_reprojection_layers_are_only_copied() {
        let mut shown = Vec::new();
        let (updates, warps) = plan(&mut shown, &[submission(1, 0.0)], &frame(0.2), 2, false);
        assert_eq!(updates.len(), 2);
        assert!(warps.is_empty() && updates.iter().all(|u| matches!(u, Update::Copy { .. })));
        assert_eq!(shown[0].unwrap().eye, frame(0.0).eyes[0], "seen from the app's eye");
    }
}
