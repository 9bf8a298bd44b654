//! Camera sources: something that, asked for the time, returns the newest camera frame.
//!
//! Frames leave as [`CameraFrame`]s (RGBA8, sRGB, pixels in an `Arc<[u8]>`); time enters as a
//! monotonic `now_ns` from the caller, so `frame_at` never blocks. Each source decides which
//! frame is current; asking twice before a new one exists returns the same pixels (the same
//! `Arc`), so consumers can skip unchanged frames with a pointer compare. Every source also
//! states its pinhole [`CameraIntrinsics`], in pixels of the frames it hands out, so vision
//! and passthrough agree on where things are. A stereo or depth camera hands out its right
//! image or 16-bit depth beside each picture ([`Companions`]): a recorded session that holds
//! them does today; a live V4L2 device whose `Z16` stream nokhwa can open would take this path.
//!
//! [`open`] builds the source a device profile's `[camera]` section names: a synthetic
//! pattern, a replayed session or image folder, or a live V4L2 camera with one of those as its
//! fallback.
//!
//! Layout:
//! - `error`: [`CameraError`].
//! - `timing`: frame index from time and back, for sources with a fixed rate.
//! - `synthetic`: [`SyntheticCamera`], an animated test pattern.
//! - `replay`: [`ReplayCamera`], a looping session (by its timestamps) or image folder.
//! - `side_by_side`: [`SideBySide`], a stereo camera's two eyes in one frame, split.
//! - `capture/`: the [`CaptureDevice`] trait, MJPEG/YUYV conversion, nokhwa's V4L2 device.
//! - `live/`: [`LiveCamera`], a capture thread plus a fallback, and [`CameraEvent`]s.

pub mod capture;
mod error;
mod live;
mod replay;
mod side_by_side;
mod synthetic;
mod timing;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use visor_types::camera::StereoGeometry;
use visor_types::clock::SharedClock;
use visor_types::profile::{CameraConfig, LensConfig, LiveConfig, SourceConfig};
use visor_types::{CameraFrame, CameraIntrinsics};

pub use capture::{CaptureDevice, CaptureMode, CaptureRequest};
pub use error::CameraError;
pub use live::{CameraEvent, LiveCamera, LiveOptions};
pub use replay::ReplayCamera;
pub use side_by_side::SideBySide;
pub use synthetic::SyntheticCamera;

/// Largest side of a synthetic frame, matching the device-profile validation.
pub const MAX_SIDE: u32 = 8192;

pub trait CameraSource: Send {
    /// A short name for logs ("synthetic 640x480", "replay assets/camera/street (8 frames)").
    fn describe(&self) -> String;
    /// The newest frame for monotonic time `now_ns` (the source decides which frame that is;
    /// it never blocks).
    fn frame_at(&mut self, now_ns: u64) -> Result<CameraFrame, CameraError>;
    /// Pinhole intrinsics in pixels of the frames `frame_at` returns (of the last one, for a
    /// source whose stream can change).
    fn intrinsics(&self) -> CameraIntrinsics;
    /// Changes of state since the last call (a live camera lost or back); most sources have
    /// none.
    fn take_events(&mut self) -> Vec<CameraEvent> {
        Vec::new()
    }
    /// A stereo camera's geometry, when [`CameraSource::companions`] carries right images.
    fn stereo(&self) -> Option<StereoGeometry> {
        None
    }
    /// What came with `frame` (one `frame_at` returned) beside its picture; most sources
    /// have nothing.
    fn companions(&self, _frame: &CameraFrame) -> Companions {
        Companions::default()
    }
}

/// What a camera delivers beside its picture, at the picture's size.
#[derive(Clone, Debug, Default)]
pub struct Companions {
    /// The right image of a rectified stereo pair (RGBA8, like the picture).
    pub right: Option<Arc<[u8]>>,
    /// A depth camera's 16-bit depth (the V4L2 `Z16` format: millimetres, 0 unknown), row-major.
    pub depth_mm: Option<Arc<[u16]>>,
}

/// Builds the camera source a device profile's `[camera]` section describes. A relative replay
/// folder is resolved against `data_root` (Visor's data folder), so profiles stay portable
/// between installs; a live camera stamps frames with `clock`, the clock callers take `now_ns`
/// from.
pub fn open(config: &CameraConfig, data_root: &Path, clock: SharedClock) -> Result<Box<dyn CameraSource>, CameraError> {
    let source: Box<dyn CameraSource> = match &config.source {
        SourceConfig::Synthetic { width, height, fps } => Box::new(SyntheticCamera::new(*width, *height, *fps)?.with_lens(&config.lens)),
        SourceConfig::Replay { folder, fps } => Box::new(ReplayCamera::open(&resolve(folder, data_root), *fps)?.with_lens(&config.lens)),
        SourceConfig::Live(live) => Box::new(open_live(live, &config.lens, data_root, clock)?),
    };
    let source = match config.stereo {
        Some(stereo) => {
            let nominal = match &config.source {
                SourceConfig::Live(live) => Some((live.width, live.height)),
                _ => None,
            };
            let geometry = StereoGeometry { baseline_mm: stereo.baseline_mm, doffs_px: stereo.doffs_px };
            Box::new(SideBySide::new(source, config.lens, nominal, geometry))
        }
        None => source,
    };
    tracing::info!(camera = %source.describe(), "camera source opened");
    Ok(source)
}

/// A live camera on the machine's V4L2 driver with its profile's fallback. Fails only if the
/// fallback cannot be built; a missing camera is the fallback's job.
pub fn open_live(live: &LiveConfig, lens: &LensConfig, data_root: &Path, clock: SharedClock) -> Result<LiveCamera, CameraError> {
    let fallback = open(
        &CameraConfig { source: live.fallback(), lens: *lens, mount: Default::default(), passthrough: Default::default(), stereo: None },
        data_root,
        clock.clone(),
    )?;
    let options = LiveOptions::with_retry(std::time::Duration::from_millis(live.retry_ms));
    Ok(LiveCamera::start(capture::system_device, CaptureRequest::from(live), *lens, fallback, clock, options))
}

fn resolve(folder: &Path, data_root: &Path) -> PathBuf {
    if folder.is_absolute() { folder.to_path_buf() } else { data_root.join(folder) }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use visor_types::clock::MonotonicClock;
    use visor_types::profile::PixelFormat;

    use super::*;

    fn data_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn open_builds_a_synthetic_source_from_a_profile() {
        let config = SourceConfig::Synthetic { width: 64, height: 48, fps: 30.0 }.into();
        let mut camera = open(&config, &data_root(), MonotonicClock::shared()).unwrap();
        assert_eq!(camera.describe(), "synthetic 64x48 @ 30 fps");
        let frame = camera.frame_at(0).unwrap();
        assert_eq!((frame.width, frame.height, frame.pixels.len()), (64, 48, 64 * 48 * 4));
        assert_eq!(camera.intrinsics(), CameraIntrinsics::from_hfov(64, 48, 60.0), "60 degrees unless told");
    }

    #[test]
    fn open_resolves_a_relative_replay_folder_against_the_data_root() {
        let config = CameraConfig {
            source: SourceConfig::Replay { folder: "assets/camera/desk".into(), fps: 8.0 },
            lens: LensConfig { intrinsics: None, hfov_deg: Some(90.0) },
            mount: Default::default(),
            passthrough: Default::default(),
            stereo: None,
        };
        let mut camera = open(&config, &data_root(), MonotonicClock::shared()).unwrap();
        assert!(camera.describe().contains("(8 frames)"), "{}", camera.describe());
        let frame = camera.frame_at(0).unwrap();
        assert_eq!((frame.width, frame.height), (320, 240));
        assert_eq!(camera.intrinsics().fx, 160.0, "90 degrees across 320 pixels");
    }

    #[test]
    fn open_reports_a_missing_replay_folder_by_name() {
        let config = SourceConfig::Replay { folder: "assets/camera/no-such-clip".into(), fps: 8.0 }.into();
        let err = open(&config, &data_root(), MonotonicClock::shared()).err().expect("a missing folder must fail");
        assert!(matches!(err, CameraError::ReadFolder { .. }), "{err}");
        assert!(err.to_string().contains("no-such-clip"), "{err}");
    }

    #[test]
    fn a_live_profile_without_a_camera_serves_its_fallback_and_says_why() {
        // /dev/video99 exists nowhere, so this runs the real driver's failure path.
        let live = LiveConfig {
            device: 99,
            width: 320,
            height: 240,
            fps: 30.0,
            format: PixelFormat::Mjpeg,
            retry_ms: 10,
            fallback: Some(Box::new(SourceConfig::Replay { folder: "assets/camera/desk".into(), fps: 8.0 })),
        };
        let config = CameraConfig {
            source: SourceConfig::Live(live.clone()),
            lens: LensConfig::default(),
            mount: Default::default(),
            passthrough: Default::default(),
            stereo: None,
        };
        let mut camera = open(&config, &data_root(), MonotonicClock::shared()).unwrap();
        assert!(camera.describe().starts_with("live /dev/video99 320x240 mjpeg @ 30 fps"), "{}", camera.describe());
        let frame = camera.frame_at(0).unwrap();
        assert_eq!((frame.width, frame.height), (320, 240), "the desk clip stands in");

        let direct = open_live(&live, &LensConfig::default(), &data_root(), MonotonicClock::shared()).unwrap();
        let reason = direct.wait_for_device(Duration::from_secs(10)).unwrap_err();
        assert!(reason.contains("/dev/video99"), "{reason}");
        assert!(!direct.is_live());
        let mut events = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while events.is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
            events = camera.take_events();
        }
        // Several retries later, still the one event.
        std::thread::sleep(Duration::from_millis(60));
        events.extend(camera.take_events());
        assert_eq!(events.len(), 1, "one event per change of state, not per retry: {events:?}");
        assert!(matches!(&events[0], CameraEvent::Unavailable { reason } if reason.contains("/dev/video99")), "{events:?}");
    }
}
