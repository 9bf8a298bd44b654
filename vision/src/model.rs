//! Loading an ONNX detector into a runnable tract plan, running it, and profiling it per
//! operator.
//!
//! One patch is applied to the graph before tract reads it: a `ConstantOfShape` node without a
//! `value` attribute means "fill with float zero" in the ONNX spec, but tract 0.23 assumes an
//! f64 zero there and then fails to unify it with the f32 graph around it ("Impossible to unify
//! F32 with F64", seen on BlazeFace). Giving such nodes an explicit f32 zero is exactly the
//! spec's default, so the model computes the same thing.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::tensor_proto::DataType;
use tract_onnx::pb::{AttributeProto, GraphProto, TensorProto};
use tract_onnx::prelude::*;

use crate::VisionError;
use crate::config::{InputLayout, InputSpec};

pub struct OnnxModel {
    plan: Arc<TypedRunnableModel>,
    /// One run's state, kept between runs: a fresh one per run would set up every operator's
    /// state again. Locked per run; the detector runs one frame at a time.
    state: Mutex<TypedSimpleState>,
}

/// Where one run's time went, per kind of operator (tract's name for it), sorted by time.
#[derive(Clone, Debug, PartialEq)]
pub struct OpProfile {
    pub op: String,
    /// Nodes of this kind in the plan.
    pub nodes: usize,
    /// Mean time per run, over all nodes of this kind.
    pub per_run: Duration,
}

impl OnnxModel {
    /// Loads `path` with a fixed input shape from `input` and the named outputs, in order.
    pub fn load(path: &Path, input: &InputSpec, outputs: &[String]) -> Result<OnnxModel, VisionError> {
        OnnxModel::load_with(path, input, outputs, true)
    }

    /// [`OnnxModel::load`], with or without Visor's own operators (`crate::fast`) in the plan.
    fn load_with(path: &Path, input: &InputSpec, outputs: &[String], own_ops: bool) -> Result<OnnxModel, VisionError> {
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
            .and_then(|m| m.into_typed())
            .and_then(|m| m.into_decluttered())
            .and_then(|mut m| {
                if own_ops {
                    let replaced = crate::fast::rewrite(&mut m)?;
                    tracing::debug!(replaced, "nodes running on Visor's own operators");
                }
                m.into_optimized()
            })
            .and_then(|m| m.into_runnable())
            .map_err(bad)?;
        let state = Mutex::new(plan.spawn().map_err(bad)?);
        Ok(OnnxModel { plan, state })
    }

    /// Runs the model on one input tensor; outputs come back flattened, in the order asked for.
    pub fn run(&self, input: Tensor) -> Result<Vec<Vec<f32>>, VisionError> {
        let fail = |e: TractError| VisionError::Inference(format!("{e:#}"));
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let outputs = state.run(tvec!(input.into())).map_err(fail)?;
        drop(state);
        // A tract tensor is dense, in standard order: its slice is the flattened output.
        outputs.iter().map(|t| t.try_as_plain_ram().and_then(|v| Ok(v.as_slice::<f32>()?.to_vec())).map_err(fail)).collect()
    }
}

impl OnnxModel {
    /// Runs the model `runs` times on `input`, timing every operator: where inference time
    /// goes, by kind of operator, most first.
    pub fn profile(&self, input: &Tensor, runs: u32) -> Result<Vec<OpProfile>, VisionError> {
        let fail = |e: TractError| VisionError::Inference(format!("{e:#}"));
        let mut times: HashMap<usize, Duration> = HashMap::new();
        let mut state = self.plan.spawn().map_err(fail)?;
        for _ in 0..runs.max(1) {
            state
                .run_plan_with_eval(tvec!(input.clone().into()), |context, op_state, node, inputs| {
                    let started = Instant::now();
                    let outputs = tract_onnx::tract_core::plan::eval(context, op_state, node, inputs);
                    *times.entry(node.id).or_default() += started.elapsed();
                    outputs
                })
                .map_err(fail)?;
        }
        let mut by_op: HashMap<String, (usize, Duration)> = HashMap::new();
        for (id, time) in times {
            let entry = by_op.entry(self.plan.model().node(id).op().name().to_string()).or_default();
            entry.0 += 1;
            entry.1 += time;
        }
        let mut profile: Vec<OpProfile> =
            by_op.into_iter().map(|(op, (nodes, total))| OpProfile { op, nodes, per_run: total / runs.max(1) }).collect();
        profile.sort_by_key(|p| std::cmp::Reverse(p.per_run));
        Ok(profile)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DetectorConfig;

    /// Visor's own operators compute what tract's do: every raw output of the bundled model
    /// agrees, on a busy input, to float rounding (the sums run in another order).
    #[test]
    fn own_operators_match_tract() {
        let config = DetectorConfig::default();
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(&config.model);
        let outputs: Vec<String> = config.decoder.scores.iter().chain(&config.decoder.boxes).cloned().collect();
        let ours = OnnxModel::load_with(&path, &config.input, &outputs, true).unwrap();
        let tract = OnnxModel::load_with(&path, &config.input, &outputs, false).unwrap();
        let (w, h) = (config.input.width as usize, config.input.height as usize);
        let pixels: Vec<f32> = (0..w * h * 3).map(|i| ((i * 7919 % 2003) as f32 / 1001.5) - 1.0).collect();
        let input = Tensor::from_shape(&[1, h, w, 3], &pixels).unwrap();
        let (a, b) = (ours.run(input.clone()).unwrap(), tract.run(input).unwrap());
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
            assert!((x - y).abs() <= 1e-3 * (1.0 + y.abs()), "{x} vs {y}");
        }
    }
}
