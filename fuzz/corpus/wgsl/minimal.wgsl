@vertex fn vs_main(v: VertexIn) -> VertexOut { return visor_transform(v); }
@fragment fn fs_main(in: VertexOut) -> @location(0) vec4<f32> { return in.color; }
