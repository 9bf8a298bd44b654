// The census transform of both images of a stereo pair, one invocation per pixel (z picks the
// image): each pixel becomes 62 bits, set where a neighbour in its 9x7 window is darker than
// it, in two u32 words (WGSL has no u64). Bit i counts the window row-major from the top left,
// the centre skipped; bits 0..32 in the first word. Pixels beyond the border repeat the edge.
// The twin of depth/src/census.rs, which the GPU path must match bit for bit.

struct Size {
    width: u32,
    height: u32,
    // Words of `grey` (and entries of `census`) before the right image's.
    right_grey: u32,
    right_census: u32,
}

@group(0) @binding(0) var<uniform> size: Size;
// Both images, 8-bit grey, four pixels per word (little end first), the right one from word
// `size.right_grey`.
@group(0) @binding(1) var<storage, read> grey: array<u32>;
// The left image's words, then the right's from `size.right_census`.
@group(0) @binding(2) var<storage, read_write> census: array<vec2<u32>>;

const HALF_W: i32 = 4;
const HALF_H: i32 = 3;

fn grey_at(first_word: u32, x: i32, y: i32) -> u32 {
    let cx = u32(clamp(x, 0, i32(size.width) - 1));
    let cy = u32(clamp(y, 0, i32(size.height) - 1));
    let i = cy * size.width + cx;
    return (grey[first_word + (i >> 2u)] >> ((i & 3u) * 8u)) & 0xffu;
}

@compute @workgroup_size(64, 1, 1)
fn cs_census(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= size.width || id.y >= size.height {
        return;
    }
    let first_word = select(0u, size.right_grey, id.z == 1u);
    let x = i32(id.x);
    let y = i32(id.y);
    let centre = grey_at(first_word, x, y);
    var words = vec2<u32>(0u, 0u);
    var bit = 0u;
    for (var dy = -HALF_H; dy <= HALF_H; dy++) {
        for (var dx = -HALF_W; dx <= HALF_W; dx++) {
            if dx == 0 && dy == 0 {
                continue;
            }
            if grey_at(first_word, x + dx, y + dy) < centre {
                words[bit / 32u] |= 1u << (bit % 32u);
            }
            bit++;
        }
    }
    let out = select(0u, size.right_census, id.z == 1u) + id.y * size.width + id.x;
    census[out] = words;
}
