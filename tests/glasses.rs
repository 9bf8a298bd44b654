//! Glasses from the outside, without glasses: `visor devices` on a machine with none, every
//! glasses profile telling the truth about its model, the replay profile's pose opened the
//! way the shell opens it, and the shell pausing and dimming while nobody wears the glasses.

mod common;

use std::path::Path;
use std::process::Command;
use std::str::FromStr;
use std::time::{Duration, Instant};

use visor_types::DeviceProfile;
use visor_types::profile::{DriverName, GlassesModel, PoseConfig};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Steps `shell` (frames numbered from `frame` on) until `done`, for at most a minute.
fn step_until(shell: &mut visor::shell::Shell, frame: &mut u64, what: &str, done: &dyn Fn(&mut visor::shell::Shell) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(shell) {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        shell.step(*frame, shell.clock.now_ns());
        *frame += 1;
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// An endpoint standing in for the glasses driver module, allowed to publish on `topic`.
fn fake_driver(shell: &visor::shell::Shell, topic: &str) -> visor_runtime::bus::Endpoint {
    use visor_runtime::bus::{BusCapabilities, ModuleRef, TopicPattern};
    let caps =
        BusCapabilities { publish: vec![TopicPattern::from_str(topic).unwrap()], messages_per_second: 100, ..BusCapabilities::none() };
    shell.modules.bus().endpoint(ModuleRef::new(950, "glasses"), caps)
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
        assert_eq!(profile.pose, PoseConfig::Glasses { model: Some(model), replay: None, keys: Default::default() }, "{}", model.slug());
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

/// Taking the glasses off (the driver module says so on `glasses/worn`) pauses the displayed
/// apps and dims the display; putting them back on resumes those apps and the brightness.
#[test]
fn glasses_taken_off_pause_the_apps_and_dim_the_display() {
    use visor::shell::Shell;
    use visor_runtime::AppStatus;
    use visor_runtime::bus::{Payload, Topic};
    use visor_runtime::policy::Policy;
    use visor_types::clock::MonotonicClock;

    let profile = common::profile(1);
    let mut shell = Shell::new(profile.clone(), &common::repo(), MonotonicClock::shared(), Policy::default()).unwrap();
    let app = shell.launch(&common::component("probe"), &[("PROBE_X", "-0.9,0.9"), ("PROBE_COLOR", "0,1,0,1")]).unwrap();
    shell.publish(0, shell.clock.now_ns());
    let driver = fake_driver(&shell, "glasses/worn");
    let worn = Topic::new("glasses/worn").unwrap();
    let mut frame = 0;
    let green = |shell: &mut Shell| shell.compositor.read_frame().unwrap().get_pixel(80, 60).0[1];
    step_until(&mut shell, &mut frame, "the app draws", &|s| s.modules.app(app).is_some_and(|a| a.frames() > 2) && green(s) > 200);
    let bright = green(&mut shell);

    driver.publish(&worn, Payload::json(&serde_json::json!({ "kind": "worn", "worn": false, "at_ns": 1 })).unwrap()).unwrap();
    step_until(&mut shell, &mut frame, "the app is paused", &|s| s.modules.app(app).is_some_and(|a| a.status() == AppStatus::Paused));
    shell.step(frame, shell.clock.now_ns());
    let dim = green(&mut shell);
    assert!(dim < bright / 2, "the display dims while nobody wears the glasses: {dim} against {bright}");
    let frames = shell.modules.app(app).unwrap().frames();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(shell.modules.app(app).unwrap().frames(), frames, "a paused app draws nothing");

    driver.publish(&worn, Payload::json(&serde_json::json!({ "kind": "worn", "worn": true, "at_ns": 2 })).unwrap()).unwrap();
    step_until(&mut shell, &mut frame, "the app runs again", &|s| {
        s.modules.app(app).is_some_and(|a| a.status() == AppStatus::Running && a.frames() > frames)
    });
    shell.step(frame, shell.clock.now_ns());
    assert!(green(&mut shell) > 200, "the display is bright again");
}

/// The glasses' first key (the profile's default binding) opens the launcher in front of the
/// head and gives it the focus; pressed again it closes it. Other keys leave it alone.
#[test]
fn the_first_glasses_key_opens_and_closes_the_launcher() {
    use visor::shell::Shell;
    use visor_runtime::bus::{Payload, Topic};
    use visor_runtime::policy::Policy;
    use visor_types::clock::MonotonicClock;

    let mut shell = Shell::new(common::profile(1), &common::repo(), MonotonicClock::shared(), Policy::default()).unwrap();
    shell.set_launcher(common::component("launcher"));
    let driver = fake_driver(&shell, "glasses/keys");
    let keys = Topic::new("glasses/keys").unwrap();
    let press =
        |key: u8| driver.publish(&keys, Payload::json(&serde_json::json!({ "kind": "key", "key": key, "at_ns": 1 })).unwrap()).unwrap();
    let showing = |shell: &mut Shell| shell.modules.display_apps().any(|a| a.name() == "launcher" && a.frames() > 0);
    let mut frame = 0;

    press(2);
    for _ in 0..20 {
        shell.step(0, shell.clock.now_ns());
    }
    assert!(shell.modules.find("launcher").is_none(), "an unbound key opens nothing");
    press(0);
    step_until(&mut shell, &mut frame, "the launcher shows", &showing);
    assert_eq!(shell.focused().as_deref(), Some("launcher"));
    press(0);
    step_until(&mut shell, &mut frame, "the launcher is closed", &|s| !s.modules.display_apps().any(|a| a.name() == "launcher"));
    press(0);
    step_until(&mut shell, &mut frame, "the launcher shows again", &showing);
}

/// Glasses that report their v-sync decide when a frame is seen: the shell's display times
/// fall on the refresh edges of the replayed pair (60 Hz here), whatever the lead asked for.
#[test]
fn frames_are_timed_to_the_glasses_vsync() {
    use visor::shell::Shell;
    use visor_drivers::glasses::synth::{Motion, Synth};
    use visor_runtime::policy::Policy;
    use visor_types::clock::MonotonicClock;

    let dir = tempfile::tempdir().unwrap();
    let stream = dir.path().join("still-vsync.imu.jsonl");
    let mut synth = Synth::new(Motion::Still, 30.0);
    synth.vsync_hz = Some(60.0);
    std::fs::write(&stream, synth.stream().to_jsonl()).unwrap();
    let mut profile = common::profile(1);
    profile.pose = PoseConfig::Glasses { model: None, replay: Some(stream), keys: Default::default() };
    let shell = Shell::new(profile, &common::repo(), MonotonicClock::shared(), Policy::default()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while shell.vsync().is_none() {
        assert!(Instant::now() < deadline, "no v-sync phase from the replayed pair");
        std::thread::sleep(Duration::from_millis(20));
    }
    // A second of events to settle the period and phase.
    std::thread::sleep(Duration::from_secs(1));
    let vsync = shell.vsync().unwrap();
    let period = 1e9 / 60.0;
    assert!((vsync.period_ns as f64 - period).abs() < 50_000.0, "{vsync:?}");
    for lead_ms in [0, 3, 8, 13, 16, 21, 40] {
        let t = shell.display_time(Duration::from_millis(lead_ms));
        let phase = (t as f64 - vsync.edge_ns as f64).rem_euclid(period);
        assert!(phase.min(period - phase) < 200_000.0, "lead {lead_ms} ms: {phase} ns off a refresh edge");
    }
}
