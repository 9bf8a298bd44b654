//! One running shell: a device profile, the shared clock, the bus, the modules (each on its own
//! supervised thread — the camera and pose drivers among them), the head-pose source and the
//! compositor, joined by [`Shell::step`], which makes one frame.
//!
//! The step never waits for an app or the camera: it predicts the head pose for the frame's
//! display time and publishes the eyes for apps to pick up, takes the newest camera frame the
//! camera driver put on the bus and each displayed app's newest complete submission, and
//! composites whatever is there — each app's layer reprojected from the pose it was drawn for
//! to the pose of this frame.
//!
//! Input enters through [`Shell::pointer`] and [`Shell::key`] and is routed by `input`. With a
//! module store attached ([`Shell::serve_store`]), `service` answers the launcher on the
//! `shell/` topics between frames. `worn` pauses the apps and dims the display while nobody
//! wears the glasses (`glasses/worn`); `keys` binds the glasses' keys to the launcher and to
//! recentring (`glasses/keys`); `world` hands the compositor the camera's placement and the
//! real world's depth (`camera/info`, `camera/depth`).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

mod input;
mod keys;
mod service;
mod world;
mod worn;

pub use input::{KeyInput, PointerInput, PointerKind};
pub use service::{ShellService, module_kind};

use std::sync::Arc;

use anyhow::Context;
use glam::Mat4;
use visor_compositor::{Compositor, CompositorConfig, FrameStats, Gpu};
use visor_drivers::glasses::VsyncPhase;
use visor_drivers::pose::{PoseSource, SimControls};
use visor_runtime::bus::{Bus, BusCapabilities, ModuleRef, Overflow, QueueOptions, Subscription, TopicPattern};
use visor_runtime::manifest::{Capabilities, Device, Entry, Exports, Limits, Manifest, ModuleKind, Triggers, Version};
use visor_runtime::modules::{ModuleHost, ModuleId};
use visor_runtime::policy::Policy;
use visor_runtime::{AppEngine, AppStatus, FrameFeed};
use visor_types::clock::SharedClock;
use visor_types::input::Key;
use visor_types::profile::{GlassesKeys, PoseConfig};
use visor_types::{AppId, CameraFrame, DeviceProfile, FrameInfo, Pose};

use crate::builtin;

pub struct Shell {
    pub profile: DeviceProfile,
    pub clock: SharedClock,
    pub compositor: Compositor,
    pub modules: ModuleHost,
    /// The compositor's own subscription to `camera/frames`: a queue of one, newest wins.
    camera_frames: Subscription,
    camera: Option<CameraFrame>,
    /// Whether `camera` is older than [`CAMERA_STALE_NS`], as last told to the compositor.
    camera_stale: bool,
    feed: FrameFeed,
    pose: Arc<dyn PoseSource>,
    controls: Option<SimControls>,
    /// The frame last composited: its eyes turn pointer pixels into rays.
    displayed: FrameInfo,
    router: input::Router,
    /// Answers the `shell/` topics, once a store is attached.
    service: Option<ShellService>,
    /// Glasses taken off pause the apps and dim the display.
    worn: worn::WornWatch,
    /// The glasses' keys bound to the launcher and recentring.
    keys: keys::KeyWatch,
    /// The camera's placement and the real world's depth, for the compositor.
    world: world::WorldWatch,
    /// The launcher's component, once a run has one to offer ([`Shell::set_launcher`]).
    launcher: Option<PathBuf>,
}

/// What the shell's own bus endpoints (its camera queue, the admin panel's tap) may hold.
pub const SHELL_BUS_BUDGET: u64 = 256 << 20;

/// A camera picture older than this is not shown as live: the passthrough says so on screen
/// (dimmed, hatched). Half a second is many frames late for any camera, and longer than any
/// honest hiccup of a USB camera.
pub const CAMERA_STALE_NS: u64 = 500_000_000;

/// V-sync events older than this no longer pace frames: the pair stopped reporting them.
pub const VSYNC_STALE_NS: u64 = 500_000_000;

/// What one [`Shell::step`] did.
pub struct StepReport {
    pub frame: u64,
    pub display_time_ns: u64,
    pub stats: FrameStats,
    /// Per displayed app: name, its last `frame` time, and the submission composited (if any).
    pub apps: Vec<(String, Duration, Option<u64>)>,
    /// When the head pose this frame shows was measured (monotonic ns).
    pub pose_measured_ns: u64,
    /// When the compositor finished the frame on the GPU (monotonic ns): motion-to-photon
    /// inside the pipeline is `done_ns - pose_measured_ns`.
    pub done_ns: u64,
}

impl Shell {
    /// A shell rendering headless (no window): on a GPU if there is one, else lavapipe.
    /// `data` is the data folder ([`crate::data::DataDir::root`]): the built-in modules'
    /// manifests and what the profile's relative paths name are found there.
    pub fn new(profile: DeviceProfile, data: &Path, clock: SharedClock, policy: Policy) -> anyhow::Result<Shell> {
        Shell::with_gpu(Gpu::headless()?, profile, data, clock, policy)
    }

    /// A shell on `gpu` (the simulator window opens one that can present to its surface).
    pub fn with_gpu(gpu: Gpu, profile: DeviceProfile, data: &Path, clock: SharedClock, policy: Policy) -> anyhow::Result<Shell> {
        let compositor = Compositor::new(gpu, CompositorConfig::from_profile(&profile))?;
        let engine = AppEngine::new().map_err(|e| anyhow::anyhow!("starting wasmtime: {e:#}"))?;
        let opened = visor_drivers::pose::open(&profile.pose, data, clock.clone())?;
        tracing::info!(pose = %opened.source.describe(), "head pose source opened");
        let displayed = frame_info(&profile, 0, 0, Mat4::IDENTITY);
        let feed = FrameFeed::new(displayed.clone());
        let bus = Bus::new(clock.clone());
        let frames = TopicPattern::from_str(builtin::camera::FRAMES).expect("a valid pattern");
        let glasses = [builtin::glasses::WORN, builtin::glasses::KEYS].map(|t| TopicPattern::from_str(t).expect("a valid pattern"));
        let caps = BusCapabilities {
            publish: Vec::new(),
            subscribe: [vec![frames.clone()], glasses.to_vec(), world::patterns().to_vec()].concat(),
            messages_per_second: 0,
            shell: false,
            serve: Vec::new(),
            call: Vec::new(),
        };
        let compositor_endpoint = bus.endpoint(ModuleRef::new(0, "visor-compositor"), caps);
        // Room for the largest camera picture (8K RGBA is 133 MiB): the shell's own queue of one.
        compositor_endpoint.budget().set_limit(SHELL_BUS_BUDGET);
        let camera_frames = compositor_endpoint.subscribe(frames, QueueOptions { capacity: 1, policy: Overflow::DropOldest })?;
        let worn = worn::WornWatch::new(&compositor_endpoint)?;
        let world = world::WorldWatch::new(&compositor_endpoint, profile.camera.clone())?;
        let bindings = match &profile.pose {
            PoseConfig::Glasses { keys, .. } => *keys,
            _ => GlassesKeys::default(),
        };
        let keys = keys::KeyWatch::new(&compositor_endpoint, bindings)?;
        let mut modules = ModuleHost::new(bus, engine, feed.clone(), clock.clone(), policy, profile.display.refresh_hz);
        builtin::register(&mut modules, &profile, data, clock.clone(), opened.source.clone());
        builtin::load(&mut modules, data, &builtin::drivers_of(&profile))?;
        Ok(Shell {
            profile,
            clock,
            compositor,
            modules,
            camera_frames,
            camera: None,
            camera_stale: false,
            feed,
            pose: opened.source,
            controls: opened.controls,
            displayed,
            router: input::Router::default(),
            service: None,
            worn,
            keys,
            world,
            launcher: None,
        })
    }

    /// Serves the `shell/` topics (the launcher's install, start, focus and stop) over
    /// `registry`, the store modules install into.
    pub fn serve_store(&mut self, registry: visor_runtime::registry::Registry) -> anyhow::Result<()> {
        // Modules' own data sits beside the installed modules, never inside them.
        self.modules.set_data_root(registry.root().join("data"));
        self.service = Some(ShellService::new(self.modules.bus(), registry)?);
        Ok(())
    }

    /// The simulator's head controls, when the profile's pose source is the simulator.
    pub fn sim_controls(&self) -> Option<SimControls> {
        self.controls.clone()
    }

    /// The head-pose source.
    pub fn pose_source(&self) -> &Arc<dyn PoseSource> {
        &self.pose
    }

    /// Loads and starts a component named on the command line. Its manifest is
    /// `<component>.toml` beside it when there is one (`visor apps build` puts each sample's
    /// there), else a bare one that may draw a layer and nothing else (no bus, no files, no
    /// devices). Named by the user, it is granted what its manifest asks; the modules it
    /// depends on start with it.
    pub fn launch(&mut self, component: &Path, env: &[(&str, &str)]) -> anyhow::Result<ModuleId> {
        let dir = component.parent().unwrap_or(Path::new(".")).to_path_buf();
        self.launch_module(launch_manifest(component)?, &dir, env)
    }

    /// Loads and starts the module `manifest` describes, its files in `dir`, granted what the
    /// manifest asks (the user named it); a name already loaded gets a number after it.
    pub fn launch_module(&mut self, manifest: Manifest, dir: &Path, env: &[(&str, &str)]) -> anyhow::Result<ModuleId> {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.launch_compiled(manifest, dir, env, None)
    }

    /// [`Shell::launch_module`] with the environment owned and, when given, the component
    /// already compiled (`visor dev` compiles on its build thread).
    pub fn launch_compiled(
        &mut self,
        mut manifest: Manifest,
        dir: &Path,
        env: Vec<(String, String)>,
        code: Option<visor_runtime::Precompiled>,
    ) -> anyhow::Result<ModuleId> {
        let base = manifest.name.clone();
        for n in 2.. {
            if self.modules.find(&manifest.name).is_none() {
                break;
            }
            manifest.name = format!("{base}-{n}");
        }
        self.modules.policy_mut().allow_all(&manifest);
        let id = self.modules.load(manifest, dir)?;
        self.modules.set_env(id, env)?;
        if let Some(code) = code {
            self.modules.set_component(id, code.component().clone())?;
        }
        self.modules.start(id)?;
        Ok(id)
    }

    /// Waits (start-up only) until the camera's first frame is in and every started app has
    /// drawn its first frame or failed.
    pub fn wait_for_apps(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        // Only a passthrough display with a camera driver has a camera picture to wait for.
        let camera = self.profile.display.kind == visor_types::DisplayKind::Passthrough
            && self.profile.drivers.contains(&visor_types::profile::DriverName::Camera);
        while camera && self.camera.is_none() && Instant::now() < deadline {
            if let Ok(message) = self.camera_frames.recv_timeout(Duration::from_millis(20)) {
                self.camera = message.payload.as_frame().and_then(to_camera_frame);
            }
        }
        if camera && self.camera.is_none() {
            tracing::warn!("no camera frame yet; compositing without the camera until one arrives");
        }
        for app in self.modules.display_apps() {
            if !app.wait_for_frames(1, deadline.saturating_duration_since(Instant::now())) {
                match app.status() {
                    AppStatus::Failed(why) => tracing::error!(app = app.name(), "did not start: {why}"),
                    status => tracing::warn!(app = app.name(), ?status, "no frame yet; carrying on without it"),
                }
            }
        }
    }

    /// Tells apps about frame `frame`, due on the display at `display_time_ns`, with the head
    /// pose predicted for that time, so their next `frame` calls draw for it. Returns the
    /// frame and the pose measurement the prediction started from.
    pub fn publish(&self, frame: u64, display_time_ns: u64) -> (FrameInfo, Pose) {
        let measured = self.pose.latest();
        let head = self.pose.predict(display_time_ns).matrix();
        let info = frame_info(&self.profile, frame, display_time_ns, head);
        self.feed.publish(info.clone());
        (info, measured)
    }

    /// The frame last composited: its head pose and eyes.
    pub fn displayed(&self) -> &FrameInfo {
        &self.displayed
    }

    /// Composites frame `frame` from the newest camera frame and app submissions.
    pub fn step(&mut self, frame: u64, display_time_ns: u64) -> StepReport {
        let (display, measured) = self.publish(frame + 1, display_time_ns);
        self.modules.poll_triggers();
        self.obey_keys();
        if let Some(mut service) = self.service.take() {
            service.serve(self);
            self.service = Some(service);
        }
        if let Some(newest) = self.camera_frames.drain().filter_map(|m| m.payload.as_frame().and_then(to_camera_frame)).last() {
            self.camera = Some(newest);
        }
        let mut layers = Vec::new();
        let mut apps = Vec::new();
        // Apps that may show a layer, drawn yet or not: the focus may rest on one just started.
        let mut alive = Vec::new();
        for app in self.modules.display_apps() {
            alive.push(app.id());
            let latest = app.latest();
            apps.push((app.name().to_string(), app.last_frame_time(), latest.as_ref().map(|s| s.sequence)));
            layers.extend(latest);
        }
        self.update_chrome();
        self.world.update(&mut self.compositor, self.clock.now_ns());
        let captured = self.camera.as_ref().map(|frame| self.pose.predict(frame.timestamp_ns).matrix());
        self.compositor.set_camera_head(captured);
        let stats = self.compositor.render(self.camera.as_ref(), &layers, &display);
        for (offender, ms) in self.compositor.take_gpu_offenders() {
            if let Some(app) = self.modules.display_apps().find(|a| a.id() == offender) {
                let budget = self.compositor.config().gpu_budget_ms;
                app.fail(format!(
                    "its layer ran past its GPU budget of {budget} ms in {} frames running (the last took {ms:.1} ms); \
                     stopped so the display keeps its frame rate — draw less per frame, or make its shader cheaper",
                    visor_compositor::GPU_STRIKES
                ));
            }
        }
        let done_ns = self.clock.now_ns();
        self.router.retain(|app| alive.contains(&app));
        self.displayed = display;
        StepReport { frame, display_time_ns, stats, apps, pose_measured_ns: measured.timestamp_ns, done_ns }
    }

    /// What the compositor draws besides the apps: the shell's own UI on top, the trusted
    /// marker while a consent request waits, and whether the camera picture is too old to
    /// show as live.
    fn update_chrome(&mut self) {
        let worn = self.worn.update(&mut self.modules);
        self.compositor.set_dimmed(!worn);
        self.compositor.set_trusted_apps(self.modules.trusted_apps());
        self.compositor.set_marker(self.service.as_ref().is_some_and(|s| s.consent_pending()));
        let age_ns = self.camera.as_ref().map(|frame| self.clock.now_ns().saturating_sub(frame.timestamp_ns));
        let stale = age_ns.is_some_and(|age| age > CAMERA_STALE_NS);
        if stale != self.camera_stale {
            match stale {
                true => tracing::warn!(age_ms = age_ns.unwrap_or(0) / 1_000_000, "the camera picture is stale; shown dimmed and hatched"),
                false => tracing::info!("the camera picture is live again"),
            }
            self.camera_stale = stale;
        }
        self.compositor.set_camera_stale(stale);
    }

    /// Routes a pointer event (pixels of the displayed frame) to the app whose surface is
    /// nearest under it; returns that app's name.
    pub fn pointer(&mut self, event: PointerInput) -> Option<String> {
        let optics = self.compositor.config().optics;
        let (x, y) = input::undistort(optics.as_ref(), &self.displayed, event.x, event.y);
        let now = self.clock.now_ns();
        let pointer = input::pointer_at(&self.displayed, x, y, now)?;
        let hit = (x >= 0.0 && y >= 0.0).then(|| self.compositor.hit_test(x as u32, y as u32)).flatten();
        let owner = hit.as_ref().map(|h| h.app);
        let deliveries = self.router.pointer(event.kind, pointer, owner, hit.map(|h| h.world));
        self.deliver(deliveries);
        owner.and_then(|app| self.app_name(app))
    }

    /// The pointer of glasses without a mouse: the head's gaze ray, through the middle of the
    /// first eye's view.
    pub fn gaze(&mut self, kind: PointerKind) -> Option<String> {
        let v = self.displayed.eyes.first()?.viewport;
        let (x, y) = (v.x as f32 + v.width as f32 / 2.0, v.y as f32 + v.height as f32 / 2.0);
        // The centre of the view is undistorted by any lens: no optics mapping is needed.
        self.pointer(PointerInput { x, y, kind })
    }

    /// Sends a key to the focused app.
    pub fn key(&mut self, event: KeyInput) {
        let key = Key { time_ns: self.clock.now_ns(), key: event.key, text: event.text };
        let deliveries = self.router.key(key, event.down);
        self.deliver(deliveries);
    }

    /// Moves the focus to the next displayed app; returns its name.
    pub fn cycle_focus(&mut self) -> Option<String> {
        let apps: Vec<AppId> = self.modules.display_apps().map(|a| a.id()).collect();
        let next = match self.router.focused.and_then(|f| apps.iter().position(|a| *a == f)) {
            Some(i) => apps.get((i + 1) % apps.len()).copied(),
            None => apps.first().copied(),
        };
        let deliveries = self.router.focus(next);
        self.deliver(deliveries);
        self.focused()
    }

    /// Gives the keyboard focus to the displayed app `name`; whether there is one.
    /// Moves the running module `target` names (`NAME` or `NAME@VERSION`) to that version in
    /// the store, the newest when none is named, in place (`module_cmd::upgrade_running`).
    pub fn upgrade_module(&mut self, target: &str) -> anyhow::Result<String> {
        let registry = self.service.as_ref().map(|s| s.registry().clone());
        let registry = registry.ok_or_else(|| anyhow::anyhow!("this shell runs without a module store: nothing to upgrade from"))?;
        crate::module_cmd::upgrade_running(&registry, &mut self.modules, target)
    }

    /// The newest version of `name` in the store, when it is newer than the one loaded.
    pub fn upgrade_available(&self, name: &str) -> Option<visor_runtime::manifest::Version> {
        let running = self.modules.info(self.modules.find(name)?)?.version;
        let newest = self.service.as_ref()?.registry().get(name, None).ok()??.version().clone();
        (newest > running).then_some(newest)
    }

    pub fn focus_app(&mut self, name: &str) -> bool {
        let Some(app) = self.modules.display_apps().find(|a| a.name() == name).map(|a| a.id()) else { return false };
        let deliveries = self.router.focus(Some(app));
        self.deliver(deliveries);
        true
    }

    /// The focused app's name.
    pub fn focused(&mut self) -> Option<String> {
        self.router.focused.and_then(|app| self.app_name(app))
    }

    /// Pauses the focused app, or resumes it if paused; returns its name and whether it is
    /// paused now.
    pub fn toggle_pause_focused(&mut self) -> Option<(String, bool)> {
        let focused = self.router.focused?;
        let app = self.modules.display_apps().find(|a| a.id() == focused)?;
        let pause = app.status() != AppStatus::Paused;
        if pause {
            app.pause();
        } else {
            app.resume();
        }
        Some((app.name().to_string(), pause))
    }

    /// Names the launcher's component, which a glasses key (or [`Shell::toggle_launcher`])
    /// opens and closes.
    pub fn set_launcher(&mut self, component: PathBuf) {
        self.launcher = Some(component);
    }

    /// Closes the launcher when it shows, else opens it — in front of the head, where it
    /// places itself when it starts — and gives it the focus. Returns whether it is open now.
    pub fn toggle_launcher(&mut self) -> anyhow::Result<bool> {
        let name = crate::run::LAUNCHER;
        if let Some(id) = self.modules.find(name) {
            if self.modules.display_apps().any(|a| a.id() == AppId(id)) {
                self.modules.stop(id)?;
                tracing::info!("launcher closed");
                return Ok(false);
            }
            self.modules.start(id)?;
        } else {
            let Some(component) = self.launcher.clone() else {
                anyhow::bail!("this run has no launcher to open: start visor with --launcher, or use a build that bundles the apps");
            };
            self.launch(&component, &[])?;
        }
        self.focus_app(name);
        tracing::info!("launcher opened");
        Ok(true)
    }

    /// Takes the head's current heading as straight ahead, where the pose source can (the
    /// glasses' IMU); returns whether it could.
    pub fn recentre(&self) -> bool {
        let Some(feed) = self.pose.glasses() else { return false };
        feed.request_recentre();
        tracing::info!("recentred: the current heading is straight ahead");
        true
    }

    /// The glasses' display refresh, where the pair reports its v-sync and did so lately.
    pub fn vsync(&self) -> Option<VsyncPhase> {
        let phase = self.pose.glasses()?.vsync_phase()?;
        phase.fresh(self.clock.now_ns(), VSYNC_STALE_NS).then_some(phase)
    }

    /// When a frame started now is seen: `lead` from now, moved to the nearest refresh edge
    /// of the glasses where they report their v-sync, so each frame's head pose is predicted
    /// for the moment the display lights it.
    pub fn display_time(&self, lead: Duration) -> u64 {
        let due = self.clock.now_ns() + lead.as_nanos() as u64;
        match self.vsync() {
            Some(v) => v.next_edge(due.saturating_sub(v.period_ns / 2)),
            None => due,
        }
    }

    /// Acts on the glasses' bound keys pressed since the last frame.
    fn obey_keys(&mut self) {
        for action in self.keys.take() {
            match action {
                keys::KeyAction::ToggleLauncher => {
                    if let Err(e) = self.toggle_launcher() {
                        tracing::warn!("the launcher key: {e:#}");
                    }
                }
                keys::KeyAction::Recentre => {
                    self.recentre();
                }
            }
        }
    }

    fn app_name(&mut self, app: AppId) -> Option<String> {
        self.modules.display_apps().find(|a| a.id() == app).map(|a| a.name().to_string())
    }

    fn deliver(&self, deliveries: input::Deliveries) {
        for (app, event) in deliveries {
            if !self.modules.send_input(app, event) {
                tracing::debug!(?app, "input not delivered: the app is gone or not granted the input device");
            }
        }
    }
}

/// A bus frame as the compositor takes it (tightly packed RGBA rows, which the camera driver
/// always publishes); anything else is not a camera picture and is skipped.
fn to_camera_frame(frame: &visor_runtime::bus::FrameHandle) -> Option<CameraFrame> {
    (frame.stride() == frame.width() * 4).then(|| CameraFrame {
        width: frame.width(),
        height: frame.height(),
        pixels: frame.pixels().clone(),
        timestamp_ns: frame.timestamp_ns(),
        sequence: frame.sequence(),
    })
}

/// The frame template for `frame`: the profile's eyes for the head pose `head` (world from
/// head).
pub fn frame_info(profile: &DeviceProfile, frame: u64, display_time_ns: u64, head: Mat4) -> FrameInfo {
    FrameInfo { display_time_ns, frame_number: frame, head, eyes: profile.eye_views(head) }
}

/// The manifest beside `component` (`<component>.toml`, or the folder's `visor.toml` — a
/// package `visor build` made — when its entry is this component), or [`dev_manifest`]'s when
/// it has none.
pub fn launch_manifest(component: &Path) -> anyhow::Result<Manifest> {
    let mut beside = component.with_extension("toml");
    if !beside.is_file() {
        let package = component.with_file_name(visor_runtime::manifest::MANIFEST_FILE);
        let names_it = |m: &Manifest| component.file_name().is_some_and(|f| m.entry == Entry::Component(PathBuf::from(f)));
        let manifest = std::fs::read_to_string(&package).ok().and_then(|t| Manifest::parse(&t, &package.display().to_string()).ok());
        match manifest {
            Some(m) if names_it(&m) => beside = package,
            _ => return dev_manifest(component),
        }
    }
    let text = std::fs::read_to_string(&beside).with_context(|| format!("reading {}", beside.display()))?;
    let manifest = Manifest::parse(&text, &beside.display().to_string())?;
    let file = component.file_name().context("the app path names no file")?;
    anyhow::ensure!(
        manifest.entry == Entry::Component(PathBuf::from(file)),
        "{} names entry {:?}, not {}; fix its `entry` or remove it to launch the component bare",
        beside.display(),
        manifest.entry,
        file.to_string_lossy()
    );
    Ok(manifest)
}

/// The manifest a bare component gets: an app named after its file, allowed a display layer
/// and the input aimed at it.
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
        // Input is safe to grant: it only ever carries what the user aims at this app.
        capabilities: Capabilities { devices: vec![Device::DisplayLayer, Device::Input], ..Default::default() },
        limits: Limits::default(),
        settings: Default::default(),
    })
}
