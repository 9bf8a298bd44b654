//! Small types that Visor's rooms exchange, so that none of them depends on another.
//!
//! The runtime records what an app draws into a [`LayerSubmission`]; the compositor renders
//! it. Camera drivers produce [`CameraFrame`]s; the compositor shows them. The binary reads a
//! [`DeviceProfile`] and derives each frame's [`FrameInfo`] from it. Nothing here touches
//! wgpu, wasmtime or naga.
//!
//! Layout:
//! - `math`: reverse-Z projections from field-of-view angles.
//! - `frame`: [`FrameInfo`], [`EyeView`], [`Viewport`].
//! - `input`: [`InputEvent`], what the shell routes to an app (pointer by depth, keys by focus).
//! - `layer`: [`LayerSubmission`], [`DrawCmd`], the vertex layout and shared resource data.
//! - `limits`: [`AppLimits`], what one app may ask of the host.
//! - `shader`: [`AppShader`], an app's validated WGSL as layers carry it (the contract and its
//!   naga validation live in the `visor-shader` crate).
//! - `clock`: [`clock::Clock`], the injected monotonic clock.
//! - `camera`: [`CameraFrame`], a shared, read-only RGBA image.
//! - `depth`: [`DepthFrame`], the real world's metric depth, and [`Passthrough`], how the
//!   camera picture maps into each eye (the CPU reference of the compositor's lookup).
//! - `pose`: [`Pose`], the head at an instant, and its bus form.
//! - `profile`: [`DeviceProfile`], one device's displays, optics, camera and pose source, from TOML.

pub mod camera;
pub mod clock;
pub mod depth;
pub mod frame;
pub mod input;
pub mod layer;
pub mod limits;
pub mod math;
pub mod pose;
pub mod profile;
pub mod shader;

pub use camera::{CameraFrame, CameraInfo, CameraIntrinsics};
pub use depth::{DepthFrame, Passthrough};
pub use frame::{EyeView, FrameInfo, Viewport};
pub use input::{InputEvent, Key, Pointer};
pub use layer::{
    AppId, BuiltinPipeline, ClipRect, ContentId, Dirty, DrawCmd, IndexData, LayerSubmission, Pipeline, TextureData, Vertex, VertexData,
};
pub use limits::AppLimits;
pub use pose::{Pose, PoseMessage};
pub use profile::{DeviceProfile, DisplayKind, ProfileError};
pub use shader::AppShader;
