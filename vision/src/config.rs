//! [`DetectorConfig`]: which model to run and how to read its outputs. It deserializes from the
//! `[settings]` table of the vision module's manifest; every field has a default that describes
//! the bundled BlazeFace front (128x128) model, so a manifest only names what it changes:
//!
//! ```toml
//! [settings]
//! model = "assets/models/blazeface/face_detection_front_128x128_barracuda.onnx"
//! input = { width = 128, height = 128, layout = "nhwc", range = [-1.0, 1.0] }
//! decoder = { scores = ["Identity:0", "Identity_1:0"], boxes = ["Identity_2:0", "Identity_3:0"],
//!             layers = [{ stride = 8, anchors = 2 }, { stride = 16, anchors = 6 }], keypoints = 6 }
//! score_threshold = 0.75
//! iou_threshold = 0.3
//! max_detections = 16
//! ```

use std::path::PathBuf;

use serde::Deserialize;

use crate::VisionError;

/// Where the bundled model sits in the data folder (and in a checkout).
pub const BLAZEFACE_FRONT: &str = "assets/models/blazeface/face_detection_front_128x128_barracuda.onnx";

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectorConfig {
    /// The ONNX file; a relative path is resolved against the base folder given to
    /// [`crate::Detector::load`] (the data folder or the module's folder).
    pub model: PathBuf,
    pub input: InputSpec,
    pub decoder: DecoderConfig,
    /// Faces scoring below this (0..1, after the sigmoid) are dropped.
    pub score_threshold: f32,
    /// Boxes overlapping more than this (intersection over union) are merged.
    pub iou_threshold: f32,
    pub max_detections: usize,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSpec {
    pub width: u32,
    pub height: u32,
    pub layout: InputLayout,
    /// The value black (first) and white (second) map to.
    pub range: [f32; 2],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputLayout {
    /// `[1, height, width, 3]`.
    Nhwc,
    /// `[1, 3, height, width]`.
    Nchw,
}

/// An SSD-style decoder: per anchor a score logit and a regressor of
/// `[dx, dy, w, h, (kx, ky) × keypoints]` in input pixels, anchors laid out layer by layer.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecoderConfig {
    /// Score outputs, one per anchor layer, in layer order.
    pub scores: Vec<String>,
    /// Regressor outputs, one per anchor layer, in layer order.
    pub boxes: Vec<String>,
    pub layers: Vec<AnchorLayer>,
    pub keypoints: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnchorLayer {
    /// Input pixels per grid cell.
    pub stride: u32,
    /// Anchors per grid cell.
    pub anchors: u32,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            model: PathBuf::from(BLAZEFACE_FRONT),
            input: InputSpec { width: 128, height: 128, layout: InputLayout::Nhwc, range: [-1.0, 1.0] },
            decoder: DecoderConfig {
                scores: vec!["Identity:0".into(), "Identity_1:0".into()],
                boxes: vec!["Identity_2:0".into(), "Identity_3:0".into()],
                layers: vec![AnchorLayer { stride: 8, anchors: 2 }, AnchorLayer { stride: 16, anchors: 6 }],
                keypoints: 6,
            },
            score_threshold: 0.75,
            iou_threshold: 0.3,
            max_detections: 16,
        }
    }
}

impl DetectorConfig {
    /// Reads the settings table of a manifest (missing keys keep their defaults).
    pub fn from_toml(table: &toml::Table) -> Result<DetectorConfig, VisionError> {
        let config: DetectorConfig =
            table.clone().try_into().map_err(|e: toml::de::Error| VisionError::BadConfig(e.message().to_string()))?;
        config.check()?;
        Ok(config)
    }

    /// Every problem at once, each naming the setting.
    pub fn check(&self) -> Result<(), VisionError> {
        let mut problems = Vec::new();
        let InputSpec { width, height, .. } = self.input;
        if !(8..=4096).contains(&width) || !(8..=4096).contains(&height) {
            problems.push(format!("input is {width}x{height}; use 8..=4096 pixels a side"));
        }
        if !(0.0..=1.0).contains(&self.score_threshold) {
            problems.push(format!("score_threshold is {}; use 0 to 1", self.score_threshold));
        }
        if !(0.0..=1.0).contains(&self.iou_threshold) {
            problems.push(format!("iou_threshold is {}; use 0 to 1", self.iou_threshold));
        }
        if self.max_detections == 0 {
            problems.push("max_detections is 0; use at least 1".into());
        }
        let d = &self.decoder;
        if d.layers.is_empty() || d.scores.len() != d.layers.len() || d.boxes.len() != d.layers.len() {
            problems.push(format!(
                "decoder has {} layers, {} score outputs and {} box outputs; give one score and one box output per layer",
                d.layers.len(),
                d.scores.len(),
                d.boxes.len()
            ));
        }
        for layer in &d.layers {
            if layer.stride == 0 || width % layer.stride != 0 || height % layer.stride != 0 || layer.anchors == 0 {
                problems.push(format!(
                    "decoder layer stride {} with {} anchors does not tile a {width}x{height} input; use a stride dividing both sides and at least one anchor",
                    layer.stride, layer.anchors
                ));
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(VisionError::BadConfig(problems.join("; "))) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_table_is_the_bundled_blazeface() {
        let config = DetectorConfig::from_toml(&toml::Table::new()).unwrap();
        assert_eq!(config, DetectorConfig::default());
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let table: toml::Table = toml::from_str(
            "score_threshold = 3.0\nmax_detections = 0\ninput = { width = 100, height = 128, layout = \"nhwc\", range = [-1.0, 1.0] }",
        )
        .unwrap();
        let err = DetectorConfig::from_toml(&table).unwrap_err().to_string();
        for needle in ["score_threshold is 3", "max_detections is 0", "stride 8"] {
            assert!(err.contains(needle), "{needle} missing from: {err}");
        }
    }

    #[test]
    fn unknown_settings_are_refused_by_name() {
        let table: toml::Table = toml::from_str("modle = \"x.onnx\"").unwrap();
        let err = DetectorConfig::from_toml(&table).unwrap_err().to_string();
        assert!(err.contains("modle"), "{err}");
    }
}
