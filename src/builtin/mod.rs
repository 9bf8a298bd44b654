//! The modules built into the shell binary: native drivers and libraries that join the bus
//! under a manifest like any installed module. Their manifests live in
//! `modules/NAME/visor.toml` in the data folder (bundled into the binary, see `crate::data`), so
//! what they may publish and subscribe is as visible — and as enforced — as any app's.
//!
//! - `camera` (driver, boot): the device profile's camera source on `camera/frames`.
//! - `pose` (driver, boot): the shell's head-pose source, its newest pose on `pose/head`.
//! - `glasses` (driver, boot): a tethered pair's keys, proximity and light on `glasses/`, read
//!   from the pose source when the pose comes from the glasses.
//! - `depth` (driver, boot, when the profile has a `[depth]` section): the real world's depth
//!   on `camera/depth`, from a stereo pair, a depth camera or a synthetic scene.
//! - `vision` (library, on demand): face detection on `vision/faces`, started when a module
//!   that depends on it starts.
//!
//! Built-in modules ship with the shell, so the shell grants them what their manifests ask.

pub mod camera;
pub mod depth;
pub mod glasses;
pub mod pose;
pub mod vision;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use visor_drivers::pose::PoseSource;
use visor_runtime::manifest::{MANIFEST_FILE, Manifest};
use visor_runtime::modules::{ModuleHost, ModuleId};
use visor_runtime::native::NativeModule;
use visor_types::DeviceProfile;
use visor_types::clock::SharedClock;
use visor_types::profile::DriverName;

use self::pose::PoseModule;

pub const BUILTIN: [&str; 5] = ["camera", "pose", "glasses", "depth", "vision"];

/// The folder of built-in module manifests in the data folder `data`.
pub fn modules_dir(data: &Path) -> PathBuf {
    data.join("modules")
}

/// Registers the native code behind the built-in modules. `pose` is the shell's head-pose
/// source, shared with the frame loop, which the `pose` module publishes (and, when it comes
/// from glasses, whose other sensors the `glasses` module publishes).
pub fn register(host: &mut ModuleHost, profile: &DeviceProfile, data: &Path, clock: SharedClock, pose: Arc<dyn PoseSource>) {
    let (config, camera_data) = (profile.camera.clone(), data.to_path_buf());
    host.register_native(
        "camera",
        Arc::new(move |_m: &Manifest| {
            let module = camera::CameraModule { config: config.clone(), data: camera_data.clone(), clock: clock.clone() };
            Ok(Box::new(module) as Box<dyn NativeModule>)
        }),
    );
    let feed = pose.glasses();
    host.register_native(
        "glasses",
        Arc::new(move |_m: &Manifest| Ok(Box::new(glasses::GlassesModule { feed: feed.clone() }) as Box<dyn NativeModule>)),
    );
    let refresh_hz = profile.display.refresh_hz;
    host.register_native(
        "pose",
        Arc::new(move |_m: &Manifest| Ok(Box::new(PoseModule::new(pose.clone(), refresh_hz)) as Box<dyn NativeModule>)),
    );
    if let Some(config) = profile.depth {
        host.register_native("depth", Arc::new(move |_m: &Manifest| Ok(Box::new(depth::DepthModule { config }) as Box<dyn NativeModule>)));
    }
    register_vision(host, data);
}

/// The built-in drivers a profile loads: those it names, and `depth` where it has a `[depth]`
/// section.
pub fn drivers_of(profile: &DeviceProfile) -> Vec<DriverName> {
    let mut drivers = profile.drivers.clone();
    if profile.depth.is_some() && !drivers.contains(&DriverName::Depth) {
        drivers.push(DriverName::Depth);
    }
    drivers
}

/// Loads the built-in modules' manifests, grants them what they ask, and starts those marked
/// `boot`; returns their ids by name. Of the drivers, only those in `drivers` are loaded (see
/// [`drivers_of`]).
pub fn load(host: &mut ModuleHost, data: &Path, drivers: &[DriverName]) -> anyhow::Result<Vec<(String, ModuleId)>> {
    let mut loaded = Vec::new();
    for name in BUILTIN {
        let driver = match name {
            "camera" => Some(DriverName::Camera),
            "pose" => Some(DriverName::Pose),
            "glasses" => Some(DriverName::Glasses),
            "depth" => Some(DriverName::Depth),
            _ => None,
        };
        if driver.is_some_and(|d| !drivers.contains(&d)) {
            tracing::info!(module = name, "not loaded: the device profile leaves this driver out");
            continue;
        }
        let id = load_one(host, data, name)?;
        loaded.push((name.to_string(), id));
    }
    Ok(loaded)
}

/// Loads the built-in module `name` (its manifest, granted what it asks) and starts it when it
/// is marked `boot`.
pub fn load_one(host: &mut ModuleHost, data: &Path, name: &str) -> anyhow::Result<ModuleId> {
    let dir = modules_dir(data).join(name);
    let path = dir.join(MANIFEST_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading built-in module manifest {}", path.display()))?;
    let manifest = Manifest::parse(&text, &path.display().to_string())?;
    host.policy_mut().allow_all(&manifest);
    let boot = manifest.triggers.boot;
    let id = host.load(manifest, &dir)?;
    if boot {
        host.start(id)?;
    }
    Ok(id)
}

/// Registers the native code of the `vision` library, whose model paths are relative to `data`.
pub fn register_vision(host: &mut ModuleHost, data: &Path) {
    let base = data.to_path_buf();
    host.register_native(
        "vision",
        Arc::new(move |m: &Manifest| Ok(Box::new(vision::VisionModule::from_manifest(m, &base)?) as Box<dyn NativeModule>)),
    );
}
