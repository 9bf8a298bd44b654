//! SSD anchors and decoding raw regressors.
//!
//! The anchor layout is MediaPipe's `SsdAnchorsCalculator` with fixed anchor sizes: each layer
//! is a grid of `input / stride` cells, row by row, with `anchors` anchors per cell, all centred
//! on the cell. A regressor row is `[dx, dy, w, h, kx0, ky0, …]` in input pixels: the box centre
//! and keypoints are offsets from the anchor's centre, the size is absolute.

use crate::config::AnchorLayer;

/// An anchor centre, in input pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Anchor {
    pub x: f32,
    pub y: f32,
}

/// All anchors of all layers, in output order.
pub fn anchors(width: u32, height: u32, layers: &[AnchorLayer]) -> Vec<Vec<Anchor>> {
    layers
        .iter()
        .map(|layer| {
            let (cols, rows) = (width / layer.stride, height / layer.stride);
            let s = layer.stride as f32;
            let mut out = Vec::with_capacity((cols * rows * layer.anchors) as usize);
            for row in 0..rows {
                for col in 0..cols {
                    let anchor = Anchor { x: (col as f32 + 0.5) * s, y: (row as f32 + 0.5) * s };
                    out.extend(std::iter::repeat_n(anchor, layer.anchors as usize));
                }
            }
            out
        })
        .collect()
}

/// A decoded candidate, in input pixels.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub score: f32,
    /// Centre x, centre y, width, height.
    pub cx: f32,
    pub cy: f32,
    pub w: f32,
    pub h: f32,
    pub keypoints: Vec<[f32; 2]>,
}

impl Candidate {
    pub fn iou(&self, other: &Candidate) -> f32 {
        let ix = (self.cx + self.w / 2.0).min(other.cx + other.w / 2.0) - (self.cx - self.w / 2.0).max(other.cx - other.w / 2.0);
        let iy = (self.cy + self.h / 2.0).min(other.cy + other.h / 2.0) - (self.cy - self.h / 2.0).max(other.cy - other.h / 2.0);
        if ix <= 0.0 || iy <= 0.0 {
            return 0.0;
        }
        let inter = ix * iy;
        inter / (self.w * self.h + other.w * other.h - inter)
    }
}

pub fn sigmoid(logit: f32) -> f32 {
    1.0 / (1.0 + (-logit.clamp(-100.0, 100.0)).exp())
}

/// Candidates scoring at least `threshold`, from one layer's scores and regressors.
pub fn decode_layer(anchors: &[Anchor], scores: &[f32], boxes: &[f32], keypoints: usize, threshold: f32) -> Vec<Candidate> {
    let row = 4 + 2 * keypoints;
    anchors
        .iter()
        .zip(scores)
        .zip(boxes.chunks_exact(row))
        .filter_map(|((anchor, &logit), r)| {
            let score = sigmoid(logit);
            (score >= threshold && r.iter().all(|v| v.is_finite())).then(|| Candidate {
                score,
                cx: anchor.x + r[0],
                cy: anchor.y + r[1],
                w: r[2].abs(),
                h: r[3].abs(),
                keypoints: (0..keypoints).map(|k| [anchor.x + r[4 + 2 * k], anchor.y + r[5 + 2 * k]]).collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blazeface_front_has_896_anchors_centred_on_their_cells() {
        let layers = [AnchorLayer { stride: 8, anchors: 2 }, AnchorLayer { stride: 16, anchors: 6 }];
        let all = anchors(128, 128, &layers);
        assert_eq!((all[0].len(), all[1].len()), (512, 384));
        assert_eq!(all[0][0], Anchor { x: 4.0, y: 4.0 });
        assert_eq!(all[0][2], Anchor { x: 12.0, y: 4.0 });
        assert_eq!(all[1][383], Anchor { x: 120.0, y: 120.0 });
    }

    #[test]
    fn decoding_offsets_from_the_anchor_and_skips_low_scores() {
        let anchors = [Anchor { x: 4.0, y: 4.0 }, Anchor { x: 12.0, y: 4.0 }];
        let boxes = [1.0, 2.0, 10.0, 12.0, -1.0, 1.0, /* second */ 0.0, 0.0, 5.0, 5.0, 0.0, 0.0];
        let found = decode_layer(&anchors, &[3.0, -3.0], &boxes, 1, 0.5);
        assert_eq!(found.len(), 1);
        let c = &found[0];
        assert_eq!((c.cx, c.cy, c.w, c.h), (5.0, 6.0, 10.0, 12.0));
        assert_eq!(c.keypoints, vec![[3.0, 5.0]]);
        assert!((c.score - sigmoid(3.0)).abs() < 1e-6);
    }
}
