//! The main job end to end: `visor run --headless` as a user runs it, and its output.

mod common;

use std::process::Command;

#[test]
fn headless_run_writes_frames_and_a_timing_log() {
    common::guests();
    let out = std::env::temp_dir().join(format!("visor-headless-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let status = Command::new(env!("CARGO_BIN_EXE_visor"))
        .args(["run", "--headless", "--frames", "6", "--unpaced", "--out"])
        .arg(&out)
        // An empty store of its own: nothing installed, so the sample apps run.
        .arg("--store")
        .arg(out.join("store"))
        .status()
        .expect("running visor");
    assert!(status.success(), "visor run exited with {status}");

    for frame in 0..6 {
        let path = out.join(format!("frame-{frame:06}.png"));
        let image = image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!((image.width(), image.height()), (1280, 480), "desktop-sim: two 640x480 eyes side by side");
    }
    let log = std::fs::read_to_string(out.join("timing.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = log.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 6);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["frame"], i as u64);
        assert!(line["compositor_ms"].as_f64().is_some_and(|ms| ms > 0.0), "{line}");
        for app in ["cube", "hud"] {
            assert!(line["apps"][app]["frame_ms"].is_f64(), "per-app timing for {app}: {line}");
        }
    }
    // The sample apps were waited for at start-up, so every frame shows both.
    assert!(lines.iter().all(|l| l["layers"] == 2), "{log}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn an_unknown_profile_is_named_with_the_ones_available() {
    let output = Command::new(env!("CARGO_BIN_EXE_visor"))
        .args(["run", "--headless", "--frames", "1", "--profile", "no-such-glasses", "--out"])
        .arg(std::env::temp_dir().join("visor-never-written"))
        .arg("--store")
        .arg(std::env::temp_dir().join(format!("visor-store-{}", std::process::id())))
        .output()
        .expect("running visor");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no device profile named 'no-such-glasses'") && stderr.contains("desktop-sim"), "{stderr}");
}
