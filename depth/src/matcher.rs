//! [`Matcher`]: the stereo matcher on whichever processor the caller asked for — the GPU where
//! an adapter opens, the CPU otherwise — with one `match_pair` for both (they agree exactly:
//! `tests/gpu.rs`).

use visor_types::profile::Matcher as Choice;

use crate::gpu::GpuMatcher;
use crate::{DepthError, Disparity, Gray, StereoParams, cpu};

pub enum Matcher {
    Cpu,
    Gpu(Box<GpuMatcher>),
}

impl Matcher {
    /// `Auto`: the GPU where an adapter opens, else the CPU (the reason logged); `Gpu`: the GPU
    /// or the error saying why not; `Cpu`: the CPU.
    pub fn open(choice: Choice) -> Result<Matcher, DepthError> {
        match choice {
            Choice::Cpu => Ok(Matcher::Cpu),
            Choice::Gpu => Ok(Matcher::Gpu(Box::new(GpuMatcher::headless()?))),
            Choice::Auto => Ok(GpuMatcher::headless().map(|g| Matcher::Gpu(Box::new(g))).unwrap_or_else(|e| {
                tracing::warn!("stereo matching on the CPU: {e}");
                Matcher::Cpu
            })),
        }
    }

    pub fn match_pair(&self, left: &Gray, right: &Gray, params: &StereoParams) -> Result<Disparity, DepthError> {
        match self {
            Matcher::Cpu => cpu::match_pair(left, right, params),
            Matcher::Gpu(gpu) => gpu.match_pair(left, right, params),
        }
    }

    /// "the CPU", or "the GPU (adapter)".
    pub fn describe(&self) -> String {
        match self {
            Matcher::Cpu => "the CPU".into(),
            Matcher::Gpu(gpu) => format!("the GPU ({})", gpu.adapter_name()),
        }
    }
}
