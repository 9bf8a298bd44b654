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
// between its vertices by interpolating between the two surfaces (wrong for both). So tiles
// holding a discontinuity are drawn once per surface: the near pass moves every vertex next to
// a nearer surface onto that surface, the far pass every vertex next to a farther one onto
// that, and where a third surface lies between (three meet within a few pixels) an own pass
// keeps every vertex on its own; within each, only the texels of that surface pass the test
// above, each where its own surface puts it, and the uncovered gap stays empty. A vertex next
// to an empty texel takes its drawn neighbours' depth the same way, so silhouettes are cut at
// texel precision.
//
// Tiles. Apps mostly leave most of their layer empty, and a software rasterizer pays for every
// small triangle and every fragment. So the mesh is cut into tiles of 16x16 source pixels,
// sorted once per submission (the sorting depends on depth only, not on the pose):
// `cs_classify` gives each tile a kind — empty, smooth (all drawn, depths within
// DEPTH_TOLERANCE of each other), detailed on one surface (a silhouette), detailed across two
// surfaces or more — and `cs_list` files the tiles into three lists, each with the arguments of
// its indirect draw: detailed tiles get the full grid (two triangles per cell, once per pass
// they need); smooth ones next to a detailed tile a fan from their centre, whose border follows
// the grid along the edges they share with detailed tiles (the mesh stays watertight there);
// the other smooth ones two triangles. `vs_main` draws one instance per list entry.

// Relative depth difference above which two depths are different surfaces. A plane seen at a
// slant (a floor) changes by a tenth or more between grid vertices; an edge and what lies
// behind it usually differ by far more, and two surfaces that differ by less move so nearly
// alike when the head moves that treating them as one smears them by a fraction of a pixel.
const DEPTH_TOLERANCE: f32 = 0.2;
// Stands in for "nothing here" at a vertex with no drawn neighbour: about 50 km away, so its
// triangles stay finite; their fragments find empty texels and are discarded.
const FAR_DEPTH: f32 = 1e-6;
// Source pixels per tile side; `TILE_PIXELS` in `compositor/src/reproject/tiles.rs`.
const TILE_PIXELS: u32 = 16u;

// Tile kinds.
const EMPTY: u32 = 0u;
const SMOOTH: u32 = 1u;
const ONE_SURFACE: u32 = 2u;
const TWO_SURFACES: u32 = 3u;
const MORE_SURFACES: u32 = 4u;

// A list entry: the tile's index, then (detailed tiles) the pass or (smooth ones) the edges
// (top, right, bottom, left) along which it follows the grid, and whether it is smooth.
const TILE_INDEX: u32 = 0x03ffffffu;
const SHIFT: u32 = 26u;
const NEAR_PASS: u32 = 0u;
const OWN_PASS: u32 = 1u;
const FAR_PASS: u32 = 2u;
const FLAT: u32 = 0x40000000u;

// The lists in a layer's region, each `list_words` long: a header of the draw's arguments
// (`DrawIndexedIndirectArgs`: index count, instance count, first index, base vertex, first
// instance), then the entries. The tile kinds follow the third list.
const DETAILED: u32 = 0u;
const FANS: u32 = 1u;
const QUADS: u32 = 2u;
const KINDS: u32 = 3u;
const HEADER_WORDS: u32 = 5u;

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
    // The length of each list in the layer's region, in words.
    list_words: u32,
}

// One list, as the vertex stage reads it.
struct Tiles {
    args: array<u32, 5>,
    entries: array<u32>,
}

@group(0) @binding(0) var source_color: texture_2d_array<f32>;
@group(0) @binding(1) var source_depth: texture_depth_2d_array;
@group(0) @binding(2) var<uniform> warp: Warp;
@group(0) @binding(3) var<storage, read> listed: Tiles;
// The layer's whole region (lists and kinds), as the classification writes it.
@group(0) @binding(4) var<storage, read_write> region: array<atomic<u32>>;

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

fn tile_count() -> u32 {
    return warp.tiles.x * warp.tiles.y;
}

// One invocation per tile (a software rasterizer runs invocations side by side in SIMD lanes,
// so this beats a workgroup per tile with barriers and shared atomics). The tile's cells show
// its 16x16 texels and the row and column after them (which its last cells reach): it is drawn
// when one of those is. Its kind also depends on what its vertices read, one grid step
// further around.
@compute @workgroup_size(64)
fn cs_classify(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= tile_count() {
        return;
    }
    let tile = vec2<u32>(id.x % warp.tiles.x, id.x / warp.tiles.x);
    let side = TILE_PIXELS + 1u + 2u * warp.step;
    let origin = vec2<i32>(tile * TILE_PIXELS) - i32(warp.step);
    var nearest = 0.0;
    var farthest = 1.0;
    var any_empty = false;
    var any_shown = false;
    for (var y = 0u; y < side; y++) {
        for (var x = 0u; x < side; x++) {
            let depth = load_depth(origin + vec2<i32>(vec2<u32>(x, y)));
            any_empty = any_empty || depth <= 0.0;
            nearest = max(nearest, depth);
            farthest = min(farthest, select(depth, 1.0, depth <= 0.0));
            let shown = x >= warp.step && y >= warp.step && x <= warp.step + TILE_PIXELS && y <= warp.step + TILE_PIXELS;
            any_shown = any_shown || (shown && depth > 0.0);
        }
    }
    var kind = TWO_SURFACES;
    if !any_shown {
        kind = EMPTY;
    } else if same_surface(nearest, farthest) {
        kind = select(SMOOTH, ONE_SURFACE, any_empty);
    } else {
        // A third surface: a depth on neither the nearest nor the farthest.
        for (var i = 0u; i < side * side; i++) {
            let depth = load_depth(origin + vec2<i32>(vec2<u32>(i % side, i / side)));
            if depth > 0.0 && !same_surface(depth, nearest) && !same_surface(depth, farthest) {
                kind = MORE_SURFACES;
                break;
            }
        }
    }
    atomicStore(&region[KINDS * warp.list_words + id.x], kind);
}

fn kind_at(tile: vec2<i32>) -> u32 {
    if any(tile < vec2<i32>(0)) || any(tile >= vec2<i32>(warp.tiles)) {
        return EMPTY;
    }
    return atomicLoad(&region[KINDS * warp.list_words + u32(tile.y) * warp.tiles.x + u32(tile.x)]);
}

fn append(list: u32, entry: u32) {
    let at = atomicAdd(&region[list * warp.list_words + 1u], 1u);
    atomicStore(&region[list * warp.list_words + HEADER_WORDS + at], entry);
}

// One invocation per tile, after `cs_classify`: files the tile by its kind and its
// neighbours'.
@compute @workgroup_size(64)
fn cs_list(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= tile_count() {
        return;
    }
    let tile = vec2<i32>(vec2<u32>(id.x % warp.tiles.x, id.x / warp.tiles.x));
    let kind = kind_at(tile);
    if kind >= ONE_SURFACE {
        append(DETAILED, id.x | (NEAR_PASS << SHIFT));
    }
    if kind == MORE_SURFACES {
        append(DETAILED, id.x | (OWN_PASS << SHIFT));
    }
    if kind >= TWO_SURFACES {
        append(DETAILED, id.x | (FAR_PASS << SHIFT));
    }
    if kind == SMOOTH {
        var edges = 0u;
        let sides = array<vec2<i32>, 4>(vec2<i32>(0, -1), vec2<i32>(1, 0), vec2<i32>(0, 1), vec2<i32>(-1, 0));
        for (var i = 0u; i < 4u; i++) {
            let next = kind_at(tile + sides[i]);
            if next >= ONE_SURFACE {
                edges |= 1u << i;
            }
        }
        if edges == 0u {
            append(QUADS, id.x | FLAT);
        } else {
            append(FANS, id.x | FLAT | (edges << SHIFT));
        }
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

// A smooth tile's border vertex along an edge it does not share with a detailed tile moves to
// that edge's first corner (going round the fan), leaving the edge straight: the fan's
// triangles along it collapse to nothing but the one spanning the whole edge.
fn straighten(local: vec2<u32>, last: u32, edges: u32) -> vec2<u32> {
    let inner = local.x > 0u && local.x < last && local.y > 0u && local.y < last;
    if inner || (local.x == 0u || local.x == last) && (local.y == 0u || local.y == last) {
        return local;
    }
    // Top, right, bottom, left, and the corner each starts from.
    let on = array<bool, 4>(local.y == 0u, local.x == last, local.y == last, local.x == 0u);
    let corners = array<vec2<u32>, 4>(vec2<u32>(0u, 0u), vec2<u32>(last, 0u), vec2<u32>(last, last), vec2<u32>(0u, last));
    for (var i = 0u; i < 4u; i++) {
        if on[i] && (edges & (1u << i)) == 0u {
            return corners[i];
        }
    }
    return local;
}

@vertex
fn vs_main(@builtin(vertex_index) index: u32, @builtin(instance_index) instance: u32) -> VertexOut {
    let entry = listed.entries[instance];
    let tile_index = entry & TILE_INDEX;
    let tile = vec2<u32>(tile_index % warp.tiles.x, tile_index / warp.tiles.x);
    let side = TILE_PIXELS / warp.step + 1u;
    var local = vec2<u32>(index % side, index / side);
    let flat_tile = (entry & FLAT) != 0u;
    if flat_tile {
        local = straighten(local, side - 1u, (entry >> SHIFT) & 0xfu);
    }
    // Past the layer's last vertex (a partial tile) cells collapse to nothing.
    let cell = min(tile * (side - 1u) + local, warp.grid - 1u);
    let texel = vec2<i32>(min(cell * warp.step, warp.size - 1u));
    var depth = load_depth(texel);
    if !flat_tile {
        // Detailed tile: move onto the nearest neighbouring surface in the near pass, the
        // farthest drawn one in the far pass, when it is not this vertex's own; in the own
        // pass, only off nothing.
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
        let surface_pass = (entry >> SHIFT) & 3u;
        let other = select(nearest, farthest, surface_pass == FAR_PASS);
        if nearest > 0.0 && (depth <= 0.0 || (surface_pass != OWN_PASS && !same_surface(depth, other))) {
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

// Smooth tiles: every texel is drawn and on the surface the mesh spans (the tile's depths are
// within DEPTH_TOLERANCE), so the test of `fs_main` always passes and the interpolated depth
// is the surface's. Skipping both halves the fragment cost.
@fragment
fn fs_smooth(in: VertexOut) -> @location(0) vec4<f32> {
    let texel = clamp(vec2<i32>(floor(in.source)), vec2<i32>(0), vec2<i32>(warp.size) - 1);
    return textureLoad(source_color, texel, i32(warp.slot), 0);
}
