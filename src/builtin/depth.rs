//! The `depth` driver module: the real world's metric depth on `camera/depth`, one
//! [`DepthFrame`] per camera picture (with its sequence), as a shared frame in the
//! `DepthConfidence` layout (millimetres and confidence per pixel), from the profile's
//! `[depth]` source:
//!
//! - `stereo`: the camera's picture and its right image (`camera/frames`, `camera/right`, paired
//!   by sequence) through `visor-depth`'s semi-global matcher, with the rig from `camera/info`.
//!   A pair whose pixels did not change (a still, a looping clip) is not matched again.
//!   Matching runs on the GPU where an adapter opens (its own device) and on the CPU otherwise,
//!   or where the profile's `matcher` says; both give the same disparities. On the reference
//!   machine (2 cores, lavapipe) a 741x500 pair takes about 0.6 s either way, and the depth
//!   lags the picture by that much.
//! - `camera`: a depth camera's `Z16` frames (`camera/depth/z16`), passed on with full
//!   confidence where known.
//! - `synthetic`: a scene made up from known geometry — a wall and a box swinging in front of
//!   it — at the camera's size and lens, labelled "synthetic" in the log and in
//!   `camera/depth/info`.
//!
//! Whatever the source, `camera/depth/info` says what it is (JSON, when it starts or changes).
//! A bad input (a pair of two sizes, a camera without stereo geometry) is logged once and
//! skipped; the module keeps serving.

use std::collections::VecDeque;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use visor_depth::{Gray, Matcher, StereoParams, StereoRig};
use visor_runtime::bus::{BusError, FrameHandle, Overflow, Payload, QueueOptions, Topic, TopicPattern};
use visor_runtime::native::{NativeContext, NativeError, NativeModule};
use visor_types::profile::DepthConfig;
use visor_types::{CameraInfo, DepthFrame};

pub const DEPTH: &str = "camera/depth";
pub const INFO: &str = "camera/depth/info";

/// Right images kept while their pictures are on the way.
const PENDING_RIGHT: usize = 4;
/// Matched pairs remembered by their pixels: a looping clip's frames are matched once each.
const REMEMBERED: usize = 4;

pub struct DepthModule {
    pub config: DepthConfig,
}

/// What `camera/depth/info` says.
#[derive(serde::Serialize, Debug, PartialEq)]
struct Info {
    source: String,
    /// False for a synthesized scene.
    measured: bool,
    /// Milliseconds the last frame took to produce.
    last_ms: f64,
}

/// A matched pair's pixels and its depth, to reuse while they do not change.
struct Matched {
    left: Arc<[u8]>,
    right: Arc<[u8]>,
    depth: DepthFrame,
}

impl NativeModule for DepthModule {
    fn run(&mut self, ctx: &NativeContext) -> Result<(), NativeError> {
        let fail = |e: BusError| NativeError::new(&ctx.name, e.to_string());
        let queue = |capacity| QueueOptions { capacity, policy: Overflow::DropOldest };
        let pattern = |name: &str| TopicPattern::from_str(name).expect("a valid pattern");
        let frames = ctx.endpoint.subscribe(pattern(super::camera::FRAMES), queue(1)).map_err(fail)?;
        let rights = ctx.endpoint.subscribe(pattern(super::camera::RIGHT), queue(PENDING_RIGHT)).map_err(fail)?;
        let z16 = ctx.endpoint.subscribe(pattern(super::camera::Z16), queue(1)).map_err(fail)?;
        let info = ctx.endpoint.subscribe(pattern(super::camera::INFO), queue(4)).map_err(fail)?;
        let (depth_topic, info_topic) = (Topic::new(DEPTH).expect("a valid topic"), Topic::new(INFO).expect("a valid topic"));
        let mut camera: Option<CameraInfo> = None;
        let mut pending: VecDeque<FrameHandle> = VecDeque::new();
        let mut matched: VecDeque<Matched> = VecDeque::new();
        // Opened with the first pair, so a profile without stereo never opens an adapter.
        let mut matcher: Option<Matcher> = None;
        let mut said: Option<Info> = None;
        let mut complaint = String::new();
        tracing::info!(module = %ctx.name, source = ?self.config, "depth source");
        while !ctx.should_stop() {
            let started = Instant::now();
            let produced = match self.config {
                DepthConfig::Camera => match z16.recv_timeout(Duration::from_millis(50)) {
                    Ok(m) => Ok(m.payload.as_frame().and_then(FrameHandle::to_depth).map(|d| (d, "depth camera (Z16)".to_string()))),
                    Err(BusError::RecvTimeout { .. }) => continue,
                    Err(e) => return Err(fail(e)),
                },
                DepthConfig::Stereo { max_disparity, matcher: choice } => {
                    let Some(left) = next_frame(&frames).map_err(fail)? else { continue };
                    take_info(&info, &mut camera);
                    // The camera sends the right image before its picture: it is queued by now.
                    for m in rights.drain() {
                        pending.extend(m.payload.as_frame().cloned());
                        if pending.len() > PENDING_RIGHT {
                            pending.pop_front();
                        }
                    }
                    let params = StereoParams { max_disparity, ..StereoParams::default() };
                    let matcher = match &matcher {
                        Some(m) => m,
                        None => matcher.insert(Matcher::open(choice).map_err(|e| NativeError::new(&ctx.name, e.to_string()))?),
                    };
                    let source = format!("stereo on {}", matcher.describe());
                    stereo(matcher, &left, &mut pending, camera.as_ref(), &params, &mut matched).map(|d| d.map(|d| (d, source)))
                }
                DepthConfig::Synthetic { wall_m } => {
                    let Some(left) = next_frame(&frames).map_err(fail)? else { continue };
                    take_info(&info, &mut camera);
                    Ok(camera
                        .as_ref()
                        .map(|c| (synthetic(c, wall_m, &left), format!("synthetic: a wall at {wall_m} m and a swinging box"))))
                }
            };
            let (depth, source) = match produced {
                Ok(Some(found)) => found,
                Ok(None) => continue,
                Err(message) => {
                    if message != complaint {
                        tracing::warn!(module = %ctx.name, "no depth: {message}");
                        complaint = message;
                    }
                    continue;
                }
            };
            complaint.clear();
            let now = Info {
                measured: !matches!(self.config, DepthConfig::Synthetic { .. }),
                source,
                last_ms: started.elapsed().as_secs_f64() * 1e3,
            };
            if said.as_ref().is_none_or(|s| s.source != now.source) {
                tracing::info!(module = %ctx.name, source = %now.source, measured = now.measured, ms = now.last_ms, "depth frames");
                ctx.endpoint.publish(&info_topic, Payload::json(&now).map_err(fail)?).map_err(fail)?;
                said = Some(now);
            }
            ctx.endpoint.publish(&depth_topic, Payload::Frame(FrameHandle::from_depth(&depth).map_err(fail)?)).map_err(fail)?;
        }
        Ok(())
    }
}

/// The camera's newest description, if it sent one (it does before its first picture).
fn take_info(info: &visor_runtime::bus::Subscription, camera: &mut Option<CameraInfo>) {
    if let Some(new) = info.drain().filter_map(|m| m.payload.decode::<CameraInfo>().ok()).last() {
        *camera = Some(new);
    }
}

/// The newest picture, waiting a little for one.
fn next_frame(frames: &visor_runtime::bus::Subscription) -> Result<Option<FrameHandle>, BusError> {
    match frames.recv_timeout(Duration::from_millis(50)) {
        Ok(m) => Ok(m.payload.as_frame().cloned()),
        Err(BusError::RecvTimeout { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The depth of `left` from its right image among `pending`; `Ok(None)` while the right image
/// has not come, `Err` for a pair that cannot be matched (said once by the caller).
fn stereo(
    matcher: &Matcher,
    left: &FrameHandle,
    pending: &mut VecDeque<FrameHandle>,
    camera: Option<&CameraInfo>,
    params: &StereoParams,
    matched: &mut VecDeque<Matched>,
) -> Result<Option<DepthFrame>, String> {
    let Some(right) = pending.iter().find(|r| r.sequence() == left.sequence()).cloned() else { return Ok(None) };
    pending.retain(|r| r.sequence() > left.sequence());
    let camera = camera.ok_or("the camera has not said its lens yet (camera/info)")?;
    let stereo = camera.stereo.ok_or_else(|| format!("{} has no stereo geometry; use a stereo camera or session", camera.source))?;
    if (left.width(), left.height()) != (right.width(), right.height()) {
        return Err(format!("the right image is {}x{} but the picture {}x{}", right.width(), right.height(), left.width(), left.height()));
    }
    let stamp = |depth: &DepthFrame| DepthFrame { timestamp_ns: left.timestamp_ns(), sequence: left.sequence(), ..depth.clone() };
    // The same pixels (shared, or equal: a still clip decodes each listing anew) match alike.
    let same = |a: &Arc<[u8]>, b: &Arc<[u8]>| Arc::ptr_eq(a, b) || a[..] == b[..];
    if let Some(m) = matched.iter().find(|m| same(&m.left, left.pixels()) && same(&m.right, right.pixels())) {
        return Ok(Some(stamp(&m.depth)));
    }
    let rig = StereoRig::from_geometry(camera.intrinsics, stereo);
    rig.validate().map_err(|e| e.to_string())?;
    let gray = |f: &FrameHandle| Gray::from_interleaved(f.width(), f.height(), f.pixels(), 4);
    let disparity = matcher.match_pair(&gray(left), &gray(&right), params).map_err(|e| e.to_string())?;
    let depth = disparity.to_depth(&rig).into_frame(left.timestamp_ns(), left.sequence());
    matched.push_front(Matched { left: left.pixels().clone(), right: right.pixels().clone(), depth: depth.clone() });
    matched.truncate(REMEMBERED);
    Ok(Some(depth))
}

/// A made-up scene at the camera's size and lens: a wall `wall_m` along the axis and a box
/// (half a metre square, halfway to the wall) swinging side to side every four seconds.
fn synthetic(camera: &CameraInfo, wall_m: f32, frame: &FrameHandle) -> DepthFrame {
    let (w, h) = (frame.width(), frame.height());
    let k = camera.intrinsics.scaled((camera.width, camera.height), (w, h));
    let t = frame.timestamp_ns() as f64 / 1e9;
    let box_m = wall_m / 2.0;
    let box_x = 0.6 * (std::f64::consts::TAU * t / 4.0).sin() as f32;
    let millimetres: Vec<u16> = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .map(|(x, y)| {
            let (rx, ry) = ((x as f32 + 0.5 - k.cx) / k.fx, (y as f32 + 0.5 - k.cy) / k.fy);
            let on_box = (rx * box_m - box_x).abs() < 0.25 && (ry * box_m).abs() < 0.25;
            ((if on_box { box_m } else { wall_m }) * 1000.0).round() as u16
        })
        .collect();
    let confidence = vec![255u8; millimetres.len()];
    DepthFrame {
        width: w,
        height: h,
        millimetres: millimetres.into(),
        confidence: confidence.into(),
        timestamp_ns: frame.timestamp_ns(),
        sequence: frame.sequence(),
    }
}
