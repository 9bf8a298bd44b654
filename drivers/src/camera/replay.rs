//! [`ReplayCamera`]: recorded imagery played back, so tests and demos see real frames without a
//! camera attached. Two kinds of folder play:
//!
//! - a **session** (a folder with `session.toml`, see [`crate::session`]): frames play at their
//!   recorded timestamps, relative to the first, looping; the session's intrinsics and poses
//!   come along;
//! - a **plain folder** of PNG/JPEG files: played in file-name order at a fixed rate, looping;
//!   other files (a SOURCE.md, say) are skipped.
//!
//! Every frame is decoded to RGBA8 once, at open: clips are short and small, and decoding per
//! frame would put JPEG work on the frame path. Problems (no images, a corrupt file, a frame of
//! another size) are found at open too, each naming the file, rather than mid-run.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use visor_types::camera::StereoGeometry;
use visor_types::profile::LensConfig;
use visor_types::{CameraFrame, CameraIntrinsics};

use super::timing::FrameRate;
use super::{CameraError, CameraSource, Companions};
use crate::session::{PoseTrack, Session};

/// Decoded frames stay in memory for the camera's lifetime; this bounds what a mistaken folder
/// (a full-resolution photo dump) can cost.
const MAX_CLIP_BYTES: usize = 512 << 20;

/// When each frame is shown.
enum Timeline {
    /// A plain folder: frame `i` at `i / fps`.
    Rate(FrameRate),
    /// A session: each frame at its offset from the first; the clip repeats every `period` ns.
    Recorded { offsets: Vec<u64>, period: u64 },
}

pub struct ReplayCamera {
    folder: PathBuf,
    width: u32,
    height: u32,
    timeline: Timeline,
    /// Decoded RGBA8 frames in play order; handing one out clones the `Arc`, not the pixels.
    frames: Vec<Arc<[u8]>>,
    intrinsics: CameraIntrinsics,
    session: Option<Session>,
    /// Per frame, what a stereo or depth session recorded beside it.
    companions: Vec<Companions>,
}

impl ReplayCamera {
    /// Opens a session folder, or else reads every `.png`, `.jpg` and `.jpeg` file in `folder`
    /// (not its subfolders), sorted by file name, to play at `fps` (unused for a session).
    pub fn open(folder: &Path, fps: f32) -> Result<ReplayCamera, CameraError> {
        if Session::is_session(folder) {
            return ReplayCamera::from_session(Session::open(folder)?);
        }
        let fps = FrameRate::new(fps)?;
        let paths = image_files(folder)?;
        if paths.is_empty() {
            return Err(CameraError::EmptyFolder { folder: folder.to_path_buf() });
        }
        let (frames, (width, height)) = decode_all(folder, &paths)?;
        tracing::info!(folder = %folder.display(), frames = frames.len(), width, height, fps = %fps, "replay clip loaded");
        let intrinsics = LensConfig::default().intrinsics((width, height), (width, height));
        let timeline = Timeline::Rate(fps);
        let companions = vec![Companions::default(); frames.len()];
        Ok(ReplayCamera { folder: folder.to_path_buf(), width, height, timeline, frames, intrinsics, session: None, companions })
    }

    /// Plays an opened session by its timestamps.
    pub fn from_session(session: Session) -> Result<ReplayCamera, CameraError> {
        let paths: Vec<PathBuf> = session.frames.iter().map(|f| f.path.clone()).collect();
        let (frames, (width, height)) = decode_all(&session.folder, &paths)?;
        let first = session.frames[0].timestamp_ns;
        let offsets: Vec<u64> = session.frames.iter().map(|f| f.timestamp_ns - first).collect();
        // The last frame is shown for the clip's mean frame interval before the loop restarts;
        // a single frame is a still that never repeats.
        let last = offsets[offsets.len() - 1];
        let period = match offsets.len() {
            1 => u64::MAX,
            n => last + (last / (n as u64 - 1)).max(1),
        };
        let companions = decode_companions(&session)?;
        tracing::info!(folder = %session.folder.display(), frames = frames.len(), width, height, "replay session loaded");
        Ok(ReplayCamera {
            companions,
            folder: session.folder.clone(),
            width,
            height,
            timeline: Timeline::Recorded { offsets, period },
            frames,
            intrinsics: session.intrinsics,
            session: Some(session),
        })
    }

    /// Takes the profile's lens for a plain folder (explicit intrinsics are in pixels of its
    /// frames); a session keeps the intrinsics it was recorded with.
    pub fn with_lens(mut self, lens: &LensConfig) -> ReplayCamera {
        if self.session.is_none() {
            let size = (self.width, self.height);
            self.intrinsics = lens.intrinsics(size, size);
        } else if *lens != LensConfig::default() {
            tracing::debug!(folder = %self.folder.display(), "the profile's camera lens is ignored: the session carries its own intrinsics");
        }
        self
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

    /// The session being played, if the folder is one.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// The session's head poses, on the same timeline as `frame_at` once shifted to the first
    /// frame (`sample(now_ns % period)` for a looping clip), if it recorded any.
    pub fn poses(&self) -> Option<&PoseTrack> {
        self.session.as_ref().and_then(|s| s.poses.as_ref())
    }
}

impl CameraSource for ReplayCamera {
    fn describe(&self) -> String {
        match &self.session {
            Some(s) => {
                format!("replay session {} ({} frames, {:.2} s)", self.folder.display(), self.frames.len(), s.duration_ns() as f64 / 1e9)
            }
            None => format!("replay {} ({} frames)", self.folder.display(), self.frames.len()),
        }
    }

    fn frame_at(&mut self, now_ns: u64) -> Result<CameraFrame, CameraError> {
        let n = self.frames.len() as u64;
        // `open` guarantees at least one frame, so nothing below divides by zero.
        let (index, slot, timestamp_ns) = match &self.timeline {
            Timeline::Rate(fps) => {
                let index = fps.index(now_ns);
                (index, (index % n) as usize, fps.capture_ns(index))
            }
            Timeline::Recorded { offsets, period } => {
                let (lap, into) = (now_ns / period, now_ns % period);
                // offsets[0] is 0, so at least one offset is <= `into`.
                let slot = offsets.partition_point(|&o| o <= into) - 1;
                (lap * n + slot as u64, slot, lap * period + offsets[slot])
            }
        };
        Ok(CameraFrame {
            width: self.width,
            height: self.height,
            pixels: self.frames[slot].clone(),
            timestamp_ns,
            // Keeps counting across loops, so consumers see every repeat as a new frame.
            sequence: index,
        })
    }

    fn intrinsics(&self) -> CameraIntrinsics {
        self.intrinsics
    }

    fn stereo(&self) -> Option<StereoGeometry> {
        self.session.as_ref().and_then(|s| s.stereo)
    }

    fn companions(&self, frame: &CameraFrame) -> Companions {
        // `frame_at` numbers frames so that the sequence modulo the clip's length is the slot.
        self.companions.get((frame.sequence % self.companions.len().max(1) as u64) as usize).cloned().unwrap_or_default()
    }
}

/// The right images and depth maps a session recorded beside its frames, decoded once.
fn decode_companions(session: &Session) -> Result<Vec<Companions>, CameraError> {
    session
        .frames
        .iter()
        .map(|frame| {
            let right = frame.right.as_deref().map(|path| decode(path).map(|image| Arc::from(image.into_raw()))).transpose()?;
            let depth_mm = frame
                .depth
                .as_deref()
                .map(|path| {
                    let bad = |source| CameraError::BadFrame { path: path.to_path_buf(), source };
                    let image = image::open(path).map_err(bad)?.into_luma16();
                    Ok::<_, CameraError>(Arc::from(image.into_raw()))
                })
                .transpose()?;
            Ok(Companions { right, depth_mm })
        })
        .collect()
}

/// Decoded RGBA8 frames and their common size.
type Decoded = (Vec<Arc<[u8]>>, (u32, u32));

/// Decodes every file, all of one size, within [`MAX_CLIP_BYTES`].
fn decode_all(folder: &Path, paths: &[PathBuf]) -> Result<Decoded, CameraError> {
    let mut frames = Vec::with_capacity(paths.len());
    let mut size = None;
    let mut total_bytes = 0usize;
    for path in paths {
        let image = decode(path)?;
        let (width, height) = image.dimensions();
        let (expected_width, expected_height) = *size.get_or_insert((width, height));
        if (width, height) != (expected_width, expected_height) {
            let first = paths[0].clone();
            return Err(CameraError::SizeMismatch { path: path.clone(), width, height, first, expected_width, expected_height });
        }
        total_bytes += image.as_raw().len();
        if total_bytes > MAX_CLIP_BYTES {
            return Err(CameraError::ClipTooLarge { folder: folder.to_path_buf(), limit_mib: MAX_CLIP_BYTES >> 20 });
        }
        frames.push(Arc::from(image.into_raw()));
    }
    Ok((frames, size.unwrap_or_default()))
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
    let reader = image::ImageReader::open(path).and_then(|r| r.with_guessed_format()).map_err(|e| bad(image::ImageError::IoError(e)))?;
    Ok(reader.decode().map_err(bad)?.into_rgba8())
}

#[cfg(test)]
mod tests;
