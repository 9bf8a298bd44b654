//! The `vision` library module: faces in camera frames, published on `vision/faces`.
//!
//! It subscribes to `camera/frames` with a queue of one that drops the oldest frame, so it
//! always works on the newest frame and never holds the camera or the compositor back: when
//! inference is slower than the camera, frames it could not get to are skipped (and counted).
//! Each result carries the frame's sequence and capture timestamp, so an app can tell how old
//! it is, and — once the camera has said what its lens is (asked on `camera/describe`, and on
//! `camera/info`) — each face's
//! estimated position in the camera's frame.
//!
//! A frame the detector cannot read is logged and skipped; a model that cannot be loaded fails
//! the module's start with the loader's message (which names the file and the setting).

use std::str::FromStr;
use std::time::{Duration, Instant};

use visor_runtime::bus::{BusError, Overflow, Payload, QueueOptions, Topic, TopicPattern};
use visor_runtime::manifest::Manifest;
use visor_runtime::native::{NativeContext, NativeError, NativeModule};
use visor_types::CameraInfo;
use visor_vision::{Detections, Detector, DetectorConfig, ImageView};

pub const FRAMES: &str = "camera/frames";
pub const INFO: &str = "camera/info";
pub const FACES: &str = "vision/faces";
pub const DESCRIBE: &str = super::camera::DESCRIBE;

pub struct VisionModule {
    detector: Detector,
}

impl VisionModule {
    /// Loads the detector the manifest's `[settings]` describe; model paths are relative to `base`.
    pub fn from_manifest(manifest: &Manifest, base: &std::path::Path) -> Result<VisionModule, NativeError> {
        let fail = |e: visor_vision::VisionError| NativeError::new(&manifest.name, e.to_string());
        let config = DetectorConfig::from_toml(&manifest.settings).map_err(fail)?;
        let detector = Detector::load(config, base).map_err(fail)?;
        Ok(VisionModule { detector })
    }
}

impl NativeModule for VisionModule {
    fn run(&mut self, ctx: &NativeContext) -> Result<(), NativeError> {
        let fail = |e: BusError| NativeError::new(&ctx.name, e.to_string());
        let newest = QueueOptions { capacity: 1, policy: Overflow::DropOldest };
        let frames = ctx.endpoint.subscribe(pattern(FRAMES), newest).map_err(fail)?;
        let info = ctx.endpoint.subscribe(pattern(INFO), QueueOptions { capacity: 4, policy: Overflow::DropOldest }).map_err(fail)?;
        let faces_topic = Topic::new(FACES).expect("a valid topic");
        let describe = Topic::new(DESCRIBE).expect("a valid topic");
        let mut camera: Option<CameraInfo> = None;
        let mut asked: Option<Instant> = None;
        let mut skipped_reported = 0;
        while !ctx.should_stop() {
            // Ask the camera for its lens rather than wait up to a second for `camera/info`.
            if camera.is_none() && asked.is_none_or(|at| at.elapsed() > Duration::from_secs(1)) {
                asked = Some(Instant::now());
                match ctx.endpoint.request(&describe, Payload::Empty, Duration::from_millis(200)) {
                    Ok(reply) => camera = reply.payload.decode().ok(),
                    Err(e) => tracing::debug!(module = %ctx.name, "camera/describe: {e}"),
                }
            }
            let message = match frames.recv_timeout(Duration::from_millis(50)) {
                Ok(message) => message,
                Err(BusError::RecvTimeout { .. }) => continue,
                Err(e) => return Err(fail(e)),
            };
            for m in info.drain() {
                match m.payload.decode::<CameraInfo>() {
                    Ok(new) => camera = Some(new),
                    Err(e) => tracing::warn!(module = %ctx.name, "ignoring a camera/info message: {e}"),
                }
            }
            let Some(frame) = message.payload.as_frame() else {
                tracing::warn!(module = %ctx.name, kind = message.payload.kind(), "camera/frames carried no frame; skipped");
                continue;
            };
            let view = ImageView { width: frame.width(), height: frame.height(), stride: frame.stride(), rgba: frame.pixels() };
            let started = Instant::now();
            let mut faces = match self.detector.detect(view) {
                Ok(faces) => faces,
                Err(e) => {
                    tracing::warn!(module = %ctx.name, frame = frame.sequence(), "frame skipped: {e}");
                    continue;
                }
            };
            let inference_us = started.elapsed().as_micros() as u64;
            if let Some(info) = &camera {
                let lens = info.intrinsics.scaled((info.width, info.height), (frame.width(), frame.height()));
                faces.iter_mut().for_each(|f| f.locate(lens, frame.width(), frame.height()));
            }
            let result = Detections {
                frame_sequence: frame.sequence(),
                frame_timestamp_ns: frame.timestamp_ns(),
                frame_width: frame.width(),
                frame_height: frame.height(),
                inference_us,
                model: self.detector.model_name().to_string(),
                faces,
            };
            ctx.endpoint.publish(&faces_topic, Payload::json(&result).map_err(fail)?).map_err(fail)?;
            let skipped = frames.dropped();
            if skipped >= skipped_reported + 100 {
                tracing::debug!(module = %ctx.name, skipped, "camera frames skipped while inferring");
                skipped_reported = skipped;
            }
        }
        Ok(())
    }
}

fn pattern(text: &str) -> TopicPattern {
    TopicPattern::from_str(text).expect("a valid pattern")
}
