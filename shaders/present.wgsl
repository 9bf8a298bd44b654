// The simulator window's present pass: the compositor's output frame (both eyes side by side,
// or one eye) scaled into the window with its aspect kept, bars around it, and the overlay's
// text blended on top.
//
// One full-window triangle; per pixel: inside the frame's rectangle, sample the frame
// (bilinear, since the window rarely matches the frame's size); outside, the bar color. The
// overlay is drawn at whole-pixel scale with textureLoad, so its 8x8 font stays crisp, and
// blended with its straight alpha. The frame and the overlay are sRGB textures and the target
// an sRGB surface, so the blend happens on linear values.

struct Params {
    // Where the frame lands in the window, in window pixels: x, y, width, height.
    frame_rect: vec4<f32>,
    // The part of the output frame on show, as texture coordinates: u0, v0, u1, v1.
    source_uv: vec4<f32>,
    // Where the overlay lands, in window pixels; a width of 0 hides it.
    overlay_rect: vec4<f32>,
    // The color of the bars around the frame (linear RGB, alpha unused).
    bars: vec4<f32>,
}

@group(0) @binding(0) var frame: texture_2d<f32>;
@group(0) @binding(1) var frame_sampler: sampler;
@group(0) @binding(2) var overlay: texture_2d<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
    let xy = vec2<f32>(f32((index << 1u) & 2u), f32(index & 2u));
    return vec4<f32>(xy * 2.0 - 1.0, 0.0, 1.0);
}

fn inside(p: vec2<f32>) -> bool {
    return all(p >= vec2<f32>(0.0)) && all(p < vec2<f32>(1.0));
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let p = position.xy;
    var color = params.bars.rgb;

    let in_frame = (p - params.frame_rect.xy) / params.frame_rect.zw;
    if inside(in_frame) {
        let uv = mix(params.source_uv.xy, params.source_uv.zw, in_frame);
        color = textureSampleLevel(frame, frame_sampler, uv, 0.0).rgb;
    }

    if params.overlay_rect.z > 0.0 {
        let in_overlay = (p - params.overlay_rect.xy) / params.overlay_rect.zw;
        if inside(in_overlay) {
            let size = textureDimensions(overlay);
            let texel = min(vec2<u32>(in_overlay * vec2<f32>(size)), size - vec2<u32>(1u));
            let text = textureLoad(overlay, texel, 0);
            color = mix(color, text.rgb, text.a);
        }
    }
    return vec4<f32>(color, 1.0);
}
