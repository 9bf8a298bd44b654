//! `visor dev [DIR]`: the project runs in the shell, and every save rebuilds it and upgrades
//! it in place — the runtime's own upgrade: the same module, the same bus identity, its
//! subscriptions and queued messages kept, the window never closing.
//!
//! [`DevReload`] lives beside the frame loop, which calls [`DevReload::poll`] between frames.
//! A poll never blocks a frame: it looks at the sources' modification times (at most four
//! times a second), builds on a thread of its own, and swaps the new component in when the
//! build is done. Each build is its own generation, `target/visor-dev/CRATE-N.wasm` at version
//! `VERSION-dev.N`, so the last good generation stays on disk to fall back to. A build that
//! fails, or a generation whose `init` fails, leaves the last good one running; the compiler's
//! or the guest's own message comes back from the poll (the window's overlay shows it) and goes
//! to the log.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use visor_runtime::AppStatus;
use visor_runtime::manifest::{Entry, Manifest, Version};
use visor_runtime::modules::ModuleId;

use super::{Built, Project};
use crate::shell::Shell;

/// How often the sources' times are looked at.
const LOOK_EVERY: Duration = Duration::from_millis(250);
/// Where the generations go, inside the project.
const BUILDS_DIR: &str = "target/visor-dev";

pub struct DevReload {
    project: Project,
    module: ModuleId,
    builds: PathBuf,
    generation: u64,
    /// The sources' time when the running (or building) generation's build started.
    seen: SystemTime,
    looked: Instant,
    building: Option<Receiver<anyhow::Result<Built>>>,
    /// An upgrade sent to the app, not yet seen through.
    swapping: Option<Swap>,
    /// The last reload seen through.
    last: Option<Reload>,
    /// The time of the newest guest log line shown so far.
    log_seen_ns: u64,
}

/// How long a reload took: the build, and the upgrade from its end until the app ran the new
/// version.
#[derive(Clone, Copy, Debug)]
pub struct Reload {
    pub build_s: f64,
    pub swap_s: f64,
}

struct Swap {
    version: Version,
    build_s: f64,
    sent: Instant,
    crashes_before: usize,
}

impl DevReload {
    /// Builds `project` (waiting for it) and starts it in `shell`.
    pub fn start(project: Project, shell: &mut Shell) -> anyhow::Result<DevReload> {
        let seen = project.sources_changed_at();
        let step = crate::progress::step(format!("building {}", project.manifest.name));
        let built = project.build()?;
        step.done();
        let builds = project.dir.join(BUILDS_DIR);
        std::fs::create_dir_all(&builds).with_context(|| format!("creating {}", builds.display()))?;
        let mut dev = DevReload {
            project,
            module: 0,
            builds,
            generation: 0,
            seen,
            looked: Instant::now(),
            building: None,
            swapping: None,
            last: None,
            log_seen_ns: 0,
        };
        let manifest = dev.next_generation(&built)?;
        dev.module = shell.launch_module(manifest, &dev.builds.clone(), &[])?;
        tracing::info!(app = %dev.project.manifest.name, seconds = format!("{:.1}", built.seconds), "built and started; watching {} for saves", dev.project.dir.display());
        Ok(dev)
    }

    /// The module the project runs as.
    pub fn module(&self) -> ModuleId {
        self.module
    }

    /// The last reload that took, with its times.
    pub fn last_reload(&self) -> Option<Reload> {
        self.last
    }

    /// Between frames: sees a swap through, takes a finished build, or starts one after a
    /// save. Returns what the user should be told, when something happened.
    pub fn poll(&mut self, shell: &mut Shell) -> Option<String> {
        if let Some(said) = self.see_swap(shell) {
            return Some(said);
        }
        if let Some(building) = &self.building {
            let result = match building.try_recv() {
                Ok(result) => result,
                Err(TryRecvError::Empty) => return None,
                Err(TryRecvError::Disconnected) => Err(anyhow::anyhow!("the build thread ended without a result")),
            };
            self.building = None;
            return match result.and_then(|built| self.swap(shell, built)) {
                Ok(()) => None,
                Err(e) => Some(self.say_error(format!("the build failed; {} keeps running its last good build:\n{e:#}", self.name()))),
            };
        }
        if self.looked.elapsed() >= LOOK_EVERY {
            self.looked = Instant::now();
            let changed = self.project.sources_changed_at();
            if changed > self.seen {
                self.seen = changed;
                return Some(self.build_in_background());
            }
        }
        None
    }

    /// The app's next log line not shown yet, as `name [level]: message`, for the window's
    /// overlay (the log has it already, under the guest's own target).
    pub fn guest_line(&mut self, shell: &Shell) -> Option<String> {
        let app = shell.modules.app(self.module)?;
        let line = app.logs().lines().into_iter().find(|line| line.time_ns > self.log_seen_ns)?;
        self.log_seen_ns = line.time_ns;
        Some(format!("{} [{}]: {}", self.name(), line.level, line.message))
    }

    fn name(&self) -> &str {
        &self.project.manifest.name
    }

    fn build_in_background(&mut self) -> String {
        let (done, result) = std::sync::mpsc::channel();
        // The manifest too may have changed (capabilities, limits): read the project afresh.
        let project = match Project::open(&self.project.dir) {
            Ok(project) => project.with_target_dir(self.project.target.clone()),
            Err(e) => return self.say_error(format!("{e:#}; still running the last good build")),
        };
        let building = project.clone();
        let spawned = std::thread::Builder::new().name("visor-dev-build".into()).spawn(move || {
            let _ = done.send(building.build());
        });
        if let Err(e) = spawned {
            return self.say_error(format!("cannot start a build: {e}"));
        }
        self.project = project;
        self.building = Some(result);
        tracing::info!(app = %self.name(), "saved: rebuilding");
        format!("rebuilding {}", self.name())
    }

    /// Copies `built` in as the next generation and returns the manifest that runs it.
    fn next_generation(&mut self, built: &Built) -> anyhow::Result<Manifest> {
        self.generation += 1;
        let n = self.generation;
        let stem = built.component.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let file = format!("{stem}-{n}.wasm");
        let to = self.builds.join(&file);
        std::fs::copy(&built.component, &to).with_context(|| format!("copying the build to {}", to.display()))?;
        // Two back is no longer anyone's fallback.
        if n > 2 {
            let _ = std::fs::remove_file(self.builds.join(format!("{stem}-{}.wasm", n - 2)));
        }
        let mut manifest = self.project.manifest.clone();
        manifest.entry = Entry::Component(PathBuf::from(file));
        let v = &manifest.version;
        manifest.version = Version::parse(&format!("{}.{}.{}-dev.{n}", v.major, v.minor, v.patch)).expect("a valid version");
        Ok(manifest)
    }

    fn swap(&mut self, shell: &mut Shell, built: Built) -> anyhow::Result<()> {
        let manifest = self.next_generation(&built)?;
        let version = manifest.version.clone();
        let crashes_before = shell.modules.app(self.module).map_or(0, |a| a.crashes().len());
        let stopped = shell.modules.app(self.module).is_none_or(|a| matches!(a.status(), AppStatus::Failed(_) | AppStatus::Stopped));
        shell.modules.upgrade(self.module, manifest, &self.builds)?;
        if stopped {
            // Nothing running to swap under: the new generation starts afresh.
            shell.modules.stop(self.module)?;
            shell.modules.start(self.module)?;
        }
        self.swapping = Some(Swap { version, build_s: built.seconds, sent: Instant::now(), crashes_before });
        Ok(())
    }

    /// Whether the last upgrade took: the app runs the new version, or its crash list says
    /// the new version did not start (and the runtime went back to the old one).
    fn see_swap(&mut self, shell: &mut Shell) -> Option<String> {
        let swap = self.swapping.as_ref()?;
        let app = shell.modules.app(self.module)?;
        if app.version() == swap.version {
            let said = format!(
                "reloaded {} as {} (build {:.1} s, swap {} ms): same module, subscriptions kept",
                self.name(),
                swap.version,
                swap.build_s,
                swap.sent.elapsed().as_millis()
            );
            tracing::info!("{said}");
            self.last = Some(Reload { build_s: swap.build_s, swap_s: swap.sent.elapsed().as_secs_f64() });
            self.swapping = None;
            return Some(said);
        }
        let crashes = app.crashes();
        let failed = crashes.iter().skip(swap.crashes_before).find(|c| c.reason.contains(&swap.version.to_string()))?;
        let said = format!("{}'s new build did not start; the last good build runs on:\n{}", self.name(), failed.reason);
        self.swapping = None;
        Some(self.say_error(said))
    }

    fn say_error(&self, said: String) -> String {
        tracing::error!(app = %self.name(), "{said}");
        said
    }
}
