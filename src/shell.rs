//! One running shell: a device profile, the shared clock, a camera source, the apps (each on
//! its own thread) and the compositor, joined by [`Shell::step`], which makes one frame.
//!
//! The step never waits for an app: it publishes the frame's eyes for apps to pick up, takes
//! each app's newest complete submission, and composites whatever is there.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use glam::Mat4;
use visor_compositor::{Compositor, CompositorConfig, FrameStats, Gpu};
use visor_drivers::CameraSource;
use visor_runtime::{AppEngine, AppRunner, AppSpec, AppStatus, FrameFeed};
use visor_types::clock::SharedClock;
use visor_types::{AppId, DeviceProfile, FrameInfo};

/// The folder of device profiles in a checkout.
pub fn profiles_dir(repo: &Path) -> PathBuf {
    repo.join("device-profiles")
}

pub struct Shell {
    pub profile: DeviceProfile,
    pub clock: SharedClock,
    pub compositor: Compositor,
    camera: Box<dyn CameraSource>,
    engine: AppEngine,
    feed: FrameFeed,
    apps: Vec<AppRunner>,
    next_app: u32,
    camera_error_logged: bool,
}

/// What one [`Shell::step`] did.
pub struct StepReport {
    pub frame: u64,
    pub display_time_ns: u64,
    pub stats: FrameStats,
    /// Per app: name, its last `frame` time, and the submission composited (if any).
    pub apps: Vec<(String, Duration, Option<u64>)>,
}

impl Shell {
    pub fn new(profile: DeviceProfile, repo: &Path, clock: SharedClock) -> anyhow::Result<Shell> {
        let camera = visor_drivers::camera::open(&profile.camera, repo).context("opening the camera source")?;
        tracing::info!(camera = %camera.describe(), "camera source ready");
        let gpu = Gpu::headless()?;
        let compositor = Compositor::new(gpu, CompositorConfig::from_profile(&profile))?;
        let engine = AppEngine::new().map_err(|e| anyhow::anyhow!("starting wasmtime: {e:#}"))?;
        let feed = FrameFeed::new(frame_info(&profile, 0, 0));
        Ok(Shell { profile, clock, compositor, camera, engine, feed, apps: Vec::new(), next_app: 0, camera_error_logged: false })
    }

    /// Starts an app on its own thread; it loads there and joins the frame when ready.
    pub fn launch(&mut self, spec: AppSpec) -> AppId {
        let id = AppId(self.next_app);
        self.next_app += 1;
        tracing::info!(app = %spec.name, component = %spec.component.display(), "launching");
        self.apps.push(AppRunner::spawn(&self.engine, spec, id, self.feed.clone(), self.clock.clone()));
        id
    }

    pub fn apps(&self) -> &[AppRunner] {
        &self.apps
    }

    /// Waits (start-up only) until every app has drawn its first frame or failed.
    pub fn wait_for_apps(&self, timeout: Duration) {
        for app in &self.apps {
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
        for app in &mut self.apps {
            let latest = app.latest();
            apps.push((app.name().to_string(), app.last_frame_time(), latest.as_ref().map(|s| s.sequence)));
            layers.extend(latest);
        }
        let stats = self.compositor.render(camera.as_ref(), &layers);
        StepReport { frame, display_time_ns, stats, apps }
    }

    /// Stops every app and waits for their threads.
    pub fn shutdown(&mut self) {
        for app in &mut self.apps {
            app.stop();
        }
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The frame template for `frame`: the profile's eyes for the head pose. The head stays at
/// the origin until a pose driver moves it.
pub fn frame_info(profile: &DeviceProfile, frame: u64, display_time_ns: u64) -> FrameInfo {
    let head = Mat4::IDENTITY;
    FrameInfo { display_time_ns, frame_number: frame, head, eyes: profile.eye_views(head) }
}

/// An app named after its component's file stem, at the display's refresh rate.
pub fn app_spec(component: &Path, profile: &DeviceProfile) -> AppSpec {
    let name = component.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "app".into());
    AppSpec::new(name, component, profile.display.refresh_hz)
}
