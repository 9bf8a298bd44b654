//! [`Reused`]: an operator's output tensor, kept in the plan's state so the next run writes
//! over it instead of allocating and zeroing a fresh one (tract cannot hand out an
//! uninitialized tensor without `unsafe`, and a tensor built from a `Vec` is copied).
//!
//! The tensor is reused only when nothing else holds it any more (`Arc::get_mut`), which is
//! the case once tract has dropped the previous run's intermediate values; otherwise the run
//! gets a fresh one. The price is one output per operator kept alive between runs.

use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;

#[derive(Clone, Debug, Default)]
pub struct Reused(Option<Arc<Tensor>>);

impl Reused {
    /// Calls `fill` with an f32 output of `shape`, which it must overwrite entirely, and
    /// returns it as the operator's output.
    pub fn fill(&mut self, shape: &[usize], fill: impl FnOnce(&mut [f32]) -> TractResult<()>) -> TractResult<TValue> {
        let mut out = match self.0.take() {
            Some(last) if last.shape() == shape && Arc::strong_count(&last) == 1 && Arc::weak_count(&last) == 0 => last,
            _ => Arc::new(Tensor::zero::<f32>(shape)?),
        };
        let tensor = Arc::get_mut(&mut out).context("a fresh output tensor is shared")?;
        fill(tensor.try_as_plain_ram_mut()?.as_slice_mut::<f32>()?)?;
        self.0 = Some(Arc::clone(&out));
        Ok(out.into_tvalue())
    }
}
