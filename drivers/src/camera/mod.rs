//! Camera sources: something that, asked for the time, returns the newest camera frame.
//!
//! Frames leave as [`CameraFrame`]s (RGBA8, sRGB, pixels in an `Arc<[u8]>`); time enters as a
//! monotonic `now_ns` from the caller, so a source never blocks and never reads a clock. Each
//! source decides from its own frame rate which frame is current; asking twice within one frame
//! period returns the same pixels (the same `Arc`), so consumers can skip unchanged frames with
//! a pointer compare.
//!
//! [`open`] builds the source a device profile's `[camera]` section names. A live V4L camera
//! (nokhwa) will join as a third source behind the same trait.
//!
//! Layout:
//! - `timing`: frame index from time and back.
//! - `synthetic`: [`SyntheticCamera`], an animated test pattern.
//! - `replay`: [`ReplayCamera`], a looping image sequence from a folder.

mod replay;
mod synthetic;
mod timing;

use std::path::{Path, PathBuf};

use thiserror::Error;
use visor_types::CameraFrame;
use visor_types::profile::CameraConfig;

pub use replay::ReplayCamera;
pub use synthetic::SyntheticCamera;

/// Largest side of a synthetic frame, matching the device-profile validation.
pub const MAX_SIDE: u32 = 8192;

pub trait CameraSource: Send {
    /// A short name for logs ("synthetic 640x480", "replay assets/camera/street (8 frames)").
    fn describe(&self) -> String;
    /// The newest frame for monotonic time `now_ns` (the source decides which frame that is from
    /// its own fps; it never blocks).
    fn frame_at(&mut self, now_ns: u64) -> Result<CameraFrame, CameraError>;
}

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
}

/// Builds the camera source a device profile's `[camera]` section describes. A relative replay
/// folder is resolved against `repo_root`, so profiles stay portable between checkouts.
pub fn open(config: &CameraConfig, repo_root: &Path) -> Result<Box<dyn CameraSource>, CameraError> {
    let source: Box<dyn CameraSource> = match config {
        CameraConfig::Synthetic { width, height, fps } => Box::new(SyntheticCamera::new(*width, *height, *fps)?),
        CameraConfig::Replay { folder, fps } => {
            let folder = if folder.is_absolute() { folder.clone() } else { repo_root.join(folder) };
            Box::new(ReplayCamera::open(&folder, *fps)?)
        }
    };
    tracing::info!(camera = %source.describe(), "camera source opened");
    Ok(source)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    #[test]
    fn open_builds_a_synthetic_source_from_a_profile() {
        let config = CameraConfig::Synthetic { width: 64, height: 48, fps: 30.0 };
        let mut camera = open(&config, &repo_root()).unwrap();
        assert_eq!(camera.describe(), "synthetic 64x48 @ 30 fps");
        let frame = camera.frame_at(0).unwrap();
        assert_eq!((frame.width, frame.height, frame.pixels.len()), (64, 48, 64 * 48 * 4));
    }

    #[test]
    fn open_resolves_a_relative_replay_folder_against_the_repo_root() {
        let config = CameraConfig::Replay { folder: "assets/camera/desk".into(), fps: 8.0 };
        let mut camera = open(&config, &repo_root()).unwrap();
        assert!(camera.describe().contains("(8 frames)"), "{}", camera.describe());
        let frame = camera.frame_at(0).unwrap();
        assert_eq!((frame.width, frame.height), (320, 240));
    }

    #[test]
    fn open_reports_a_missing_replay_folder_by_name() {
        let config = CameraConfig::Replay { folder: "assets/camera/no-such-clip".into(), fps: 8.0 };
        let err = open(&config, &repo_root()).err().expect("a missing folder must fail");
        assert!(matches!(err, CameraError::ReadFolder { .. }), "{err}");
        assert!(err.to_string().contains("no-such-clip"), "{err}");
    }
}
