//! [`SessionWriter`]: writes a session folder — numbered frame files as they come, then
//! `poses.jsonl` and `session.toml` at [`SessionWriter::finish`].
//!
//! The manifest is written last, through a rename, so a folder that has one is complete; an
//! interrupted recording leaves frames but no session. Timestamps are stored relative to the
//! first frame, which is how replay plays them anyway.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use image::{ExtendedColorType, ImageEncoder};
use visor_types::{CameraFrame, CameraIntrinsics};

use super::poses::PoseLine;
use super::{FORMAT, MANIFEST, Pose, Session, SessionError};

const POSES_FILE: &str = "poses.jsonl";
const JPEG_QUALITY: u8 = 90;

/// How frames are stored: JPEG is small, PNG is exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FrameFileFormat {
    #[default]
    Jpeg,
    Png,
}

impl FrameFileFormat {
    fn extension(self) -> &'static str {
        match self {
            FrameFileFormat::Jpeg => "jpg",
            FrameFileFormat::Png => "png",
        }
    }
}

pub struct SessionWriter {
    folder: PathBuf,
    format: FrameFileFormat,
    intrinsics: CameraIntrinsics,
    size: Option<(u32, u32)>,
    /// File names and capture times (on the source's clock) of the frames written so far.
    frames: Vec<(String, u64)>,
    poses: Vec<Pose>,
}

impl SessionWriter {
    /// Starts a session in `folder` (created if needed; one already holding a session is
    /// refused, so nothing is overwritten). `intrinsics` are in pixels of the frames to come.
    pub fn create(folder: &Path, format: FrameFileFormat, intrinsics: CameraIntrinsics) -> Result<SessionWriter, SessionError> {
        if Session::is_session(folder) {
            return Err(SessionError::Exists { folder: folder.to_path_buf() });
        }
        std::fs::create_dir_all(folder).map_err(|source| SessionError::Write { path: folder.to_path_buf(), source })?;
        Ok(SessionWriter { folder: folder.to_path_buf(), format, intrinsics, size: None, frames: Vec::new(), poses: Vec::new() })
    }

    /// Encodes and writes one frame; frames must share a size and come in capture order.
    pub fn write_frame(&mut self, frame: &CameraFrame) -> Result<(), SessionError> {
        let index = self.frames.len();
        let (expected_width, expected_height) = *self.size.get_or_insert((frame.width, frame.height));
        if (frame.width, frame.height) != (expected_width, expected_height) {
            let (width, height) = (frame.width, frame.height);
            return Err(SessionError::FrameSize { index, width, height, expected_width, expected_height });
        }
        if let Some(&(_, previous_ns)) = self.frames.last()
            && frame.timestamp_ns <= previous_ns
        {
            return Err(SessionError::OutOfOrder { index, timestamp_ns: frame.timestamp_ns, previous_ns });
        }
        let name = format!("frame-{index:04}.{}", self.format.extension());
        let path = self.folder.join(&name);
        encode(&path, self.format, frame)?;
        self.frames.push((name, frame.timestamp_ns));
        Ok(())
    }

    /// Adds a head pose, on the same clock as the frames' timestamps; poses from before the
    /// first frame are dropped at `finish`.
    pub fn add_pose(&mut self, pose: Pose) {
        self.poses.push(pose);
    }

    pub fn frames_written(&self) -> usize {
        self.frames.len()
    }

    /// Writes the pose file and the manifest, and opens the result to check it.
    pub fn finish(self) -> Result<Session, SessionError> {
        let Some(&(_, origin)) = self.frames.first() else {
            return Err(SessionError::NoFrames { folder: self.folder });
        };
        let (width, height) = self.size.unwrap_or_default();
        let k = self.intrinsics;
        let mut manifest = format!("format = {FORMAT}\nwidth = {width}\nheight = {height}\n");
        let _ = writeln!(manifest, "intrinsics = {{ fx = {:?}, fy = {:?}, cx = {:?}, cy = {:?} }}", k.fx, k.fy, k.cx, k.cy);

        let poses: Vec<Pose> = self.poses.iter().filter(|p| p.timestamp_ns >= origin).copied().collect();
        if !poses.is_empty() {
            let mut lines = String::new();
            for pose in &poses {
                let line = PoseLine { timestamp_ns: pose.timestamp_ns - origin, ..PoseLine::from(pose) };
                let _ = writeln!(lines, "{}", serde_json::to_string(&line).unwrap_or_default());
            }
            write_file(&self.folder.join(POSES_FILE), lines.as_bytes())?;
            let _ = writeln!(manifest, "poses = \"{POSES_FILE}\"");
        }
        for (file, timestamp_ns) in &self.frames {
            let _ = write!(manifest, "\n[[frames]]\nfile = \"{file}\"\ntimestamp_ns = {}\n", timestamp_ns - origin);
        }
        let partial = self.folder.join(format!("{MANIFEST}.partial"));
        write_file(&partial, manifest.as_bytes())?;
        let path = self.folder.join(MANIFEST);
        std::fs::rename(&partial, &path).map_err(|source| SessionError::Write { path, source })?;
        Session::open(&self.folder)
    }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), SessionError> {
    std::fs::write(path, bytes).map_err(|source| SessionError::Write { path: path.to_path_buf(), source })
}

fn encode(path: &Path, format: FrameFileFormat, frame: &CameraFrame) -> Result<(), SessionError> {
    let write_error = |source| SessionError::Write { path: path.to_path_buf(), source };
    let encode_error = |source| SessionError::Encode { path: path.to_path_buf(), source };
    let mut out = BufWriter::new(File::create(path).map_err(write_error)?);
    let (w, h) = (frame.width, frame.height);
    match format {
        FrameFileFormat::Png => image::codecs::png::PngEncoder::new(&mut out)
            .write_image(&frame.pixels, w, h, ExtendedColorType::Rgba8)
            .map_err(encode_error)?,
        FrameFileFormat::Jpeg => {
            // JPEG has no alpha; camera frames are opaque anyway.
            let rgb: Vec<u8> = frame.pixels.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
                .encode(&rgb, w, h, ExtendedColorType::Rgb8)
                .map_err(encode_error)?
        }
    }
    out.flush().map_err(write_error)
}
