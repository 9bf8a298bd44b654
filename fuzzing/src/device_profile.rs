//! Device profile TOML through `DeviceProfile::from_toml` (in `visor-types`; the binary only
//! loads files with it).
//!
//! Asserted: no panic; a refusal lists at least one problem; an accepted profile has one or two
//! eyes of 16 to 8192 pixels, a non-empty field of view within ±89 degrees, an output frame size
//! that does not overflow, one finite eye view per eye, a finite camera mount, and lens
//! intrinsics and optics that can be evaluated without panicking.

use glam::Mat4;
use visor_types::profile::SourceConfig;
use visor_types::{DeviceProfile, ProfileError};

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let profile = match DeviceProfile::from_toml(text, "fuzz") {
        Ok(profile) => profile,
        Err(e) => {
            if let ProfileError::Invalid { problems, .. } = &e {
                assert!(!problems.is_empty(), "a profile refused without a single problem named");
            }
            let _ = e.to_string();
            return;
        }
    };
    let d = &profile.display;
    assert!(d.eyes == 1 || d.eyes == 2, "eyes = {}", d.eyes);
    assert!((16..=8192).contains(&d.eye_width) && (16..=8192).contains(&d.eye_height));
    let f = &d.fov_deg;
    assert!(f.left < f.right && f.down < f.up, "fov {f:?}");
    assert!([f.left, f.right, f.up, f.down].iter().all(|a| a.abs() < 89.0), "fov {f:?}");
    let (width, height) = profile.frame_size();
    assert_eq!((width, height), (d.eye_width * d.eyes, d.eye_height));

    let views = profile.eye_views(Mat4::IDENTITY);
    assert_eq!(views.len(), d.eyes as usize);
    for view in &views {
        assert!(view.view.is_finite() && view.projection.is_finite(), "eye view {view:?} of a valid profile is not finite");
        assert!(view.viewport.x + view.viewport.width <= width);
    }
    assert!(profile.camera.mount.head_from_camera().is_finite(), "camera mount {:?}", profile.camera.mount);

    let nominal = match &profile.camera.source {
        SourceConfig::Synthetic { width, height, .. } => (*width, *height),
        SourceConfig::Live(live) => (live.width, live.height),
        SourceConfig::Replay { .. } => (640, 480),
    };
    let _ = profile.camera.lens.intrinsics(nominal, (320, 240));
    if let SourceConfig::Live(live) = &profile.camera.source {
        let _ = live.fallback();
    }
    if let Some(optics) = &d.optics {
        for channel in 0..3 {
            let _ = optics.source_radius(1.0, channel);
        }
    }
}
