//! The inner loops of Visor's own operators, written for the autovectorizer and compiled per
//! instruction set with `multiversion` (AVX-512, AVX2, and the build's baseline), picked once
//! per call by CPU detection.
//!
//! Multiply-adds are explicit `f32::mul_add`: a fused multiply-add is defined by IEEE 754
//! (one rounding), so every target computes the same bits and the result still does not
//! depend on the machine, while it halves the arithmetic on the targets that have FMA
//! (both x86 targets above, and every aarch64). Only the x86 baseline clone (a CPU without
//! AVX2) pays for it: there `mul_add` is a libm call, correct but slow. The compiler itself
//! never contracts `a * b + c` into an FMA, so loops not written with `mul_add` round apart.
//!
//! The convolution loop works on *phase planes* (see `conv.rs`): an input laid out so that
//! every kernel tap is one constant offset from the output index, which turns a strided 2-D
//! convolution into flat, contiguous multiply-adds. [`pointwise`] reads NCHW planes as they
//! are: a 1x1 convolution is already contiguous per input channel.

use multiversion::multiversion;

/// Output points computed together, kept in registers across all taps: eight AVX-512
/// accumulators, enough independent sums to hide the add latency.
pub const CHUNK: usize = 128;

/// `out[q] = bias + Σ weight · src[q + offset]` over `taps` for every `q` in `out`, which is a
/// whole number of [`CHUNK`]s; `src` must reach `out.len() + max offset`.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma+avx", "x86_64+avx2+fma+avx"))]
pub fn conv_flat(out: &mut [f32], src: &[f32], taps: &[(usize, f32)], bias: f32) {
    for (c, chunk) in out.chunks_exact_mut(CHUNK).enumerate() {
        let base = c * CHUNK;
        let mut acc = [bias; CHUNK];
        for &(offset, weight) in taps {
            let from = &src[base + offset..base + offset + CHUNK];
            for (a, s) in acc.iter_mut().zip(from) {
                *a = weight.mul_add(*s, *a);
            }
        }
        chunk.copy_from_slice(&acc);
    }
}

/// 2x2, stride 2 max pooling of one `h` x `w` plane into `out` (`h / 2` x `w / 2`).
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma+avx", "x86_64+avx2+fma+avx"))]
pub fn max_pool_2x2(out: &mut [f32], plane: &[f32], w: usize) {
    let ow = w / 2;
    for (oy, row) in out.chunks_exact_mut(ow).enumerate() {
        let top = &plane[2 * oy * w..2 * oy * w + 2 * ow];
        let bottom = &plane[(2 * oy + 1) * w..(2 * oy + 1) * w + 2 * ow];
        for ((o, t), b) in row.iter_mut().zip(top.chunks_exact(2)).zip(bottom.chunks_exact(2)) {
            *o = t[0].max(t[1]).max(b[0].max(b[1]));
        }
    }
}

/// Splits `row`, read every `step`th point, into its even (`first`) and odd (`second`)
/// points; a `step` above one picks a channel out of an NHWC row.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma+avx", "x86_64+avx2+fma+avx"))]
pub fn deinterleave(first: &mut [f32], second: &mut [f32], row: &[f32], step: usize) {
    if step == 1 {
        for ((a, b), pair) in first.iter_mut().zip(second.iter_mut()).zip(row.chunks_exact(2)) {
            *a = pair[0];
            *b = pair[1];
        }
        return;
    }
    // The last pair is cut short after its second point: a row ends on a point.
    for ((a, b), pair) in first.iter_mut().zip(second.iter_mut()).zip(row.chunks(2 * step)) {
        *a = pair[0];
        *b = pair[step];
    }
}

/// Output channels [`pointwise`] computes together: each input point loaded feeds this many
/// sums. Fixed at four: the kernel names its four accumulators.
pub const PW_BLOCK: usize = 4;
/// Points [`pointwise`] computes together per output channel: with [`PW_BLOCK`] channels,
/// sixteen AVX-512 accumulators, leaving registers for the input and the products.
pub const PW_CHUNK: usize = 64;

/// What [`pointwise`] reads: an NCHW input (`input_channels` planes of `points`), weights
/// from [`block_weights`], a bias per output channel and an optional residual.
pub struct PointwiseArgs<'a> {
    pub input: &'a [f32],
    pub blocked: &'a [f32],
    pub bias: &'a [f32],
    /// `residual_channels` planes, added to the first output channels.
    pub residual: &'a [f32],
    pub residual_channels: usize,
    pub relu: bool,
    pub input_channels: usize,
    pub points: usize,
}

/// OI weights regrouped per block of [`PW_BLOCK`] output channels, input channel major, so
/// the kernel reads them in order; missing channels of the last block weigh zero.
pub fn block_weights(weights: &[f32], oc: usize, ic: usize) -> Vec<f32> {
    let blocks = oc.div_ceil(PW_BLOCK);
    let mut blocked = vec![0f32; blocks * ic * PW_BLOCK];
    for o in 0..oc {
        let (b, j) = (o / PW_BLOCK, o % PW_BLOCK);
        for i in 0..ic {
            blocked[(b * ic + i) * PW_BLOCK + j] = weights[o * ic + i];
        }
    }
    blocked
}

/// A 1x1 convolution with its epilogue: `out[o][p] = relu?(Σ_i w[o][i] · in[i][p] + bias[o]
/// + residual[o][p])`, the sum over `i` in order from zero (fused multiply-adds), then the bias. `points` is a whole
/// number of [`PW_CHUNK`]s. The chunk loop is outermost so a chunk's input column stays in L1
/// across all output blocks.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma+avx", "x86_64+avx2+fma+avx"))]
pub fn pointwise(out: &mut [f32], args: &PointwiseArgs) {
    let (ic, points) = (args.input_channels, args.points);
    let oc = out.len() / points;
    for base in (0..points).step_by(PW_CHUNK) {
        for (b, weights) in args.blocked.chunks_exact(ic * PW_BLOCK).enumerate() {
            // Four named accumulators and one loop over the points: the shape LLVM keeps in
            // registers (an array of arrays stays on the stack).
            let (mut a0, mut a1, mut a2, mut a3) = ([0f32; PW_CHUNK], [0f32; PW_CHUNK], [0f32; PW_CHUNK], [0f32; PW_CHUNK]);
            for (i, w) in weights.chunks_exact(PW_BLOCK).enumerate() {
                let (Some(src), Some(&[w0, w1, w2, w3])) =
                    (args.input[i * points + base..].first_chunk::<PW_CHUNK>(), w.first_chunk::<PW_BLOCK>())
                else {
                    return;
                };
                for k in 0..PW_CHUNK {
                    a0[k] = w0.mul_add(src[k], a0[k]);
                    a1[k] = w1.mul_add(src[k], a1[k]);
                    a2[k] = w2.mul_add(src[k], a2[k]);
                    a3[k] = w3.mul_add(src[k], a3[k]);
                }
            }
            let mut acc = [a0, a1, a2, a3];
            for (j, sums) in acc.iter_mut().enumerate() {
                let o = b * PW_BLOCK + j;
                if o >= oc {
                    break;
                }
                let bias = args.bias[o];
                for a in sums.iter_mut() {
                    *a += bias;
                }
                if o < args.residual_channels {
                    let res = &args.residual[o * points + base..o * points + base + PW_CHUNK];
                    for (a, r) in sums.iter_mut().zip(res) {
                        *a += r;
                    }
                }
                if args.relu {
                    for a in sums.iter_mut() {
                        *a = a.max(0.0);
                    }
                }
                out[o * points + base..o * points + base + PW_CHUNK].copy_from_slice(sums);
            }
        }
    }
}

/// Points [`conv_flat4`] computes together per output channel.
pub const CHUNK4: usize = 64;

/// [`conv_flat`] for four output channels at once over the same input (a dense convolution,
/// where every output channel reads every input channel): each input chunk loaded feeds four
/// sums. `out` holds the four channels' flat outputs one after another, `taps` the four
/// weights of each tap.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma+avx", "x86_64+avx2+fma+avx"))]
pub fn conv_flat4(out: &mut [f32], src: &[f32], taps: &[(usize, [f32; 4])], bias: [f32; 4]) {
    let len = out.len() / 4;
    for base in (0..len).step_by(CHUNK4) {
        // Named accumulators, like `pointwise`, so they stay in registers.
        let (mut a0, mut a1, mut a2, mut a3) = ([bias[0]; CHUNK4], [bias[1]; CHUNK4], [bias[2]; CHUNK4], [bias[3]; CHUNK4]);
        for &(offset, [w0, w1, w2, w3]) in taps {
            let Some(from) = src[base + offset..].first_chunk::<CHUNK4>() else { return };
            for k in 0..CHUNK4 {
                a0[k] = w0.mul_add(from[k], a0[k]);
                a1[k] = w1.mul_add(from[k], a1[k]);
                a2[k] = w2.mul_add(from[k], a2[k]);
                a3[k] = w3.mul_add(from[k], a3[k]);
            }
        }
        for (j, acc) in [a0, a1, a2, a3].iter().enumerate() {
            out[j * len + base..j * len + base + CHUNK4].copy_from_slice(acc);
        }
    }
}

/// Copies `rows` rows of `width` points from `src` (rows `src_stride` apart, starting at
/// `src_at`) to `dst` (rows `dst_stride` apart, starting at `dst_at`). The planes' rows are
/// short (8 to 64 points) and many; fixed-size copies for the common widths keep them inline
/// instead of one `memcpy` call per row.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma+avx", "x86_64+avx2+fma+avx"))]
pub fn copy_rows(
    dst: &mut [f32],
    src: &[f32],
    rows: usize,
    width: usize,
    [dst_at, dst_stride]: [usize; 2],
    [src_at, src_stride]: [usize; 2],
) {
    #[inline(always)]
    fn fixed<const W: usize>(
        dst: &mut [f32],
        src: &[f32],
        rows: usize,
        [dst_at, dst_stride]: [usize; 2],
        [src_at, src_stride]: [usize; 2],
    ) {
        for y in 0..rows {
            if let (Some(d), Some(s)) =
                (dst[dst_at + y * dst_stride..].first_chunk_mut::<W>(), src[src_at + y * src_stride..].first_chunk::<W>())
            {
                *d = *s;
            }
        }
    }
    let (to, from) = ([dst_at, dst_stride], [src_at, src_stride]);
    match width {
        64 => fixed::<64>(dst, src, rows, to, from),
        32 => fixed::<32>(dst, src, rows, to, from),
        16 => fixed::<16>(dst, src, rows, to, from),
        8 => fixed::<8>(dst, src, rows, to, from),
        _ => {
            for y in 0..rows {
                let d = dst_at + y * dst_stride;
                let s = src_at + y * src_stride;
                dst[d..d + width].copy_from_slice(&src[s..s + width]);
            }
        }
    }
}
