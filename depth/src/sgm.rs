//! Semi-global aggregation on the CPU: the matching cost of every pixel and disparity smoothed
//! along eight straight paths, so a pixel's disparity agrees with its neighbours' unless the
//! picture says an edge is there (Hirschmüller 2008).
//!
//! Along a path with step `r`, `L(p, d) = C(p, d) + min(L(p-r, d), L(p-r, d±1) + P1,
//! min L(p-r) + P2) - min L(p-r)`, starting at `C` where `p - r` leaves the image. The eight
//! paths' `L` are summed into `S` (at most 8 * (62 + P2), so `u16` holds it).

use crate::census::{MAX_COST, census, hamming};
use crate::{Gray, StereoParams};

/// The eight path directions, `(dx, dy)`; `p - r` is the pixel before `p` on the path.
pub(crate) const PATHS: [(i32, i32); 8] = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1)];

/// `C(x, y, d)` for every pixel, `d` fastest: the Hamming distance of the left pixel's census to
/// the right pixel `d` to its left, or the maximum where that falls outside the image.
pub(crate) fn costs(left: &Gray, right: &Gray, max_disparity: usize) -> Vec<u8> {
    let (cl, cr) = (census(left), census(right));
    let (w, h) = (left.width as usize, left.height as usize);
    let mut out = vec![MAX_COST; w * h * max_disparity];
    for y in 0..h {
        for x in 0..w {
            let cell = &mut out[(y * w + x) * max_disparity..][..max_disparity];
            for (d, c) in cell.iter_mut().enumerate().take(x + 1) {
                *c = hamming(cl[y * w + x], cr[y * w + x - d]);
            }
        }
    }
    out
}

/// `S(x, y, d)`: the sum over [`PATHS`] of the aggregated costs.
pub(crate) fn aggregate(left: &Gray, costs: &[u8], params: &StereoParams) -> Vec<u16> {
    let (w, h, nd) = (left.width as usize, left.height as usize, params.max_disparity as usize);
    let mut sum = vec![0u16; costs.len()];
    for &(dx, dy) in &PATHS {
        aggregate_path(left, costs, params, (dx, dy), &mut sum);
    }
    debug_assert_eq!(sum.len(), w * h * nd);
    sum
}

/// One path's `L`, added into `sum`. Rows run in the path's vertical direction and pixels in its
/// horizontal one, so `p - r` is always done: in the previous row, or earlier in this one.
fn aggregate_path(left: &Gray, costs: &[u8], params: &StereoParams, (dx, dy): (i32, i32), sum: &mut [u16]) {
    let (w, h, nd) = (left.width as i32, left.height as i32, params.max_disparity as usize);
    let mut prev = vec![0u16; w as usize * nd];
    let mut cur = vec![0u16; w as usize * nd];
    let mut prev_min = vec![0u16; w as usize];
    let mut cur_min = vec![0u16; w as usize];
    let rows: Vec<i32> = if dy >= 0 { (0..h).collect() } else { (0..h).rev().collect() };
    let columns: Vec<i32> = if dx >= 0 { (0..w).collect() } else { (0..w).rev().collect() };
    for (row_index, &y) in rows.iter().enumerate() {
        for &x in &columns {
            let (px, py) = (x - dx, y - dy);
            let cell = (y * w + x) as usize * nd;
            let cost = &costs[cell..cell + nd];
            let inside = px >= 0 && px < w && py >= 0 && py < h && (dy == 0 || row_index > 0);
            let (before, before_min) = match (inside, dy) {
                (false, _) => (None, 0),
                (true, 0) => (Some(&cur[px as usize * nd..][..nd]), cur_min[px as usize]),
                (true, _) => (Some(&prev[px as usize * nd..][..nd]), prev_min[px as usize]),
            };
            let mut out = [0u16; 256];
            let out = &mut out[..nd];
            let lowest = match before {
                None => {
                    for (o, &c) in out.iter_mut().zip(cost) {
                        *o = c as u16;
                    }
                    out.iter().copied().min().unwrap_or(0)
                }
                Some(before) => {
                    let gradient = left.at(x, y).abs_diff(left.at(px, py)) as u32;
                    step(cost, before, before_min, params.p1 as u16, params.p2_across(gradient) as u16, out)
                }
            };
            cur[x as usize * nd..][..nd].copy_from_slice(out);
            cur_min[x as usize] = lowest;
            for (s, &l) in sum[cell..cell + nd].iter_mut().zip(out.iter()) {
                *s += l;
            }
        }
        std::mem::swap(&mut prev, &mut cur);
        std::mem::swap(&mut prev_min, &mut cur_min);
    }
}

/// One step along a path; returns `min L(p)`.
fn step(cost: &[u8], before: &[u16], before_min: u16, p1: u16, p2: u16, out: &mut [u16]) -> u16 {
    let nd = cost.len();
    let jump = before_min + p2;
    let mut lowest = u16::MAX;
    for d in 0..nd {
        let mut best = before[d].min(jump);
        if d > 0 {
            best = best.min(before[d - 1] + p1);
        }
        if d + 1 < nd {
            best = best.min(before[d + 1] + p1);
        }
        let l = cost[d] as u16 + best - before_min;
        out[d] = l;
        lowest = lowest.min(l);
    }
    lowest
}
