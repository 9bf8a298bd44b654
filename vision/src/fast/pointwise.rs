//! [`Pointwise`]: BlazeFace's 1x1 convolutions with what follows them fused in. After
//! decluttering, each is an `EinSum` (`NIHW,OI->NOHW`), a bias `Add`, usually a residual `Add`
//! (whose residual may be channel-padded with a `Concat` of zeros) and a ReLU (`Max` with 0).
//! tract runs the product as a packed matrix multiplication plus three more passes over the
//! output; here it is one pass that reads the NCHW input in place ([`kernels::pointwise`]).
//!
//! [`fuse`] matches the chain from the `EinSum` and stops at the first node it does not
//! understand, so a partial chain (no residual, no ReLU) still runs here.

use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;
use tract_onnx::tract_core::ops::array::TypedConcat;
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::einsum::EinSum;

use super::kernels::{self, PW_CHUNK, PointwiseArgs};
use super::output::{KeepsState, Reused};

/// `out[o][p] = relu?(Σ_i weights[o][i] · in[i][p] + bias[o] + residual[o][p])`, residual
/// only for `o < residual_channels`; weights are kept in [`kernels::pointwise`]'s blocked order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Pointwise {
    pub input_channels: usize,
    pub output_channels: usize,
    pub points: usize,
    pub shape: [usize; 4],
    pub blocked: Arc<Tensor>,
    pub bias: Arc<Tensor>,
    /// Channels the residual input has, when there is one (it is the second input).
    pub residual_channels: Option<usize>,
    pub relu: bool,
}

impl Op for Pointwise {
    fn name(&self) -> StaticName {
        "VisorPointwiseConv".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!(
            "{}->{} channels, {} points, residual {:?}, relu {}",
            self.input_channels, self.output_channels, self.points, self.residual_channels, self.relu
        )])
    }

    op_as_typed_op!();
}

impl KeepsState for Pointwise {
    type State = Reused;

    fn run(&self, inputs: &[TValue], output: &mut Reused) -> TractResult<TVec<TValue>> {
        let input = inputs[0].try_as_plain_ram()?.as_slice::<f32>()?;
        let residual = match inputs.get(1) {
            Some(r) => r.try_as_plain_ram()?.as_slice::<f32>()?,
            None => &[],
        };
        let args = PointwiseArgs {
            input,
            blocked: self.blocked.try_as_plain_ram()?.as_slice::<f32>()?,
            bias: self.bias.try_as_plain_ram()?.as_slice::<f32>()?,
            residual,
            residual_channels: self.residual_channels.unwrap_or(0),
            relu: self.relu,
            input_channels: self.input_channels,
            points: self.points,
        };
        let out = output.fill(&self.shape, |out| {
            kernels::pointwise(out, &args);
            Ok(())
        })?;
        Ok(tvec!(out))
    }
}

impl EvalOp for Pointwise {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        self.run_fresh(&inputs)
    }

    fn state(&self, _ctx: &EvalContext) -> TractResult<Option<Box<dyn OpState>>> {
        self.plan_state()
    }
}

impl TypedOp for Pointwise {
    fn output_facts(&self, _inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        Ok(tvec!(f32::fact(self.shape)))
    }

    as_op!();
}

/// The only successor of `outlet`, when it has exactly one and is no model output.
fn sole_successor(model: &TypedModel, outlet: OutletId) -> TractResult<Option<&TypedNode>> {
    let next = model.outlet_successors(outlet);
    Ok((next.len() == 1 && !model.output_outlets()?.contains(&outlet)).then(|| model.node(next[0].node)))
}

/// The binary op `name` at `node`, with the input other than `from`.
fn binary(node: &TypedNode, name: &str, from: OutletId) -> Option<OutletId> {
    let bin = node.op_as::<TypedBinOp>()?;
    (bin.0.name() == name && node.inputs.len() == 2 && node.inputs.contains(&from))
        .then(|| if node.inputs[0] == from { node.inputs[1] } else { node.inputs[0] })
}

fn konst(model: &TypedModel, outlet: OutletId) -> TractResult<Option<Arc<Tensor>>> {
    Ok(model.outlet_fact(outlet)?.konst.clone().filter(|k| k.datum_type() == f32::datum_type()))
}

/// Replaces the 1x1 convolution at `node` (an `EinSum`) and the chain it can fuse; returns
/// whether it did.
pub fn fuse(model: &mut TypedModel, node: usize) -> TractResult<bool> {
    let einsum_node = model.node(node);
    let Some(einsum) = einsum_node.op_as::<EinSum>() else { return Ok(false) };
    if einsum.q_params.is_some() || einsum.axes.to_string() != "NIHW,OI->NOHW" || einsum_node.inputs.len() != 2 {
        return Ok(false);
    }
    let x = einsum_node.inputs[0];
    let Some(weights) = konst(model, einsum_node.inputs[1])? else { return Ok(false) };
    let fact = model.outlet_fact(x)?;
    let Some(&[1, ic, h, w]) = fact.shape.as_concrete() else { return Ok(false) };
    let oc = weights.shape()[0];
    let points = h * w;
    if fact.datum_type != f32::datum_type() || weights.shape() != [oc, ic] || !points.is_multiple_of(PW_CHUNK) {
        return Ok(false);
    }
    // Bias.
    let mut last = OutletId::new(node, 0);
    let mut bias = vec![0f32; oc];
    if let Some(next) = sole_successor(model, last)?
        && let Some(other) = binary(next, "Add", last)
        && let Some(b) = konst(model, other)?
        && b.shape() == [1, oc, 1, 1]
    {
        bias.copy_from_slice(b.try_as_plain_ram()?.as_slice::<f32>()?);
        last = next.id.into();
    } else {
        return Ok(false);
    }
    // Residual, possibly a Concat of the residual and zeros on channels.
    let mut residual = None;
    if let Some(next) = sole_successor(model, last)?
        && let Some(other) = binary(next, "Add", last)
        && model.outlet_fact(other)?.konst.is_none()
        && model.outlet_fact(other)?.shape.as_concrete() == Some(&[1, oc, h, w])
    {
        residual = Some((unpad(model, other)?.unwrap_or(other), next.id.into()));
    }
    if let Some((_, at)) = residual {
        last = at;
    }
    let relu_at = relu_after(model, last)?;
    let relu = relu_at.is_some();
    last = relu_at.unwrap_or(last);
    let residual_input = residual.map(|(r, _)| r);
    let residual_channels = residual_input.map(|r| model.outlet_fact(r).map(|f| f.shape[1].to_usize())).transpose()?.transpose()?;
    let blocked = kernels::block_weights(weights.try_as_plain_ram()?.as_slice::<f32>()?, oc, ic);
    let op = Pointwise {
        input_channels: ic,
        output_channels: oc,
        points,
        shape: [1, oc, h, w],
        blocked: Arc::new(Tensor::from_shape(&[blocked.len()], &blocked)?),
        bias: Arc::new(Tensor::from_shape(&[oc], &bias)?),
        residual_channels,
        relu,
    };
    let mut patch = TypedModelPatch::default();
    let mut inputs = tvec!(patch.tap_model(model, x)?);
    if let Some(r) = residual_input {
        inputs.push(patch.tap_model(model, r)?);
    }
    let name = model.node(node).name.clone();
    let out = patch.wire_node(name, op, &inputs)?;
    patch.shunt_outside(model, last, out[0])?;
    patch.apply(model)?;
    Ok(true)
}

/// When the only consumer of `outlet` is a ReLU (`Max` with a constant 0), its output.
pub fn relu_after(model: &TypedModel, outlet: OutletId) -> TractResult<Option<OutletId>> {
    if let Some(next) = sole_successor(model, outlet)?
        && let Some(other) = binary(next, "Max", outlet)
        && let Some(zero) = konst(model, other)?
        && zero.len() == 1
        && zero.cast_to_scalar::<f32>()? == 0.0
    {
        return Ok(Some(next.id.into()));
    }
    Ok(None)
}

/// When `outlet` is a channel `Concat` of one tensor and constant zeros, that tensor.
fn unpad(model: &TypedModel, outlet: OutletId) -> TractResult<Option<OutletId>> {
    let node = model.node(outlet.node);
    let Some(concat) = node.op_as::<TypedConcat>() else { return Ok(None) };
    if concat.axis != 1 || node.inputs.len() != 2 || model.outlet_fact(node.inputs[0])?.konst.is_some() {
        return Ok(None);
    }
    Ok(match konst(model, node.inputs[1])? {
        Some(zeros) if zeros.try_as_plain_ram()?.as_slice::<f32>()?.iter().all(|&v| v == 0.0) => Some(node.inputs[0]),
        _ => None,
    })
}
