//! Small types that Visor's rooms exchange, so that none of them depends on another.
//!
//! The runtime records what an app draws into a [`LayerSubmission`]; the compositor renders
//! it. Camera drivers produce [`CameraFrame`]s; the compositor shows them. The binary reads a
//! [`DeviceProfile`] and derives each frame's [`FrameInfo`] from it. Nothing here touches
//! wgpu or wasmtime.
//!
//! Layout:
//! - `math`: reverse-Z projections from field-of-view angles.
//! - `frame`: [`FrameInfo`], [`EyeView`], [`Viewport`].
//! - `layer`: [`LayerSubmission`], [`DrawCmd`], the vertex layout and shared resource data.
//! - `limits`: [`AppLimits`], what one app may ask of the host.
//! - `shader`: the app-shader contract and its naga validation.
//! - `clock`: [`clock::Clock`], the injected monotonic clock.
//! - `camera`: [`CameraFrame`], a shared, read-only RGBA image.
//! - `profile`: [`DeviceProfile`], one device's displays and optics, from TOML.

pub mod camera;
pub mod clock;
pub mod frame;
pub mod layer;
pub mod limits;
pub mod math;
pub mod profile;
pub mod shader;

pub use camera::{CameraFrame, CameraInfo, CameraIntrinsics};
pub use frame::{EyeView, FrameInfo, Viewport};
pub use layer::{
    AppId, BuiltinPipeline, ClipRect, ContentId, DrawCmd, IndexData, LayerSubmission, Pipeline,
    TextureData, Vertex, VertexData,
};
pub use limits::AppLimits;
pub use profile::{DeviceProfile, DisplayKind, ProfileError};
pub use shader::{AppShader, ShaderError};
