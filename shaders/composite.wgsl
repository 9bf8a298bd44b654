// The z-composite: merges every app layer of one eye, per pixel and by depth, over the camera.
//
// Inputs are the eye's layer arrays — premultiplied linear color (Rgba8UnormSrgb) and
// reverse-Z depth (Depth32Float, 0 = nothing drawn / infinitely far) — one array slice per
// app. Per pixel the covered layers are sorted far to near and blended "over" the camera
// (or over black on optical see-through displays, `camera_weight` = 0). The nearest opaque
// surface therefore wins, and translucent surfaces blend in depth order whatever the order
// of the apps.

const MAX_LAYERS: u32 = 16u;

struct Params {
    // Where this eye's viewport starts in the output target, in pixels.
    origin: vec2<u32>,
    // The eye's viewport size in pixels (the size of the layer arrays).
    size: vec2<u32>,
    layer_count: u32,
    // 1.0 draws the camera behind the apps (video passthrough), 0.0 draws black.
    camera_weight: f32,
}

@group(0) @binding(0) var camera: texture_2d<f32>;
@group(0) @binding(1) var camera_sampler: sampler;
@group(0) @binding(2) var layer_color: texture_2d_array<f32>;
@group(0) @binding(3) var layer_depth: texture_depth_2d_array;
@group(0) @binding(4) var<uniform> params: Params;

@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
    // One triangle that covers the viewport.
    let xy = vec2<f32>(f32((index << 1u) & 2u), f32(index & 2u));
    return vec4<f32>(xy * 2.0 - 1.0, 0.0, 1.0);
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let pixel = vec2<i32>(position.xy) - vec2<i32>(params.origin);
    let uv = (vec2<f32>(pixel) + 0.5) / vec2<f32>(params.size);
    var result = textureSampleLevel(camera, camera_sampler, uv, 0.0).rgb * params.camera_weight;

    // Gather the covered layers, kept sorted far (small depth) to near (large depth).
    var colors: array<vec4<f32>, MAX_LAYERS>;
    var depths: array<f32, MAX_LAYERS>;
    var count = 0u;
    for (var layer = 0u; layer < min(params.layer_count, MAX_LAYERS); layer++) {
        let color = textureLoad(layer_color, pixel, layer, 0);
        if all(color == vec4<f32>(0.0)) {
            continue;
        }
        let depth = textureLoad(layer_depth, pixel, layer, 0);
        var slot = count;
        while slot > 0u && depths[slot - 1u] > depth {
            colors[slot] = colors[slot - 1u];
            depths[slot] = depths[slot - 1u];
            slot -= 1u;
        }
        colors[slot] = color;
        depths[slot] = depth;
        count += 1u;
    }

    // Premultiplied "over", far to near.
    for (var i = 0u; i < count; i++) {
        result = colors[i].rgb + (1.0 - colors[i].a) * result;
    }
    return vec4<f32>(result, 1.0);
}
