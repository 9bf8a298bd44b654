//! Loading an ONNX detector into a runnable tract plan, and running it.
//!
//! One patch is applied to the graph before tract reads it: a `ConstantOfShape` node without a
//! `value` attribute means "fill with float zero" in the ONNX spec, but tract 0.23 assumes an
//! f64 zero there and then fails to unify it with the f32 graph around it ("Impossible to unify
//! F32 with F64", seen on BlazeFace). Giving such nodes an explicit f32 zero is exactly the
//! spec's default, so the model computes the same thing.

use std::path::Path;
use std::sync::Arc;

use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::{AttributeProto, GraphProto, TensorProto};
use tract_onnx::prelude::*;

use crate::VisionError;
use crate::config::{InputLayout, InputSpec};

pub struct OnnxModel {
    plan: Arc<TypedRunnableModel>,
}

impl OnnxModel {
    /// Loads `path` with a fixed input shape from `input` and the named outputs, in order.
    pub fn load(path: &Path, input: &InputSpec, outputs: &[String]) -> Result<OnnxModel, VisionError> {
        let bad = |e: TractError| VisionError::BadModel { path: path.to_path_buf(), message: format!("{e:#}") };
        let bytes = std::fs::read(path).map_err(|source| VisionError::ReadModel { path: path.to_path_buf(), source })?;
        let onnx = tract_onnx::onnx();
        let mut proto = onnx.proto_model_for_read(&mut bytes.as_slice()).map_err(bad)?;
        if let Some(graph) = proto.graph.as_mut() {
            give_constant_of_shape_a_float_zero(graph);
        }
        let shape: [usize; 4] = match input.layout {
            InputLayout::Nhwc => [1, input.height as usize, input.width as usize, 3],
            InputLayout::Nchw => [1, 3, input.height as usize, input.width as usize],
        };
        let plan = onnx
            .model_for_proto_model(&proto)
            .and_then(|m| m.with_input_fact(0, f32::fact(shape).into()))
            .and_then(|m| m.with_outputs_by_name(outputs))
            .and_then(|m| m.into_optimized())
            .and_then(|m| m.into_runnable())
            .map_err(bad)?;
        Ok(OnnxModel { plan })
    }

    /// Runs the model on one input tensor; outputs come back flattened, in the order asked for.
    pub fn run(&self, input: Tensor) -> Result<Vec<Vec<f32>>, VisionError> {
        let fail = |e: TractError| VisionError::Inference(format!("{e:#}"));
        let outputs = self.plan.run(tvec!(input.into())).map_err(fail)?;
        outputs.iter().map(|t| Ok(t.to_plain_array_view::<f32>().map_err(fail)?.iter().copied().collect())).collect()
    }
}

fn give_constant_of_shape_a_float_zero(graph: &mut GraphProto) {
    for node in graph.node.iter_mut().filter(|n| n.op_type == "ConstantOfShape") {
        if node.attribute.iter().all(|a| a.name != "value") {
            node.attribute.push(AttributeProto {
                name: "value".into(),
                r#type: AttributeType::Tensor as i32,
                t: Some(TensorProto { dims: vec![1], data_type: DataType::Float as i32, float_data: vec![0.0], ..Default::default() }),
                ..Default::default()
            });
        }
    }
}
