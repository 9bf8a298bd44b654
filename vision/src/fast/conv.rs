//! [`PlanarConv`]: an NCHW f32 convolution with a constant kernel and bias, for the two kinds
//! tract runs slowly on a small model: depthwise convolutions (one input channel per output)
//! and convolutions over very few input channels (BlazeFace's 5x5 stem over RGB). Its input
//! may also be NHWC (`Geometry::channels_last`): the stem reads the image as it comes.
//!
//! Each input channel is laid out once as `stride²` *phase planes*, the padded plane split by
//! row and column remainder modulo the stride. In those planes every kernel tap is a fixed
//! offset from the output index, so an output channel is one flat multiply-add run per tap
//! ([`kernels::conv_flat`]) over a plane `wq` wide; the few columns past the output width are
//! computed and dropped. A dense convolution (the stem) runs four output channels per pass
//! ([`kernels::conv_flat4`]), so every input load feeds four sums.
//!
//! The phase planes, the flat sums and the output live in the plan's per-node state
//! (`Scratch`): nothing is allocated or zeroed per run once the first run has sized them.

use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;

use super::kernels::{self, CHUNK};
use super::output::{KeepsState, Reused};

/// Where a convolution reads, in input points; built from tract's `Conv` by `super::rewrite`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Geometry {
    /// Input channels and their height and width.
    pub c: usize,
    pub h: usize,
    pub w: usize,
    /// Zero rows above and columns left of the input, and the padded extent.
    pub pad_top: usize,
    pub pad_left: usize,
    pub padded_h: usize,
    pub padded_w: usize,
    pub stride: usize,
    pub out_h: usize,
    pub out_w: usize,
    /// Whether the input is NHWC (channels interleaved per point) rather than NCHW: the
    /// operator then reads the tensor a moved-axis node would have turned into NCHW.
    pub channels_last: bool,
}

impl Geometry {
    /// Rows and columns of one phase plane.
    fn phase_dims(&self) -> (usize, usize) {
        (self.padded_h.div_ceil(self.stride), self.padded_w.div_ceil(self.stride))
    }

    /// Output points computed per channel: whole phase-plane rows, rounded up to a chunk.
    fn flat_len(&self) -> usize {
        (self.out_h * self.phase_dims().1).div_ceil(CHUNK) * CHUNK
    }

    /// Points the phase planes of `channels` input channels take, with room for the last
    /// chunk's reads past the end.
    fn phases_len(&self, channels: usize) -> usize {
        let (hq, wq) = self.phase_dims();
        channels * self.stride * self.stride * hq * wq + self.flat_len()
    }

    /// Input row `y` of `channel`, and the distance between its points: `w` contiguous points
    /// in NCHW, every `c`th point from the channel's offset in NHWC.
    fn input_row<'a>(&self, input: &'a [f32], channel: usize, y: usize) -> (&'a [f32], usize) {
        let step = if self.channels_last { self.c } else { 1 };
        let start = if self.channels_last { y * self.w * self.c + channel } else { (channel * self.h + y) * self.w };
        (&input[start..start + (self.w - 1) * step + 1], step)
    }

    /// Writes input `channel` as phase planes at `dst`; padding points are left as they are
    /// (zero from the caller).
    fn write_phases(&self, dst: &mut [f32], input: &[f32], channel: usize) {
        let (hq, wq) = self.phase_dims();
        let s = self.stride;
        if s == 1 && !self.channels_last {
            let at = self.pad_top * wq + self.pad_left;
            let plane = &input[channel * self.h * self.w..(channel + 1) * self.h * self.w];
            kernels::copy_rows(dst, plane, self.h, self.w, [at, wq], [0, self.w]);
            return;
        }
        let phase = |ry: usize, rx: usize| (ry * s + rx) * hq * wq;
        for y in 0..self.h {
            let (row, step) = self.input_row(input, channel, y);
            let py = y + self.pad_top;
            let (ry, line) = (py % s, (py / s) * wq);
            if s == 2 && self.w.is_multiple_of(2) {
                // Columns pair up: the first of each pair in one phase, the second in the other.
                let (pl, half) = (self.pad_left, self.w / 2);
                let first = phase(ry, pl % 2) + line + pl / 2;
                let second = phase(ry, (pl + 1) % 2) + line + pl.div_ceil(2);
                let (low, high) = dst.split_at_mut(first.max(second));
                let (a, b) = if first < second {
                    (&mut low[first..first + half], &mut high[..half])
                } else {
                    (&mut high[..half], &mut low[second..second + half])
                };
                kernels::deinterleave(a, b, row, step);
                continue;
            }
            // Input column x lands in column remainder (x + pad_left) % s, at (x + pad_left) / s.
            for first in 0..s {
                let px = first + self.pad_left;
                let at = phase(ry, px % s) + line + px / s;
                for (d, &v) in dst[at..].iter_mut().zip(row[first * step..].iter().step_by(s * step)) {
                    *d = v;
                }
            }
        }
    }

    /// The offset of tap (`channel`, `ky`, `kx`) in a group's phase planes.
    fn tap_offset(&self, channel: usize, ky: usize, kx: usize) -> usize {
        let (hq, wq) = self.phase_dims();
        let s = self.stride;
        ((channel * s + ky % s) * s + kx % s) * hq * wq + (ky / s) * wq + kx / s
    }
}

/// A convolution over `group`s of input channels: output channel `o` reads the input channels
/// of group `o / (out channels per group)`. `kernel` is OIHW, `bias` one value per output.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PlanarConv {
    pub geometry: Geometry,
    pub group: usize,
    pub kernel: Arc<Tensor>,
    pub bias: Arc<Tensor>,
    /// Whether a ReLU (`Max` with 0) that followed the convolution is applied here.
    pub relu: bool,
}

impl PlanarConv {
    fn out_channels(&self) -> usize {
        self.kernel.shape()[0]
    }
}

impl KeepsState for PlanarConv {
    type State = Scratch;

    /// Convolves the input using `scratch`, which keeps its buffers from run to run.
    fn run(&self, inputs: &[TValue], scratch: &mut Scratch) -> TractResult<TVec<TValue>> {
        let input = inputs[0].try_as_plain_ram()?.as_slice::<f32>()?;
        let g = &self.geometry;
        let kernel = self.kernel.try_as_plain_ram()?.as_slice::<f32>()?;
        let bias = self.bias.try_as_plain_ram()?.as_slice::<f32>()?;
        let (oc, icg, kh, kw) = (self.out_channels(), g.c / self.group, self.kernel.shape()[2], self.kernel.shape()[3]);
        let ocg = oc / self.group;
        let wq = g.phase_dims().1;
        // Every run writes the same interior points of the phase planes, so the padding
        // zeroed here once stays zero.
        if scratch.phases.len() != g.phases_len(icg) {
            scratch.phases = vec![0f32; g.phases_len(icg)];
        }
        let step = if ocg.is_multiple_of(4) { 4 } else { 1 };
        scratch.flat.resize(step * g.flat_len(), 0.0);
        let Scratch { phases, flat, taps, taps4, output } = scratch;
        output
            .fill(&[1, oc, g.out_h, g.out_w], |out| {
                for group in 0..self.group {
                    let channel_len = g.stride * g.stride * g.phase_dims().0 * wq;
                    for i in 0..icg {
                        g.write_phases(&mut phases[i * channel_len..], input, group * icg + i);
                    }
                    // Dense convolutions run four output channels per pass over the input.
                    for o in (group * ocg..(group + 1) * ocg).step_by(step) {
                        let weight = |j: usize, i: usize, ky: usize, kx: usize| kernel[(((o + j) * icg + i) * kh + ky) * kw + kx];
                        taps.clear();
                        taps4.clear();
                        for i in 0..icg {
                            for ky in 0..kh {
                                for kx in 0..kw {
                                    let at = g.tap_offset(i, ky, kx);
                                    if step == 4 {
                                        taps4.push((at, std::array::from_fn(|j| weight(j, i, ky, kx))));
                                    } else {
                                        taps.push((at, weight(0, i, ky, kx)));
                                    }
                                }
                            }
                        }
                        if step == 4 {
                            kernels::conv_flat4(flat, phases, taps4, std::array::from_fn(|j| bias[o + j]));
                        } else {
                            kernels::conv_flat(flat, phases, taps, bias[o]);
                        }
                        if self.relu {
                            flat.iter_mut().for_each(|v| *v = v.max(0.0));
                        }
                        for (j, computed) in flat.chunks_exact(g.flat_len()).enumerate() {
                            let at = (o + j) * g.out_h * g.out_w;
                            kernels::copy_rows(out, computed, g.out_h, g.out_w, [at, g.out_w], [0, wq]);
                        }
                    }
                }
                Ok(())
            })
            .map(|out| tvec!(out))
    }
}

/// A [`PlanarConv`]'s buffers and output, kept in the plan's state between runs.
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    phases: Vec<f32>,
    flat: Vec<f32>,
    taps: Vec<(usize, f32)>,
    taps4: Vec<(usize, [f32; 4])>,
    output: Reused,
}

impl Op for PlanarConv {
    fn name(&self) -> StaticName {
        if self.group == 1 { "VisorStemConv" } else { "VisorDepthwiseConv" }.into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!("{:?} group={} kernel={:?} relu={}", self.geometry, self.group, self.kernel.shape(), self.relu)])
    }

    op_as_typed_op!();
}

impl EvalOp for PlanarConv {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        self.run_fresh(&inputs)
    }

    fn state(&self, _ctx: &EvalContext) -> TractResult<Option<Box<dyn OpState>>> {
        self.plan_state()
    }
}

impl TypedOp for PlanarConv {
    fn output_facts(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let g = &self.geometry;
        Ok(tvec!(f32::fact([1, self.out_channels(), g.out_h, g.out_w])))
    }

    as_op!();
}
