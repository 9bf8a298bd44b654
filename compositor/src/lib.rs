//! Visor's compositor: every app gets its own color and depth layer per eye, rendered from the
//! app's layer submission with the projection the app was handed; a z-composite then merges
//! all layers per pixel, nearest surface first and translucent ones in depth order, over the
//! camera feed.
//!
//! It knows nothing of the runtime: it takes [`LayerSubmission`](visor_types::LayerSubmission)s
//! and [`CameraFrame`](visor_types::CameraFrame)s (shared types) and produces frames that a
//! [`DisplaySink`] shows. All WGSL lives in the repository's `shaders/` folder.
//!
//! Layout:
//! - `gpu`: adapter and device, headless (lavapipe on machines without a GPU).
//! - `compositor`: [`Compositor`], one frame from submissions to the output texture.
//! - `pipelines`: the app pipelines (built-in and apps' own WGSL) and their shared layout.
//! - `renderer`: replays a submission's draws into its layer.
//! - `resources`: GPU copies of apps' buffers and textures, keyed by content.
//! - `layers`: per-eye color and depth texture arrays.
//! - `composite`: the z-composite pass.
//! - `camera`: the camera texture.
//! - `readback`, `sink`: frames back to the CPU, and where they go ([`DisplaySink`]).

mod camera;
mod composite;
mod compositor;
mod error;
mod gpu;
mod layers;
mod pipelines;
mod readback;
mod renderer;
mod resources;
mod sink;

pub use composite::MAX_LAYERS;
pub use compositor::{Compositor, CompositorConfig, FrameStats};
pub use error::CompositorError;
pub use gpu::Gpu;
pub use sink::{DisplaySink, PngSequenceSink};
