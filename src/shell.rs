//! One running shell: a device profile, the shared clock, a camera source, the bus, the
//! modules (each on its own supervised thread) and the compositor, joined by [`Shell::step`],
//! which makes one frame.
//!
//! The step never waits for an app: it publishes the frame's eyes for apps to pick up, takes
//! each displayed app's newest complete submission, and composites whatever is there.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use glam::Mat4;
use visor_compositor::{Compositor, CompositorConfig, FrameStats, Gpu};
use visor_drivers::CameraSource;
use visor_runtime::bus::Bus;
use visor_runtime::manifest::{Capabilities, Device, Entry, Exports, Limits, Manifest, ModuleKind, Triggers, Version};
use visor_runtime::modules::{ModuleHost, ModuleId};
use visor_runtime::policy::Policy;
use visor_runtime::{AppEngine, AppStatus, FrameFeed};
use visor_types::clock::SharedClock;
use visor_types::{DeviceProfile, FrameInfo};

/// The folder of device profiles in a checkout.
pub fn profiles_dir(repo: &Path) -> PathBuf {
    repo.join("device-profiles")
}

pub struct Shell {
    pub profile: DeviceProfile,
    pub clock: SharedClock,
    pub compositor: Compositor,
    pub modules: ModuleHost,
    camera: Box<dyn CameraSource>,
    feed: FrameFeed,
    camera_error_logged: bool,
}

/// What one [`Shell::step`] did.
pub struct StepReport {
    pub frame: u64,
    pub display_time_ns: u64,
    pub stats: FrameStats,
    /// Per displayed app: name, its last `frame` time, and the submission composited (if any).
    pub apps: Vec<(String, Duration, Option<u64>)>,
}

impl Shell {
    pub fn new(profile: DeviceProfile, repo: &Path, clock: SharedClock, policy: Policy) -> anyhow::Result<Shell> {
        let camera = visor_drivers::camera::open(&profile.camera, repo).context("opening the camera source")?;
        tracing::info!(camera = %camera.describe(), "camera source ready");
        let gpu = Gpu::headless()?;
        let compositor = Compositor::new(gpu, CompositorConfig::from_profile(&profile))?;
        let engine = AppEngine::new().map_err(|e| anyhow::anyhow!("starting wasmtime: {e:#}"))?;
        let feed = FrameFeed::new(frame_info(&profile, 0, 0));
        let bus = Bus::new(clock.clone());
        let modules = ModuleHost::new(bus, engine, feed.clone(), clock.clone(), policy, profile.display.refresh_hz);
        Ok(Shell { profile, clock, compositor, modules, camera, feed, camera_error_logged: false })
    }

    /// Loads and starts a component named on the command line, with no manifest of its own:
    /// it may draw a layer and nothing else (no bus, no files, no devices).
    pub fn launch(&mut self, component: &Path, env: &[(&str, &str)]) -> anyhow::Result<ModuleId> {
        let mut manifest = dev_manifest(component)?;
        let base = manifest.name.clone();
        for n in 2.. {
            if self.modules.find(&manifest.name).is_none() {
                break;
            }
            manifest.name = format!("{base}-{n}");
        }
        // Named by the user on the command line: granted the display layer it asks for.
        self.modules.policy_mut().allow_all(&manifest);
        let dir = component.parent().unwrap_or(Path::new(".")).to_path_buf();
        let id = self.modules.load(manifest, &dir)?;
        self.modules.set_env(id, env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())?;
        self.modules.start(id)?;
        Ok(id)
    }

    /// Waits (start-up only) until every started app has drawn its first frame or failed.
    pub fn wait_for_apps(&mut self, timeout: Duration) {
        for app in self.modules.display_apps() {
            if !app.wait_for_frames(1, timeout) {
                match app.status() {
                    AppStatus::Failed(why) => tracing::error!(app = app.name(), "did not start: {why}"),
                    status => tracing::warn!(app = app.name(), ?status, "no frame yet; carrying on without it"),
                }
            }
        }
    }

    /// Tells apps about frame `frame`, due on the display at `display_time_ns`, so their next
    /// `frame` calls draw for it.
    pub fn publish(&self, frame: u64, display_time_ns: u64) {
        self.feed.publish(frame_info(&self.profile, frame, display_time_ns));
    }

    /// Composites frame `frame` from the newest camera frame and app submissions.
    pub fn step(&mut self, frame: u64, display_time_ns: u64) -> StepReport {
        self.publish(frame + 1, display_time_ns);
        self.modules.poll_triggers();
        let camera = match self.camera.frame_at(self.clock.now_ns()) {
            Ok(frame) => Some(frame),
            Err(e) => {
                if !self.camera_error_logged {
                    tracing::error!("camera: {e}");
                    self.camera_error_logged = true;
                }
                None
            }
        };
        let mut layers = Vec::new();
        let mut apps = Vec::new();
        for app in self.modules.display_apps() {
            let latest = app.latest();
            apps.push((app.name().to_string(), app.last_frame_time(), latest.as_ref().map(|s| s.sequence)));
            layers.extend(latest);
        }
        let stats = self.compositor.render(camera.as_ref(), &layers);
        StepReport { frame, display_time_ns, stats, apps }
    }
}

/// The frame template for `frame`: the profile's eyes for the head pose. The head stays at
/// the origin until a pose driver moves it.
pub fn frame_info(profile: &DeviceProfile, frame: u64, display_time_ns: u64) -> FrameInfo {
    let head = Mat4::IDENTITY;
    FrameInfo { display_time_ns, frame_number: frame, head, eyes: profile.eye_views(head) }
}

/// The manifest a bare component gets: an app named after its file, allowed a display layer.
pub fn dev_manifest(component: &Path) -> anyhow::Result<Manifest> {
    let stem = component.file_stem().map(|s| s.to_string_lossy().to_lowercase()).unwrap_or_default();
    let name: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let file = component.file_name().context("the app path names no file")?;
    Ok(Manifest {
        name: if name.starts_with(|c: char| c.is_ascii_lowercase()) { name } else { format!("app-{name}") },
        version: Version::new(0, 0, 0),
        kind: ModuleKind::App,
        description: format!("{} (launched directly)", component.display()),
        entry: Entry::Component(PathBuf::from(file)),
        depends: Vec::new(),
        exports: Exports::default(),
        triggers: Triggers::default(),
        capabilities: Capabilities { devices: vec![Device::DisplayLayer], ..Default::default() },
        limits: Limits::default(),
    })
}
