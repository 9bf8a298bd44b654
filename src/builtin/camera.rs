//! The `camera` driver module: the device profile's camera source on the bus.
//!
//! Every new frame goes out once on `camera/frames` as a shared [`FrameHandle`] (the pixels are
//! not copied per subscriber); a stereo camera's right image of it on `camera/right`, a depth
//! camera's 16-bit depth on `camera/depth/z16`, each with the picture's sequence (the `depth` module
//! turns them into `camera/depth`). The stream's description and lens go out on `camera/info` when
//! it starts or changes and once a second besides, so modules that start late learn them
//! quickly. Changes of state — a live camera lost, busy, back — go out on `camera/status` and
//! to the log; the source meanwhile serves its fallback, so the shell never loses its picture.
//! A request on `camera/describe` is answered at once with the current `camera/info`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use visor_drivers::camera::CameraEvent;
use visor_runtime::bus::{BusError, FrameHandle, Overflow, Payload, QueueOptions, Topic};
use visor_runtime::native::{NativeContext, NativeError, NativeModule};
use visor_types::CameraInfo;
use visor_types::clock::SharedClock;
use visor_types::profile::CameraConfig;

pub const FRAMES: &str = "camera/frames";
/// A stereo camera's right image of each picture, with the picture's sequence.
pub const RIGHT: &str = "camera/right";
/// A depth camera's 16-bit depth (`Z16`, millimetres) of each picture, with its sequence;
/// under `camera/depth`, so only modules granted the depth device see it.
pub const Z16: &str = "camera/depth/z16";
pub const INFO: &str = "camera/info";
pub const STATUS: &str = "camera/status";
/// Requests here are answered with the current [`CameraInfo`], for modules that start between
/// two `camera/info` messages.
pub const DESCRIBE: &str = "camera/describe";

/// How often the source is asked for a newer frame: well under any camera's frame period.
const POLL: Duration = Duration::from_millis(3);
const INFO_EVERY: Duration = Duration::from_secs(1);

pub struct CameraModule {
    pub config: CameraConfig,
    /// The data folder: a relative replay folder in the profile is found there.
    pub data: PathBuf,
    pub clock: SharedClock,
}

#[derive(serde::Serialize)]
struct Status<'a> {
    event: &'a str,
    message: String,
}

impl NativeModule for CameraModule {
    fn run(&mut self, ctx: &NativeContext) -> Result<(), NativeError> {
        let fail = |e: BusError| NativeError::new(&ctx.name, e.to_string());
        let topic = |name: &str| Topic::new(name).expect("a valid topic");
        let (frames, info_topic, status) = (topic(FRAMES), topic(INFO), topic(STATUS));
        let (right_topic, z16_topic) = (topic(RIGHT), topic(Z16));
        let mut source = visor_drivers::camera::open(&self.config, &self.data, self.clock.clone())
            .map_err(|e| NativeError::new(&ctx.name, e.to_string()))?;
        let mut last: Option<Arc<[u8]>> = None;
        let mut info: Option<(CameraInfo, Instant)> = None;
        let mut last_error = String::new();
        let mut live = false;
        let pattern = visor_runtime::bus::TopicPattern::new(DESCRIBE).expect("a valid pattern");
        let asks = ctx.endpoint.subscribe(pattern, QueueOptions { capacity: 16, policy: Overflow::DropOldest }).map_err(fail)?;
        while ctx.sleep(POLL) {
            while let Some(ask) = asks.try_recv() {
                if let Some((current, _)) = &info
                    && let Err(e) = ctx.endpoint.reply(&ask, Payload::json(current).map_err(fail)?)
                {
                    // The asker gave up, or something answered first: the asker's problem, not
                    // the camera's. Counting it as a crash would let any asker stop the camera.
                    tracing::debug!(module = %ctx.name, "a camera/describe request went unanswered: {e}");
                }
            }
            for event in source.take_events() {
                let name = match &event {
                    CameraEvent::Connected { .. } => "connected",
                    CameraEvent::Unavailable { .. } => "unavailable",
                    CameraEvent::Lost { .. } => "lost",
                    CameraEvent::Reconnected { .. } => "reconnected",
                };
                live = matches!(event, CameraEvent::Connected { .. } | CameraEvent::Reconnected { .. });
                let message = event.to_string();
                tracing::info!(module = %ctx.name, event = name, "{message}");
                ctx.endpoint.publish(&status, Payload::json(&Status { event: name, message }).map_err(fail)?).map_err(fail)?;
            }
            let frame = match source.frame_at(self.clock.now_ns()) {
                Ok(frame) => frame,
                Err(e) => {
                    let message = e.to_string();
                    if message != last_error {
                        tracing::error!(module = %ctx.name, "camera: {message}");
                        ctx.endpoint
                            .publish(&status, Payload::json(&Status { event: "error", message: message.clone() }).map_err(fail)?)
                            .map_err(fail)?;
                        last_error = message;
                    }
                    continue;
                }
            };
            last_error.clear();
            if last.as_ref().is_some_and(|p| Arc::ptr_eq(p, &frame.pixels)) {
                continue;
            }
            let now = CameraInfo {
                source: source.describe(),
                width: frame.width,
                height: frame.height,
                intrinsics: source.intrinsics(),
                live,
                stereo: source.stereo(),
            };
            if info.as_ref().is_none_or(|(old, at)| *old != now || at.elapsed() >= INFO_EVERY) {
                ctx.endpoint.publish(&info_topic, Payload::json(&now).map_err(fail)?).map_err(fail)?;
                info = Some((now, Instant::now()));
            }
            // The companions first: whoever pairs them with the picture has them when it comes.
            let companions = source.companions(&frame);
            if let Some(right) = companions.right {
                let right = visor_types::CameraFrame { pixels: right, ..frame.clone() };
                ctx.endpoint.publish(&right_topic, Payload::Frame(FrameHandle::from_camera(&right).map_err(fail)?)).map_err(fail)?;
            }
            if let Some(depth) = companions.depth_mm {
                let handle = FrameHandle::from_z16(frame.width, frame.height, &depth, frame.timestamp_ns, frame.sequence).map_err(fail)?;
                ctx.endpoint.publish(&z16_topic, Payload::Frame(handle)).map_err(fail)?;
            }
            let handle = FrameHandle::from_camera(&frame).map_err(fail)?;
            ctx.endpoint.publish(&frames, Payload::Frame(handle)).map_err(fail)?;
            last = Some(frame.pixels);
        }
        Ok(())
    }
}
