//! `visor run`: the one run path. Every run — in the simulator window, full screen on a pair of
//! glasses, headless writing PNGs, or headless as a server — starts and stops the same way and
//! differs only in its [`Display`]: where the composited frames go.
//!
//! Start-up ([`start`]): resolve the device profile (a recorded pose track may replace its pose
//! source), open the module store and its policy, make the [`Shell`] on a GPU the display
//! chose, start the launcher, the named apps, the store's `boot` modules or the sample apps,
//! publish the first frame, wait for every app's first frame, and serve the admin panel.
//! Shutdown ([`Running::finish`]): stop the admin panel, stop every module, and report those
//! that failed during the run. Ctrl-C and SIGTERM set [`RunOptions::stop`] in both.
//!
//! Layout:
//! - this file: [`RunOptions`], [`Display`], [`start`], [`Running`], [`stop_on_signals`].
//! - `headless`: the frame loop for [`Display::Png`] and [`Display::None`].
//! - `window`: the winit simulator window for [`Display::Window`] (and `visor outputs`).

pub mod headless;
pub mod window;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use visor_compositor::Gpu;
use visor_runtime::registry::Registry;
use visor_types::DeviceProfile;
use visor_types::clock::MonotonicClock;

use crate::admin_backend::{AdminLink, AdminOptions};
use crate::data::DataDir;
use crate::project::dev::DevReload;
use crate::shell::Shell;
use crate::{module_cmd, progress};

/// The sample apps `visor run` starts when no app is named.
pub const SAMPLE_APPS: [&str; 2] = ["cube", "hud"];
/// The launcher's component, among the bundled apps.
pub const LAUNCHER: &str = "launcher";

/// What a run shows and where its frames go.
pub struct RunOptions {
    /// Profiles, built-in manifests, assets and sample apps.
    pub data: DataDir,
    /// A profile name in the data folder's `device-profiles/`, or the path of a `*.toml` file.
    pub profile: String,
    /// Components to run; empty boots the installed modules, else the sample apps.
    pub apps: Vec<PathBuf>,
    /// The module store (`None`: the default store).
    pub store: Option<PathBuf>,
    /// How long to wait for every app's first frame before the first frame is shown.
    pub startup_timeout: Duration,
    /// Serve the admin panel while running.
    pub admin: Option<AdminOptions>,
    /// Set (by Ctrl-C or SIGTERM) to end the run after the current frame.
    pub stop: Arc<AtomicBool>,
    /// Play this recorded pose track instead of the profile's pose source.
    pub pose_track: Option<PathBuf>,
    /// Start the launcher app.
    pub launcher: bool,
    /// `visor dev`: run this app project instead of `apps`, rebuilt and upgraded in place on
    /// every save.
    pub dev: Option<PathBuf>,
    pub display: Display,
    /// Network endpoints from the command line, over the profile's `[network]`.
    pub network: crate::net_cmd::NetArgs,
}

/// Where the composited frames go.
pub enum Display {
    /// Headless, each frame a PNG in `out` beside `timing.jsonl`.
    Png(headless::PngOptions),
    /// A window: the desktop simulator, or full screen on a chosen monitor (a tethered pair of
    /// glasses shows up as one).
    Window(window::WindowOptions),
    /// Headless with no frames kept: a server run until stopped (or for `frames`), logging
    /// only the timings.
    None(headless::NoDisplayOptions),
}

/// Runs the shell until its display is done or `stop` is set.
pub fn run(options: RunOptions) -> anyhow::Result<()> {
    match &options.display {
        Display::Window(_) => window::run(options),
        Display::Png(_) | Display::None(_) => headless::run(&options),
    }
}

/// A profile by name (`device-profiles/NAME.toml` in the data folder) or by path (anything
/// ending in `.toml`), with `pose_track` replacing its pose source when given.
pub fn resolve_profile(data: &DataDir, profile: &str, pose_track: Option<&Path>) -> anyhow::Result<DeviceProfile> {
    let mut profile = if profile.ends_with(".toml") {
        DeviceProfile::load(Path::new(profile)).with_context(|| format!("loading profile {profile}"))?
    } else {
        DeviceProfile::find(profile, &data.profiles())?
    };
    if let Some(track) = pose_track {
        // Named on the command line, so relative to where the user is, not to the data folder.
        let file = std::path::absolute(track).with_context(|| format!("the pose track {}", track.display()))?;
        profile.pose = visor_types::profile::PoseConfig::Track { file };
    }
    Ok(profile)
}

/// A started run: the shell with its apps drawing, and the admin panel if asked for.
pub struct Running {
    // Fields drop in order: the network and the admin panel let go of the shell before the
    // shell stops.
    pub bridge: Option<visor_net::Bridge>,
    /// Vision served by another device, when the profile says so.
    pub offload: Option<crate::offload::Offload>,
    pub admin: Option<AdminLink>,
    /// `visor dev`'s project, polled between frames.
    pub dev: Option<DevReload>,
    pub shell: Shell,
}

/// The shared start-up (see the module guide), on `gpu`: a headless one, or one that can
/// present to the window's surface.
pub fn start(options: &RunOptions, profile: DeviceProfile, gpu: Gpu) -> anyhow::Result<Running> {
    let registry = module_cmd::open_store(options.store.as_deref())?;
    let policy = module_cmd::load_policy(&registry)?;
    let network = options.network.over(&profile.network)?;
    let mut shell = Shell::with_gpu(gpu, profile, options.data.root(), MonotonicClock::shared(), policy.clone())?;
    tracing::info!(gpu = %shell.compositor.gpu().describe(), profile = %shell.profile.name, "shell started");
    let dev = match &options.dev {
        Some(project) => {
            shell.serve_store(registry)?;
            Some(DevReload::start(crate::project::Project::open(project)?, &mut shell)?)
        }
        None => {
            start_apps(&mut shell, &options.data, &registry, &options.apps, options.launcher)?;
            None
        }
    };
    shell.publish(0, shell.clock.now_ns());
    // Apps compile on their own threads (from the cache after the first start): this wait is
    // where that time shows.
    let step = progress::step("waiting for the apps' first frames (compiling them on a first start)");
    shell.wait_for_apps(options.startup_timeout);
    step.done();
    let admin = options.admin.as_ref().map(|a| AdminLink::start(a, &shell)).transpose()?;
    // After the apps started, so the peers learn what this shell runs.
    let bridge = crate::net_cmd::start_bridge(&network, &shell.modules, policy)?;
    let offload = network.offload.clone().filter(|_| bridge.is_some()).map(|o| crate::offload::Offload::new(o, &shell.modules));
    Ok(Running { bridge, offload, admin, dev, shell })
}

impl Running {
    /// The network's part of a frame: vision moves between the offload device and this shell
    /// as that device comes and goes.
    pub fn tick_network(&mut self) {
        crate::offload::tick(self.offload.as_mut(), self.bridge.as_ref(), &mut self.shell.modules);
    }

    /// The shared shutdown: the admin panel first, then every module; failures are reported.
    pub fn finish(mut self) {
        drop(self.bridge.take());
        drop(self.admin.take());
        self.shell.modules.shutdown();
        for module in self.shell.modules.list() {
            if let visor_runtime::AppStatus::Failed(why) = module.status {
                tracing::warn!(module = %module.name, "stopped during the run: {why}");
            }
        }
    }
}

/// The components to run: those named, or the bundled sample apps.
pub fn resolve_apps(data: &DataDir, named: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    if !named.is_empty() {
        for path in named {
            anyhow::ensure!(path.is_file(), "app component {} does not exist", path.display());
        }
        return Ok(named.to_vec());
    }
    Ok(SAMPLE_APPS.iter().map(|a| data.component(a)).collect::<Result<_, _>>()?)
}

/// Starts what a run shows: the launcher first when asked for (it gets the shell capability its
/// manifest asks for: the user started it), then the named components, or else the store's
/// `boot` modules, or else — with no launcher — the sample apps. The shell serves the
/// launcher's `shell/` topics over `registry` either way.
pub fn start_apps(shell: &mut Shell, data: &DataDir, registry: &Registry, apps: &[PathBuf], launcher: bool) -> anyhow::Result<()> {
    shell.serve_store(registry.clone())?;
    // A glasses key opens the launcher later even when the run did not start with it.
    match data.component(LAUNCHER) {
        Ok(component) => {
            if launcher {
                shell.launch(&component, &[])?;
            }
            shell.set_launcher(component);
        }
        Err(e) if !launcher => tracing::debug!("no launcher to open from a key: {e}"),
        Err(e) => return Err(e.into()),
    }
    let booted = if apps.is_empty() {
        let step = progress::step("starting the installed modules marked boot");
        let booted = module_cmd::boot(registry, &mut shell.modules);
        step.done();
        booted
    } else {
        0
    };
    if booted > 0 {
        tracing::info!(modules = booted, store = %registry.root().display(), "started the installed modules marked boot");
    } else if launcher && apps.is_empty() {
        tracing::info!("nothing installed starts at boot: the launcher opens the rest");
    } else {
        for app in &resolve_apps(data, apps)? {
            shell.launch(app, &[])?;
        }
    }
    Ok(())
}

/// A flag that Ctrl-C (SIGINT) or SIGTERM sets, for [`RunOptions::stop`]. A second signal
/// ends the process at once, for a run stuck before its loop.
pub fn stop_on_signals() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // In this order: the first signal finds the flag unset and only sets it.
        signal_hook::flag::register_conditional_shutdown(signal, 130, stop.clone()).context("handling Ctrl-C")?;
        signal_hook::flag::register(signal, stop.clone()).context("handling Ctrl-C")?;
    }
    Ok(stop)
}
