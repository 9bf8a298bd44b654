//! [`MaxPool2x2`]: 2x2, stride 2, unpadded max pooling of an NCHW f32 tensor, the pooling
//! BlazeFace's shortcut branches use (tract's generic pooling walks a patch per point).

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;

use super::kernels;
use super::output::{KeepsState, Reused};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MaxPool2x2 {
    /// Input channels, height and width.
    pub c: usize,
    pub h: usize,
    pub w: usize,
}

impl Op for MaxPool2x2 {
    fn name(&self) -> StaticName {
        "VisorMaxPool2x2".into()
    }

    op_as_typed_op!();
}

impl KeepsState for MaxPool2x2 {
    type State = Reused;

    fn run(&self, inputs: &[TValue], output: &mut Reused) -> TractResult<TVec<TValue>> {
        let input = inputs[0].try_as_plain_ram()?.as_slice::<f32>()?;
        let (oh, ow) = (self.h / 2, self.w / 2);
        let out = output.fill(&[1, self.c, oh, ow], |out| {
            for (dst, plane) in out.chunks_exact_mut(oh * ow).zip(input.chunks_exact(self.h * self.w)) {
                kernels::max_pool_2x2(dst, plane, self.w);
            }
            Ok(())
        })?;
        Ok(tvec!(out))
    }
}

impl EvalOp for MaxPool2x2 {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        self.run_fresh(&inputs)
    }

    fn state(&self, _ctx: &EvalContext) -> TractResult<Option<Box<dyn OpState>>> {
        self.plan_state()
    }
}

impl TypedOp for MaxPool2x2 {
    fn output_facts(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(f32::fact([1, self.c, self.h / 2, self.w / 2])))
    }

    as_op!();
}
