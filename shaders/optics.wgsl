// The lens correction, the compositor's last pass: per eye, each display pixel shows the
// composited image at the radius the lens model asks for, separately for red, green and blue.
//
// Radii are measured from the centre of the eye's viewport in units of half its width (the
// same unit on both axes). A display pixel at radius r samples the composited image at
//   r * (1 + k1 r^2 + k2 r^4) * (1 + chromatic[channel])
// (`Optics::source_radius` in the profile types: barrel pre-distortion, which a magnifier's
// pincushion undoes, and a per-channel scale for lateral chromatic aberration).
//
// Sampling is bilinear, done by hand with loads clamped to the eye's own viewport: the two
// eyes sit side by side in one texture, and a hardware sampler would blend the right edge of
// the left eye with the left edge of the right one. A sample that falls outside the eye's
// viewport is black.

struct Params {
    // Where this eye's viewport starts in the composited frame (and in the output), pixels.
    origin: vec2<u32>,
    // The viewport's size in pixels.
    size: vec2<u32>,
    // k1, k2.
    distortion: vec2<f32>,
    // Radial scale offsets of red, green, blue (w unused).
    chromatic: vec4<f32>,
}

@group(0) @binding(0) var frame: texture_2d<f32>;
@group(0) @binding(1) var<uniform> params: Params;

@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
    // One triangle that covers the viewport.
    let xy = vec2<f32>(f32((index << 1u) & 2u), f32(index & 2u));
    return vec4<f32>(xy * 2.0 - 1.0, 0.0, 1.0);
}

fn texel(p: vec2<i32>) -> vec4<f32> {
    let inside = clamp(p, vec2<i32>(0), vec2<i32>(params.size) - 1);
    return textureLoad(frame, inside + vec2<i32>(params.origin), 0);
}

// The composited eye image at `p` (eye pixels, continuous: texel centres at +0.5), bilinear.
fn sample(p: vec2<f32>) -> vec4<f32> {
    let size = vec2<f32>(params.size);
    if any(p < vec2<f32>(0.0)) || any(p > size) {
        return vec4<f32>(0.0);
    }
    let q = p - 0.5;
    let base = floor(q);
    let f = q - base;
    let i = vec2<i32>(base);
    let top = mix(texel(i), texel(i + vec2<i32>(1, 0)), f.x);
    let bottom = mix(texel(i + vec2<i32>(0, 1)), texel(i + vec2<i32>(1, 1)), f.x);
    return mix(top, bottom, f.y);
}

@fragment
fn fs_main(@builtin(position) position: vec4<f32>) -> @location(0) vec4<f32> {
    let size = vec2<f32>(params.size);
    let centre = size * 0.5;
    let p = position.xy - vec2<f32>(params.origin);
    let v = (p - centre) / (size.x * 0.5);
    let r2 = dot(v, v);
    let k = params.distortion;
    let radial = 1.0 + k.x * r2 + k.y * r2 * r2;
    let d = p - centre;
    let red = sample(centre + d * radial * (1.0 + params.chromatic.r)).r;
    let green = sample(centre + d * radial * (1.0 + params.chromatic.g)).g;
    let blue = sample(centre + d * radial * (1.0 + params.chromatic.b)).b;
    return vec4<f32>(red, green, blue, 1.0);
}
