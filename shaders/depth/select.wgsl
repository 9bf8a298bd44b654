// Winner takes all over the aggregated sums S, one invocation per pixel, the twin of
// `winner_at` and `right_winners` in depth/src/cpu.rs. For the left pixel: the lowest S (the
// first where tied), its uniqueness confidence (how far the best sum not beside the winner
// stands above it, as a share of that runner-up, 0..=255) and the two integers of its sub-pixel
// parabola, which the CPU turns into the f32 itself so both paths round alike. For the right
// pixel at the same place: the disparity whose left pixel x + d sums lowest at it. The 3x3
// median and the left-right check follow on the CPU (cpu::finish).
//
// Out, two words per pixel: [winner | confidence << 8 | right winner << 16,
// (a - c) as i16 | (a - 2b + c, or 0 where it does not curve up) << 16].

struct Size {
    width: u32,
    height: u32,
    max_disparity: u32,
}

@group(0) @binding(0) var<uniform> size: Size;
// u16 sums packed two per u32, d fastest.
@group(0) @binding(1) var<storage, read> sum: array<u32>;
@group(0) @binding(2) var<storage, read_write> winners: array<vec2<u32>>;

// S at pixel index i, disparity d.
fn s(i: u32, d: u32) -> u32 {
    let word = sum[i * (size.max_disparity / 2u) + d / 2u];
    return (word >> ((d & 1u) * 16u)) & 0xffffu;
}

@compute @workgroup_size(64, 1, 1)
fn cs_select(@builtin(global_invocation_id) id: vec3<u32>) {
    if id.x >= size.width || id.y >= size.height {
        return;
    }
    let nd = size.max_disparity;
    let i = id.y * size.width + id.x;

    // Two sums a word: the low half is the even disparity, which comes first.
    let base = i * (nd / 2u);
    var best = 0xffffu;
    var best_d = 0u;
    for (var k = 0u; k < nd / 2u; k++) {
        let word = sum[base + k];
        if (word & 0xffffu) < best {
            best = word & 0xffffu;
            best_d = 2u * k;
        }
        if (word >> 16u) < best {
            best = word >> 16u;
            best_d = 2u * k + 1u;
        }
    }
    var runner_up = 0xffffu;
    for (var k = 0u; k < nd / 2u; k++) {
        let word = sum[base + k];
        let d = 2u * k;
        if d + 1u < best_d || d > best_d + 1u {
            runner_up = min(runner_up, word & 0xffffu);
        }
        if d + 2u < best_d || d + 1u > best_d + 1u {
            runner_up = min(runner_up, word >> 16u);
        }
    }
    var confidence = 255u;
    if runner_up != 0xffffu {
        confidence = (runner_up - best) * 255u / max(runner_up, 1u);
    }
    var a_minus_c = 0i;
    var curvature = 0i;
    if best_d > 0u && best_d + 1u < nd {
        let a = i32(s(i, best_d - 1u));
        let c = i32(s(i, best_d + 1u));
        a_minus_c = a - c;
        curvature = max(a - 2 * i32(best) + c, 0);
    }

    var right_best = 0xffffu;
    var right_d = 0u;
    let reach = min(nd, size.width - id.x);
    for (var d = 0u; d < reach; d++) {
        let v = s(i + d, d);
        if v < right_best {
            right_best = v;
            right_d = d;
        }
    }

    winners[i] = vec2<u32>(best_d | (confidence << 8u) | (right_d << 16u), (bitcast<u32>(a_minus_c) & 0xffffu) | (u32(curvature) << 16u));
}
