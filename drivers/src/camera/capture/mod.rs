//! Capture devices: the small trait a live camera is read through, so the same
//! [`LiveCamera`](super::LiveCamera) logic runs over a real V4L2 camera and over a scripted fake.
//!
//! A device is opened with a [`CaptureRequest`] (index, size, rate, pixel format), reports the
//! [`CaptureMode`] it granted, and hands out each frame's bytes as the camera sent them (MJPEG or
//! YUYV); [`convert::to_rgba`] turns them into RGBA8, once per frame, on the capture thread.
//!
//! Layout:
//! - `convert`: MJPEG and YUYV bytes to RGBA8.
//! - `v4l` (feature `v4l`): [`NokhwaDevice`], a V4L2 camera through nokhwa.
//! - `fake` (tests): `FakeDevice`, replaying recorded JPEG frames on a script.

pub mod convert;
#[cfg(test)]
pub(crate) mod fake;
#[cfg(feature = "v4l")]
mod v4l;

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use visor_types::profile::{LiveConfig, PixelFormat};

use super::CameraError;

#[cfg(feature = "v4l")]
pub use v4l::NokhwaDevice;

/// A camera that frames can be read from, one at a time, on the capture thread.
///
/// Not `Send`: a device lives and dies on the thread that made it (nokhwa's camera holds raw
/// V4L2 buffers), which is why [`LiveCamera::start`](super::LiveCamera::start) takes a function
/// that makes the device rather than the device itself.
pub trait CaptureDevice {
    /// Opens (or reopens, after a failure) the device, negotiating the offered mode closest to
    /// `request`.
    fn open(&mut self, request: &CaptureRequest) -> Result<CaptureMode, CameraError>;
    /// The next frame's bytes in the granted mode's encoding, blocking until it arrives or
    /// `timeout` passes (a backend that cannot time out documents so). An error means the
    /// stream is gone; the caller closes and reopens.
    fn read_frame(&mut self, timeout: Duration) -> Result<Cow<'_, [u8]>, CameraError>;
    /// The mode granted by the last successful `open`, while open.
    fn mode(&self) -> Option<CaptureMode>;
    /// Stops the stream and releases the device, so another program (or a reopen) can have it.
    fn close(&mut self);
    /// A name for logs: the device's own name and path once open, else its path.
    fn describe(&self) -> String;
}

/// What a live camera is asked for.
#[derive(Clone, Debug, PartialEq)]
pub struct CaptureRequest {
    /// The `N` of `/dev/videoN`.
    pub device: u32,
    pub width: u32,
    pub height: u32,
    pub fps: f32,
    pub format: PixelFormat,
}

impl CaptureRequest {
    pub fn device_path(&self) -> String {
        format!("/dev/video{}", self.device)
    }
}

impl From<&LiveConfig> for CaptureRequest {
    fn from(live: &LiveConfig) -> Self {
        CaptureRequest { device: live.device, width: live.width, height: live.height, fps: live.fps, format: live.format }
    }
}

impl fmt::Display for CaptureRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{} {} @ {} fps", self.width, self.height, self.format, self.fps)
    }
}

/// How frame bytes are encoded; only encodings [`convert::to_rgba`] decodes are ever granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Mjpeg,
    Yuyv,
}

/// A mode a camera offers or granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CaptureMode {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub encoding: Encoding,
}

impl fmt::Display for CaptureMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let encoding = match self.encoding {
            Encoding::Mjpeg => "mjpeg",
            Encoding::Yuyv => "yuyv",
        };
        write!(f, "{}x{} {encoding} @ {} fps", self.width, self.height, self.fps)
    }
}

/// The offered mode closest to `request`: of the asked-for encoding (either, for `any`), the
/// nearest size, then the nearest rate, then MJPEG (it leaves USB bandwidth for larger sizes).
pub fn choose_mode(offered: &[CaptureMode], request: &CaptureRequest) -> Option<CaptureMode> {
    let wanted = |e: Encoding| match request.format {
        PixelFormat::Mjpeg => e == Encoding::Mjpeg,
        PixelFormat::Yuyv => e == Encoding::Yuyv,
        PixelFormat::Any => true,
    };
    offered.iter().filter(|m| wanted(m.encoding)).copied().min_by_key(|m| {
        let dw = i64::from(m.width) - i64::from(request.width);
        let dh = i64::from(m.height) - i64::from(request.height);
        let dfps = ((m.fps as f32 - request.fps).abs() * 1000.0) as u64;
        (dw * dw + dh * dh, dfps, m.encoding != Encoding::Mjpeg)
    })
}

/// The `/dev/video*` nodes present now, sorted, for "no camera at …" messages.
pub fn video_devices() -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir("/dev")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str().filter(|n| n.starts_with("video")).map(|n| format!("/dev/{n}")))
        .collect();
    found.sort();
    found
}

/// The machine's camera driver: V4L2 through nokhwa, or, in a build without the `v4l`
/// feature, a device that always says so (so a live profile still serves its fallback).
pub fn system_device() -> Box<dyn CaptureDevice> {
    #[cfg(feature = "v4l")]
    return Box::new(NokhwaDevice::new());
    #[cfg(not(feature = "v4l"))]
    return Box::new(NoLiveSupport { device: None });
}

#[cfg(not(feature = "v4l"))]
struct NoLiveSupport {
    device: Option<String>,
}

#[cfg(not(feature = "v4l"))]
impl CaptureDevice for NoLiveSupport {
    fn open(&mut self, request: &CaptureRequest) -> Result<CaptureMode, CameraError> {
        self.device = Some(request.device_path());
        Err(CameraError::LiveUnsupported { device: request.device_path() })
    }

    fn read_frame(&mut self, _timeout: Duration) -> Result<Cow<'_, [u8]>, CameraError> {
        Err(CameraError::LiveUnsupported { device: self.describe() })
    }

    fn mode(&self) -> Option<CaptureMode> {
        None
    }

    fn close(&mut self) {}

    fn describe(&self) -> String {
        self.device.clone().unwrap_or_else(|| "/dev/video?".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(width: u32, height: u32, fps: u32, encoding: Encoding) -> CaptureMode {
        CaptureMode { width, height, fps, encoding }
    }

    #[test]
    fn the_closest_mode_of_the_asked_encoding_wins() {
        let offered = [
            mode(640, 480, 30, Encoding::Yuyv),
            mode(1280, 720, 30, Encoding::Yuyv),
            mode(640, 480, 30, Encoding::Mjpeg),
            mode(640, 480, 60, Encoding::Mjpeg),
            mode(1920, 1080, 30, Encoding::Mjpeg),
        ];
        let ask = |width, height, fps, format| CaptureRequest { device: 0, width, height, fps, format };
        assert_eq!(choose_mode(&offered, &ask(640, 480, 30.0, PixelFormat::Yuyv)), Some(offered[0]));
        assert_eq!(choose_mode(&offered, &ask(1200, 700, 30.0, PixelFormat::Yuyv)), Some(offered[1]));
        // Same size for both encodings: the nearer rate first, then MJPEG on a tie.
        assert_eq!(choose_mode(&offered, &ask(640, 480, 55.0, PixelFormat::Any)), Some(offered[3]));
        assert_eq!(choose_mode(&offered, &ask(640, 480, 30.0, PixelFormat::Any)), Some(offered[2]));
        assert_eq!(choose_mode(&offered, &ask(1920, 1080, 30.0, PixelFormat::Mjpeg)), Some(offered[4]));
        assert_eq!(choose_mode(&offered[..2], &ask(640, 480, 30.0, PixelFormat::Mjpeg)), None);
    }
}
