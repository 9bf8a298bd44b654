//! The warp's tiles: the triangles of one 16x16 tile (a grid, a fan or a quad), and the tile
//! lists of every layer, which `cs_classify` and `cs_list` write and the indirect draws read.
//!
//! Which tiles of a layer are empty, smooth or detailed depends only on the layer's depth, not
//! on the pose it is warped to; so a layer is classified once per submission and its lists
//! serve every warp of it until the app submits again.

use visor_types::layer::AppId;

use crate::composite::MAX_LAYERS;

/// Source pixels per tile side; `TILE_PIXELS` in the shader. A multiple of [`GRID_STEP`].
pub const TILE_PIXELS: u32 = 16;
/// Source pixels between grid vertices in detailed tiles. 1 (a vertex per pixel) costs about
/// 3x the time on lavapipe for no visible gain: the fragment stage picks texels, so
/// silhouettes stay texel-exact either way.
pub const GRID_STEP: u32 = 2;
/// Ahead of each list: its indirect draw's arguments (`DrawIndexedIndirectArgs`).
pub(super) const HEADER_BYTES: u64 = 20;
/// Lists start at multiples of this (wgpu's minimum storage dynamic-offset alignment).
const ALIGN: u64 = 256;

/// Grid vertices along a side of `pixels`: one every [`GRID_STEP`], and one on the last pixel.
pub fn grid_size(pixels: u32) -> u32 {
    (pixels.max(2) - 1).div_ceil(GRID_STEP) + 1
}

/// Two triangles per cell of one tile of `cells` x `cells`, row by row.
pub fn tile_grid(cells: u32) -> Vec<u32> {
    let side = cells + 1;
    let mut indices = Vec::with_capacity((cells * cells * 6) as usize);
    for y in 0..cells {
        for x in 0..cells {
            let v = y * side + x;
            indices.extend_from_slice(&[v, v + side, v + 1, v + 1, v + side, v + side + 1]);
        }
    }
    indices
}

/// A fan over the same tile: from its centre vertex to every border vertex in turn (the
/// vertex stage straightens the edges that need no border vertices).
pub fn tile_fan(cells: u32) -> Vec<u32> {
    let side = cells + 1;
    let at = |x: u32, y: u32| y * side + x;
    let border: Vec<u32> = (0..cells)
        .map(|i| at(i, 0))
        .chain((0..cells).map(|i| at(cells, i)))
        .chain((0..cells).map(|i| at(cells - i, cells)))
        .chain((0..cells).map(|i| at(0, cells - i)))
        .collect();
    let centre = at(cells / 2, cells / 2);
    (0..border.len()).flat_map(|i| [centre, border[i], border[(i + 1) % border.len()]]).collect()
}

/// Two triangles over the same tile, corner to corner.
pub fn tile_quad(cells: u32) -> Vec<u32> {
    let side = cells + 1;
    let (a, b, c, d) = (0, cells, cells * side, cells * side + cells);
    vec![a, c, b, b, c, d]
}

/// Per layer (slot and eye) a region of three lists, `stride` apart — detailed tiles, smooth
/// tiles drawn as fans, smooth tiles drawn as quads — then the tiles' kinds.
pub struct TileLists {
    pub buffer: wgpu::Buffer,
    pub stride: u64,
    region: u64,
    eyes: usize,
    /// The submission each layer's lists were classified from.
    classified: Vec<Option<(AppId, u64)>>,
}

impl TileLists {
    pub fn new(device: &wgpu::Device, tiles: u32, eyes: usize) -> TileLists {
        // Three entries per tile at most (a near, an own and a far pass).
        let stride = (HEADER_BYTES + 12 * u64::from(tiles)).next_multiple_of(ALIGN);
        let region = 3 * stride + (4 * u64::from(tiles)).next_multiple_of(ALIGN);
        let layers = MAX_LAYERS as usize * eyes;
        let buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("reproject tiles"),
            size: layers as u64 * region,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::INDIRECT | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        TileLists { buffer, stride, region, eyes, classified: vec![None; layers] }
    }

    /// Where the region of layer (`slot`, `eye`) starts (its detailed list first).
    pub fn offset(&self, slot: u32, eye: usize) -> u64 {
        (slot as usize * self.eyes + eye) as u64 * self.region
    }

    /// The size of a layer's region.
    pub fn region_size(&self) -> u64 {
        self.region
    }

    /// Whether layer (`slot`, `eye`) must be classified for `layer`'s submission; if so, its
    /// lists are emptied (their draw arguments rewritten with no instances; `draws` holds each
    /// list's index count and first index) and it counts as classified from now on.
    pub fn claim(&mut self, queue: &wgpu::Queue, slot: u32, eye: usize, layer: (AppId, u64), draws: [[u32; 2]; 3]) -> bool {
        let entry = &mut self.classified[slot as usize * self.eyes + eye];
        if *entry == Some(layer) {
            return false;
        }
        *entry = Some(layer);
        let offset = self.offset(slot, eye);
        for (k, [index_count, first_index]) in draws.into_iter().enumerate() {
            let args =
                wgpu::util::DrawIndexedIndirectArgs { index_count, instance_count: 0, first_index, base_vertex: 0, first_instance: 0 };
            queue.write_buffer(&self.buffer, offset + k as u64 * self.stride, args.as_bytes());
        }
        true
    }

    /// Forgets every classification (the rendered layers were rebuilt).
    pub fn forget(&mut self) {
        self.classified.fill(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_reaches_the_last_pixel() {
        // Vertices on pixels 0, 2, ..., 158 and 159.
        assert_eq!(grid_size(160), 81);
        // 0, 2, ..., 160.
        assert_eq!(grid_size(161), 81);
    }

    #[test]
    fn grid_and_fan_cover_the_same_tile_through_the_same_border() {
        let grid = tile_grid(2);
        assert_eq!(grid.len(), 2 * 2 * 6);
        assert_eq!(*grid.iter().max().unwrap(), 8, "3x3 vertices");
        let fan = tile_fan(8);
        assert_eq!(fan.len(), 32 * 3, "one triangle per border vertex");
        let mut border: Vec<u32> = fan.chunks(3).map(|t| t[1]).collect();
        border.sort_unstable();
        let expected: Vec<u32> = (0..81).filter(|v| v % 9 == 0 || v % 9 == 8 || v / 9 == 0 || v / 9 == 8).collect();
        assert_eq!(border, expected);
        assert!(fan.chunks(3).all(|t| t[0] == 40), "around the centre");
        assert_eq!(tile_quad(8), [0, 72, 8, 8, 72, 80], "the corners");
    }
}
