// Semi-global aggregation along one path direction (dx, dy), the twin of depth/src/sgm.rs.
// One invocation walks one whole line of the image in the path's direction (a row, a column or
// a diagonal), pixel after pixel, keeping the previous pixel's aggregated costs L(p - r, d) in
// a private array (u16 pairs, as in S):
//
//   L(p, d) = C(p, d) + min(L(p-r, d), L(p-r, d±1) + P1, min L(p-r) + P2') - min L(p-r)
//
// where C is the matching cost (bytes from cost.wgsl, four disparities a word) and P2' shrinks
// across an intensity edge. Each path's L is added into S, u16 sums packed two per u32, d fastest; a sum
// never exceeds 8 * (62 + P2) < 65536, so adding packed words cannot carry between halves.
// The first direction writes S instead of adding, which saves clearing it. Every pixel lies on
// exactly one line per direction, so invocations never touch the same words.

struct Path {
    width: u32,
    height: u32,
    max_disparity: u32,
    p1: u32,
    p2: u32,
    dx: i32,
    dy: i32,
    lines: u32,
    // 1 for the first direction of a frame: write S rather than add to it.
    first: u32,
    pad: u32,
}

@group(0) @binding(0) var<uniform> path: Path;
// The left image, 8-bit grey, four pixels per word (the right image follows; unused here).
@group(0) @binding(1) var<storage, read> grey: array<u32>;
// C(x, y, d) as bytes, four a word, d fastest.
@group(0) @binding(2) var<storage, read> costs: array<u32>;
@group(0) @binding(3) var<storage, read_write> sum: array<u32>;

const HALF_MAX_DISPARITY: u32 = 128u;

fn left_grey(i: u32) -> u32 {
    return (grey[i >> 2u] >> ((i & 3u) * 8u)) & 0xffu;
}

// C at disparity d, from the word holding d.
fn cost(word: u32, d: u32) -> u32 {
    return (word >> ((d & 3u) * 8u)) & 0xffu;
}

// Adds (or, for the first direction, writes) the sum word of disparities 2k and 2k + 1.
fn add_pair(word: u32, packed: u32) {
    if path.first == 1u {
        sum[word] = packed;
    } else {
        sum[word] += packed;
    }
}

@compute @workgroup_size(64, 1, 1)
fn cs_path(@builtin(global_invocation_id) id: vec3<u32>) {
    let line = id.x;
    if line >= path.lines {
        return;
    }
    let w = i32(path.width);
    let h = i32(path.height);
    let nd = path.max_disparity;
    // Where this line enters the image: a pixel whose p - r lies outside it.
    let x_entry = select(w - 1, 0, path.dx > 0);
    let y_entry = select(h - 1, 0, path.dy > 0);
    var x: i32;
    var y: i32;
    if path.dy == 0 {
        x = x_entry;
        y = i32(line);
    } else if path.dx == 0 {
        x = i32(line);
        y = y_entry;
    } else if line < path.width {
        x = select(w - 1 - i32(line), i32(line), path.dx > 0);
        y = y_entry;
    } else {
        let j = i32(line - path.width) + 1;
        x = x_entry;
        y = select(h - 1 - j, j, path.dy > 0);
    }

    // L(p - r, d) as u16 pairs, the layout of S: word k holds d = 2k (low) and 2k + 1.
    var before: array<u32, HALF_MAX_DISPARITY>;
    var before_min = 0u;
    var before_grey = 0u;
    var started = false;
    let words = nd / 2u;
    while x >= 0 && x < w && y >= 0 && y < h {
        let i = u32(y) * path.width + u32(x);
        let g = left_grey(i);
        let base = i * words;
        let cost_base = i * (nd / 4u);
        var cost_word = 0u;
        var lowest = 0xffffffffu;
        if !started {
            for (var k = 0u; k < words; k++) {
                if (k & 1u) == 0u {
                    cost_word = costs[cost_base + k / 2u];
                }
                let l_even = cost(cost_word, 2u * k);
                let l_odd = cost(cost_word, 2u * k + 1u);
                let packed = l_even | (l_odd << 16u);
                before[k] = packed;
                add_pair(base + k, packed);
                lowest = min(lowest, min(l_even, l_odd));
            }
        } else {
            let gradient = max(g, before_grey) - min(g, before_grey);
            let p2 = max(path.p2 * 16u / (16u + gradient), path.p1 + 1u);
            let jump = before_min + p2;
            let p1 = path.p1;
            // L(p - r, 2k - 1), and the word after this one, both read before they are
            // overwritten.
            var below = 0u;
            var next = before[0];
            for (var k = 0u; k < words; k++) {
                let even = next & 0xffffu;
                let odd = next >> 16u;
                if k + 1u < words {
                    next = before[k + 1u];
                }
                if (k & 1u) == 0u {
                    cost_word = costs[cost_base + k / 2u];
                }
                var best_even = min(min(even, jump), odd + p1);
                if k > 0u {
                    best_even = min(best_even, below + p1);
                }
                var best_odd = min(min(odd, jump), even + p1);
                if k + 1u < words {
                    best_odd = min(best_odd, (next & 0xffffu) + p1);
                }
                let l_even = cost(cost_word, 2u * k) + best_even - before_min;
                let l_odd = cost(cost_word, 2u * k + 1u) + best_odd - before_min;
                below = odd;
                let packed = l_even | (l_odd << 16u);
                before[k] = packed;
                add_pair(base + k, packed);
                lowest = min(lowest, min(l_even, l_odd));
            }
        }
        before_min = lowest;
        before_grey = g;
        started = true;
        x += path.dx;
        y += path.dy;
    }
}
