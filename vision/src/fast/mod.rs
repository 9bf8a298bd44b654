//! Visor's own operators for the face detector, swapped into the decluttered tract graph
//! before tract optimizes it. tract plans BlazeFace's depthwise convolutions, its RGB stem
//! convolution and its 2x2 max pools with generic loops, and its 1x1 convolutions as packed
//! matrix products followed by separate bias, residual and ReLU passes; these replacements do
//! the same arithmetic (same f32 weights, sums in another order, fused multiply-adds) with
//! flat, autovectorized loops, and fuse what follows a convolution where the graph allows.
//!
//! [`rewrite`] walks the graph once and replaces only nodes it fully understands (f32, NCHW,
//! batch 1, constant weights, no dilation); everything else is left to tract. A convolution
//! whose NCHW input is only a moved-axis view of an NHWC tensor (BlazeFace's image input, which
//! tract turns into NCHW with one `AxisOp::Move(3, 1)` node) reads the NHWC tensor itself, and
//! the move drops out of the graph.
//!
//! Layout:
//! - `conv.rs`: [`conv::PlanarConv`], depthwise and few-input-channel convolutions.
//! - `pointwise.rs`: [`pointwise::Pointwise`], 1x1 convolutions fused with their bias,
//!   residual and ReLU.
//! - `pool.rs`: [`pool::MaxPool2x2`].
//! - `kernels.rs`: the inner loops, compiled per instruction set.
//! - `output.rs`: [`output::KeepsState`], what each operator keeps in the plan from run to run
//!   (its buffers, and [`output::Reused`] output tensors).

mod conv;
mod kernels;
mod output;
mod pointwise;
mod pool;

use std::sync::Arc;

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::change_axes::AxisOp;
use tract_onnx::tract_core::ops::cnn::{Conv, KernelFormat, MaxPool, PaddingSpec, PoolSpec};
use tract_onnx::tract_core::ops::nn::DataFormat;

use conv::{Geometry, PlanarConv};
use pool::MaxPool2x2;

/// Input channels up to which a dense convolution runs as a [`PlanarConv`]: beyond a handful,
/// tract's matrix-product kernels win.
const MAX_DENSE_INPUT_CHANNELS: usize = 4;

/// Replaces the nodes Visor runs faster than tract in `model` (decluttered, concrete shapes);
/// returns how many it replaced.
pub fn rewrite(model: &mut TypedModel) -> TractResult<usize> {
    let mut replaced = 0;
    for id in model.eval_order()? {
        if pointwise::fuse(model, id)? {
            replaced += 1;
            continue;
        }
        let node = model.node(id);
        let op: Option<Box<dyn TypedOp>> = if let Some(conv) = node.op_as::<Conv>() {
            if let Some(mut op) = planar_conv(model, node, conv)? {
                let mut input = node.inputs[0];
                if let Some(nhwc) = nhwc_source(model, input)? {
                    op.geometry.channels_last = true;
                    input = nhwc;
                }
                // A ReLU right after the convolution is applied in place by the operator.
                let relu = pointwise::relu_after(model, id.into())?;
                op.relu = relu.is_some();
                let mut patch = TypedModelPatch::default();
                let tapped = patch.tap_model(model, input)?;
                let out = patch.wire_node(node.name.clone(), op, &[tapped])?;
                patch.shunt_outside(model, relu.unwrap_or(id.into()), out[0])?;
                patch.apply(model)?;
                replaced += 1;
                continue;
            }
            None
        } else if let Some(pool) = node.op_as::<MaxPool>() {
            max_pool(model, node, pool)?.map(|op| Box::new(op) as _)
        } else {
            None
        };
        if let Some(op) = op {
            let patch = TypedModelPatch::replace_single_op(model, node, &[node.inputs[0]], op)?;
            patch.apply(model)?;
            replaced += 1;
        }
    }
    model.compact()?;
    Ok(replaced)
}

/// The input's channels, height and width, when it is a concrete f32 NCHW batch of one.
fn nchw(model: &TypedModel, node: &TypedNode, spec: &PoolSpec) -> TractResult<Option<[usize; 3]>> {
    let fact = model.outlet_fact(node.inputs[0])?;
    let ok = fact.datum_type == f32::datum_type()
        && spec.data_format == DataFormat::NCHW
        && spec.rank() == 2
        && spec.dilations().iter().all(|&d| d == 1);
    Ok(match fact.shape.as_concrete() {
        Some(&[1, c, h, w]) if ok => Some([c, h, w]),
        _ => None,
    })
}

/// The NHWC tensor behind `outlet` when `outlet` is the only use of an `AxisOp::Move(3, 1)`
/// of a rank-4 tensor: NHWC moved to NCHW, the same points in another order.
fn nhwc_source(model: &TypedModel, outlet: OutletId) -> TractResult<Option<OutletId>> {
    let node = model.node(outlet.node);
    let moved = node.op_as::<AxisOp>() == Some(&AxisOp::Move(3, 1))
        && node.inputs.len() == 1
        && node.outputs.len() == 1
        && node.outputs[0].successors.len() == 1
        && model.outlet_fact(node.inputs[0])?.rank() == 4
        && !model.output_outlets()?.contains(&outlet);
    Ok(moved.then_some(node.inputs[0]))
}

fn planar_conv(model: &TypedModel, node: &TypedNode, conv: &Conv) -> TractResult<Option<PlanarConv>> {
    let spec = &conv.pool_spec;
    let Some([c, h, w]) = nchw(model, node, spec)? else { return Ok(None) };
    let depthwise = conv.group == c && spec.output_channels == c;
    let few_inputs = conv.group == 1 && c <= MAX_DENSE_INPUT_CHANNELS;
    let strides = [spec.stride(0), spec.stride(1)];
    if conv.q_params.is_some()
        || conv.kernel_fmt != KernelFormat::OIHW
        || !(depthwise || few_inputs)
        || strides[0] != strides[1]
        || !(1..=2).contains(&strides[0])
        || node.inputs.len() != 3
    {
        return Ok(None);
    }
    let (Some(kernel), Some(bias)) = (model.outlet_fact(node.inputs[1])?.konst.clone(), model.outlet_fact(node.inputs[2])?.konst.clone())
    else {
        return Ok(None);
    };
    let oc = spec.output_channels;
    if kernel.datum_type() != f32::datum_type() || kernel.shape() != [oc, c / conv.group, spec.kernel_shape[0], spec.kernel_shape[1]] {
        return Ok(None);
    }
    let bias = match bias.len() {
        1 => Arc::new(Tensor::from_shape(&[oc], &vec![bias.cast_to_scalar::<f32>()?; oc])?),
        n if n == oc => Arc::new(bias.cast_to::<f32>()?.into_owned().into_shape(&[oc])?),
        _ => return Ok(None),
    };
    let padding = spec.computed_padding(&[h, w]);
    let geometry = Geometry {
        c,
        h,
        w,
        pad_top: padding[0].pad_before,
        pad_left: padding[1].pad_before,
        padded_h: h + padding[0].pad_before + padding[0].pad_after,
        padded_w: w + padding[1].pad_before + padding[1].pad_after,
        stride: strides[0],
        out_h: padding[0].convoluted,
        out_w: padding[1].convoluted,
        channels_last: false,
    };
    Ok(Some(PlanarConv { geometry, group: conv.group, kernel, bias, relu: false }))
}

fn max_pool(model: &TypedModel, node: &TypedNode, pool: &MaxPool) -> TractResult<Option<MaxPool2x2>> {
    let spec = &pool.pool_spec;
    let Some([c, h, w]) = nchw(model, node, spec)? else { return Ok(None) };
    let unpadded = match &spec.padding {
        PaddingSpec::Valid => true,
        PaddingSpec::Explicit(before, after) => before.iter().chain(after).all(|&p| p == 0),
        _ => false,
    };
    let fits = pool.with_index_outputs.is_none()
        && unpadded
        && spec.kernel_shape.as_slice() == [2, 2]
        && spec.stride(0) == 2
        && spec.stride(1) == 2
        && h.is_multiple_of(2)
        && w.is_multiple_of(2);
    Ok(fits.then_some(MaxPool2x2 { c, h, w }))
}
