//! Weighted non-maximum suppression, as MediaPipe does it for faces: candidates overlapping the
//! best remaining one are not just dropped but averaged into it, weighted by score, which steadies
//! boxes from frame to frame far better than keeping the single top box.

use crate::anchors::Candidate;

pub fn weighted_nms(mut candidates: Vec<Candidate>, iou_threshold: f32, max: usize) -> Vec<Candidate> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept = Vec::new();
    while !candidates.is_empty() && kept.len() < max {
        let best = candidates[0].clone();
        let (overlapping, rest): (Vec<_>, Vec<_>) = candidates.into_iter().partition(|c| best.iou(c) > iou_threshold);
        candidates = rest;
        let total: f32 = overlapping.iter().map(|c| c.score).sum();
        let avg = |f: &dyn Fn(&Candidate) -> f32| overlapping.iter().map(|c| f(c) * c.score).sum::<f32>() / total;
        let keypoints = (0..best.keypoints.len()).map(|k| [avg(&|c| c.keypoints[k][0]), avg(&|c| c.keypoints[k][1])]).collect();
        kept.push(Candidate { score: best.score, cx: avg(&|c| c.cx), cy: avg(&|c| c.cy), w: avg(&|c| c.w), h: avg(&|c| c.h), keypoints });
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(score: f32, cx: f32) -> Candidate {
        Candidate { score, cx, cy: 0.0, w: 10.0, h: 10.0, keypoints: vec![[cx, 0.0]] }
    }

    #[test]
    fn overlapping_boxes_merge_by_score_and_separate_ones_stay() {
        let out = weighted_nms(vec![c(0.5, 1.0), c(0.9, 0.0), c(0.8, 50.0)], 0.3, 10);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, 0.9);
        let expected = (0.9 * 0.0 + 0.5 * 1.0) / 1.4;
        assert!((out[0].cx - expected).abs() < 1e-6 && (out[0].keypoints[0][0] - expected).abs() < 1e-6);
        assert_eq!(out[1].cx, 50.0);
    }

    #[test]
    fn at_most_max_survive() {
        let many: Vec<_> = (0..10).map(|i| c(0.9, i as f32 * 100.0)).collect();
        assert_eq!(weighted_nms(many, 0.3, 3).len(), 3);
    }
}
