//! What Visor's operators keep in the plan's state from run to run: [`KeepsState`] says what
//! an operator keeps and runs with it, and [`Kept`] is that state as tract holds it, so each
//! operator writes only its run. Outside a plan (const folding, tests) a run gets fresh state.
//!
//! [`Reused`]: an operator's output tensor, kept in the plan's state so the next run writes
//! over it instead of allocating and zeroing a fresh one (tract cannot hand out an
//! uninitialized tensor without `unsafe`, and a tensor built from a `Vec` is copied).
//!
//! The tensor is reused only when nothing else holds it any more (`Arc::get_mut`), which is
//! the case once tract has dropped the previous run's intermediate values; otherwise the run
//! gets a fresh one. The price is one output per operator kept alive between runs.

use std::fmt;
use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;

/// A Visor operator that keeps `State` (its buffers, its output) between runs.
pub trait KeepsState: Op + Clone {
    type State: Clone + fmt::Debug + Default + Send + 'static;

    /// One run on `inputs`, with the state the last run left.
    fn run(&self, inputs: &[TValue], state: &mut Self::State) -> TractResult<TVec<TValue>>;

    /// A run without a plan around it: fresh state, dropped after.
    fn run_fresh(&self, inputs: &[TValue]) -> TractResult<TVec<TValue>> {
        self.run(inputs, &mut Self::State::default())
    }

    /// The plan's state for this operator's node.
    fn plan_state(&self) -> TractResult<Option<Box<dyn OpState>>> {
        Ok(Some(Box::new(Kept::<Self>(Self::State::default()))))
    }
}

/// A [`KeepsState`] operator's state, as the plan holds it.
#[derive(Clone, Debug)]
pub struct Kept<O: KeepsState>(O::State);

impl<O: KeepsState> OpState for Kept<O> {
    fn eval(&mut self, _ctx: &EvalContext, op: &dyn Op, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let op = op.downcast_ref::<O>().with_context(|| format!("the state of {} paired with another op", std::any::type_name::<O>()))?;
        op.run(&inputs, &mut self.0)
    }

    fn reset_lanes(&mut self, _lanes: &[LaneId]) -> TractResult<()> {
        // Buffers and outputs only: nothing carries from one run to the next.
        Ok(())
    }
}

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
