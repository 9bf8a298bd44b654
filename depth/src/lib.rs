//! Metric depth for Visor: what the real world in front of the glasses is made of, as depth
//! frames the compositor and apps can use.
//!
//! A rectified stereo pair becomes a disparity map (how far each left pixel's match sits to the
//! left in the right image) and then depth in metres, `Z = f * B / (d + doffs)`. The matcher is
//! the classic semi-global one, with every choice fixed so the GPU and CPU paths agree:
//!
//! 1. **Luma** from sRGB bytes, integer weights (`image.rs`).
//! 2. **Census** over a 9x7 window: 62 bits per pixel, set where a neighbour is darker than the
//!    centre (`census.rs`).
//! 3. **Matching cost**: the Hamming distance of left and right census words at each disparity
//!    `0..max_disparity` (out-of-image matches cost the maximum).
//! 4. **Semi-global aggregation** along eight paths with penalties `P1` (one step of disparity)
//!    and `P2` (a jump, smaller across an intensity edge), summed (`sgm.rs`).
//! 5. **Winner takes all** with a parabola for sub-pixel disparity, a 3x3 median, a uniqueness
//!    confidence, and a **left-right check** against the right image's winners.
//!
//! `cpu::match_pair` runs it on the CPU; `gpu::GpuMatcher` runs the same steps as wgpu compute
//! passes (shaders in `shaders/depth/`). `score.rs` rates a result against ground truth (the
//! Middlebury "bad 2.0" rate).
//!
//! Layout: `image.rs` ([`Gray`], [`Disparity`], [`DepthMap`], 16-bit PNG files), `params.rs`
//! ([`StereoParams`], [`StereoRig`]), `census.rs`, `sgm.rs` and `cpu.rs` (the CPU path),
//! `gpu/` (the GPU path: its pipelines and per-shape buffers), `matcher.rs` ([`Matcher`], either
//! path by the caller's choice), `score.rs`, `error.rs`.

mod census;
pub mod cpu;
mod error;
pub mod gpu;
mod image;
mod matcher;
mod params;
pub mod score;
mod sgm;

pub use error::DepthError;
pub use image::{DepthMap, Disparity, Gray, INVALID};
pub use matcher::Matcher;
pub use params::{StereoParams, StereoRig};
