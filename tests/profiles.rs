//! Every device profile that ships in `device-profiles/` loads and validates.

use std::path::Path;

use visor_types::DeviceProfile;

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
    assert!(loaded.contains(&"desktop-sim".to_string()), "the default profile ships: {loaded:?}");
}
