//! Rating a disparity map against ground truth, the way the Middlebury benchmark does: the share
//! of pixels with a known true disparity whose estimate is more than a threshold off.

use crate::{Disparity, INVALID};

/// How a result compares with the truth.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score {
    /// Pixels with a known true disparity.
    pub known: usize,
    /// Of those, the share the matcher gave a disparity (its density there).
    pub answered: f32,
    /// Bad rate over the pixels it answered.
    pub bad_answered: f32,
    /// Bad rate over every known pixel, its holes filled along the row from the farther of the
    /// nearest answered neighbours (Middlebury's rule for sparse results): the honest figure.
    pub bad_dense: f32,
}

/// Scores `result` against `truth` (same size) with `threshold` pixels (2.0 for "bad 2.0").
pub fn score(result: &Disparity, truth: &Disparity, threshold: f32) -> Score {
    let dense = fill_holes(result);
    let (mut known, mut answered, mut bad_answered, mut bad_dense) = (0usize, 0usize, 0usize, 0usize);
    for ((&t, &r), &filled) in truth.values.iter().zip(&result.values).zip(&dense) {
        if t < 0.0 {
            continue;
        }
        known += 1;
        if r >= 0.0 {
            answered += 1;
            bad_answered += usize::from((r - t).abs() > threshold);
        }
        bad_dense += usize::from(filled < 0.0 || (filled - t).abs() > threshold);
    }
    let share = |n: usize, of: usize| n as f32 / of.max(1) as f32;
    Score { known, answered: share(answered, known), bad_answered: share(bad_answered, answered), bad_dense: share(bad_dense, known) }
}

/// Each invalid pixel takes the smaller (farther) of the nearest valid disparities to its left
/// and right on its row: holes are mostly occlusions, which belong to the background.
pub fn fill_holes(d: &Disparity) -> Vec<f32> {
    let w = d.width as usize;
    let mut out = d.values.clone();
    for row in out.chunks_mut(w) {
        let source = row.to_vec();
        let mut last_left = INVALID;
        let mut left_of = vec![INVALID; w];
        for x in 0..w {
            if source[x] >= 0.0 {
                last_left = source[x];
            }
            left_of[x] = last_left;
        }
        let mut last_right = INVALID;
        for x in (0..w).rev() {
            if source[x] >= 0.0 {
                last_right = source[x];
                continue;
            }
            row[x] = match (left_of[x] >= 0.0, last_right >= 0.0) {
                (true, true) => left_of[x].min(last_right),
                (true, false) => left_of[x],
                (false, true) => last_right,
                (false, false) => INVALID,
            };
        }
    }
    out
}
