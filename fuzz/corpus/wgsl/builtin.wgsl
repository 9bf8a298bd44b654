// The built-in app pipelines (compiled after `prelude.wgsl`). Apps pick them with
// `gfx.builtin`: unlit, lit and textured share `vs_main` and differ in the fragment stage.
// Fragments return linear, straight-alpha color; the pipeline blends it premultiplied into
// the app's layer.

// Toward the light, in world space: up, a little right and toward the viewer.
const LIGHT_DIR: vec3<f32> = vec3<f32>(0.35, 0.8, 0.5);
const AMBIENT: f32 = 0.25;

@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    return visor_transform(v);
}

@fragment
fn fs_unlit(in: VertexOut) -> @location(0) vec4<f32> {
    visor_clip(in.world_position);
    return in.color;
}

@fragment
fn fs_lit(in: VertexOut) -> @location(0) vec4<f32> {
    visor_clip(in.world_position);
    let diffuse = max(dot(normalize(in.normal), normalize(LIGHT_DIR)), 0.0);
    let light = AMBIENT + (1.0 - AMBIENT) * diffuse;
    return vec4<f32>(in.color.rgb * light, in.color.a);
}

@fragment
fn fs_textured(in: VertexOut) -> @location(0) vec4<f32> {
    // Sample before clipping: a discard makes the rest of the shader non-uniform control
    // flow, where implicit-derivative sampling is not allowed.
    let texel = textureSample(visor_texture, visor_sampler, in.uv);
    visor_clip(in.world_position);
    return texel * in.color;
}
