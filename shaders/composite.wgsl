// The z-composite: merges every app layer of one eye, per pixel and by depth, over the camera.
//
// Inputs are the eye's layer arrays — premultiplied linear color (Rgba8UnormSrgb) and
// reverse-Z depth (Depth32Float: 0 where the app drew nothing, larger is nearer) — one array
// slice per app. Per pixel the covered layers are visited nearest first and accumulated with
// the premultiplied "under" operator, which gives exactly the back-to-front "over" result; the
// camera (or black on optical see-through displays, `camera_weight` = 0) goes under the lot.
// So the nearest opaque surface wins and translucent ones blend in depth order, whatever the
// order of the apps.
//
// The backdrop. Where the camera is stretched over the eye (no world), what shows behind the
// apps is the same at every composite until the camera frame (or its weight, staleness or the
// display's brightness) changes: `fs_backdrop` renders it once then, at the eye's size, into
// `backdrop` — the camera filtered, weighted, hatched when stale and dimmed, exactly as the
// display shows it. Camera frames come at 30 fps and displays run at 60 to 120, and a filtered
// sample costs several plain loads: every composite in between starts each eye as a copy of
// the backdrop, and the layers' entry points return their premultiplied colour and coverage,
// which the pipeline's blending (premultiplied "over") lays on it. Every other entry point
// returns an opaque pixel, which the same blending writes as it is.
//
// Regions. The compositor bins layers into tiles by the screen bounds of their draws
// (`compositor/src/coverage.rs`) and merges tiles with the same layers into rectangles; each
// rectangle is one scissored draw with its layer mask in `params`, by one of these entry
// points (where no layer reaches and the backdrop is in use, the copy is all there is):
// - `fs_band`: the shell's chrome band (the top rows no app reaches);
// - `fs_single`: one layer (`params.layer`) over the backdrop, nothing to order;
// - `fs_walk`: several layers (`params.mask`), visited in depth order.
// A layer outside a rectangle has no texel there, so the result is exactly the walk over every
// layer. Separate entry points rather than branches: software rasterizers (lavapipe) run every
// branch of a shader under a lane mask, so a branch not taken still costs its full price there,
// and on GPUs a draw's mask and layer are uniform, which keeps their warps together.
//
// The real world. Where the profile places the camera (`fs_*_world`, and `fs_camera_world`
// where no layer reaches), the picture is looked up
// per eye pixel through the camera's lens and mount (`real_at`: the same steps as
// `visor_types::depth::Passthrough::lookup` on the CPU), and where depth is known, a real
// surface nearer than a layer's hides it (`in_front`), with a soft edge that widens where the
// depth is unsure. Layers in `world.exempt_mask` (the shell's own, apps that opted out) are never
// hidden. The plain entries are the same code with the world off, which the shader compiler
// folds away: a display without depth or reprojection pays nothing for it.
//
// Why select instead of sort: a per-pixel array with dynamic indexing is very slow on
// software rasterizers and costly in registers on GPUs. Selecting the next-nearest layer is a
// few depth loads per visited layer, and the walk stops as soon as the pixel is opaque — one
// selection for the usual case of an opaque surface in front.

const MAX_LAYERS: u32 = 16u;

struct Params {
    // Where this eye's viewport starts in the output target, in pixels.
    origin: vec2<u32>,
    // The eye's viewport size in pixels (the size of the layer arrays).
    size: vec2<u32>,
    layer_count: u32,
    // 1.0 draws the camera behind the apps (video passthrough), 0.0 draws black.
    camera_weight: f32,
    // Non-zero when the newest camera picture is too old to pass for the world now: it is
    // dimmed and hatched, never shown as live.
    camera_stale: u32,
    // Bit i set: layer i is the shell's own (the launcher, the consent dialog), drawn over
    // every app whatever its depth.
    trusted_mask: u32,
    // Non-zero while the shell asks the user something (a consent dialog is up): the band
    // shows the trusted marker, which no app can draw because no app draws there.
    marker: u32,
    // The layers that reach this draw's rectangle (`fs_walk`).
    mask: u32,
    // The one layer that reaches it (`fs_single`).
    layer: u32,
    // 1 normally; less while the glasses are off the user's head (the display dims).
    brightness: f32,
}

@group(0) @binding(0) var camera: texture_2d<f32>;
@group(0) @binding(1) var camera_sampler: sampler;
@group(0) @binding(2) var layer_color: texture_2d_array<f32>;
@group(0) @binding(3) var layer_depth: texture_depth_2d_array;
@group(0) @binding(4) var<uniform> params: Params;

// How the camera picture maps into this eye, and the real world's depth (see above).
struct World {
    // The eye's clip space to the camera's (+x right, +y down, +z forward, metres), and back.
    clip_to_camera: mat4x4<f32>,
    camera_to_clip: mat4x4<f32>,
    // fx, fy, cx, cy of the camera stream, in its pixels.
    intrinsics: vec4<f32>,
    camera_size: vec2<f32>,
    depth_size: vec2<f32>,
    // Where depth is unknown, the world is a plane this far along the camera's axis.
    plane_m: f32,
    // REPROJECT, HAS_DEPTH.
    flags: u32,
    // Bit i set: layer i is never hidden by the real world.
    exempt_mask: u32,
    _pad: u32,
}

const REPROJECT: u32 = 1u;
const HAS_DEPTH: u32 = 2u;
// Fixed-point steps of the lookup; `LOOKUP_STEPS` in `types/src/depth.rs`.
const LOOKUP_STEPS: u32 = 4u;
// The soft edge of occlusion: a layer within this share of the real surface's distance blends
// with it; where the depth is unsure (confidence 0) the edge widens by UNSURE_EDGE.
const EDGE: f32 = 0.02;
const UNSURE_EDGE: f32 = 0.1;

@group(0) @binding(5) var<uniform> world: World;
// Per camera pixel: r, metres along the camera's axis (0 unknown); g, confidence 0 to 1.
@group(0) @binding(6) var world_depth: texture_2d<f32>;

@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
    // One triangle that covers the viewport; the scissor cuts it to the draw's rectangle.
    let xy = vec2<f32>(f32((index << 1u) & 2u), f32(index & 2u));
    return vec4<f32>(xy * 2.0 - 1.0, 0.0, 1.0);
}

fn eye_pixel(position: vec4<f32>) -> vec2<i32> {
    return vec2<i32>(position.xy) - vec2<i32>(params.origin);
}

// The camera picture at `pixel` (black on optical see-through), hatched when stale.
fn camera_at(pixel: vec2<i32>) -> vec3<f32> {
    let uv = (vec2<f32>(pixel) + 0.5) / vec2<f32>(params.size);
    let picture = textureSampleLevel(camera, camera_sampler, uv, 0.0).rgb * params.camera_weight;
    return select(picture, stale_picture(picture, pixel), params.camera_stale != 0u);
}

// `color` (premultiplied, `alpha` covered) as the blender lays it over the backdrop, which is
// already as shown (dimmed with the display): color + (1 - alpha) * backdrop.
fn over_backdrop(color: vec3<f32>, alpha: f32) -> vec4<f32> {
    return vec4<f32>(color * params.brightness, alpha);
}

// The pixel as the display shows it: dimmed while nobody wears the glasses.
fn shown(rgb: vec3<f32>) -> vec4<f32> {
    return vec4<f32>(rgb * params.brightness, 1.0);
}

@fragment
fn fs_band(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    return shown(chrome_band(eye_pixel(position)));
}

// Renders the backdrop: a target of the eye's size, `params.origin` at 0.
@fragment
fn fs_backdrop(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    return shown(camera_at(eye_pixel(position)));
}

@fragment
fn fs_single(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    return single(eye_pixel(position), false);
}

@fragment
fn fs_walk(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    return walk(eye_pixel(position), false);
}

@fragment
fn fs_camera_world(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    return shown(real_at(eye_pixel(position)).rgb);
}

@fragment
fn fs_single_world(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    return single(eye_pixel(position), true);
}

@fragment
fn fs_walk_world(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    return walk(eye_pixel(position), true);
}

// One layer over the background: the backdrop, or (`with_world`) the real world,
// which hides the layer where it is nearer.
fn single(pixel: vec2<i32>, with_world: bool) -> vec4<f32> {
    var rgba = vec4<f32>(0.0);
    let depth = textureLoad(layer_depth, pixel, params.layer, 0);
    if depth > 0.0 {
        rgba = textureLoad(layer_color, pixel, params.layer, 0);
    }
    if with_world {
        let real = real_at(pixel);
        rgba *= in_front(depth, params.layer, real);
        return shown(rgba.rgb + (1.0 - rgba.a) * real.rgb);
    }
    return over_backdrop(rgba.rgb, rgba.a);
}

// Several layers, nearest first, over the background (see `single`).
fn walk(pixel: vec2<i32>, with_world: bool) -> vec4<f32> {
    var real = Real(vec3<f32>(0.0), 0.0, 0.0);
    if with_world {
        real = real_at(pixel);
    }
    let mask = params.mask & ((1u << min(params.layer_count, MAX_LAYERS)) - 1u);
    // Layers are visited in the order (depth descending, index ascending); `last_*` is the
    // position of the layer visited before, so each step picks the first layer after it.
    // Trusted layers sort as if 1 nearer than anything (depths are at most 1).
    var last_depth = 3.0;
    var last_index = -1;
    var color = vec3<f32>(0.0);
    var alpha = 0.0;
    let steps = countOneBits(mask);
    for (var step = 0u; step < steps && alpha < 0.999; step++) {
        var best_depth = 0.0;
        var best_index = -1;
        // The mask is the same for every pixel of the draw: so is each layer index here.
        var rest = mask;
        while rest != 0u {
            let layer = countTrailingZeros(rest);
            rest &= rest - 1u;
            let depth = ranked_depth(textureLoad(layer_depth, pixel, layer, 0), layer);
            let i = i32(layer);
            let after_last = depth < last_depth || (depth == last_depth && i > last_index);
            if depth > 0.0 && after_last && (best_index < 0 || depth > best_depth) {
                best_depth = depth;
                best_index = i;
            }
        }
        if best_index < 0 {
            break;
        }
        var layer_rgba = textureLoad(layer_color, pixel, best_index, 0);
        if with_world {
            layer_rgba *= in_front(best_depth, u32(best_index), real);
        }
        color += (1.0 - alpha) * layer_rgba.rgb;
        alpha += (1.0 - alpha) * layer_rgba.a;
        last_depth = best_depth;
        last_index = best_index;
    }
    if with_world {
        return shown(color + (1.0 - alpha) * real.rgb);
    }
    return over_backdrop(color, alpha);
}

// What the real world shows at an eye pixel: the camera's colour there (black where the camera
// did not see), and the real surface's reverse-Z depth in this eye (0: unknown, hides nothing)
// with its confidence.
struct Real {
    rgb: vec3<f32>,
    depth: f32,
    confidence: f32,
}

// The depth texel under camera pixel `px` (0 outside the picture or without depth).
//
// The world's code is written without branches on its flags: `select` and a loop of a fixed
// count instead. Lavapipe (llvmpipe) grows its memory by about a megabyte for every draw of a
// shader that branches on a uniform around this arithmetic (measured: 300 frames of the stereo
// faces profile reached 4 GiB), and a straight-line shader is as fast there anyway.
fn depth_texel(px: vec2<f32>) -> vec2<f32> {
    let inside = all(px >= vec2<f32>(0.0)) && all(px < world.camera_size);
    let known = (world.flags & HAS_DEPTH) != 0u && inside;
    let texel = vec2<i32>(px * world.depth_size / world.camera_size);
    let value = textureLoad(world_depth, clamp(texel, vec2<i32>(0), vec2<i32>(world.depth_size) - 1), 0).rg;
    return select(vec2<f32>(0.0), value, known);
}

fn real_at(pixel: vec2<i32>) -> Real {
    let uv = (vec2<f32>(pixel) + 0.5) / vec2<f32>(params.size);
    let reproject = (world.flags & REPROJECT) != 0u;
    // Walk the eye's ray to the real surface: guess the plane, read the depth where the guess
    // lands in the camera, move to it; a few steps settle it. Stretched: the eye's pixel is
    // the picture's.
    let ndc = vec2<f32>(uv.x * 2.0 - 1.0, 1.0 - uv.y * 2.0);
    let near = world.clip_to_camera * vec4<f32>(ndc, 1.0, 1.0);
    let farther = world.clip_to_camera * vec4<f32>(ndc, 0.5, 1.0);
    let origin = near.xyz / near.w;
    let direction = farther.xyz / farther.w - origin;
    let forward = !reproject || direction.z > 0.0;
    var px = uv * world.camera_size;
    var texel = depth_texel(px);
    var z = world.plane_m;
    for (var step = 0u; step < LOOKUP_STEPS; step++) {
        let point = origin + direction * ((z - origin.z) / direction.z);
        px = select(px, world.intrinsics.xy * point.xy / point.z + world.intrinsics.zw, reproject);
        texel = depth_texel(px);
        z = select(world.plane_m, texel.r, texel.r > 0.0);
    }
    let seen = forward && all(px >= vec2<f32>(0.0)) && all(px < world.camera_size);
    let picture = textureSampleLevel(camera, camera_sampler, px / world.camera_size, 0.0).rgb * params.camera_weight;
    let shown = select(picture, stale_picture(picture, pixel), params.camera_stale != 0u);
    let point = vec3<f32>((px - world.intrinsics.zw) / world.intrinsics.xy * texel.r, texel.r);
    let clip = world.camera_to_clip * vec4<f32>(point, 1.0);
    let known = seen && texel.r > 0.0;
    return Real(select(vec3<f32>(0.0), shown, seen), select(0.0, max(clip.z / clip.w, 0.0), known), select(0.0, texel.g, known));
}

// How much of a layer's surface at reverse-Z `depth` shows against the real world: 1 in front
// of the real surface, 0 behind it, a ramp between where the two are close.
fn in_front(depth: f32, layer: u32, real: Real) -> f32 {
    let exempt = ((world.exempt_mask >> layer) & 1u) != 0u;
    let edge = EDGE + (1.0 - real.confidence) * UNSURE_EDGE;
    // Reverse-Z depth is inverse distance: depth / real.depth is real distance over layer distance.
    let visible = smoothstep(1.0 - edge, 1.0 + edge, depth / max(real.depth, 1e-12));
    return select(visible, 1.0, exempt || real.depth <= 0.0 || depth <= 0.0);
}

// A layer's depth for ordering: trusted layers rank above every app layer.
fn ranked_depth(depth: f32, layer: u32) -> f32 {
    let trusted = ((params.trusted_mask >> layer) & 1u) != 0u;
    return select(depth, depth + 1.0, trusted && depth > 0.0);
}

// An old camera picture, dimmed and hatched with diagonal stripes so nobody takes it for now.
fn stale_picture(picture: vec3<f32>, pixel: vec2<i32>) -> vec3<f32> {
    let dimmed = picture * 0.35;
    let stripe = ((pixel.x + pixel.y) / 6) % 2 == 0;
    return select(dimmed, mix(dimmed, vec3<f32>(0.55, 0.08, 0.08), 0.6), stripe);
}

// The chrome band: plain dark, or while the shell asks the user something, the trusted
// marker (cyan and dark blocks).
fn chrome_band(pixel: vec2<i32>) -> vec3<f32> {
    let block = (pixel.x / 8) % 2 == 0;
    return select(vec3<f32>(0.02, 0.02, 0.03), select(vec3<f32>(0.02, 0.05, 0.08), vec3<f32>(0.0, 0.78, 0.9), block), params.marker != 0u);
}

// The hit-test probe: every layer's depth at one pixel of the eye, where that layer is visible
// there. A surface an app drew (nearly) transparent takes no input: an invisible overlay must
// not catch the pointer meant for what the user sees through it.
const HIT_ALPHA: f32 = 0.1;

struct Probe {
    pixel: vec2<u32>,
    layer_count: u32,
}

@group(0) @binding(7) var<uniform> probe: Probe;
@group(0) @binding(8) var<storage, read_write> probe_depths: array<f32>;

@compute @workgroup_size(16)
fn cs_probe(@builtin(local_invocation_index) layer: u32) {
    if layer < min(probe.layer_count, MAX_LAYERS) {
        let alpha = textureLoad(layer_color, vec2<i32>(probe.pixel), i32(layer), 0).a;
        let depth = textureLoad(layer_depth, vec2<i32>(probe.pixel), i32(layer), 0);
        probe_depths[layer] = select(0.0, depth, alpha > HIT_ALPHA);
    }
}
