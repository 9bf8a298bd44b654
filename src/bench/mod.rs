//! `visor bench SUITE`: Visor's figures as Markdown tables, each beside the floor it is held
//! against in the same run (a naive composite, bare wasmtime, raw crossbeam, onnxruntime).
//! Speed is measured here, never in timed tests: the machines are shared and noisy.
//!
//! Layout, one suite a module:
//! - `compositor`: the z-composite by layer count, and a whole frame with the sample apps.
//! - `depth`: stereo matching per frame, and the composite with the real world against without.
//! - `modules`: bus round trips and throughput, module starts, against crossbeam and wasmtime.
//! - `vision`: the face detector against onnxruntime, and the camera → vision pipeline.
//! - `install`: installing from an OCI registry on loopback, first and cached.
//! - `motion`: motion-to-photon inside the pipeline, headless and windowed.
//! - `pose`: the glasses' head pose on a recorded IMU stream: sample-to-pose latency and
//!   prediction error.
//! - `remote`: the bus across a Zenoh link on loopback, against the local bus and raw Zenoh.
//! - `dev`: `visor dev`'s save-to-new-pixels per language (build and upgrade apart).
//! - `report`: the tables every suite returns, printed as Markdown or JSON (`--json`).

pub mod compositor;
pub mod depth;
pub mod dev;
pub mod install;
pub mod modules;
pub mod motion;
pub mod pose;
pub mod remote;
pub mod report;
pub mod vision;

/// The `q` quantile of `samples` (sorting them): the sample at the nearest rank, NaN for none.
pub fn percentile(samples: &mut [f64], q: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    samples.sort_by(f64::total_cmp);
    samples[((samples.len() - 1) as f64 * q.clamp(0.0, 1.0)).round() as usize]
}
