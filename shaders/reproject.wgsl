// Positional reprojection of one app layer: moves what the app drew for one head pose to
// where it belongs for another (the pose predicted for the display), using the layer's depth.
//
// The layer is drawn as a grid mesh with one vertex every `step` source pixels. Each vertex
// reads the source depth under it and moves from its source pixel to where that surface point
// lands for the display eye — so near things move more than far ones when the head translates
// (parallax), which a rotation-only warp cannot do.
//
// Each fragment takes the colour of the source texel its interpolated source position falls in
// (nearest, not filtered: filtering would blend across silhouettes and into the empty texels
// around them), and is kept only when that texel holds something (empty pixels stay empty)
// and lies on the surface the triangle spans: its depth agrees with the interpolated vertex
// depth. Depth is written for the texel's own surface point, so layers and the hit test
// compare exact depths.
//
// Depth discontinuities. A cell with foreground on one corner and background on another would
// stretch over the gap the head movement uncovers (a rubber sheet), and place the texels
// between its vertices by interpolating between the two surfaces (wrong for both). So cells
// near a discontinuity are drawn twice, once per surface: the near pass moves every vertex
// next to a nearer surface onto that surface, the far pass every vertex next to a farther one
// onto that; within each, only the texels of that surface pass the test above, each where its
// own surface puts it, and the uncovered gap stays empty. A vertex next to an empty texel
// takes its drawn neighbours' depth the same way, so silhouettes are cut at texel precision.
//
// Apps mostly leave most of their layer empty, and a software rasterizer pays for every small
// triangle and every fragment. So the mesh is cut into tiles of 16x16 source pixels, and
// `cs_classify` sorts them: empty tiles are skipped; smooth ones (all drawn, depths within
// DEPTH_TOLERANCE of each other: no silhouette, no discontinuity) are drawn once, as a fan of
// 32 triangles from the tile's centre to its border vertices; the rest get the full grid, two
// triangles per cell, in both passes. Each list carries its indirect draw's arguments, and
// `vs_main` draws `passes` instances per listed tile. Fan and grid share the border vertices,
// so each surface stays watertight where a smooth tile meets a detailed one.

// Relative depth difference above which two depths are different surfaces.
const DEPTH_TOLERANCE: f32 = 0.05;
// Stands in for "nothing here" at a vertex with no drawn neighbour: about 50 km away, so its
// triangles stay finite; their fragments find empty texels and are discarded.
const FAR_DEPTH: f32 = 1e-6;
// Source pixels per tile side; `TILE_PIXELS` in `compositor/src/reproject.rs`.
const TILE_PIXELS: u32 = 16u;

struct Warp {
    // Source clip space (the pixel as NDC, its reverse-Z depth) to display clip space: the
    // display eye's view-projection times the inverse of the one the app drew with.
    source_to_display: mat4x4<f32>,
    // The layer's size in pixels.
    size: vec2<u32>,
    // Grid vertices per row and per column.
    grid: vec2<u32>,
    // Tiles per row and per column.
    tiles: vec2<u32>,
    // Source pixels between neighbouring vertices (divides `TILE_PIXELS`).
    step: u32,
    // The layer's slice in the source arrays.
    slot: u32,
}

// The tiles of one kind, after their indirect draw's arguments (`DrawIndexedIndirectArgs`,
// whose instance count `cs_classify` counts up) and the instances drawn per tile.
struct TileList {
    index_count: u32,
    instance_count: atomic<u32>,
    first_index: u32,
    base_vertex: i32,
    first_instance: u32,
    passes: u32,
    tiles: array<u32>,
}

// The same buffer, read by the vertex stage.
struct Tiles {
    args: array<u32, 5>,
    passes: u32,
    tiles: array<u32>,
}

@group(0) @binding(0) var source_color: texture_2d_array<f32>;
@group(0) @binding(1) var source_depth: texture_depth_2d_array;
@group(0) @binding(2) var<uniform> warp: Warp;
@group(0) @binding(3) var<storage, read> listed: Tiles;
@group(0) @binding(4) var<storage, read_write> detailed_tiles: TileList;
@group(0) @binding(5) var<storage, read_write> smooth_tiles: TileList;

fn load_depth(texel: vec2<i32>) -> f32 {
    let last = vec2<i32>(warp.size) - 1;
    return textureLoad(source_depth, clamp(texel, vec2<i32>(0), last), i32(warp.slot), 0);
}

// A source pixel position and its depth, in display clip space.
fn to_display(pixel: vec2<f32>, depth: f32) -> vec4<f32> {
    let uv = pixel / vec2<f32>(warp.size);
    return warp.source_to_display * vec4<f32>(uv.x * 2.0 - 1.0, 1.0 - uv.y * 2.0, depth, 1.0);
}

fn same_surface(a: f32, b: f32) -> bool {
    return abs(a - b) <= DEPTH_TOLERANCE * max(a, b);
}

var<workgroup> drawn: atomic<u32>;
var<workgroup> empty: atomic<u32>;
var<workgroup> nearest_bits: atomic<u32>;
// The bitwise complement of the farthest depth's bits, so that zero (the initial value) is
// above every depth.
var<workgroup> farthest_bits_inverted: atomic<u32>;

// One workgroup per tile. Each invocation checks a 3x3 block overlapping its neighbours' by a
// texel, so together they cover the tile's 16x16 texels and the row and column after them
// (which the tile's last cells reach). Positive floats order like their bits, so the depth
// range is kept with integer atomics.
@compute @workgroup_size(8, 8)
fn cs_classify(@builtin(workgroup_id) tile: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
    let base = vec2<i32>(tile.xy * TILE_PIXELS + local.xy * 2u);
    var nearest = 0.0;
    var farthest = 1.0;
    var any_empty = false;
    for (var dy = 0; dy < 3; dy++) {
        for (var dx = 0; dx < 3; dx++) {
            let depth = load_depth(base + vec2<i32>(dx, dy));
            any_empty = any_empty || depth <= 0.0;
            nearest = max(nearest, depth);
            farthest = min(farthest, select(depth, 1.0, depth <= 0.0));
        }
    }
    if nearest > 0.0 {
        atomicStore(&drawn, 1u);
        atomicMax(&nearest_bits, bitcast<u32>(nearest));
        atomicMax(&farthest_bits_inverted, ~bitcast<u32>(farthest));
    }
    if any_empty {
        atomicStore(&empty, 1u);
    }
    workgroupBarrier();
    if local.x != 0u || local.y != 0u || atomicLoad(&drawn) == 0u {
        return;
    }
    let index = tile.y * warp.tiles.x + tile.x;
    let near = bitcast<f32>(atomicLoad(&nearest_bits));
    let far = bitcast<f32>(~atomicLoad(&farthest_bits_inverted));
    if atomicLoad(&empty) == 0u && same_surface(near, far) {
        smooth_tiles.tiles[atomicAdd(&smooth_tiles.instance_count, 1u)] = index;
    } else {
        // Two instances: the near pass and the far pass.
        detailed_tiles.tiles[atomicAdd(&detailed_tiles.instance_count, 2u) / 2u] = index;
    }
}

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    // Where this point was in the source layer, in pixels.
    @location(0) source: vec2<f32>,
    // The source depth the vertex was placed with.
    @location(1) depth: f32,
}

struct FragmentOut {
    @location(0) color: vec4<f32>,
    @builtin(frag_depth) depth: f32,
}

@vertex
fn vs_main(@builtin(vertex_index) index: u32, @builtin(instance_index) instance: u32) -> VertexOut {
    let tile_index = listed.tiles[instance / listed.passes];
    let tile = vec2<u32>(tile_index % warp.tiles.x, tile_index / warp.tiles.x);
    let side = TILE_PIXELS / warp.step + 1u;
    let local = vec2<u32>(index % side, index / side);
    // Past the layer's last vertex (a partial tile) cells collapse to nothing.
    let cell = min(tile * (side - 1u) + local, warp.grid - 1u);
    let texel = vec2<i32>(min(cell * warp.step, warp.size - 1u));
    var depth = load_depth(texel);
    if listed.passes > 1u {
        // Detailed tile: move onto the nearest neighbouring surface in the near pass, the
        // farthest drawn one in the far pass, when it is not this vertex's own.
        var nearest = 0.0;
        var farthest = 1.0;
        let s = i32(warp.step);
        for (var dy = -1; dy <= 1; dy++) {
            for (var dx = -1; dx <= 1; dx++) {
                let d = load_depth(texel + vec2<i32>(dx, dy) * s);
                nearest = max(nearest, d);
                farthest = min(farthest, select(d, 1.0, d <= 0.0));
            }
        }
        let other = select(farthest, nearest, instance % 2u == 0u);
        if nearest > 0.0 && (depth <= 0.0 || !same_surface(depth, other)) {
            depth = other;
        }
    }
    depth = max(depth, FAR_DEPTH);

    // Vertices sit on texel centres, except that the outermost ones reach the layer's edge:
    // otherwise the half pixel around the border would never be drawn.
    var source = vec2<f32>(texel) + 0.5;
    let last = warp.grid - 1u;
    if cell.x == 0u { source.x = 0.0; }
    if cell.y == 0u { source.y = 0.0; }
    if cell.x == last.x { source.x = f32(warp.size.x); }
    if cell.y == last.y { source.y = f32(warp.size.y); }

    var out: VertexOut;
    out.position = to_display(source, depth);
    out.source = source;
    out.depth = depth;
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> FragmentOut {
    let last = vec2<i32>(warp.size) - 1;
    let texel = clamp(vec2<i32>(floor(in.source)), vec2<i32>(0), last);
    let depth = textureLoad(source_depth, texel, i32(warp.slot), 0);
    if depth <= 0.0 || !same_surface(depth, in.depth) {
        discard;
    }
    var out: FragmentOut;
    out.color = textureLoad(source_color, texel, i32(warp.slot), 0);
    let clip = to_display(vec2<f32>(texel) + 0.5, depth);
    out.depth = clamp(clip.z / clip.w, 0.0, 1.0);
    return out;
}

// Smooth tiles: every texel is drawn and on the surface the fan spans (the tile's depths are
// within DEPTH_TOLERANCE), so the test of `fs_main` always passes and the interpolated depth
// is the surface's. Skipping both halves the fragment cost.
@fragment
fn fs_smooth(in: VertexOut) -> @location(0) vec4<f32> {
    let texel = clamp(vec2<i32>(floor(in.source)), vec2<i32>(0), vec2<i32>(warp.size) - 1);
    return textureLoad(source_color, texel, i32(warp.slot), 0);
}
