//! Which layers can show in which part of an eye, so the z-composite only walks the layers
//! that cover a pixel (`shaders/composite.wgsl`).
//!
//! Each display slot's screen bounds come from its draws: a built-in pipeline places a vertex
//! at `view_proj * model * position`, so the box around a vertex buffer's positions, carried
//! through the model matrix and the eye the slot's pixels are seen from, bounds every pixel the
//! draw can touch, and the draw's clip rectangle bounds it again. An app's own WGSL may move
//! its vertices anywhere, so such a draw covers the whole eye; so does a box that reaches
//! behind the eye, where projection has no finite bound. A warped slot (reprojected to the
//! display pose) holds the same world points seen from the display eye, except that the
//! warp's grid can place a texel a few source pixels off where its vertex sits next to an
//! empty texel: its bounds grow by [`WARP_MARGIN`].
//!
//! The eye is cut into tiles of [`TILE_PIXELS`] squared; each tile holds a bit mask of the
//! slots whose bounds reach it, and tiles with equal masks merge into rectangles
//! ([`TileMasks::regions`]), each one draw of the composite. A region no layer reaches takes
//! only the camera, one that one layer reaches takes that layer without ordering anything, and
//! only contested regions walk the depth order — so the composite's work follows what apps
//! cover, and its result is exactly what the walk over every layer gives (a layer outside a
//! region has no texel there to contribute).

use glam::{Mat4, Vec3, Vec4Swizzles};
use visor_types::frame::EyeView;
use visor_types::layer::{DrawCmd, LayerSubmission, Pipeline};

use crate::renderer::scissor;

/// Pixels along a tile's side.
pub const TILE_PIXELS: u32 = 32;

/// Pixels a warped slot's bounds grow by: two of the warp's grid tiles, well past where its
/// grid can displace a texel (a grid step or two).
pub const WARP_MARGIN: u32 = 32;

/// A pixel rectangle, `x0..x1` by `y0..y1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub x0: u32,
    pub y0: u32,
    pub x1: u32,
    pub y1: u32,
}

impl Rect {
    pub fn full(width: u32, height: u32) -> Rect {
        Rect { x0: 0, y0: 0, x1: width, y1: height }
    }

    fn union(self, other: Rect) -> Rect {
        Rect { x0: self.x0.min(other.x0), y0: self.y0.min(other.y0), x1: self.x1.max(other.x1), y1: self.y1.max(other.y1) }
    }

    fn intersect(self, other: Rect) -> Option<Rect> {
        let r = Rect { x0: self.x0.max(other.x0), y0: self.y0.max(other.y0), x1: self.x1.min(other.x1), y1: self.y1.min(other.y1) };
        (r.x1 > r.x0 && r.y1 > r.y0).then_some(r)
    }

    fn grow(self, by: u32, width: u32, height: u32) -> Rect {
        Rect {
            x0: self.x0.saturating_sub(by),
            y0: self.y0.saturating_sub(by),
            x1: (self.x1 + by).min(width),
            y1: (self.y1 + by).min(height),
        }
    }
}

/// Where `submission`'s pixels can be in a `width` x `height` layer seen from `eye`: `None`
/// when it drew nothing that lands in view. `warped`: the layer was reprojected to `eye`.
pub fn layer_bounds(submission: &LayerSubmission, eye: &EyeView, width: u32, height: u32, warped: bool) -> Option<Rect> {
    let view_proj = eye.view_projection();
    let bounds = submission.draws.iter().filter_map(|draw| draw_bounds(draw, &view_proj, width, height)).reduce(Rect::union)?;
    // One pixel either way absorbs rounding between this projection and the rasterizer's.
    Some(bounds.grow(if warped { WARP_MARGIN } else { 1 }, width, height))
}

/// The pixels one draw can touch.
fn draw_bounds(draw: &DrawCmd, view_proj: &Mat4, width: u32, height: u32) -> Option<Rect> {
    let clip = scissor(draw, width, height).map(|[x, y, w, h]| Rect { x0: x, y0: y, x1: x + w, y1: y + h })?;
    if draw.count == 0 {
        return None;
    }
    if matches!(draw.pipeline, Pipeline::Custom(_)) {
        return Some(clip);
    }
    let [min, max] = draw.vertices.bounds()?;
    let to_clip = *view_proj * draw.model;
    let (mut lo, mut hi) = (glam::Vec2::INFINITY, glam::Vec2::NEG_INFINITY);
    for corner in 0..8 {
        let p = Vec3::select(glam::BVec3::new(corner & 1 != 0, corner & 2 != 0, corner & 4 != 0), max, min);
        let c = to_clip * p.extend(1.0);
        // Behind the eye (or on its plane), the projection is unbounded: assume everything.
        if !c.is_finite() || c.w <= 1e-6 {
            return Some(clip);
        }
        let ndc = c.xy() / c.w;
        lo = lo.min(ndc);
        hi = hi.max(ndc);
    }
    // Normalized device coordinates to pixels: x right, y down.
    let px = |x: f32| ((x * 0.5 + 0.5) * width as f32).clamp(0.0, width as f32);
    let py = |y: f32| ((0.5 - y * 0.5) * height as f32).clamp(0.0, height as f32);
    let seen = Rect { x0: px(lo.x).floor() as u32, y0: py(hi.y).floor() as u32, x1: px(hi.x).ceil() as u32, y1: py(lo.y).ceil() as u32 };
    seen.intersect(clip)
}

/// One eye's tile masks: bit `slot` of a tile is set where that slot's bounds reach it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TileMasks {
    pub columns: u32,
    pub rows: u32,
    pub masks: Vec<u32>,
}

impl TileMasks {
    /// No layer anywhere, for an eye `width` x `height` pixels.
    pub fn clear(&mut self, width: u32, height: u32) {
        self.columns = width.div_ceil(TILE_PIXELS).max(1);
        self.rows = height.div_ceil(TILE_PIXELS).max(1);
        self.masks.clear();
        self.masks.resize((self.columns * self.rows) as usize, 0);
    }

    /// Marks `slot` as reaching every tile `rect` touches.
    pub fn cover(&mut self, slot: u32, rect: Rect) {
        let (c0, r0) = (rect.x0 / TILE_PIXELS, rect.y0 / TILE_PIXELS);
        let (c1, r1) = (rect.x1.div_ceil(TILE_PIXELS).min(self.columns), rect.y1.div_ceil(TILE_PIXELS).min(self.rows));
        for row in r0..r1 {
            let line = (row * self.columns) as usize;
            for mask in &mut self.masks[line + c0 as usize..line + c1 as usize] {
                *mask |= 1 << slot;
            }
        }
    }

    /// The eye cut into rectangles that the same layers reach, each with its mask: tiles with
    /// equal masks side by side make one span, and a span with the same place and mask as one
    /// in the row above extends it. Everything above `top` (the chrome band) is left out; the
    /// rectangles cover the rest of the `width` x `height` eye exactly once.
    pub fn regions(&self, width: u32, height: u32, top: u32) -> Vec<(Rect, u32)> {
        let mut done: Vec<(Rect, u32)> = Vec::new();
        // Rectangles still growing: they reached the bottom of the previous row.
        let mut open: Vec<(Rect, u32)> = Vec::new();
        for row in 0..self.rows {
            let (y0, y1) = ((row * TILE_PIXELS).max(top), ((row + 1) * TILE_PIXELS).min(height));
            if y1 <= y0 {
                continue;
            }
            let masks = &self.masks[(row * self.columns) as usize..((row + 1) * self.columns) as usize];
            let mut next = Vec::new();
            let mut column = 0;
            while column < self.columns {
                let mask = masks[column as usize];
                let start = column;
                while column < self.columns && masks[column as usize] == mask {
                    column += 1;
                }
                let (x0, x1) = (start * TILE_PIXELS, (column * TILE_PIXELS).min(width));
                match open.iter().position(|(r, m)| *m == mask && r.x0 == x0 && r.x1 == x1 && r.y1 == y0) {
                    Some(i) => {
                        let (mut rect, _) = open.swap_remove(i);
                        rect.y1 = y1;
                        next.push((rect, mask));
                    }
                    None => next.push((Rect { x0, y0, x1, y1 }, mask)),
                }
            }
            done.append(&mut open);
            open = next;
        }
        done.append(&mut open);
        done
    }

    /// Share of tiles no layer reaches, one reaches, and more than one reach.
    pub fn census(&self) -> [f64; 3] {
        let mut counts = [0usize; 3];
        for mask in &self.masks {
            counts[(mask.count_ones() as usize).min(2)] += 1;
        }
        counts.map(|c| c as f64 / self.masks.len().max(1) as f64)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use glam::Vec4;
    use visor_types::AppId;
    use visor_types::frame::FrameInfo;
    use visor_types::layer::{BuiltinPipeline, ClipRect, Vertex, VertexData};

    use super::*;

    fn eye() -> EyeView {
        EyeView {
            view: Mat4::IDENTITY,
            projection: Mat4::perspective_infinite_reverse_rh(90f32.to_radians(), 1.0, 0.05),
            viewport: Default::default(),
        }
    }

    fn quad(half: f32, distance: f32, clip: Option<ClipRect>) -> DrawCmd {
        let v = |x: f32, y: f32| Vertex { position: [x, y, -distance], ..Default::default() };
        DrawCmd {
            pipeline: Pipeline::Builtin(BuiltinPipeline::Unlit),
            vertices: Arc::new(VertexData::new(vec![v(-half, -half), v(half, -half), v(half, half), v(-half, half)])),
            indices: None,
            first: 0,
            count: 4,
            model: Mat4::IDENTITY,
            texture: None,
            clip,
            clip_planes: [Vec4::ZERO; 4],
            clip_plane_count: 0,
            world_occludes: true,
        }
    }

    fn submission(draws: Vec<DrawCmd>) -> LayerSubmission {
        let frame = FrameInfo { display_time_ns: 0, frame_number: 0, head: Mat4::IDENTITY, eyes: vec![eye()] };
        LayerSubmission { app: AppId(1), sequence: 0, frame, draws, cpu_time: Duration::ZERO }
    }

    #[test]
    fn a_quad_ahead_covers_its_projection_and_nothing_else() {
        // 90 degrees across: a quad 1 m wide at 2 m spans the middle quarter of the view.
        let bounds = layer_bounds(&submission(vec![quad(0.5, 2.0, None)]), &eye(), 400, 400, false).unwrap();
        assert_eq!(bounds, Rect { x0: 149, y0: 149, x1: 251, y1: 251 });
        let mut tiles = TileMasks::default();
        tiles.clear(400, 400);
        tiles.cover(3, bounds);
        assert_eq!((tiles.columns, tiles.rows), (13, 13));
        assert_eq!(tiles.masks[4 * 13 + 4], 1 << 3);
        assert_eq!(tiles.masks[0], 0);
        assert_eq!(tiles.masks[8 * 13 + 8], 0, "tile 8 starts at 256, past the quad");
    }

    #[test]
    fn what_cannot_be_bounded_covers_the_whole_eye_and_clip_rectangles_cut_it() {
        let full = Some(Rect::full(400, 400));
        // Straddling the eye: a vertex behind it.
        let mut straddling = quad(0.5, 2.0, None);
        straddling.model = Mat4::from_translation(Vec3::new(0.0, 0.0, 2.0));
        assert_eq!(layer_bounds(&submission(vec![straddling]), &eye(), 400, 400, false), full);
        // Not finite.
        let mut wild = quad(0.5, 2.0, None);
        wild.vertices = Arc::new(VertexData::new(vec![Vertex { position: [f32::NAN, 0.0, -1.0], ..Default::default() }]));
        assert_eq!(layer_bounds(&submission(vec![wild]), &eye(), 400, 400, false), full);
        // Behind the eye only: the whole eye too (conservative), but a clip rectangle bounds it.
        let clip = ClipRect { x: 0.0, y: 0.0, width: 0.25, height: 0.5 };
        let mut behind = quad(0.5, -2.0, Some(clip));
        behind.count = 4;
        assert_eq!(layer_bounds(&submission(vec![behind]), &eye(), 400, 400, false), Some(Rect { x0: 0, y0: 0, x1: 101, y1: 201 }));
        // Nothing drawn.
        assert_eq!(layer_bounds(&submission(vec![]), &eye(), 400, 400, false), None);
        let mut empty = quad(0.5, 2.0, None);
        empty.count = 0;
        assert_eq!(layer_bounds(&submission(vec![empty]), &eye(), 400, 400, false), None);
    }

    #[test]
    fn warped_layers_get_a_margin_and_the_census_counts_tiles() {
        let warped = layer_bounds(&submission(vec![quad(0.5, 2.0, None)]), &eye(), 400, 400, true).unwrap();
        assert_eq!(warped, Rect { x0: 150 - WARP_MARGIN, y0: 150 - WARP_MARGIN, x1: 250 + WARP_MARGIN, y1: 250 + WARP_MARGIN });
        let mut tiles = TileMasks::default();
        tiles.clear(64, 64);
        tiles.cover(0, Rect { x0: 0, y0: 0, x1: 64, y1: 32 });
        tiles.cover(1, Rect { x0: 0, y0: 0, x1: 10, y1: 10 });
        assert_eq!(tiles.census(), [0.5, 0.25, 0.25]);
    }

    #[test]
    fn regions_cover_the_eye_below_the_band_once_with_their_tiles_masks() {
        let (width, height, top) = (200, 150, 10);
        let mut tiles = TileMasks::default();
        tiles.clear(width, height);
        tiles.cover(0, Rect { x0: 40, y0: 40, x1: 120, y1: 100 });
        tiles.cover(1, Rect { x0: 100, y0: 0, x1: 200, y1: 60 });
        let regions = tiles.regions(width, height, top);
        let mut seen = vec![0u32; (width * height) as usize];
        for (rect, mask) in &regions {
            for y in rect.y0..rect.y1 {
                for x in rect.x0..rect.x1 {
                    seen[(y * width + x) as usize] += 1;
                    let tile = tiles.masks[((y / TILE_PIXELS) * tiles.columns + x / TILE_PIXELS) as usize];
                    assert_eq!(*mask, tile, "pixel ({x}, {y})");
                }
            }
        }
        for y in 0..height {
            for x in 0..width {
                assert_eq!(seen[(y * width + x) as usize], u32::from(y >= top), "pixel ({x}, {y})");
            }
        }
        // Equal rows merge: far fewer rectangles than row spans.
        assert!(regions.len() <= 12, "{regions:?}");
    }
}
