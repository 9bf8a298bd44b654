//! Head poses over time: [`PoseTrack`] holds a session's poses and [`PoseTrack::sample`]
//! interpolates between them (position linearly, orientation by slerp), so a pose is
//! available for any frame's timestamp, not just the instants a tracker reported.

use std::path::Path;

use glam::{Quat, Vec3};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// How far a written quaternion's length may stray from 1 (rounding in a text file).
const UNIT_TOLERANCE: f32 = 1e-3;

pub use visor_types::Pose;

/// One line of `poses.jsonl`.
#[derive(Serialize, Deserialize)]
pub(super) struct PoseLine {
    pub timestamp_ns: u64,
    pub position: [f32; 3],
    /// `[x, y, z, w]`.
    pub orientation: [f32; 4],
}

impl From<&Pose> for PoseLine {
    fn from(p: &Pose) -> Self {
        PoseLine { timestamp_ns: p.timestamp_ns, position: p.position.to_array(), orientation: p.orientation.to_array() }
    }
}

#[derive(Debug, Error)]
#[error("the pose track has {} problem(s):\n  - {}", .0.len(), .0.join("\n  - "))]
pub struct PoseError(pub Vec<String>);

/// Poses in strictly increasing time order, at least one.
#[derive(Clone, Debug, PartialEq)]
pub struct PoseTrack {
    poses: Vec<Pose>,
}

impl PoseTrack {
    /// Checks that there is a pose, that times increase, and that orientations are unit
    /// quaternions (renormalised to exact unit length).
    pub fn new(poses: Vec<Pose>) -> Result<PoseTrack, PoseError> {
        let mut problems = Vec::new();
        if poses.is_empty() {
            problems.push("no poses; a track needs at least one".to_string());
        }
        for (i, pose) in poses.iter().enumerate() {
            let at = format!("pose {i}");
            problems.extend(pose_problem(pose.position.to_array(), pose.orientation.to_array()).map(|p| format!("{at}: {p}")));
            if i > 0 && pose.timestamp_ns <= poses[i - 1].timestamp_ns {
                problems.push(format!("{at}: timestamp_ns {} is not after the pose before it; times must increase", pose.timestamp_ns));
            }
        }
        if !problems.is_empty() {
            return Err(PoseError(problems));
        }
        let poses = poses.into_iter().map(|p| Pose { orientation: p.orientation.normalize(), ..p }).collect();
        Ok(PoseTrack { poses })
    }

    pub fn poses(&self) -> &[Pose] {
        &self.poses
    }

    /// The pose at `t_ns`: interpolated between the poses around it, held at the first or last
    /// pose outside the track's span.
    pub fn sample(&self, t_ns: u64) -> Pose {
        let after = self.poses.partition_point(|p| p.timestamp_ns <= t_ns);
        let held = |p: &Pose| Pose { timestamp_ns: t_ns, ..*p };
        if after == 0 {
            return held(&self.poses[0]);
        }
        let (a, Some(b)) = (&self.poses[after - 1], self.poses.get(after)) else {
            return held(&self.poses[after - 1]);
        };
        let s = ((t_ns - a.timestamp_ns) as f64 / (b.timestamp_ns - a.timestamp_ns) as f64) as f32;
        Pose {
            timestamp_ns: t_ns,
            position: a.position.lerp(b.position, s),
            orientation: a.orientation.slerp(b.orientation, s).normalize(),
        }
    }
}

/// Why a written position/orientation is not a pose, if it is not.
fn pose_problem(position: [f32; 3], orientation: [f32; 4]) -> Option<String> {
    let length = Quat::from_array(orientation).length();
    // Written so that NaN counts as not unit.
    let unit = (length - 1.0).abs() <= UNIT_TOLERANCE;
    if !position.iter().all(|v| v.is_finite()) {
        Some(format!("position {position:?} is not finite; write metres as numbers"))
    } else if !unit {
        Some(format!("orientation {orientation:?} has length {length}; write a unit quaternion [x, y, z, w]"))
    } else {
        None
    }
}

/// Reads a `poses.jsonl` named `name` in a manifest, adding every problem (by line) to
/// `problems`; `None` if there were any.
pub(super) fn load(path: &Path, name: &str, problems: &mut Vec<String>) -> Option<PoseTrack> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            problems.push(format!("{name}: named by poses in session.toml but unreadable ({e}); restore it or remove the poses key"));
            return None;
        }
    };
    let before = problems.len();
    let poses = parse(&text, name, problems);
    if poses.is_empty() && problems.len() == before {
        problems.push(format!("{name}: holds no poses; record some or remove the poses key"));
    }
    if problems.len() > before {
        return None;
    }
    PoseTrack::new(poses).map_err(|e| problems.extend(e.0)).ok()
}

impl PoseTrack {
    /// A track from the text of a `poses.jsonl` that stands alone (not named by a session),
    /// checked as a session's is; `name` labels every problem, by line.
    pub fn from_jsonl(text: &str, name: &str) -> Result<PoseTrack, PoseError> {
        let mut problems = Vec::new();
        let poses = parse(text, name, &mut problems);
        if !problems.is_empty() {
            return Err(PoseError(problems));
        }
        PoseTrack::new(poses)
    }
}

/// The poses in a `poses.jsonl`'s text, adding every problem (by line) to `problems`.
fn parse(text: &str, name: &str, problems: &mut Vec<String>) -> Vec<Pose> {
    let mut poses = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let at = format!("{name} line {}", i + 1);
        match serde_json::from_str::<PoseLine>(line) {
            Err(e) => problems
                .push(format!("{at}: {e}; each line is {{\"timestamp_ns\": …, \"position\": [x, y, z], \"orientation\": [x, y, z, w]}}")),
            Ok(p) => {
                if let Some(problem) = pose_problem(p.position, p.orientation) {
                    problems.push(format!("{at}: {problem}"));
                }
                if poses.last().is_some_and(|last: &Pose| p.timestamp_ns <= last.timestamp_ns) {
                    problems.push(format!("{at}: timestamp_ns {} is not after the line before; times must increase", p.timestamp_ns));
                }
                let (position, orientation) = (Vec3::from_array(p.position), Quat::from_array(p.orientation));
                poses.push(Pose { timestamp_ns: p.timestamp_ns, position, orientation });
            }
        }
    }
    poses
}
