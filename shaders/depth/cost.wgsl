// The matching cost C(x, y, d), one invocation per left pixel: the Hamming distance of its
// census words to those of the right pixel d to its left, or the maximum (62) where that falls
// outside the image; the twin of `costs` in depth/src/sgm.rs. Stored as bytes, four
// disparities a word, d fastest, so the eight aggregation passes read one word per four
// disparities instead of gathering census words from other rows.

struct Size {
    width: u32,
    height: u32,
    max_disparity: u32,
    // Entries of `census` before the right image's.
    right_census: u32,
}

@group(0) @binding(0) var<uniform> size: Size;
// Census words of the left image, then of the right from `size.right_census`.
@group(0) @binding(1) var<storage, read> census: array<vec2<u32>>;
@group(0) @binding(2) var<storage, read_write> costs: array<u32>;

const MAX_COST: u32 = 62u;

@compute @workgroup_size(64, 1, 1)
fn cs_cost(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= size.width || id.y >= size.height {
        return;
    }
    let i = id.y * size.width + id.x;
    let left = census[i];
    let base = i * (size.max_disparity / 4u);
    for (var k = 0u; k < size.max_disparity / 4u; k++) {
        var word = 0u;
        for (var j = 0u; j < 4u; j++) {
            let d = k * 4u + j;
            var c = MAX_COST;
            if d <= id.x {
                let right = census[size.right_census + i - d];
                c = countOneBits(left.x ^ right.x) + countOneBits(left.y ^ right.y);
            }
            word |= c << (j * 8u);
        }
        costs[base + k] = word;
    }
}
