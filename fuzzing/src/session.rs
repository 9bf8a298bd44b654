//! Recorded sessions (`visor-drivers`): a session folder through `Session::open`, and a
//! `poses.jsonl` through `PoseTrack::from_jsonl` in memory.
//!
//! Input, in [`SEPARATOR`](crate::SEPARATOR)-separated sections: `session.toml`, `poses.jsonl`
//! and one frame file's bytes (written as `frame-0000.jpg`; a manifest may name it any number
//! of times). `Session::open` reads only folders, so the sections are written into a fresh
//! scratch folder. A manifest with a `/` or `\` is skipped, so that every file it names stays
//! inside that folder (`Session::open` reads what a manifest names, wherever it is).
//!
//! Asserted: no panic; a refusal names at least one problem; an accepted session has frames, in
//! increasing time order, of 1 to 8192 pixels, a camera with positive finite focal lengths, and
//! a duration that is the span of its frames; a pose track, from the folder or from memory,
//! samples at any time (before, inside and after its span) a pose stamped with that time and a
//! unit orientation.

use std::fs;

use visor_drivers::session::{PoseTrack, Session, SessionError};

/// The frame section's file name in the scratch folder.
pub const FRAME_FILE: &str = "frame-0000.jpg";

pub fn run(data: &[u8]) {
    let parts = crate::sections(data, 3);
    if let Some(poses) = crate::text(&parts, 1)
        && let Ok(track) = PoseTrack::from_jsonl(poses, "fuzz")
    {
        check_track(&track);
    }
    let manifest = parts[0];
    if manifest.iter().any(|b| matches!(b, b'/' | b'\\')) {
        return;
    }
    let dir = crate::scratch_dir();
    fs::write(dir.path().join("session.toml"), manifest).expect("write session.toml");
    if let Some(poses) = parts.get(1) {
        fs::write(dir.path().join("poses.jsonl"), poses).expect("write poses.jsonl");
    }
    if let Some(frame) = parts.get(2) {
        fs::write(dir.path().join(FRAME_FILE), frame).expect("write the frame");
    }
    match Session::open(dir.path()) {
        Ok(session) => check_session(&session),
        Err(SessionError::Invalid { problems, .. }) => assert!(!problems.is_empty(), "a session refused without a single problem named"),
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

fn check_session(s: &Session) {
    assert!(!s.frames.is_empty(), "an accepted session without frames");
    assert!(s.frames.windows(2).all(|w| w[0].timestamp_ns < w[1].timestamp_ns), "frames out of order");
    assert!((1..=8192).contains(&s.width) && (1..=8192).contains(&s.height), "size {}x{}", s.width, s.height);
    let k = s.intrinsics;
    assert!(k.fx > 0.0 && k.fy > 0.0 && k.fx.is_finite() && k.fy.is_finite() && k.cx.is_finite() && k.cy.is_finite(), "{k:?}");
    let (first, last) = (s.frames[0].timestamp_ns, s.frames[s.frames.len() - 1].timestamp_ns);
    assert_eq!(s.duration_ns(), last - first);
    if let Some(track) = &s.poses {
        check_track(track);
    }
}

fn check_track(track: &PoseTrack) {
    let poses = track.poses();
    assert!(!poses.is_empty(), "an accepted track without poses");
    assert!(poses.windows(2).all(|w| w[0].timestamp_ns < w[1].timestamp_ns), "poses out of order");
    let (first, last) = (poses[0].timestamp_ns, poses[poses.len() - 1].timestamp_ns);
    let middle = first + (last - first) / 2;
    for t in [0, first.saturating_sub(1), first, middle, middle.saturating_add(1), last, last.saturating_add(1), u64::MAX] {
        let pose = track.sample(t);
        assert_eq!(pose.timestamp_ns, t);
        let length = pose.orientation.length();
        assert!((length - 1.0).abs() < 1e-3, "the pose sampled at {t} has an orientation of length {length}");
    }
}
