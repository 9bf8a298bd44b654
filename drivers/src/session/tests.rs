//! Sessions: the writer's output opens and replays at its recorded times; every kind of broken
//! session is reported at once, by file; poses interpolate; recording from a real source works.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use glam::{Quat, Vec3};
use image::{Rgb, RgbImage};
use visor_types::clock::MonotonicClock;
use visor_types::{CameraFrame, CameraIntrinsics};

use super::*;
use crate::camera::{CameraSource, ReplayCamera, SyntheticCamera};

const K: CameraIntrinsics = CameraIntrinsics { fx: 160.0, fy: 160.0, cx: 160.0, cy: 120.0 };

fn frame(width: u32, height: u32, shade: u8, timestamp_ns: u64) -> CameraFrame {
    let pixels: Vec<u8> = (0..width * height).flat_map(|_| [shade, 255 - shade, 7, 255]).collect();
    CameraFrame { width, height, pixels: Arc::from(pixels), timestamp_ns, sequence: 0 }
}

fn pose(timestamp_ns: u64, x: f32, yaw_deg: f32) -> Pose {
    Pose { timestamp_ns, position: Vec3::new(x, 1.5, 0.0), orientation: Quat::from_rotation_y(yaw_deg.to_radians()) }
}

/// A desk-clip session the way the other tools write one: JPEG frames, poses, a SOURCE.md.
fn write_session(dir: &Path, times: &[u64]) {
    let desk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/camera/desk");
    let mut toml = String::from("format = 1\nwidth = 320\nheight = 240\n");
    toml += "intrinsics = { fx = 160.0, fy = 160.0, cx = 160.0, cy = 120.0 }\nposes = \"poses.jsonl\"\n";
    for (i, t) in times.iter().enumerate() {
        std::fs::copy(desk.join(format!("frame_{i:03}.jpg")), dir.join(format!("frame-{i:04}.jpg"))).unwrap();
        toml += &format!("[[frames]]\nfile = \"frame-{i:04}.jpg\"\ntimestamp_ns = {t}\n");
    }
    std::fs::write(dir.join(MANIFEST), toml).unwrap();
    let poses = "{\"timestamp_ns\": 0, \"position\": [0, 0, 0], \"orientation\": [0, 0, 0, 1]}\n\
                 {\"timestamp_ns\": 100000000, \"position\": [1, 0, 0], \"orientation\": [0, 0.7071068, 0, 0.7071068]}\n";
    std::fs::write(dir.join("poses.jsonl"), poses).unwrap();
    std::fs::write(dir.join("SOURCE.md"), "the desk clip, as a session").unwrap();
}

#[test]
fn written_sessions_open_with_what_was_written() {
    for format in [FrameFileFormat::Png, FrameFileFormat::Jpeg] {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = SessionWriter::create(dir.path(), format, K).unwrap();
        // Capture times on some clock far from zero; the session stores them from the first.
        for (i, shade) in [10u8, 120, 240].into_iter().enumerate() {
            writer.write_frame(&frame(8, 6, shade, 7_000 + i as u64 * 33_333_333)).unwrap();
        }
        writer.add_pose(pose(6_000, 9.0, 0.0)); // before the first frame: dropped
        writer.add_pose(pose(7_000, 0.0, 0.0));
        writer.add_pose(pose(7_000 + 66_666_666, 1.0, 90.0));
        let session = writer.finish().unwrap();

        assert_eq!((session.width, session.height, session.intrinsics), (8, 6, K));
        let times: Vec<u64> = session.frames.iter().map(|f| f.timestamp_ns).collect();
        assert_eq!(times, [0, 33_333_333, 66_666_666]);
        let ext = if format == FrameFileFormat::Png { "png" } else { "jpg" };
        assert!(session.frames[2].path.ends_with(format!("frame-0002.{ext}")));
        let poses = session.poses.as_ref().expect("poses were written");
        assert_eq!(poses.poses().len(), 2);
        assert!((poses.sample(33_333_333).position.x - 0.5).abs() < 1e-6);

        let mut replay = ReplayCamera::open(dir.path(), 1.0).unwrap();
        let shown = replay.frame_at(40_000_000).unwrap();
        let tolerance = if format == FrameFileFormat::Png { 0 } else { 4 };
        assert!(shown.pixels[0].abs_diff(120) <= tolerance, "the second frame's shade: {}", shown.pixels[0]);
        assert_eq!(replay.intrinsics(), K);

        let again = SessionWriter::create(dir.path(), format, K).err().expect("an existing session is not overwritten");
        assert!(matches!(again, SessionError::Exists { .. }), "{again}");
    }
}

#[test]
fn the_writer_refuses_mixed_sizes_disorder_and_emptiness() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = SessionWriter::create(dir.path(), FrameFileFormat::Png, K).unwrap();
    writer.write_frame(&frame(4, 4, 1, 100)).unwrap();
    assert!(matches!(writer.write_frame(&frame(5, 4, 1, 200)), Err(SessionError::FrameSize { index: 1, .. })));
    assert!(matches!(writer.write_frame(&frame(4, 4, 1, 100)), Err(SessionError::OutOfOrder { index: 1, .. })));
    assert_eq!(writer.frames_written(), 1);

    let empty = tempfile::tempdir().unwrap();
    let writer = SessionWriter::create(empty.path(), FrameFileFormat::Png, K).unwrap();
    assert!(matches!(writer.finish(), Err(SessionError::NoFrames { .. })));
    assert!(!Session::is_session(empty.path()), "no manifest is left behind");
}

#[test]
fn a_session_replays_by_its_timestamps_and_loops() {
    let dir = tempfile::tempdir().unwrap();
    // Uneven spacing, offset from zero: frame 2 is shown from 100 ms to 250 ms after the first.
    write_session(dir.path(), &[1_000_000_000, 1_050_000_000, 1_100_000_000, 1_250_000_000]);
    let mut camera = ReplayCamera::open(dir.path(), 30.0).unwrap();
    assert!(camera.describe().starts_with("replay session") && camera.describe().contains("(4 frames, 0.25 s)"));
    assert_eq!((camera.len(), camera.size(), camera.intrinsics()), (4, (320, 240), K));
    assert!(camera.poses().is_some());

    let at = |camera: &mut ReplayCamera, ms: u64| {
        let f = camera.frame_at(ms * 1_000_000).unwrap();
        (f.sequence, f.timestamp_ns / 1_000_000)
    };
    assert_eq!(at(&mut camera, 0), (0, 0));
    assert_eq!(at(&mut camera, 49), (0, 0));
    assert_eq!(at(&mut camera, 50), (1, 50));
    assert_eq!(at(&mut camera, 249), (2, 100));
    assert_eq!(at(&mut camera, 250), (3, 250));
    // The last frame is held for the mean interval (250 / 3 ms), then the clip loops.
    assert_eq!(at(&mut camera, 333), (3, 250));
    assert_eq!(at(&mut camera, 334), (4, 333));
    let first = camera.frame_at(0).unwrap();
    let looped = camera.frame_at(334_000_000).unwrap();
    assert!(Arc::ptr_eq(&first.pixels, &looped.pixels), "a loop shows the same decoded frame");
}

#[test]
fn every_problem_of_a_broken_session_is_named_at_once() {
    let dir = tempfile::tempdir().unwrap();
    write_session(dir.path(), &[0, 10, 10]);
    std::fs::remove_file(dir.path().join("frame-0001.jpg")).unwrap();
    RgbImage::from_pixel(64, 48, Rgb([1, 2, 3])).save(dir.path().join("frame-0000.jpg")).unwrap();
    let poses = "{\"timestamp_ns\": 5, \"position\": [0, 0, 0], \"orientation\": [0, 0, 0, 2]}\nnot json\n";
    std::fs::write(dir.path().join("poses.jsonl"), poses).unwrap();

    let err = Session::open(dir.path()).unwrap_err();
    let SessionError::Invalid { problems, .. } = &err else { panic!("{err}") };
    let text = err.to_string();
    for needle in [
        "frame-0000.jpg: is 64x48 but session.toml says 320x240",
        "frame-0001.jpg: listed in session.toml but missing",
        "frame-0002.jpg: timestamp_ns 10 is not after the previous frame's 10",
        "poses.jsonl line 1: orientation [0.0, 0.0, 0.0, 2.0] has length 2",
        "poses.jsonl line 2:",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    assert_eq!(problems.len(), 5, "{text}");

    std::fs::write(
        dir.path().join(MANIFEST),
        "format = 2\nwidth = 320\nheight = 240\nintrinsics = { fx = 0.0, fy = 1.0, cx = 0.0, cy = 0.0 }\n",
    )
    .unwrap();
    let text = Session::open(dir.path()).unwrap_err().to_string();
    for needle in ["format is 2", "intrinsics", "lists no [[frames]]"] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    std::fs::write(dir.path().join(MANIFEST), "format = 1\nwidth = \"wide\"\n").unwrap();
    assert!(matches!(Session::open(dir.path()), Err(SessionError::Syntax { .. })));
}

#[test]
fn poses_interpolate_linearly_and_by_slerp() {
    let track = PoseTrack::new(vec![pose(100, 0.0, 0.0), pose(300, 2.0, 90.0), pose(500, 2.0, 90.0)]).unwrap();
    let mid = track.sample(200);
    assert_eq!(mid.timestamp_ns, 200);
    assert!((mid.position - Vec3::new(1.0, 1.5, 0.0)).length() < 1e-6);
    assert!(mid.orientation.angle_between(Quat::from_rotation_y(45f32.to_radians())) < 1e-4, "half way round");
    assert_eq!(track.sample(0).position, track.poses()[0].position, "held before the first pose");
    assert_eq!(track.sample(9_999).orientation, track.poses()[2].orientation, "held after the last");
    assert!((track.sample(300).position.x - 2.0).abs() < 1e-6);

    let err = PoseTrack::new(vec![pose(5, 0.0, 0.0), pose(5, 0.0, 0.0)]).unwrap_err();
    assert!(err.to_string().contains("pose 1: timestamp_ns 5 is not after"), "{err}");
    assert!(PoseTrack::new(Vec::new()).is_err());
    let skewed = Pose { orientation: Quat::from_xyzw(0.0, 0.0, 0.0, 0.5), ..pose(1, 0.0, 0.0) };
    assert!(PoseTrack::new(vec![skewed]).unwrap_err().to_string().contains("unit quaternion"));
}

#[test]
fn recording_a_synthetic_source_writes_a_session_that_replays() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("take-1");
    let mut source = SyntheticCamera::new(64, 48, 30.0).unwrap();
    let clock = MonotonicClock::shared();
    let options = RecordOptions::new(Duration::from_millis(300), FrameFileFormat::Png);
    let report = record(&mut source, clock.as_ref(), &out, &options).unwrap();
    assert_eq!((report.dropped, report.stopped_early.as_deref()), (0, None));

    let session = Session::open(&out).unwrap();
    let n = session.frames.len();
    assert!((7..=11).contains(&n), "about 9 frames in 0.3 s at 30 fps, got {n}");
    assert_eq!((session.width, session.height), (64, 48));
    assert_eq!(session.intrinsics, source.intrinsics());
    // Real capture times: one frame period apart (the synthetic source's own clock ticks).
    for pair in session.frames.windows(2) {
        let step = pair[1].timestamp_ns - pair[0].timestamp_ns;
        assert!((33_333_000..=33_334_000).contains(&step), "step {step}");
    }
    // PNG is lossless: replayed frame j is the pattern's frame k + j, for the k recording began at.
    let mut replay = ReplayCamera::open(&out, 1.0).unwrap();
    let mut pattern = SyntheticCamera::new(64, 48, 30.0).unwrap();
    let mut pattern_frame = |k: u64| pattern.frame_at(k * 1_000_000_000 / 30 + 1_000).unwrap().pixels;
    let first = replay.frame_at(session.frames[0].timestamp_ns).unwrap().pixels;
    let k = (0..300).find(|&k| pattern_frame(k) == first).expect("the first frame is a pattern frame");
    for (j, f) in session.frames.iter().enumerate() {
        assert_eq!(replay.frame_at(f.timestamp_ns).unwrap().pixels, pattern_frame(k + j as u64), "frame {j}");
    }
}

#[test]
fn the_astronaut_session_clip_opens_if_present() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/camera/astronaut");
    if !Session::is_session(&folder) {
        return;
    }
    let session = Session::open(&folder).unwrap_or_else(|e| panic!("{e}"));
    let mut camera = ReplayCamera::open(&folder, 30.0).unwrap();
    assert_eq!(camera.size(), (session.width, session.height));
    assert_eq!(camera.intrinsics(), session.intrinsics);
    camera.frame_at(0).unwrap();
}

#[test]
fn the_motorcycle_stereo_session_opens_with_its_pair_and_truth() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/camera/motorcycle");
    let session = Session::open(&folder).unwrap_or_else(|e| panic!("{e}"));
    let stereo = session.stereo.expect("a stereo session");
    assert!((stereo.baseline_mm - 193.001).abs() < 1e-3 && (stereo.doffs_px - 31.0858).abs() < 1e-3, "{stereo:?}");
    let frame = &session.frames[0];
    assert_eq!(frame.right.as_deref(), Some(folder.join("right.png").as_path()));
    assert_eq!(frame.disparity.as_deref(), Some(folder.join("disparity-truth.png").as_path()));
    assert_eq!(frame.depth, None);
}

#[test]
fn stereo_sessions_name_a_missing_right_image_or_geometry() {
    let dir = tempfile::tempdir().unwrap();
    write_session(dir.path(), &[0, 10]);
    let manifest = std::fs::read_to_string(dir.path().join(MANIFEST)).unwrap();

    // Geometry, but the frames have no right images.
    std::fs::write(dir.path().join(MANIFEST), format!("{manifest}[stereo]\nbaseline_mm = 60.0\n")).unwrap();
    let text = Session::open(dir.path()).unwrap_err().to_string();
    assert!(text.contains("frame frame-0000.jpg has no right image"), "{text}");

    // A right image, but no geometry; and a depth map of the wrong size.
    let with_right = manifest.replacen(
        "file = \"frame-0000.jpg\"\n",
        "file = \"frame-0000.jpg\"\nright = \"frame-0001.jpg\"\ndepth = \"depth.png\"\n",
        1,
    );
    image::GrayImage::new(8, 8).save(dir.path().join("depth.png")).unwrap();
    std::fs::write(dir.path().join(MANIFEST), with_right).unwrap();
    let text = Session::open(dir.path()).unwrap_err().to_string();
    assert!(text.contains("has a right image but there is no [stereo] table"), "{text}");
    assert!(text.contains("its depth map depth.png is 8x8 but session.toml says 320x240"), "{text}");
}
