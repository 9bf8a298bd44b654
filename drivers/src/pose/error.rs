//! [`PoseError`]: what a pose source can refuse or lose, each message naming the thing (a track
//! file, a sysfs path, a profile key) and what would fix it.
//!
//! Only the track errors and an unreadable glasses stream ever leave [`open`](super::open): an
//! IMU's or a pair of glasses' errors are logged by [`ImuPose`](super::ImuPose), which holds the
//! head still and retries meanwhile.

use std::path::PathBuf;

use thiserror::Error;

use crate::glasses::GlassesError;
use crate::session::{PoseError as TrackProblems, SessionError};

#[derive(Debug, Error)]
pub enum PoseError {
    #[error("cannot read pose track {}: {source}; check the profile's pose.file (a relative path is from the repository root)", path.display())]
    TrackRead { path: PathBuf, source: std::io::Error },
    #[error("pose track {} is unusable: {source}\n  fix those lines, or regenerate the track (scripts/make_pose_track.py writes the format)", path.display())]
    TrackInvalid { path: PathBuf, source: TrackProblems },
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("session {} holds no poses (its session.toml names no `poses` file); point the profile's pose.file at a session recorded with poses, or at a poses.jsonl", folder.display())]
    SessionWithoutPoses { folder: PathBuf },

    #[error("no IMU at {}; load the sensor's IIO driver (`ls {}` lists the devices present), set the profile's pose.device to its N, or use source = \"simulator\"", path.display(), path.parent().map_or_else(Default::default, |p| p.display().to_string()))]
    ImuAbsent { path: PathBuf },
    #[error("cannot read {}: {source}; the IIO device lacks its {channel} channel or it is unreadable: it must be one device with both anglvel (gyroscope) and accel channels, readable by this user", path.display())]
    ImuChannel { path: PathBuf, channel: &'static str, source: std::io::Error },
    #[error("{} holds {text:?}, not a number; is this IIO device really a gyroscope and accelerometer?", path.display())]
    ImuValue { path: PathBuf, text: String },

    /// Glasses absent or lost, or a recorded glasses stream unreadable.
    #[error(transparent)]
    Glasses(#[from] GlassesError),
}
