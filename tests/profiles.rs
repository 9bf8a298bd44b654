//! Every device profile that ships in `device-profiles/` loads and validates.

use std::path::Path;

use visor_types::DeviceProfile;
use visor_types::profile::{DriverName, PoseConfig};

#[test]
fn every_shipped_profile_validates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("device-profiles");
    let mut loaded = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let profile = DeviceProfile::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(Some(profile.name.as_str()), path.file_stem().and_then(|s| s.to_str()), "name matches the file");
            loaded.push(profile.name);
        }
    }
    for shipped in ["desktop-sim", "xreal-air-2", "dev-kit"] {
        assert!(loaded.iter().any(|l| l == shipped), "{shipped} ships: {loaded:?}");
    }
}

#[test]
fn the_shipped_profiles_say_what_their_devices_are() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("device-profiles");
    let glasses = DeviceProfile::find("xreal-air-2", &dir).unwrap();
    assert_eq!(glasses.display.kind, visor_types::DisplayKind::Additive);
    assert!(matches!(glasses.pose, PoseConfig::Imu { .. }));
    assert_eq!(glasses.drivers, [DriverName::Pose], "the Air 2 has no camera");
    let kit = DeviceProfile::find("dev-kit", &dir).unwrap();
    let optics = kit.display.optics.expect("the dev kit corrects its lenses");
    // Barrel pre-distortion: the display's edge shows what was rendered farther out, blue most.
    assert!(optics.source_radius(1.0, 2) > optics.source_radius(1.0, 1) && optics.source_radius(1.0, 1) > 1.0);
    assert!(kit.camera.mount.position[2] < 0.0, "the camera sits in front of the eyes");
}

#[test]
fn bad_optics_pose_and_drivers_are_named() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("device-profiles");
    let text = std::fs::read_to_string(dir.join("dev-kit.toml")).unwrap();
    let folding = text.replace("distortion = [0.22, 0.24]", "distortion = [-0.9, 0.0]").replace("rate_hz = 1000", "rate_hz = 0");
    let err = DeviceProfile::from_toml(&folding, "folding").unwrap_err().to_string();
    assert!(err.contains("display.optics.distortion") && err.contains("folds"), "{err}");
    assert!(err.contains("pose.rate_hz is 0"), "{err}");
    let unknown = text.replace("drivers = [\"camera\", \"pose\"]", "drivers = [\"camera\", \"lidar\"]");
    let err = DeviceProfile::from_toml(&unknown, "unknown driver").unwrap_err().to_string();
    assert!(err.contains("lidar"), "{err}");
}
