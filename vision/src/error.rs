//! What can go wrong loading or running a detector; every message names the file or setting
//! and what would fix it.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum VisionError {
    #[error("vision model {} cannot be read: {source}; check the vision module's `model` setting", path.display())]
    ReadModel { path: PathBuf, source: std::io::Error },
    #[error("vision model {} is not a model tract can run: {message}; use an ONNX file whose input matches the `input` setting", path.display())]
    BadModel { path: PathBuf, message: String },
    #[error("vision settings are invalid: {0}")]
    BadConfig(String),
    #[error("image is {width}x{height} with stride {stride} but holds {len} bytes; pass tightly described RGBA8 rows")]
    BadImage { width: u32, height: u32, stride: u32, len: usize },
    #[error("running the vision model failed: {0}")]
    Inference(String),
    #[error(
        "model output {name} has {actual} values where the decoder expects {expected}; check the decoder's `layers` and `keypoints` settings against the model"
    )]
    OutputShape { name: String, expected: usize, actual: usize },
}
