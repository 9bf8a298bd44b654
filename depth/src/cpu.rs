//! The matcher on the CPU: the reference the GPU path is tested against, and what runs where no
//! adapter can.

use crate::sgm::{aggregate, costs};
use crate::{DepthError, Disparity, Gray, INVALID, StereoParams};

/// Matches a rectified pair: disparity of every left pixel, with confidence.
pub fn match_pair(left: &Gray, right: &Gray, params: &StereoParams) -> Result<Disparity, DepthError> {
    check_pair(left, right, params)?;
    let nd = params.max_disparity as usize;
    let sum = aggregate(left, &costs(left, right, nd), params);
    Ok(select(left.width, left.height, &sum, params))
}

pub(crate) fn check_pair(left: &Gray, right: &Gray, params: &StereoParams) -> Result<(), DepthError> {
    params.validate()?;
    if (left.width, left.height) != (right.width, right.height) {
        return Err(DepthError::PairSize { left: (left.width, left.height), right: (right.width, right.height) });
    }
    if !(16..=8192).contains(&left.width) || !(16..=8192).contains(&left.height) {
        return Err(DepthError::ImageSize { width: left.width, height: left.height });
    }
    Ok(())
}

/// The winner at each pixel with its sub-pixel parabola, a 3x3 median, then the confidence and
/// left-right checks. `sum` is `S(x, y, d)`, `d` fastest.
pub(crate) fn select(width: u32, height: u32, sum: &[u16], params: &StereoParams) -> Disparity {
    let (w, h, nd) = (width as usize, height as usize, params.max_disparity as usize);
    let mut winners = Winners { winner: vec![0; w * h], raw: vec![0.0; w * h], confidence: vec![0; w * h], right: Vec::new() };
    for i in 0..w * h {
        let (d, conf, sub) = winner_at(&sum[i * nd..][..nd]);
        winners.winner[i] = d;
        winners.confidence[i] = conf;
        winners.raw[i] = sub;
    }
    winners.right = right_winners(sum, w, h, nd);
    finish(width, height, winners, params)
}

/// What winner-takes-all leaves per pixel, from either path: the left image's winners with their
/// sub-pixel disparity and confidence, and the right image's winners (`right[y * w + x]` is the
/// disparity whose left pixel `x + d` sums lowest at right pixel `x`).
pub(crate) struct Winners {
    pub winner: Vec<u32>,
    pub raw: Vec<f32>,
    pub confidence: Vec<u8>,
    pub right: Vec<u32>,
}

/// The 3x3 median of the sub-pixel disparities, then the left-right and confidence checks; the
/// one tail both paths share, so they agree bit for bit.
pub(crate) fn finish(width: u32, height: u32, winners: Winners, params: &StereoParams) -> Disparity {
    let (w, h) = (width as usize, height as usize);
    let Winners { winner, raw, mut confidence, right } = winners;
    let mut values = median3(&raw, w, h);
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let d = winner[i] as usize;
            let consistent = x >= d && right[y * w + x - d].abs_diff(d as u32) <= params.lr_tolerance;
            if !consistent || confidence[i] < params.min_confidence {
                values[i] = INVALID;
                confidence[i] = 0;
            }
        }
    }
    Disparity { width, height, values, confidence }
}

/// The lowest `S` (the first where tied), its confidence — how far the best match not beside it
/// stands above it, as a share of that runner-up, 0..=255 — and the sub-pixel disparity.
pub(crate) fn winner_at(s: &[u16]) -> (u32, u8, f32) {
    let (mut best, mut best_d) = (u16::MAX, 0usize);
    for (d, &v) in s.iter().enumerate() {
        if v < best {
            best = v;
            best_d = d;
        }
    }
    let runner_up = s.iter().enumerate().filter(|(d, _)| d.abs_diff(best_d) > 1).map(|(_, &v)| v).min().unwrap_or(u16::MAX);
    let confidence = if runner_up == u16::MAX { 255 } else { ((runner_up - best) as u32 * 255 / runner_up.max(1) as u32) as u8 };
    let mut sub = best_d as f32;
    if best_d > 0 && best_d + 1 < s.len() {
        let (a, b, c) = (s[best_d - 1] as i32, best as i32, s[best_d + 1] as i32);
        sub = parabola(best_d as u32, a - c, a - 2 * b + c);
    }
    (best_d as u32, confidence, sub)
}

/// The vertex of the parabola through the sums either side of winner `d`: `d + (a - c) / (2 (a -
/// 2b + c))`, or `d` itself where the sums do not curve upwards. Integer inputs (exact in `f32`)
/// so the GPU path, which hands back those integers, gets the very same `f32`.
pub(crate) fn parabola(d: u32, a_minus_c: i32, curvature: i32) -> f32 {
    if curvature > 0 { d as f32 + a_minus_c as f32 / (2.0 * curvature as f32) } else { d as f32 }
}

/// For each right pixel, the disparity whose left pixel (`x + d`) sums lowest at it.
fn right_winners(sum: &[u16], w: usize, h: usize, nd: usize) -> Vec<u32> {
    let mut out = vec![0u32; w * h];
    for y in 0..h {
        for x in 0..w {
            let (mut best, mut best_d) = (u16::MAX, 0);
            for d in 0..nd.min(w - x) {
                let v = sum[(y * w + x + d) * nd + d];
                if v < best {
                    best = v;
                    best_d = d as u32;
                }
            }
            out[y * w + x] = best_d;
        }
    }
    out
}

/// A 3x3 median with the border repeated.
pub(crate) fn median3(values: &[f32], w: usize, h: usize) -> Vec<f32> {
    let mut out = vec![0f32; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut window = [0f32; 9];
            let mut k = 0;
            for dy in -1i32..=1 {
                for dx in -1i32..=1 {
                    let sx = (x as i32 + dx).clamp(0, w as i32 - 1) as usize;
                    let sy = (y as i32 + dy).clamp(0, h as i32 - 1) as usize;
                    window[k] = values[sy * w + sx];
                    k += 1;
                }
            }
            window.sort_unstable_by(f32::total_cmp);
            out[y * w + x] = window[4];
        }
    }
    out
}
