//! A layer submission: everything one app drew in one frame, immutable once recorded.
//!
//! The runtime records draw calls host-side while the app's `frame` runs, then hands the
//! finished submission to the compositor (through a triple buffer, see the runtime). Resources
//! travel as `Arc`s of immutable data, so a submission costs no copies, and carry a
//! [`ContentId`] that changes whenever their contents change: the compositor keeps GPU copies
//! keyed by it and uploads only what is new.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytemuck::{Pod, Zeroable};
use glam::{Mat4, Vec3, Vec4};

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

/// How one version of a buffer differs from an earlier one: the same elements except
/// `start..end`. A GPU copy of version `since` can be brought up to date by writing just that
/// range, instead of uploading the whole buffer again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dirty {
    pub since: ContentId,
    pub start: u32,
    pub end: u32,
}

impl Dirty {
    /// The change after writing `start..end` to a buffer at version `current`, whose own
    /// change was `before`. `shared`: someone (a submission, the compositor) may hold
    /// `current`, so the new version is told apart from it; otherwise `current` was never
    /// handed out and the change still counts from `before`'s base.
    pub fn after_write(current: ContentId, before: Option<Dirty>, shared: bool, start: u32, end: u32) -> Dirty {
        match before {
            Some(d) if !shared => Dirty { since: d.since, start: d.start.min(start), end: d.end.max(end) },
            _ => Dirty { since: current, start, end },
        }
    }
}

#[derive(Clone, Debug)]
pub struct VertexData {
    pub id: ContentId,
    pub vertices: Vec<Vertex>,
    /// What changed since an earlier version, when this one came from a partial write.
    pub dirty: Option<Dirty>,
    /// The positions' bounding box, found on first asking: the data is immutable once shared.
    bounds: OnceLock<Option<[Vec3; 2]>>,
}

impl VertexData {
    pub fn new(vertices: Vec<Vertex>) -> VertexData {
        VertexData { id: ContentId::next(), vertices, dirty: None, bounds: OnceLock::new() }
    }

    /// The vertices `start..end`, to overwrite: the data becomes a new version (a new id, the
    /// change recorded as in [`Dirty::after_write`], the bounds found afresh). Writing through
    /// this, rather than into `vertices`, keeps the id and the bounds true.
    pub fn write(&mut self, start: u32, end: u32, shared: bool) -> &mut [Vertex] {
        self.dirty = Some(Dirty::after_write(self.id, self.dirty, shared, start, end));
        self.id = ContentId::next();
        self.bounds = OnceLock::new();
        &mut self.vertices[start as usize..end as usize]
    }

    /// The smallest box (min, max corners, in the draw's model space) holding every vertex
    /// position, `None` when there are no vertices. A position that is not finite makes the
    /// box infinite: nothing can be said of where such a draw lands.
    pub fn bounds(&self) -> Option<[Vec3; 2]> {
        *self.bounds.get_or_init(|| {
            let positions = self.vertices.iter().map(|v| Vec3::from_array(v.position));
            if positions.clone().any(|p| !p.is_finite()) {
                return Some([Vec3::NEG_INFINITY, Vec3::INFINITY]);
            }
            positions.fold(None, |bounds, p| match bounds {
                None => Some([p, p]),
                Some([min, max]) => Some([min.min(p), max.max(p)]),
            })
        })
    }
}

#[derive(Clone, Debug)]
pub struct IndexData {
    pub id: ContentId,
    pub indices: Vec<u32>,
    /// The largest index held, so a draw can be checked against its vertex buffer in O(1).
    pub max_index: u32,
    /// What changed since an earlier version, when this one came from a partial write.
    pub dirty: Option<Dirty>,
}

impl IndexData {
    pub fn new(indices: Vec<u32>) -> IndexData {
        let max_index = indices.iter().copied().max().unwrap_or(0);
        IndexData { id: ContentId::next(), indices, max_index, dirty: None }
    }
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
    /// Hidden where a real surface is nearer (the default); false for a HUD that must stay
    /// visible.
    pub world_occludes: bool,
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

#[cfg(test)]
mod dirty_tests {
    use super::*;

    #[test]
    fn writes_to_a_version_nobody_holds_widen_its_change_and_keep_its_base() {
        let (v1, v2) = (ContentId::next(), ContentId::next());
        let first = Dirty::after_write(v1, None, true, 10, 20);
        assert_eq!(first, Dirty { since: v1, start: 10, end: 20 });
        // v2 (carrying `first`) was never handed out: the next write still counts from v1.
        assert_eq!(Dirty::after_write(v2, Some(first), false, 30, 40), Dirty { since: v1, start: 10, end: 40 });
        // v2 was handed out (the compositor may have uploaded it): count from v2.
        assert_eq!(Dirty::after_write(v2, Some(first), true, 30, 40), Dirty { since: v2, start: 30, end: 40 });
    }
}
