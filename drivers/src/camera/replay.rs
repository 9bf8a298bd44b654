//! [`ReplayCamera`]: a recorded clip, a folder of PNG/JPEG frames played in file-name order and
//! looped, so tests and demos see real imagery without a camera attached.
//!
//! Every frame is decoded to RGBA8 once, at open: clips are short and small, and decoding per
//! frame would put JPEG work on the frame path. Problems (no images, a corrupt file, a frame of
//! another size) are found at open too, each naming the file, rather than mid-run.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use visor_types::CameraFrame;

use super::timing::FrameRate;
use super::{CameraError, CameraSource};

/// Decoded frames stay in memory for the camera's lifetime; this bounds what a mistaken folder
/// (a full-resolution photo dump) can cost.
const MAX_CLIP_BYTES: usize = 512 << 20;

pub struct ReplayCamera {
    folder: PathBuf,
    width: u32,
    height: u32,
    fps: FrameRate,
    /// Decoded RGBA8 frames in name order; handing one out clones the `Arc`, not the pixels.
    frames: Vec<Arc<[u8]>>,
}

impl ReplayCamera {
    /// Reads every `.png`, `.jpg` and `.jpeg` file in `folder` (not its subfolders), sorted by
    /// file name; other files (a SOURCE.md, say) are skipped.
    pub fn open(folder: &Path, fps: f32) -> Result<ReplayCamera, CameraError> {
        let fps = FrameRate::new(fps)?;
        let paths = image_files(folder)?;
        let Some(first) = paths.first() else {
            return Err(CameraError::EmptyFolder { folder: folder.to_path_buf() });
        };

        let mut frames = Vec::with_capacity(paths.len());
        let mut size = None;
        let mut total_bytes = 0usize;
        for path in &paths {
            let image = decode(path)?;
            let (width, height) = image.dimensions();
            let (expected_width, expected_height) = *size.get_or_insert((width, height));
            if (width, height) != (expected_width, expected_height) {
                return Err(CameraError::SizeMismatch {
                    path: path.clone(),
                    width,
                    height,
                    first: first.clone(),
                    expected_width,
                    expected_height,
                });
            }
            total_bytes += image.as_raw().len();
            if total_bytes > MAX_CLIP_BYTES {
                return Err(CameraError::ClipTooLarge { folder: folder.to_path_buf(), limit_mib: MAX_CLIP_BYTES >> 20 });
            }
            frames.push(Arc::from(image.into_raw()));
        }

        let (width, height) = size.unwrap_or_default();
        tracing::info!(folder = %folder.display(), frames = frames.len(), width, height, fps = %fps, "replay clip loaded");
        Ok(ReplayCamera { folder: folder.to_path_buf(), width, height, fps, frames })
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Always false: opening refuses an empty folder.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }
}

impl CameraSource for ReplayCamera {
    fn describe(&self) -> String {
        format!("replay {} ({} frames)", self.folder.display(), self.frames.len())
    }

    fn frame_at(&mut self, now_ns: u64) -> Result<CameraFrame, CameraError> {
        let index = self.fps.index(now_ns);
        // `open` guarantees at least one frame, so the modulo cannot divide by zero.
        let pixels = self.frames[(index % self.frames.len() as u64) as usize].clone();
        Ok(CameraFrame {
            width: self.width,
            height: self.height,
            pixels,
            timestamp_ns: self.fps.capture_ns(index),
            // Keeps counting across loops, so consumers see every repeat as a new frame.
            sequence: index,
        })
    }
}

/// The folder's image files, sorted by name so a clip plays in recording order.
fn image_files(folder: &Path) -> Result<Vec<PathBuf>, CameraError> {
    let read_error = |source| CameraError::ReadFolder { folder: folder.to_path_buf(), source };
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(folder).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        if path.is_file() && is_image_name(&path) {
            paths.push(path);
        } else {
            tracing::debug!(path = %path.display(), "replay camera skips a non-image entry");
        }
    }
    paths.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(paths)
}

fn is_image_name(path: &Path) -> bool {
    let ext = path.extension().and_then(OsStr::to_str).unwrap_or_default().to_ascii_lowercase();
    matches!(ext.as_str(), "png" | "jpg" | "jpeg")
}

fn decode(path: &Path) -> Result<image::RgbaImage, CameraError> {
    let bad = |source| CameraError::BadFrame { path: path.to_path_buf(), source };
    // Guessing from the content first means a JPEG saved as `.png` still loads; the extension
    // only decides when the bytes are not recognised.
    let reader = image::ImageReader::open(path)
        .and_then(|r| r.with_guessed_format())
        .map_err(|e| bad(image::ImageError::IoError(e)))?;
    Ok(reader.decode().map_err(bad)?.into_rgba8())
}

#[cfg(test)]
mod tests;
