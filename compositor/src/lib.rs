//! Visor's compositor: every app gets its own color and depth layer per eye, rendered from the
//! app's layer submission with the projection the app was handed; each layer is then brought to
//! the head pose predicted for the display — copied when the app drew for that pose, reprojected
//! with its depth when it did not; a z-composite merges all layers per pixel, nearest surface
//! first and translucent ones in depth order, over the camera feed; and a lens-correction pass
//! pre-distorts the result when the display has optics. The hit test answers which app shows
//! the nearest surface at a pixel, for input routing.
//!
//! It knows nothing of the runtime: it takes [`LayerSubmission`](visor_types::LayerSubmission)s,
//! [`CameraFrame`](visor_types::CameraFrame)s and the display's
//! [`FrameInfo`](visor_types::FrameInfo) (shared types) and produces frames that a
//! [`DisplaySink`] shows. All WGSL lives in the repository's `shaders/` folder; the app-shader
//! contract (the prelude and the built-in pipelines) comes from the `visor-shader` crate, which
//! the runtime validates apps' shaders with.
//!
//! Frame flow ([`Compositor::render`]): new submissions render into the *rendered* layer
//! arrays; every slot whose submission or display pose changed is copied or warped into the
//! *display* layer arrays; the composite reads those into the output frame (or, with optics, into
//! an intermediate frame that the optics pass reads). Nothing is redone that has not changed.
//!
//! Reprojection is positional: each layer pixel is unprojected with its depth from the eye the
//! app drew with and projected into the display eye, so near things shift more than far ones
//! as the head moves, and what a near surface uncovers stays empty rather than smeared (see
//! `shaders/reproject.wgsl`). It runs only while the head has moved since the pose an app drew
//! for. Measured on lavapipe (the 2-core CI machine, shared with other builds at the time), a
//! warp of one 640x480 layer for one eye costs about 10–17 ms of CPU (9–15 ms wall), about what
//! the composite of both eyes costs, whether the layer holds a few panels or a wall filling the
//! view; each new submission adds 3–10 ms of CPU once, to sort its tiles. The ignored test in
//! `tests/warp_cost.rs` measures it again.
//!
//! Layout:
//! - `gpu`: adapter and device, headless (lavapipe on machines without a GPU).
//! - `config`: [`CompositorConfig`], from the device profile.
//! - `compositor`: [`Compositor`], one frame from submissions to the output texture.
//! - `pipelines`: the app pipelines (built-in and apps' own WGSL) and their shared layout.
//! - `renderer`: replays a submission's draws into its layer.
//! - `watchdog`: times each app's layer passes on the GPU; leaves out and reports apps over
//!   their budget.
//! - `resources`: GPU copies of apps' buffers and textures, keyed by content.
//! - `layers`: per-eye color and depth texture arrays.
//! - `backdrop`: the camera picture as shown behind the apps, rendered when it changes; the
//!   composite copies it where no layer reaches.
//! - `display`: which display layers need a copy or a warp this frame.
//! - `reproject`: the warp of one layer to the display pose.
//! - `coverage`: where each layer can show, binned into tiles the composite walks.
//! - `composite`: the z-composite pass.
//! - `fullscreen`: the shape every full-screen pass shares (composite, optics, the window's present).
//! - `optics`: the lens correction, the last pass.
//! - `pass_timer`: the GPU's own time per stage (display update, composite, optics).
//! - `hit_test`: [`Hit`], the app under a pixel and where it is in the world.
//! - `camera`: the camera texture.
//! - `world`: the real world in the composite: the camera placed per eye through its lens and
//!   mount, and real depth that hides layers behind it (and stops the hit test).
//! - `readback`, `sink`: frames back to the CPU, and where they go ([`DisplaySink`]).

mod backdrop;
mod camera;
mod composite;
mod compositor;
mod config;
mod coverage;
mod display;
mod error;
pub mod fullscreen;
mod gpu;
mod hit_test;
mod layers;
mod optics;
mod pass_timer;
mod pipelines;
mod readback;
mod renderer;
mod reproject;
mod resources;
mod sink;
mod watchdog;
mod world;

pub use camera::srgb_picture;
pub use composite::MAX_LAYERS;
pub use compositor::{Compositor, FrameStats};
pub use config::{CompositorConfig, DEFAULT_GPU_BUDGET_MS};
pub use error::CompositorError;
pub use gpu::Gpu;
pub use hit_test::Hit;
pub use pass_timer::GpuStageTimes;
pub use sink::{DisplaySink, PngSequenceSink};
pub use watchdog::STRIKES as GPU_STRIKES;
