//! [`NokhwaDevice`]: a V4L2 camera through nokhwa 0.10 (its `input-v4l` backend only).
//!
//! nokhwa is used for what it does well — opening `/dev/videoN`, listing and setting modes,
//! streaming mmap buffers — and nothing else: frames leave as raw MJPEG/YUYV bytes and are
//! decoded by [`super::convert`], and the mode is chosen by [`super::choose_mode`] (nokhwa's
//! `Closest` request gives up when the exact size is not offered).
//!
//! nokhwa reports failures as strings; [`open_error`] sorts them into the `CameraError`
//! variants the live camera reacts to by the errno text V4L2 puts in them. Its frame read
//! cannot time out (it blocks in `VIDIOC_DQBUF`), so `read_frame` ignores its timeout; an
//! unplugged camera still ends the read at once with `ENODEV`.

use std::borrow::Cow;
use std::path::Path;
use std::time::Duration;

use nokhwa::Camera;
use nokhwa::NokhwaError;
use nokhwa::utils::{CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType};

use super::{CaptureDevice, CaptureMode, CaptureRequest, Encoding, choose_mode, video_devices};
use crate::camera::CameraError;

/// The encodings [`super::convert`] decodes, in nokhwa's terms.
const DECODABLE: [FrameFormat; 2] = [FrameFormat::MJPEG, FrameFormat::YUYV];

#[derive(Default)]
pub struct NokhwaDevice {
    path: Option<String>,
    camera: Option<Camera>,
    mode: Option<CaptureMode>,
}

impl NokhwaDevice {
    pub fn new() -> NokhwaDevice {
        NokhwaDevice::default()
    }
}

impl CaptureDevice for NokhwaDevice {
    fn open(&mut self, request: &CaptureRequest) -> Result<CaptureMode, CameraError> {
        self.close();
        let path = request.device_path();
        self.path = Some(path.clone());
        // Checked first so that "no camera" is told apart from every other way opening fails.
        if !Path::new(&path).exists() {
            return Err(CameraError::Absent { device: path, present: video_devices() });
        }
        let any_decodable = RequestedFormat::with_formats(RequestedFormatType::None, &DECODABLE);
        let mut camera = Camera::new(CameraIndex::Index(request.device), any_decodable).map_err(|e| open_error(&path, request, e))?;
        let offered: Vec<CaptureMode> =
            camera.compatible_camera_formats().map_err(|e| open_error(&path, request, e))?.into_iter().filter_map(to_mode).collect();
        let Some(mode) = choose_mode(&offered, request) else {
            let offered = offered.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            return Err(CameraError::UnsupportedFormat { device: path, requested: request.to_string(), offered });
        };
        let encoding = if mode.encoding == Encoding::Mjpeg { FrameFormat::MJPEG } else { FrameFormat::YUYV };
        let exact = CameraFormat::new_from(mode.width, mode.height, encoding, mode.fps);
        camera
            .set_camera_requset(RequestedFormat::with_formats(RequestedFormatType::Exact(exact), &[encoding]))
            .map_err(|e| open_error(&path, request, e))?;
        camera.open_stream().map_err(|e| open_error(&path, request, e))?;
        tracing::debug!(device = %path, %mode, name = %camera.info().human_name(), "camera stream open");
        self.camera = Some(camera);
        self.mode = Some(mode);
        Ok(mode)
    }

    fn read_frame(&mut self, _timeout: Duration) -> Result<Cow<'_, [u8]>, CameraError> {
        let device = self.describe();
        let Some(camera) = self.camera.as_mut() else {
            return Err(CameraError::Unplugged { device, detail: "the stream is not open".into() });
        };
        camera.frame_raw().map_err(|e| CameraError::Unplugged { device, detail: e.to_string() })
    }

    fn mode(&self) -> Option<CaptureMode> {
        self.mode
    }

    fn close(&mut self) {
        if let Some(mut camera) = self.camera.take()
            && let Err(e) = camera.stop_stream()
        {
            tracing::debug!(device = %self.describe(), "stopping the camera stream: {e}");
        }
        self.mode = None;
    }

    fn describe(&self) -> String {
        let path = self.path.clone().unwrap_or_else(|| "/dev/video?".into());
        match &self.camera {
            Some(camera) => format!("{} ({path})", camera.info().human_name()),
            None => path,
        }
    }
}

fn to_mode(format: CameraFormat) -> Option<CaptureMode> {
    let encoding = match format.format() {
        FrameFormat::MJPEG => Encoding::Mjpeg,
        FrameFormat::YUYV => Encoding::Yuyv,
        _ => return None,
    };
    Some(CaptureMode { width: format.width(), height: format.height(), fps: format.frame_rate(), encoding })
}

/// Sorts a nokhwa failure while opening into the variant that says what to do about it.
fn open_error(device: &str, request: &CaptureRequest, error: NokhwaError) -> CameraError {
    let detail = error.to_string();
    let text = detail.to_ascii_lowercase();
    let device = device.to_string();
    if text.contains("os error 16") || text.contains("busy") {
        CameraError::Busy { device, detail }
    } else if text.contains("os error 13") || text.contains("permission denied") {
        CameraError::PermissionDenied { device }
    } else if text.contains("os error 2)") || text.contains("os error 19") || text.contains("no such") {
        CameraError::Absent { device, present: video_devices() }
    } else if text.contains("fufill") || text.contains("fulfill") || text.contains("rejected") {
        CameraError::UnsupportedFormat { device, requested: request.to_string(), offered: detail }
    } else {
        CameraError::Device { device, detail }
    }
}

#[cfg(test)]
mod tests {
    use visor_types::profile::PixelFormat;

    use super::*;

    #[test]
    fn a_missing_device_fails_cleanly_as_absent() {
        // No machine has 99 cameras; nothing here touches a real one.
        let request = CaptureRequest { device: 99, width: 640, height: 480, fps: 30.0, format: PixelFormat::Any };
        let mut device = NokhwaDevice::new();
        let err = device.open(&request).unwrap_err();
        assert!(matches!(err, CameraError::Absent { .. }), "{err}");
        assert!(err.to_string().contains("/dev/video99"), "{err}");
        assert!(device.read_frame(Duration::from_millis(1)).is_err());
        assert_eq!(device.mode(), None);
    }

    #[test]
    fn nokhwa_errors_sort_into_what_to_do() {
        let request = CaptureRequest { device: 0, width: 640, height: 480, fps: 30.0, format: PixelFormat::Mjpeg };
        let sort = |e| open_error("/dev/video0", &request, e);
        let v4l = |why: &str| NokhwaError::OpenDeviceError("0".into(), format!("V4L2 Error: {why}"));
        assert!(matches!(sort(v4l("Device or resource busy (os error 16)")), CameraError::Busy { .. }));
        assert!(matches!(sort(v4l("Permission denied (os error 13)")), CameraError::PermissionDenied { .. }));
        assert!(matches!(sort(v4l("No such file or directory (os error 2)")), CameraError::Absent { .. }));
        let unfit = NokhwaError::GetPropertyError { property: "CameraFormat".into(), error: "Failed to Fufill".into() };
        assert!(matches!(sort(unfit), CameraError::UnsupportedFormat { .. }));
        assert!(matches!(sort(NokhwaError::GeneralError("odd".into())), CameraError::Device { .. }));
    }
}
