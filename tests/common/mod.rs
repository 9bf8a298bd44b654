//! Shared test setup: the guest apps (built once per test binary), a small device profile, a
//! synchronous app harness on a manual clock, solid camera frames, and golden images.

#![allow(dead_code, reason = "each test binary uses its own part of the harness")]

pub mod golden;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use visor_compositor::{Compositor, CompositorConfig, Gpu};
use visor_guest_build::{self as guests, GuestArtifacts};
use visor_runtime::host::bus::GuestBus;
use visor_runtime::{AppEngine, AppInstance, AppSpec, LogRing};
use visor_types::clock::{ManualClock, SharedClock};
use visor_types::{AppId, CameraFrame, DeviceProfile, LayerSubmission};

/// The checkout: tests read its `device-profiles/`, `modules/` and `assets/` directly (the same
/// layout as the data folder the binary unpacks).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The guest components, built on first use.
pub fn guests() -> &'static GuestArtifacts {
    static BUILT: OnceLock<GuestArtifacts> = OnceLock::new();
    BUILT.get_or_init(|| guests::build_guests(&repo()).unwrap_or_else(|e| panic!("building the guest apps: {e}")))
}

pub fn component(app: &str) -> PathBuf {
    guests().path(app)
}

/// A small stereo profile: 160x120 per eye, 90 degrees across, passthrough over a synthetic
/// camera (tests hand the compositor their own camera frames).
pub fn profile(eyes: u32) -> DeviceProfile {
    let text = format!(
        r#"
        name = "test"
        [display]
        kind = "passthrough"
        eyes = {eyes}
        eye_width = 160
        eye_height = 120
        refresh_hz = 60
        fov_deg = {{ left = -45, right = 45, up = 36.8699, down = -36.8699 }}
        ipd_mm = 64
        [camera]
        source = "synthetic"
        width = 64
        height = 48
        fps = 30
        "#
    );
    DeviceProfile::from_toml(&text, "test profile").expect("the test profile is valid")
}

pub fn compositor(profile: &DeviceProfile) -> Compositor {
    let gpu = Gpu::headless().expect("a GPU adapter (lavapipe in CI: apt-get install mesa-vulkan-drivers)");
    Compositor::new(gpu, CompositorConfig::from_profile(profile)).expect("compositor")
}

/// A camera frame of one sRGB color.
pub fn solid_camera(rgb: [u8; 3]) -> CameraFrame {
    let pixels: Vec<u8> = (0..16 * 16).flat_map(|_| [rgb[0], rgb[1], rgb[2], 255]).collect();
    CameraFrame { width: 16, height: 16, pixels: pixels.into(), timestamp_ns: 0, sequence: 1 }
}

/// Apps driven synchronously, frame by frame, on a manual clock: deterministic output.
pub struct Harness {
    pub engine: AppEngine,
    pub clock: Arc<ManualClock>,
    pub profile: DeviceProfile,
    next: u32,
}

impl Harness {
    pub fn new(profile: DeviceProfile) -> Harness {
        Harness { engine: AppEngine::new().expect("wasmtime engine"), clock: Arc::default(), profile, next: 0 }
    }

    pub fn spec(&self, app: &str, env: &[(&str, &str)]) -> AppSpec {
        let mut spec = AppSpec::new(app, component(app), 60.0);
        for (k, v) in env {
            spec = spec.with_env(k, v);
        }
        spec
    }

    /// Loads `app` with `env`; returns the instance and its log.
    pub fn load(&mut self, app: &str, env: &[(&str, &str)]) -> (AppInstance, Arc<LogRing>) {
        let spec = self.spec(app, env);
        self.try_load(spec).unwrap_or_else(|e| panic!("loading {app}: {e}"))
    }

    pub fn try_load(&mut self, spec: AppSpec) -> Result<(AppInstance, Arc<LogRing>), visor_runtime::AppError> {
        let logs = Arc::new(LogRing::default());
        let id = AppId(self.next);
        self.next += 1;
        let clock: SharedClock = self.clock.clone();
        AppInstance::load(&self.engine, &spec, id, GuestBus::new(None), logs.clone(), clock).map(|app| (app, logs))
    }

    /// One frame of `app` at `time_ns`, with the head at the origin.
    pub fn frame(&self, app: &mut AppInstance, time_ns: u64) -> Arc<LayerSubmission> {
        self.clock.set_ns(time_ns);
        let info = visor::shell::frame_info(&self.profile, 0, time_ns, glam::Mat4::IDENTITY);
        Arc::new(app.frame(&info, Vec::new()).unwrap_or_else(|e| panic!("frame of {}: {e}", app.name())))
    }
}

pub fn srgb_to_linear(c: u8) -> f32 {
    let c = f32::from(c) / 255.0;
    if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
}

pub fn linear_to_srgb(c: f32) -> u8 {
    let c = c.clamp(0.0, 1.0);
    let s = if c <= 0.0031308 { c * 12.92 } else { 1.055 * c.powf(1.0 / 2.4) - 0.055 };
    (s * 255.0).round() as u8
}

/// Asserts a pixel's RGB is within `tolerance` of `expected` per channel.
#[track_caller]
pub fn assert_rgb(image: &image::RgbaImage, x: u32, y: u32, expected: [u8; 3], tolerance: u8, what: &str) {
    let p = image.get_pixel(x, y).0;
    let ok = (0..3).all(|i| p[i].abs_diff(expected[i]) <= tolerance);
    assert!(ok, "{what}: pixel ({x},{y}) is {:?}, expected {expected:?} ± {tolerance}", &p[..3]);
}

/// The pixel column of normalized device x in eye `eye` of `profile`.
pub fn column(profile: &DeviceProfile, eye: u32, ndc_x: f32) -> u32 {
    let w = profile.display.eye_width;
    eye * w + ((ndc_x + 1.0) / 2.0 * w as f32) as u32
}

/// The display frame of a head at rest: what layers drawn with [`Harness::frame`] were drawn
/// for, so the compositor shows them without reprojecting.
pub fn still(profile: &DeviceProfile) -> visor_types::FrameInfo {
    visor::shell::frame_info(profile, 0, 0, glam::Mat4::IDENTITY)
}
