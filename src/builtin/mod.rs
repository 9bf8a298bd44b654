//! The modules built into the shell binary: native drivers and libraries that join the bus
//! under a manifest like any installed module. Their manifests live in the repository's
//! `modules/NAME/visor.toml`, so what they may publish and subscribe is as visible — and as
//! enforced — as any app's.
//!
//! - `camera` (driver, boot): the device profile's camera source on `camera/frames`.
//! - `vision` (library, on demand): face detection on `vision/faces`, started when a module
//!   that depends on it starts.
//!
//! Built-in modules ship with the shell, so the shell grants them what their manifests ask.

pub mod camera;
pub mod vision;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use visor_runtime::manifest::{MANIFEST_FILE, Manifest};
use visor_runtime::modules::{ModuleHost, ModuleId};
use visor_runtime::native::NativeModule;
use visor_types::DeviceProfile;
use visor_types::clock::SharedClock;

pub const BUILTIN: [&str; 2] = ["camera", "vision"];

/// The folder of built-in module manifests in a checkout.
pub fn modules_dir(repo: &Path) -> PathBuf {
    repo.join("modules")
}

/// Registers the native code behind the built-in modules.
pub fn register(host: &mut ModuleHost, profile: &DeviceProfile, repo: &Path, clock: SharedClock) {
    let (config, camera_repo) = (profile.camera.clone(), repo.to_path_buf());
    host.register_native(
        "camera",
        Arc::new(move |_m: &Manifest| {
            let module = camera::CameraModule { config: config.clone(), repo: camera_repo.clone(), clock: clock.clone() };
            Ok(Box::new(module) as Box<dyn NativeModule>)
        }),
    );
    let base = repo.to_path_buf();
    host.register_native(
        "vision",
        Arc::new(move |m: &Manifest| Ok(Box::new(vision::VisionModule::from_manifest(m, &base)?) as Box<dyn NativeModule>)),
    );
}

/// Loads the built-in modules' manifests, grants them what they ask, and starts those marked
/// `boot`; returns their ids by name.
pub fn load(host: &mut ModuleHost, repo: &Path) -> anyhow::Result<Vec<(String, ModuleId)>> {
    let mut loaded = Vec::new();
    for name in BUILTIN {
        let dir = modules_dir(repo).join(name);
        let path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading built-in module manifest {}", path.display()))?;
        let manifest = Manifest::parse(&text, &path.display().to_string())?;
        host.policy_mut().allow_all(&manifest);
        let boot = manifest.triggers.boot;
        let id = host.load(manifest, &dir)?;
        if boot {
            host.start(id)?;
        }
        loaded.push((name.to_string(), id));
    }
    Ok(loaded)
}
