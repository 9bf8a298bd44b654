//! Visor's vision library: a face detector that runs an ONNX model with tract on camera frames
//! and answers with boxes, landmarks and scores in the frame's own coordinates.
//!
//! The crate knows nothing of the bus or the runtime: the shell's `vision` module (a native
//! library module) feeds it frames and publishes what it finds. Keeping it plain lets the
//! benchmark time the detector alone, next to onnxruntime on the same model.
//!
//! The model and its decoder are data ([`DetectorConfig`]), so a user can swap in another
//! SSD-anchor detector (BlazeFace front or back, or their own) without touching code.
//!
//! Layout:
//! - `config.rs`: [`DetectorConfig`] — the model file, its input and its decoder; defaults for
//!   the bundled BlazeFace front model.
//! - `model.rs`: loading an ONNX file into a runnable tract plan (with the one patch BlazeFace
//!   needs) and running it.
//! - `fast/`: Visor's own operators swapped into the tract graph where tract's are slow
//!   (depthwise and RGB-stem convolutions, 2x2 max pooling).
//! - `preprocess.rs`: RGBA frame → letterboxed model input, and the map back.
//! - `anchors.rs`: SSD anchor grids and decoding raw regressors into boxes and keypoints.
//! - `nms.rs`: weighted non-maximum suppression.
//! - `detection.rs`: [`Detection`] and [`Detections`], the published result.
//! - `detector.rs`: [`Detector`], the pipeline from frame to detections.

mod anchors;
mod config;
mod detection;
mod detector;
mod error;
mod fast;
mod model;
mod nms;
mod preprocess;

pub use config::{AnchorLayer, DecoderConfig, DetectorConfig, InputLayout, InputSpec};
pub use detection::{BBox, Detection, Detections};
pub use detector::Detector;
pub use error::VisionError;
pub use model::OpProfile;
pub use preprocess::ImageView;
