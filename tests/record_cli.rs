//! `visor record` as a user runs it: a session from the default profile's replayed clip that
//! opens and carries the profile's lens, and a clear refusal when the profile's live camera is
//! not there.

use std::path::PathBuf;
use std::process::Command;

use visor_drivers::Session;

/// A fresh folder under the system temp dir, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let path = std::env::temp_dir().join(format!("visor-record-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Scratch(path)
    }

    fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn recording_the_desk_replay_writes_a_session() {
    let dir = Scratch::new("desk");
    let out = dir.path().join("desk-take");
    let output = Command::new(env!("CARGO_BIN_EXE_visor"))
        .args(["record", "--seconds", "0.5", "--format", "png", "--profile", "desktop-sim", "--out"])
        .arg(&out)
        .output()
        .expect("running visor");
    assert!(output.status.success(), "visor record failed:\n{}", String::from_utf8_lossy(&output.stderr));

    let session = Session::open(&out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((session.width, session.height), (320, 240));
    assert!((8..=17).contains(&session.frames.len()), "about 15 frames in 0.5 s at 30 fps: {}", session.frames.len());
    assert_eq!(session.frames[0].timestamp_ns, 0, "times count from the first frame");
    // desktop-sim says hfov_deg = 90: the focal length is half the width.
    assert!((session.intrinsics.fx - 160.0).abs() < 1e-3, "{:?}", session.intrinsics);

    let again =
        Command::new(env!("CARGO_BIN_EXE_visor")).args(["record", "--seconds", "0.1", "--out"]).arg(&out).output().expect("running visor");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a session"));
}

#[test]
fn with_no_camera_it_says_so_and_names_the_way_out() {
    let dir = Scratch::new("absent");
    let profile = dir.path().join("webcam.toml");
    let desktop = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/device-profiles/desktop-sim.toml")).unwrap();
    let display = &desktop[..desktop.find("[camera]").unwrap()];
    // /dev/video99 exists on no machine, so no real camera is involved.
    let camera = "[camera]\nsource = \"live\"\ndevice = 99\nwidth = 640\nheight = 480\nfps = 30\nretry_ms = 50\n";
    std::fs::write(&profile, format!("{}{camera}", display.replace("desktop-sim", "webcam"))).unwrap();

    let out = dir.path().join("never");
    let output = Command::new(env!("CARGO_BIN_EXE_visor"))
        .args(["record", "--seconds", "1", "--profile"])
        .arg(&profile)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("running visor");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for needle in ["no camera to record from", "/dev/video99", "--profile"] {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
    assert!(!Session::is_session(&out), "nothing was recorded");
}
