fn helper(n: u32) -> f32 {
    var s = 0.0;
    for (var i = 0u; i < n; i++) { s += f32(i); }
    return s;
}
@vertex fn vs_main(v: VertexIn) -> VertexOut { return visor_transform(v); }
@fragment fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    var x = in.color.r;
    loop {
        x = fract(x * 1.618 + 0.137);
        while x > 2.0 { x -= 1.0; }
        if x < -1.0 { break; }
    }
    return vec4<f32>(x, helper(3u), 0.0, 1.0);
}
