
@vertex
fn vs_main(v: VertexIn) -> VertexOut {
    return visor_transform(v);
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    visor_clip(in.world_position);
    // Swizzle the vertex color so a test can tell this shader ran.
    return vec4<f32>(in.color.b, in.color.g, in.color.r, in.color.a);
}
