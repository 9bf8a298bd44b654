//! Glasses from the outside, without glasses: `visor devices` on a machine with none, every
//! glasses profile telling the truth about its model, and the replay profile's pose opened the
//! way the shell opens it.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use visor_types::DeviceProfile;
use visor_types::profile::{DriverName, GlassesModel, PoseConfig};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn visor_devices_says_there_are_no_glasses_and_succeeds() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_visor"))
        .arg("devices")
        .env("HOME", home.path())
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env_remove("VISOR_DATA")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "exit {:?}\n{stdout}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("Glasses:\n"), "{stdout}");
    let glasses = stdout.lines().nth(1).unwrap_or_default();
    assert!(glasses.contains("none connected") || glasses.contains("built without"), "{stdout}");
    assert!(stdout.contains("Cameras:\n"), "{stdout}");
}

#[test]
fn every_model_has_a_glasses_profile_named_after_it() {
    let dir = repo().join("device-profiles");
    for model in GlassesModel::ALL {
        let profile = DeviceProfile::find(model.slug(), &dir).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(profile.pose, PoseConfig::Glasses { model: Some(model), replay: None }, "{}", model.slug());
        assert!(profile.drivers.contains(&DriverName::Glasses) && profile.drivers.contains(&DriverName::Pose), "{}", model.slug());
        assert!(!profile.drivers.contains(&DriverName::Camera), "{}: the camera driver is not loaded", model.slug());
        assert_eq!((profile.display.eyes, profile.display.eye_width, profile.display.eye_height), (2, 1920, 1080), "{}", model.slug());
        assert_eq!(profile.display.kind, visor_types::DisplayKind::Additive);
        let fov = profile.display.fov_deg;
        assert!(fov.left == -fov.right && fov.up == -fov.down && (20.0..=26.0).contains(&fov.right), "{}: {fov:?}", model.slug());
        let text = std::fs::read_to_string(dir.join(format!("{}.toml", model.slug()))).unwrap();
        assert!(
            text.contains("ar-drivers 0.4.3") && text.contains("display_fov()"),
            "{}: the source of the numbers is named",
            model.slug()
        );
        assert_eq!(GlassesModel::from_driver_name(model.driver_name()), Some(model));
    }
}

#[test]
fn the_replay_profile_opens_a_pose_that_moves_and_hands_out_the_glasses_sensors() {
    let profile = DeviceProfile::find("glasses-replay", &repo().join("device-profiles")).unwrap();
    let PoseConfig::Glasses { replay: Some(replay), .. } = &profile.pose else { panic!("{:?}", profile.pose) };
    let stream = visor_drivers::glasses::ImuStream::read(&repo().join(replay)).unwrap();
    assert!(stream.header.synthesized.is_some(), "the shipped stream says it is synthesized");

    let clock = visor_types::clock::MonotonicClock::shared();
    let opened = visor_drivers::pose::open(&profile.pose, repo(), clock.clone()).unwrap();
    assert!(opened.source.describe().contains("synthesized Rokid Air"), "{}", opened.source.describe());
    let feed = opened.source.glasses().expect("a glasses pose hands the glasses module its feed");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !feed.status().connected {
        assert!(std::time::Instant::now() < deadline, "the replayed pair was not found: {:?}", feed.status());
        std::thread::sleep(Duration::from_millis(5));
    }
    // A second of stillness, then looking around: the head turns within the next two.
    let start = opened.source.latest().orientation;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while opened.source.latest().orientation.angle_between(start) < 0.1 {
        assert!(std::time::Instant::now() < deadline, "the replayed head never turned");
        std::thread::sleep(Duration::from_millis(10));
    }
    let now = clock.now_ns();
    assert_eq!(opened.source.predict(now + 16_000_000).timestamp_ns, now + 16_000_000);
}
