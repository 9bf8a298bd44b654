//! A layer submission: everything one app drew in one frame, immutable once recorded.
//!
//! The runtime records draw calls host-side while the app's `frame` runs, then hands the
//! finished submission to the compositor (through a triple buffer, see the runtime). Resources
//! travel as `Arc`s of immutable data, so a submission costs no copies, and carry a
//! [`ContentId`] that changes whenever their contents change: the compositor keeps GPU copies
//! keyed by it and uploads only what is new.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytemuck::{Pod, Zeroable};
use glam::{Mat4, Vec4};

use crate::frame::FrameInfo;
use crate::shader::AppShader;

/// Identifies a running app within one shell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppId(pub u32);

/// Names one version of a resource's contents, unique for the life of the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ContentId(u64);

impl ContentId {
    pub fn next() -> ContentId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ContentId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// The vertex layout of every app pipeline (see `shaders/app/prelude.wgsl`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct Vertex {
    pub position: [f32; 3],
    pub normal: [f32; 3],
    /// Linear RGBA, straight alpha.
    pub color: [f32; 4],
    pub uv: [f32; 2],
}

#[derive(Clone, Debug)]
pub struct VertexData {
    pub id: ContentId,
    pub vertices: Vec<Vertex>,
}

#[derive(Clone, Debug)]
pub struct IndexData {
    pub id: ContentId,
    pub indices: Vec<u32>,
    /// The largest index held, so a draw can be checked against its vertex buffer in O(1).
    pub max_index: u32,
}

/// Tightly packed RGBA8 pixels, sRGB-encoded.
#[derive(Clone, Debug)]
pub struct TextureData {
    pub id: ContentId,
    pub width: u32,
    pub height: u32,
    pub pixels: Vec<u8>,
}

/// The pipelines every app has without sending a shader (`shaders/app/builtin.wgsl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BuiltinPipeline {
    Unlit,
    Lit,
    Textured,
}

impl BuiltinPipeline {
    /// Every built-in, in [`index`](BuiltinPipeline::index) order: the one list the runtime
    /// (an app's pipeline handles `0..ALL.len()`) and the compositor (its built-in pipelines)
    /// both follow.
    pub const ALL: [BuiltinPipeline; 3] = [BuiltinPipeline::Unlit, BuiltinPipeline::Lit, BuiltinPipeline::Textured];

    /// Where this built-in sits in [`ALL`](BuiltinPipeline::ALL).
    pub const fn index(self) -> usize {
        match self {
            BuiltinPipeline::Unlit => 0,
            BuiltinPipeline::Lit => 1,
            BuiltinPipeline::Textured => 2,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Pipeline {
    Builtin(BuiltinPipeline),
    /// An app's own WGSL, already validated by naga.
    Custom(Arc<AppShader>),
}

/// A clip rectangle in normalized viewport coordinates (0..1, origin top-left).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipRect {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

/// The most clip planes one draw may carry.
pub const MAX_CLIP_PLANES: usize = 4;

/// One draw call, with its ranges already checked against its buffers.
#[derive(Clone, Debug)]
pub struct DrawCmd {
    pub pipeline: Pipeline,
    pub vertices: Arc<VertexData>,
    pub indices: Option<Arc<IndexData>>,
    /// First vertex (or index, when indexed) and how many.
    pub first: u32,
    pub count: u32,
    pub model: Mat4,
    pub texture: Option<Arc<TextureData>>,
    pub clip: Option<ClipRect>,
    pub clip_planes: [Vec4; MAX_CLIP_PLANES],
    pub clip_plane_count: u32,
}

/// Everything one app drew for one frame.
#[derive(Clone, Debug)]
pub struct LayerSubmission {
    pub app: AppId,
    /// Counts up with each submission of this app.
    pub sequence: u64,
    /// The frame the app drew for: the compositor renders with exactly these eyes.
    pub frame: FrameInfo,
    pub draws: Vec<DrawCmd>,
    /// How long the app's `frame` call took.
    pub cpu_time: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_builtin_sits_at_its_index() {
        for (i, which) in BuiltinPipeline::ALL.into_iter().enumerate() {
            assert_eq!(which.index(), i, "{which:?}");
        }
    }
}
