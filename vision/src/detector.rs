//! [`Detector`]: frame in, detections out — letterbox, run the model, decode every anchor
//! layer, suppress duplicates, map back to the frame.

use std::path::Path;

use tract_onnx::prelude::Tensor;

use crate::VisionError;
use crate::anchors::{Anchor, Candidate, anchors, decode_layer};
use crate::config::DetectorConfig;
use crate::detection::{BBox, Detection};
use crate::model::{OnnxModel, OpProfile};
use crate::nms::weighted_nms;
use crate::preprocess::{ImageView, Letterbox, to_tensor};

pub struct Detector {
    config: DetectorConfig,
    model: OnnxModel,
    anchors: Vec<Vec<Anchor>>,
    name: String,
}

impl Detector {
    /// Loads the model `config` names; a relative model path is taken from `base`.
    pub fn load(config: DetectorConfig, base: &Path) -> Result<Detector, VisionError> {
        config.check()?;
        let path = if config.model.is_absolute() { config.model.clone() } else { base.join(&config.model) };
        let outputs: Vec<String> = config.decoder.scores.iter().chain(&config.decoder.boxes).cloned().collect();
        let model = OnnxModel::load(&path, &config.input, &outputs)?;
        let anchors = anchors(config.input.width, config.input.height, &config.decoder.layers);
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        tracing::info!(model = %path.display(), input = ?(config.input.width, config.input.height), "face detector loaded");
        Ok(Detector { config, model, anchors, name })
    }

    /// The model's file name, for logs and published results.
    pub fn model_name(&self) -> &str {
        &self.name
    }

    pub fn config(&self) -> &DetectorConfig {
        &self.config
    }

    /// The model input `image` makes, flattened in the model's layout (for benchmarks that
    /// feed the same input to another runtime).
    pub fn input_for(&self, image: ImageView<'_>) -> Result<Vec<f32>, VisionError> {
        let (input, _) = to_tensor(image, &self.config.input)?;
        let view = input.to_plain_array_view::<f32>().map_err(|e| VisionError::Inference(format!("{e:#}")))?;
        Ok(view.iter().copied().collect())
    }

    /// Runs the model alone on an input from [`Detector::input_for`]; returns its raw outputs.
    pub fn infer(&self, input: &[f32]) -> Result<Vec<Vec<f32>>, VisionError> {
        self.model.run(self.input_tensor(input)?)
    }

    /// An input from [`Detector::input_for`] as the model's tensor.
    fn input_tensor(&self, input: &[f32]) -> Result<Tensor, VisionError> {
        let spec = &self.config.input;
        let (w, h) = (spec.width as usize, spec.height as usize);
        let shape: [usize; 4] = match spec.layout {
            crate::InputLayout::Nhwc => [1, h, w, 3],
            crate::InputLayout::Nchw => [1, 3, h, w],
        };
        Tensor::from_shape(&shape, input).map_err(|e| VisionError::Inference(format!("{e:#}")))
    }

    /// Where the model's time goes on an input from [`Detector::input_for`]: per kind of
    /// operator, over `runs` runs, most first.
    pub fn profile(&self, input: &[f32], runs: u32) -> Result<Vec<OpProfile>, VisionError> {
        self.model.profile(&self.input_tensor(input)?, runs)
    }

    /// Faces in `image`, best first.
    pub fn detect(&self, image: ImageView<'_>) -> Result<Vec<Detection>, VisionError> {
        let (input, letterbox) = to_tensor(image, &self.config.input)?;
        let outputs = self.model.run(input)?;
        let decoder = &self.config.decoder;
        let layers = decoder.layers.len();
        let row = 4 + 2 * decoder.keypoints;
        let mut candidates = Vec::new();
        for (i, anchors) in self.anchors.iter().enumerate() {
            let (scores, boxes) = (&outputs[i], &outputs[layers + i]);
            if scores.len() != anchors.len() {
                return Err(VisionError::OutputShape { name: decoder.scores[i].clone(), expected: anchors.len(), actual: scores.len() });
            }
            if boxes.len() != anchors.len() * row {
                return Err(VisionError::OutputShape {
                    name: decoder.boxes[i].clone(),
                    expected: anchors.len() * row,
                    actual: boxes.len(),
                });
            }
            candidates.extend(decode_layer(anchors, scores, boxes, decoder.keypoints, self.config.score_threshold));
        }
        let kept = weighted_nms(candidates, self.config.iou_threshold, self.config.max_detections);
        Ok(kept.iter().map(|c| to_frame(c, letterbox)).collect())
    }
}

fn to_frame(c: &Candidate, letterbox: Letterbox) -> Detection {
    let [x, y] = letterbox.to_frame(c.cx - c.w / 2.0, c.cy - c.h / 2.0);
    let [w, h] = letterbox.size_to_frame(c.w, c.h);
    Detection {
        bbox: BBox { x, y, w, h },
        score: c.score,
        landmarks: c.keypoints.iter().map(|&[kx, ky]| letterbox.to_frame(kx, ky)).collect(),
        position: None,
    }
}
