//! [`TrackPose`]: a recorded head-pose track played in a loop, for repeatable runs and tests.
//!
//! The track is a [`PoseTrack`] read from a bare `poses.jsonl` or from a recorded session folder
//! that holds one. It plays from the moment the source opened (on the injected clock): the pose
//! for time `t` is the track sampled at `(t - start) mod period`, interpolated between recorded
//! poses, so it is the same on every run for the same clock readings.
//!
//! The loop's period is the track's span plus one mean sample interval, and in that last
//! interval the pose is interpolated from the last recorded pose back to the first. A track
//! recorded (or synthesized) as one period of a periodic motion, like
//! `assets/poses/head-sweep.jsonl`, therefore loops without a seam; any other track swings back
//! to its start within that one interval, a jump spread over a few milliseconds.

use std::path::Path;

use visor_types::Pose;
use visor_types::clock::SharedClock;

use super::{PoseError, PoseSource, resolve};
use crate::session::{PoseTrack, Session};

pub struct TrackPose {
    track: PoseTrack,
    /// For logs: the path as the profile gave it.
    name: String,
    clock: SharedClock,
    /// Clock reading at which the track's first pose plays.
    start_ns: u64,
    /// Span plus one mean sample interval; 0 for a one-pose track, which simply holds.
    period_ns: u64,
}

impl TrackPose {
    /// Opens `file` (a `poses.jsonl`, or a session folder with poses; relative to `data_root`
    /// unless absolute) and starts playing it at the clock's now.
    pub fn open(file: &Path, data_root: &Path, clock: SharedClock) -> Result<TrackPose, PoseError> {
        let path = resolve(file, data_root);
        let track = if path.is_dir() {
            Session::open(&path)?.poses.ok_or_else(|| PoseError::SessionWithoutPoses { folder: path.clone() })?
        } else {
            let text = std::fs::read_to_string(&path).map_err(|source| PoseError::TrackRead { path: path.clone(), source })?;
            PoseTrack::from_jsonl(&text, &file.display().to_string())
                .map_err(|source| PoseError::TrackInvalid { path: path.clone(), source })?
        };
        Ok(TrackPose::new(track, file.display().to_string(), clock))
    }

    /// Plays `track` from the clock's now; `name` is for logs.
    pub fn new(track: PoseTrack, name: String, clock: SharedClock) -> TrackPose {
        let poses = track.poses();
        let span = poses[poses.len() - 1].timestamp_ns - poses[0].timestamp_ns;
        let period_ns = match poses.len() {
            1 => 0,
            n => span + span / (n as u64 - 1),
        };
        TrackPose { track, name, start_ns: clock.now_ns(), clock, period_ns }
    }

    /// How long one pass of the loop lasts.
    pub fn period_ns(&self) -> u64 {
        self.period_ns
    }

    fn sample(&self, t_ns: u64) -> Pose {
        let poses = self.track.poses();
        let (first, last) = (&poses[0], &poses[poses.len() - 1]);
        if self.period_ns == 0 {
            return Pose { timestamp_ns: t_ns, ..*first };
        }
        // Before the start (a display time asked early) plays the start.
        let at = first.timestamp_ns + t_ns.saturating_sub(self.start_ns) % self.period_ns;
        if at <= last.timestamp_ns {
            return Pose { timestamp_ns: t_ns, ..self.track.sample(at) };
        }
        // The seam: from the last pose back to the first over the loop's last interval.
        let seam = self.period_ns - (last.timestamp_ns - first.timestamp_ns);
        let s = ((at - last.timestamp_ns) as f64 / seam as f64) as f32;
        Pose {
            timestamp_ns: t_ns,
            position: last.position.lerp(first.position, s),
            orientation: last.orientation.slerp(first.orientation, s).normalize(),
        }
    }
}

impl PoseSource for TrackPose {
    fn predict(&self, t_ns: u64) -> Pose {
        self.sample(t_ns)
    }

    /// The track's pose at the clock's now: a replay has no measurement older than that.
    fn latest(&self) -> Pose {
        self.sample(self.clock.now_ns())
    }

    fn describe(&self) -> String {
        format!("track {} ({:.1} s)", self.name, self.period_ns as f64 * 1e-9)
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use glam::{Quat, Vec3};
    use visor_types::CameraFrame;
    use visor_types::CameraIntrinsics;
    use visor_types::clock::ManualClock;

    use super::*;
    use crate::session::{FrameFileFormat, SessionWriter};

    const SWEEP: &str = "assets/poses/head-sweep.jsonl";
    const MS: u64 = 1_000_000;

    fn data_root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    fn sweep(start_ns: u64) -> TrackPose {
        let clock = Arc::new(ManualClock::default());
        clock.set_ns(start_ns);
        TrackPose::open(Path::new(SWEEP), &data_root(), clock).unwrap()
    }

    fn pose(t_ms: u64, x: f32, yaw_deg: f32) -> Pose {
        Pose { timestamp_ns: t_ms * MS, position: Vec3::new(x, 0.0, 0.0), orientation: Quat::from_rotation_y(yaw_deg.to_radians()) }
    }

    #[test]
    fn the_head_sweep_plays_the_same_on_every_run_from_when_it_opened() {
        let (a, b) = (sweep(0), sweep(3_000 * MS));
        assert_eq!(a.describe(), format!("track {SWEEP} (10.0 s)"));
        assert!(a.period_ns().abs_diff(10_000 * MS) <= 1, "{} ns", a.period_ns());
        for t in (0..25_000 * MS).step_by(7_919_111) {
            let (pa, pb) = (a.predict(t), b.predict(t + 3_000 * MS));
            assert_eq!((pa.position, pa.orientation), (pb.position, pb.orientation), "at {t} ns after the start");
            assert_eq!(pa.timestamp_ns, t);
        }
        let recorded = &a.track.poses()[37];
        let played = a.predict(recorded.timestamp_ns);
        assert_eq!(played.position, recorded.position, "a recorded instant plays as recorded");
        assert!(played.orientation.angle_between(recorded.orientation) < 1e-6);
        assert_eq!(b.predict(0).orientation, a.predict(0).orientation, "a time before the start plays the start");
        // The sweep moves: yaw reaches about ±25 degrees and the head sways ±0.15 m.
        let yaws = (0..1000).map(|i| a.predict(i * 10 * MS).orientation.to_euler(glam::EulerRot::YXZ).0.to_degrees());
        let (low, high) = yaws.fold((0f32, 0f32), |(lo, hi), y| (lo.min(y), hi.max(y)));
        assert!((24.0..=25.5).contains(&high) && (-25.5..=-24.0).contains(&low), "yaw {low}..{high}");
        assert!((a.predict(2_500 * MS).position.x - 0.15).abs() < 1e-3);
    }

    #[test]
    fn the_head_sweep_is_continuous_across_the_loop_seam() {
        let track = sweep(0);
        let period = track.period_ns();
        // Every millisecond through the last 50 ms of one pass and the first 50 ms of the next,
        // and the same steps in the middle of the track for comparison.
        let steps = |from: u64| -> (f32, f32) {
            let mut worst = (0f32, 0f32);
            let mut before = track.predict(from);
            for t in (from + MS..from + 100 * MS).step_by(MS as usize) {
                let now = track.predict(t);
                worst.0 = worst.0.max(now.orientation.angle_between(before.orientation));
                worst.1 = worst.1.max(now.position.distance(before.position));
                before = now;
            }
            worst
        };
        let (seam_turn, seam_move) = steps(period - 50 * MS);
        let (mid_turn, mid_move) = steps(period / 2 - 50 * MS);
        // The sweep peaks near 0.6 rad/s and 0.1 m/s: under a milliradian and 0.1 mm a millisecond.
        assert!(seam_turn < 1e-3 && seam_move < 2e-4, "seam steps: {seam_turn} rad, {seam_move} m");
        assert!(seam_turn < 2.0 * mid_turn.max(1e-4), "the seam turns like the middle does: {seam_turn} vs {mid_turn}");
        assert!(seam_move < 2.0 * mid_move.max(1e-5), "{seam_move} vs {mid_move}");
        let (start, again) = (track.predict(0), track.predict(period));
        assert!(start.orientation.angle_between(again.orientation) < 1e-6 && start.position.distance(again.position) < 1e-6);
    }

    #[test]
    fn a_track_that_does_not_close_swings_back_over_one_interval() {
        let poses = vec![pose(0, 0.0, 0.0), pose(100, 1.0, 10.0), pose(200, 2.0, 20.0)];
        let track = TrackPose::new(PoseTrack::new(poses).unwrap(), "three".into(), Arc::new(ManualClock::default()));
        assert_eq!(track.period_ns(), 300 * MS, "two intervals of 100 ms plus one for the seam");
        let seam = track.predict(250 * MS);
        assert!((seam.position.x - 1.0).abs() < 1e-5, "halfway from the last pose back to the first: {seam:?}");
        assert!((seam.orientation.to_euler(glam::EulerRot::YXZ).0.to_degrees() - 10.0).abs() < 1e-3);
        assert_eq!(track.predict(300 * MS).position, Vec3::ZERO, "and the next pass starts at the first pose");
        assert_eq!(track.predict(450 * MS).position, Vec3::new(1.5, 0.0, 0.0));
    }

    #[test]
    fn a_one_pose_track_holds_it() {
        let track = TrackPose::new(PoseTrack::new(vec![pose(5, 0.5, 30.0)]).unwrap(), "one".into(), Arc::new(ManualClock::default()));
        let held = track.predict(123 * MS);
        assert_eq!((held.timestamp_ns, held.position), (123 * MS, Vec3::new(0.5, 0.0, 0.0)));
        assert!(held.orientation.angle_between(Quat::from_rotation_y(30f32.to_radians())) < 1e-6);
        assert_eq!(track.describe(), "track one (0.0 s)");
    }

    #[test]
    fn a_broken_track_names_its_lines() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("poses.jsonl");
        let good = r#"{"timestamp_ns": 0, "position": [0, 0, 0], "orientation": [0, 0, 0, 1]}"#;
        let stretched = r#"{"timestamp_ns": 5, "position": [0, 0, 0], "orientation": [0, 0, 0, 2]}"#;
        std::fs::write(&file, format!("{good}\nnot json\n{stretched}\n")).unwrap();
        let err = TrackPose::open(&file, &data_root(), Arc::new(ManualClock::default())).err().expect("a broken track fails");
        let message = err.to_string();
        assert!(matches!(err, PoseError::TrackInvalid { .. }), "{message}");
        assert!(message.contains("line 2") && message.contains("line 3") && message.contains("unit quaternion"), "{message}");

        std::fs::write(&file, "\n").unwrap();
        let err = TrackPose::open(&file, &data_root(), Arc::new(ManualClock::default())).err().expect("an empty track fails");
        assert!(err.to_string().contains("no poses"), "{err}");
    }

    #[test]
    fn a_session_folder_plays_its_poses_and_one_without_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("walk");
        let mut writer = SessionWriter::create(&folder, FrameFileFormat::Png, CameraIntrinsics::from_hfov(4, 4, 60.0)).unwrap();
        let frame = CameraFrame { width: 4, height: 4, pixels: vec![128u8; 64].into(), timestamp_ns: 1_000 * MS, sequence: 0 };
        writer.write_frame(&frame).unwrap();
        for (t, x) in [(1_000, 0.0), (1_100, 0.2), (1_200, 0.4)] {
            writer.add_pose(pose(t, x, 0.0));
        }
        writer.finish().unwrap();
        let track = TrackPose::open(&folder, &data_root(), Arc::new(ManualClock::default())).unwrap();
        assert!((track.predict(150 * MS).position.x - 0.3).abs() < 1e-5, "times from the session's first frame");

        let err = TrackPose::open(Path::new("assets/camera/astronaut"), &data_root(), Arc::new(ManualClock::default()))
            .err()
            .expect("a session without poses is no track");
        assert!(matches!(err, PoseError::SessionWithoutPoses { .. }), "{err}");
    }
}
