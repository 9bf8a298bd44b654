//! [`CameraError`]: everything a camera source can refuse or lose, each message naming the
//! thing (a file, a profile key, `/dev/videoN`) and what would fix it.

use std::path::PathBuf;

use thiserror::Error;

use super::MAX_SIDE;
use crate::session::SessionError;

#[derive(Debug, Error)]
pub enum CameraError {
    #[error("camera fps is {fps}; set the profile's camera.fps to a frame rate from 0.001 to 100000")]
    BadFps { fps: f32 },
    #[error("synthetic camera size {width}x{height} is out of range; set camera.width and camera.height to 1..={MAX_SIDE}")]
    BadSize { width: u32, height: u32 },
    #[error("cannot list replay folder {}: {source}; check that the profile's camera.folder exists and is readable", folder.display())]
    ReadFolder { folder: PathBuf, source: std::io::Error },
    #[error("replay folder {} holds no PNG or JPEG files; record one or point the profile's camera.folder elsewhere", folder.display())]
    EmptyFolder { folder: PathBuf },
    #[error("replay frame {} is unreadable or corrupt ({source}); re-export it as PNG or JPEG or remove it from the folder", path.display())]
    BadFrame { path: PathBuf, source: image::ImageError },
    #[error(
        "replay frame {} is {width}x{height} but {} is {expected_width}x{expected_height}; every frame of a clip must be the same size, so resize or remove it",
        path.display(), first.display()
    )]
    SizeMismatch { path: PathBuf, width: u32, height: u32, first: PathBuf, expected_width: u32, expected_height: u32 },
    #[error("replay folder {} decodes to more than {limit_mib} MiB of RGBA; the replay camera keeps every frame in memory, so use fewer or smaller frames", folder.display())]
    ClipTooLarge { folder: PathBuf, limit_mib: usize },
    #[error(transparent)]
    Session(#[from] SessionError),

    #[error(
        "no camera at {device} ({}); plug one in, set the profile's camera.device to another index, or use source = \"replay\"",
        present_devices(present)
    )]
    Absent { device: String, present: Vec<String> },
    #[error("camera {device} is busy ({detail}); close the program using it (`fuser {device}` names it) and it is picked up again")]
    Busy { device: String, detail: String },
    #[error(
        "cannot open camera {device}: permission denied; add your user to the 'video' group (`usermod -aG video $USER`, then log in again)"
    )]
    PermissionDenied { device: String },
    #[error(
        "camera {device} stopped delivering frames ({detail}); it was unplugged or its driver failed: plug it back in and it is picked up again"
    )]
    Unplugged { device: String, detail: String },
    #[error(
        "camera {device} offers no {requested} mode this driver can decode (it offers: {offered}); set the profile's camera.format to \"any\", or a mode from that list"
    )]
    UnsupportedFormat { device: String, requested: String, offered: String },
    #[error("camera {device} failed: {detail}; `v4l2-ctl -d {device} --all` shows what the driver reports")]
    Device { device: String, detail: String },
    #[error(
        "camera {device}: this build has no live camera support (visor-drivers without its `v4l` feature); rebuild with default features (the visor crate's `camera-v4l`) or use source = \"replay\""
    )]
    LiveUnsupported { device: String },
    #[error("camera source {source_name} gave no frame within {waited_ms} ms; check it with `visor run --headless --frames 1`")]
    NoFrame { source_name: String, waited_ms: u64 },
    #[error("side-by-side stereo: {message}")]
    Stereo { message: String },
}

fn present_devices(present: &[String]) -> String {
    if present.is_empty() { "no /dev/video* devices at all".to_string() } else { format!("present: {}", present.join(", ")) }
}
