// The Visor app-shader prelude.
//
// Every app pipeline — the built-in ones in `builtin.wgsl` and any WGSL an app sends at run
// time — is compiled as this prelude followed by its own source. The prelude fixes the
// bindings and the vertex interface the compositor provides, so an app shader only writes
// `vs_main` and `fs_main`, usually with the helpers below.

// Per eye, per frame.
struct VisorEye {
    // World to clip: projection * view, reverse-Z (near = 1, infinity = 0).
    view_proj: mat4x4<f32>,
    // The eye's position in world space (w = 1).
    position: vec4<f32>,
}

// Per draw call.
struct VisorDraw {
    model: mat4x4<f32>,
    // Inverse-transpose of the model matrix, for normals.
    normal_matrix: mat4x4<f32>,
    // World-space planes; a point p is kept where dot(plane.xyz, p) + plane.w >= 0.
    clip_planes: array<vec4<f32>, 4>,
    clip_plane_count: u32,
}

@group(0) @binding(0) var<uniform> visor_eye: VisorEye;
@group(1) @binding(0) var<uniform> visor_draw: VisorDraw;
@group(2) @binding(0) var visor_texture: texture_2d<f32>;
@group(2) @binding(1) var visor_sampler: sampler;

struct VertexIn {
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    // Linear RGBA, straight alpha.
    @location(2) color: vec4<f32>,
    @location(3) uv: vec2<f32>,
}

struct VertexOut {
    @builtin(position) clip_position: vec4<f32>,
    @location(0) world_position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) color: vec4<f32>,
    @location(3) uv: vec2<f32>,
}

// The standard vertex transform: object -> world -> clip.
fn visor_transform(v: VertexIn) -> VertexOut {
    var out: VertexOut;
    let world = visor_draw.model * vec4<f32>(v.position, 1.0);
    out.clip_position = visor_eye.view_proj * world;
    out.world_position = world.xyz;
    out.normal = normalize((visor_draw.normal_matrix * vec4<f32>(v.normal, 0.0)).xyz);
    out.color = v.color;
    out.uv = v.uv;
    return out;
}

// Discard the fragment if it lies on the far side of any of the draw's clip planes.
// Fragment stage only.
fn visor_clip(world_position: vec3<f32>) {
    for (var i = 0u; i < visor_draw.clip_plane_count; i++) {
        let plane = visor_draw.clip_planes[i];
        if dot(plane.xyz, world_position) + plane.w < 0.0 {
            discard;
        }
    }
}
