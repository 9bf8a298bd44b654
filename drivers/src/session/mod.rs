//! Recorded sessions: what a camera saw, when, and (optionally) where the head was, in a
//! folder that replays deterministically.
//!
//! A session folder holds `session.toml`, the frame files it lists (PNG or JPEG) and optionally
//! a pose file; anything else (a SOURCE.md, annotations) is ignored:
//!
//! ```toml
//! format = 1
//! width = 320
//! height = 240
//! intrinsics = { fx = 160.0, fy = 160.0, cx = 160.0, cy = 120.0 }
//! poses = "poses.jsonl"          # optional
//! [[frames]]
//! file = "frame-0000.jpg"
//! timestamp_ns = 0
//! [[frames]]
//! file = "frame-0001.jpg"
//! timestamp_ns = 33333333
//! ```
//!
//! A stereo session adds the pair's geometry and, per frame, the right image; any frame may
//! also carry a depth map (16-bit PNG, millimetres, 0 unknown: what a depth camera's `Z16`
//! stream records) and a ground-truth disparity (16-bit PNG, 1/256 px, 0 unknown):
//!
//! ```toml
//! [stereo]
//! baseline_mm = 193.0   # the right lens sits this far to the left lens's right; rows rectified
//! doffs_px = 0.0        # cx_right - cx_left, optional
//! [[frames]]
//! file = "left.png"
//! right = "right.png"
//! depth = "depth.png"              # optional
//! disparity = "disparity-truth.png" # optional
//! timestamp_ns = 0
//! ```
//!
//! `poses.jsonl` holds one JSON object per line, `{"timestamp_ns": u64, "position": [x, y, z],
//! "orientation": [x, y, z, w]}` (metres, a unit quaternion), on the frames' clock.
//! [`Session::open`] checks everything at once — files present and of the stated size,
//! timestamps increasing, quaternions of unit length — and reports each problem with its file.
//!
//! Layout:
//! - `poses`: [`Pose`] and [`PoseTrack`], interpolated head poses.
//! - `writer`: [`SessionWriter`], which writes the format.
//! - `record`: [`record()`], a session from any camera source in real time.

mod poses;
mod record;
#[cfg(test)]
mod tests;
mod writer;

use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;
use visor_types::CameraIntrinsics;
pub use visor_types::camera::StereoGeometry;

pub use poses::{Pose, PoseError, PoseTrack};
pub use record::{RecordOptions, RecordReport, record};
pub use writer::{FrameFileFormat, SessionWriter};

/// The one format version this build reads and writes.
pub const FORMAT: u32 = 1;
/// A session folder's manifest; its presence is what makes a folder a session.
pub const MANIFEST: &str = "session.toml";
/// More problems than this are summarised, so a folder of missing files stays readable.
const MAX_LISTED_PROBLEMS: usize = 20;

#[derive(Debug, Error)]
pub enum SessionError {
    #[error("cannot read {}: {source}; check that the session folder exists and is readable", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{} is not a session manifest: {message}; compare it with the format in drivers/src/session/mod.rs", path.display())]
    Syntax { path: PathBuf, message: String },
    #[error("session {} has {} problem(s):\n  - {}", folder.display(), problems.len(), problems.join("\n  - "))]
    Invalid { folder: PathBuf, problems: Vec<String> },
    #[error("cannot write {}: {source}; check that the folder is writable and the disk has room", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot encode {}: {source}", path.display())]
    Encode { path: PathBuf, source: image::ImageError },
    #[error("{} already holds a session; record into a new folder or remove it first", folder.display())]
    Exists { folder: PathBuf },
    #[error("frame {index} is {width}x{height} but the session is {expected_width}x{expected_height}; a session holds frames of one size")]
    FrameSize { index: usize, width: u32, height: u32, expected_width: u32, expected_height: u32 },
    #[error(
        "frame {index} was captured at {timestamp_ns} ns, not after the frame before it ({previous_ns} ns); frames must be written in capture order"
    )]
    OutOfOrder { index: usize, timestamp_ns: u64, previous_ns: u64 },
    #[error("no frames were written to {}; a session needs at least one", folder.display())]
    NoFrames { folder: PathBuf },
}

/// A validated session: its frames in order, with paths resolved against its folder.
#[derive(Clone, Debug)]
pub struct Session {
    pub folder: PathBuf,
    pub width: u32,
    pub height: u32,
    pub intrinsics: CameraIntrinsics,
    pub frames: Vec<SessionFrame>,
    pub poses: Option<PoseTrack>,
    /// A stereo pair's geometry, where the frames carry right images.
    pub stereo: Option<StereoGeometry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionFrame {
    pub path: PathBuf,
    /// Capture time; only differences between frames matter.
    pub timestamp_ns: u64,
    /// The right image of a stereo pair.
    pub right: Option<PathBuf>,
    /// Metric depth (16-bit PNG, millimetres, 0 unknown).
    pub depth: Option<PathBuf>,
    /// Ground-truth disparity (16-bit PNG, 1/256 px, 0 unknown).
    pub disparity: Option<PathBuf>,
}

/// `session.toml` as written. Unknown keys are ignored, so later versions can add optional ones.
#[derive(Deserialize)]
struct Manifest {
    format: u32,
    width: u32,
    height: u32,
    intrinsics: CameraIntrinsics,
    #[serde(default)]
    poses: Option<String>,
    #[serde(default)]
    frames: Vec<ManifestFrame>,
    #[serde(default)]
    stereo: Option<StereoGeometry>,
}

#[derive(Deserialize)]
struct ManifestFrame {
    file: String,
    timestamp_ns: u64,
    #[serde(default)]
    right: Option<String>,
    #[serde(default)]
    depth: Option<String>,
    #[serde(default)]
    disparity: Option<String>,
}

impl Session {
    /// True if `folder` holds a session manifest (rather than plain images).
    pub fn is_session(folder: &Path) -> bool {
        folder.join(MANIFEST).is_file()
    }

    /// Reads and checks a session folder; image files are checked by their headers only.
    pub fn open(folder: &Path) -> Result<Session, SessionError> {
        let path = folder.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|source| SessionError::Read { path: path.clone(), source })?;
        let manifest: Manifest = toml::from_str(&text).map_err(|e| SessionError::Syntax { path: path.clone(), message: e.to_string() })?;
        let mut problems = manifest_problems(&manifest);
        let frames = manifest
            .frames
            .iter()
            .map(|f| SessionFrame {
                path: folder.join(&f.file),
                timestamp_ns: f.timestamp_ns,
                right: f.right.as_ref().map(|name| folder.join(name)),
                depth: f.depth.as_ref().map(|name| folder.join(name)),
                disparity: f.disparity.as_ref().map(|name| folder.join(name)),
            })
            .collect();
        let poses = manifest.poses.as_ref().and_then(|name| poses::load(&folder.join(name), name, &mut problems));
        for (entry, frame_problem) in manifest.frames.iter().zip(frames_problems(folder, &manifest)) {
            problems.extend(frame_problem.map(|p| format!("{}: {p}", entry.file)));
        }
        if !problems.is_empty() {
            return Err(SessionError::Invalid { folder: folder.to_path_buf(), problems: summarise(problems) });
        }
        let (width, height, intrinsics) = (manifest.width, manifest.height, manifest.intrinsics);
        Ok(Session { folder: folder.to_path_buf(), width, height, intrinsics, frames, poses, stereo: manifest.stereo })
    }

    /// From the first frame's capture to the last's.
    pub fn duration_ns(&self) -> u64 {
        match (self.frames.first(), self.frames.last()) {
            (Some(first), Some(last)) => last.timestamp_ns - first.timestamp_ns,
            _ => 0,
        }
    }
}

fn manifest_problems(m: &Manifest) -> Vec<String> {
    let mut p = Vec::new();
    if m.format != FORMAT {
        p.push(format!("{MANIFEST}: format is {}; this build reads format {FORMAT}, so re-record the session", m.format));
    }
    if !(1..=8192).contains(&m.width) || !(1..=8192).contains(&m.height) {
        p.push(format!("{MANIFEST}: size {}x{} is out of range; width and height are the frames' size, 1 to 8192", m.width, m.height));
    }
    let k = m.intrinsics;
    if !(k.fx > 0.0 && k.fy > 0.0 && k.fx.is_finite() && k.fy.is_finite() && k.cx.is_finite() && k.cy.is_finite()) {
        p.push(format!("{MANIFEST}: intrinsics {k:?} are not a camera; fx and fy are focal lengths in pixels, above 0"));
    }
    if let Some(stereo) = m.stereo {
        if !(stereo.baseline_mm.is_finite() && stereo.baseline_mm > 0.0 && stereo.doffs_px.is_finite()) {
            p.push(format!(
                "{MANIFEST}: [stereo] {stereo:?} is not a camera pair; baseline_mm is the distance between the lenses, above 0"
            ));
        }
        if let Some(frame) = m.frames.iter().find(|f| f.right.is_none()) {
            p.push(format!("{MANIFEST}: [stereo] is set but frame {} has no right image; add right = \"FILE\" to every frame", frame.file));
        }
    } else if let Some(frame) = m.frames.iter().find(|f| f.right.is_some()) {
        p.push(format!(
            "{MANIFEST}: frame {} has a right image but there is no [stereo] table; add baseline_mm (and doffs_px) under [stereo]",
            frame.file
        ));
    }
    if m.frames.is_empty() {
        p.push(format!("{MANIFEST} lists no [[frames]]; add at least one (file and timestamp_ns)"));
    }
    p
}

/// One problem (or none) per listed frame: missing, unreadable, of another size, or not later
/// than the frame before it.
fn frames_problems<'a>(folder: &'a Path, m: &'a Manifest) -> impl Iterator<Item = Option<String>> + 'a {
    let previous = std::iter::once(None).chain(m.frames.iter().map(|f| Some(f.timestamp_ns)));
    m.frames.iter().zip(previous).map(move |(frame, previous)| {
        let companions = [("right image", &frame.right), ("depth map", &frame.depth), ("disparity", &frame.disparity)];
        let problem = image_problem(&folder.join(&frame.file), m)
            .into_iter()
            .chain(companions.into_iter().filter_map(|(what, name)| {
                let name = name.as_ref()?;
                image_problem(&folder.join(name), m).map(|p| format!("its {what} {name} {p}"))
            }))
            .reduce(|a, b| format!("{a}; {b}"));
        let order = previous
            .filter(|&p| frame.timestamp_ns <= p)
            .map(|p| format!("timestamp_ns {} is not after the previous frame's {p}; timestamps must increase", frame.timestamp_ns));
        match (problem, order) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        }
    })
}

/// Why an image file of the session cannot serve (missing, unreadable, of another size), if so.
fn image_problem(path: &Path, m: &Manifest) -> Option<String> {
    let size = image::ImageReader::open(path).and_then(|r| r.with_guessed_format());
    match size.map(|r| r.into_dimensions()) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Some(format!("listed in {MANIFEST} but missing; restore it or remove its [[frames]] entry"))
        }
        Err(e) => Some(format!("cannot be read ({e}); check its permissions")),
        Ok(Err(e)) => Some(format!("is not a readable PNG or JPEG ({e}); re-export it or remove its [[frames]] entry")),
        Ok(Ok((w, h))) if (w, h) != (m.width, m.height) => {
            Some(format!("is {w}x{h} but {MANIFEST} says {}x{}; every frame must have the session's size", m.width, m.height))
        }
        Ok(Ok(_)) => None,
    }
}

fn summarise(mut problems: Vec<String>) -> Vec<String> {
    if problems.len() > MAX_LISTED_PROBLEMS {
        let more = problems.len() - MAX_LISTED_PROBLEMS;
        problems.truncate(MAX_LISTED_PROBLEMS);
        problems.push(format!("… and {more} more"));
    }
    problems
}
