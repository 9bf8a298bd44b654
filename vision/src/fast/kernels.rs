//! The inner loops of Visor's own operators, written for the autovectorizer and compiled per
//! instruction set with `multiversion` (AVX-512, AVX2, and the build's baseline), picked once
//! per call by CPU detection. No FMA contraction: every target rounds the same way, so the
//! result does not depend on the machine.
//!
//! Both loops work on *phase planes* (see `conv.rs`): an input laid out so that every kernel
//! tap is one constant offset from the output index, which turns a strided 2-D convolution
//! into flat, contiguous multiply-adds.

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
                *a += weight * s;
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

/// Splits `row` into its even (`first`) and odd (`second`) points.
#[multiversion(targets("x86_64+avx512f+avx512vl+avx2+fma+avx", "x86_64+avx2+fma+avx"))]
pub fn deinterleave(first: &mut [f32], second: &mut [f32], row: &[f32]) {
    for ((a, b), pair) in first.iter_mut().zip(second.iter_mut()).zip(row.chunks_exact(2)) {
        *a = pair[0];
        *b = pair[1];
    }
}
