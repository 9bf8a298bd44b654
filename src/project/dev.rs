//! `visor dev [DIR]`: the project runs in the shell, and every save rebuilds it and upgrades
//! it in place — the runtime's own upgrade: the same module, the same bus identity, its
//! subscriptions and queued messages kept, the window never closing.
//!
//! [`DevReload`] lives beside the frame loop, which calls [`DevReload::poll`] between frames.
//! A poll never blocks a frame: it looks at the sources' modification times (at most four
//! times a second); what a save needs — reading and checking the sources (Python's parser,
//! esbuild), building, compiling — runs on a thread of its own, and the poll that finds it
//! done swaps the new code or sources in. Each build is its own generation, `target/visor-dev/NAME-N.wasm` at
//! version `VERSION-dev.N`, so the last good generation stays on disk to fall back to. A build
//! that fails, or a generation whose `init` fails, leaves the last good one running; the
//! compiler's or the guest's own message comes back from the poll (the window's overlay shows
//! it) and goes to the log.
//!
//! Python and JavaScript projects mostly skip the build: their component is a dev loader
//! (`pydev`, `jsdev`), and a save that changes only the sources restarts the app in place on
//! the code already compiled, with the new sources in its environment.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use visor_runtime::manifest::{Entry, Manifest, Version};
use visor_runtime::modules::ModuleId;
use visor_runtime::{AppEngine, AppStatus, Precompiled};

use super::{Built, Language, Project, jsdev, pydev};
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
    /// The work a save set off (reading, bundling, checking or building), on its own thread.
    building: Option<Receiver<anyhow::Result<Prepared>>>,
    /// The newest generation's compiled code and its file: what a source-only save restarts on.
    code: Option<(Precompiled, PathBuf)>,
    /// For a Python or JavaScript project on its dev loader, what the build baked in.
    baked: Option<Baked>,
    /// An upgrade sent to the app, not yet seen through.
    swapping: Option<Swap>,
    /// The last reload seen through.
    last: Option<Reload>,
    /// The time of the newest guest log line shown so far.
    log_seen_ns: u64,
    /// The time of the newest crash shown so far.
    crash_seen_ns: u64,
}

/// How long a reload took: the build, compiling it, and the swap from then until the app ran
/// the new version. A source-only save (Python, JavaScript) has neither build nor compile.
#[derive(Clone, Copy, Debug)]
pub struct Reload {
    pub build_s: f64,
    pub compile_s: f64,
    pub swap_s: f64,
}

/// A finished build, compiled, with the environment its generation starts with.
struct DevBuild {
    built: Built,
    code: Precompiled,
    compile_s: f64,
    env: Vec<(String, String)>,
    baked: Option<Baked>,
}

/// What a dev loader build baked in: the modules it imported at build time (Python), and the
/// digest of its SDK, WIT and manifest.
#[derive(Clone)]
struct Baked {
    imports: BTreeSet<String>,
    digest: u64,
}

struct Swap {
    version: Version,
    build_s: f64,
    compile_s: f64,
    sent: Instant,
    crashes_before: usize,
    /// Only the sources changed (a save on the dev loader's code, already compiled).
    sources_only: bool,
}

impl DevReload {
    /// Builds `project` (waiting for it) and starts it in `shell`.
    pub fn start(project: Project, shell: &mut Shell) -> anyhow::Result<DevReload> {
        let seen = project.sources_changed_at();
        let step = crate::progress::step(format!("building {}", project.manifest.name));
        let build = build_generation(&project, shell.modules.engine(), Target::Dev)?;
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
            code: None,
            baked: None,
            swapping: None,
            last: None,
            log_seen_ns: 0,
            crash_seen_ns: 0,
        };
        let (manifest, file) = dev.next_generation(&build.built)?;
        dev.module = shell.launch_compiled(manifest, &dev.builds.clone(), build.env, Some(build.code.clone()))?;
        dev.code = Some((build.code, file));
        dev.baked = build.baked;
        let (app, seconds) = (&dev.project.manifest.name, build.built.seconds);
        tracing::info!(app = %app, seconds = format!("{seconds:.1}"), "built and started; watching {} for saves", dev.project.dir.display());
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

    /// Between frames: sees a swap through, takes a finished build, or reloads or starts a
    /// build after a save. Returns what the user should be told, when something happened.
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
            let failure = match result {
                Ok(Prepared::Sources(env)) => return Some(self.reload_sources(shell, env)),
                Ok(Prepared::Refused(why)) => why,
                Ok(Prepared::Built(build)) => format!("{:#}", self.swap(shell, *build).err()?),
                Err(e) => format!("{e:#}"),
            };
            return Some(self.say_error(format!("the build failed; {} keeps running its last good build:\n{failure}", self.name())));
        }
        if self.looked.elapsed() >= LOOK_EVERY {
            self.looked = Instant::now();
            let changed = self.project.sources_changed_at();
            if changed > self.seen {
                self.seen = changed;
                return Some(self.work_in_background(shell, None));
            }
        }
        None
    }

    /// For the window's overlay: the app's newest crash not shown yet (a trap, with the guest's
    /// source line where it has line tables), else its next log line, as `name [level]:
    /// message`. The log has both already.
    pub fn guest_line(&mut self, shell: &Shell) -> Option<String> {
        let app = shell.modules.app(self.module)?;
        // A swap in flight reports its own failure.
        if self.swapping.is_none()
            && let Some(crash) = app.last_crash().filter(|c| c.at_ns > self.crash_seen_ns)
        {
            self.crash_seen_ns = crash.at_ns;
            return Some(format!("{} crashed: {}", self.name(), crash.reason));
        }
        let line = app.logs().next_after(self.log_seen_ns)?;
        self.log_seen_ns = line.time_ns;
        Some(format!("{} [{}]: {}", self.name(), line.level, line.message))
    }

    fn name(&self) -> &str {
        &self.project.manifest.name
    }

    /// Sets off what a save needs on a thread of its own — reading and checking the sources
    /// (which runs Python's parser or esbuild), and building unless they alone changed — or the
    /// build `target` when given. Its outcome is taken by a later poll.
    fn work_in_background(&mut self, shell: &Shell, target: Option<Target>) -> String {
        let (done, result) = std::sync::mpsc::channel();
        // The manifest too may have changed (capabilities, limits): read the project afresh.
        let project = match Project::open(&self.project.dir) {
            Ok(project) => project.with_target_dir(self.project.target.clone()),
            Err(e) => return self.say_error(format!("{e:#}; still running the last good build")),
        };
        let (building, engine) = (project.clone(), shell.modules.engine().clone());
        // A save on a dev loader's code may skip the build: that needs the code and what it baked.
        let baked = self.code.as_ref().and(self.baked.clone());
        let spawned = std::thread::Builder::new().name("visor-dev-build".into()).spawn(move || {
            let target = match target.map_or_else(|| classify_save(&building, baked.as_ref()), Save::Build) {
                Save::Sources(env) => return drop(done.send(Ok(Prepared::Sources(env)))),
                Save::Refused(why) => return drop(done.send(Ok(Prepared::Refused(why)))),
                Save::Build(target) => target,
            };
            let _ = done.send(build_generation(&building, &engine, target).map(|build| Prepared::Built(Box::new(build))));
        });
        if let Err(e) = spawned {
            return self.say_error(format!("cannot start a build: {e}"));
        }
        self.project = project;
        self.building = Some(result);
        tracing::info!(app = %self.name(), "saved: reloading");
        format!("reloading {}", self.name())
    }

    /// A save that changed only the sources: the app restarts in place on the code it has,
    /// with the new sources in its environment (`env`).
    fn reload_sources(&mut self, shell: &mut Shell, env: Vec<(String, String)>) -> String {
        let Some((code, file)) = self.code.clone() else { return self.work_in_background(shell, Some(Target::Dev)) };
        let version = self.next_version();
        let mut manifest = self.project.manifest.clone();
        manifest.entry = Entry::Component(PathBuf::from(file.file_name().unwrap_or_default()));
        manifest.version = version.clone();
        let crashes_before = shell.modules.app(self.module).map_or(0, |a| a.crashes().len());
        if let Err(e) = self.send_upgrade(shell, manifest, env, code, file) {
            return self.say_error(format!("cannot reload {}: {e:#}", self.name()));
        }
        let sent = Instant::now();
        self.swapping = Some(Swap { version, build_s: 0.0, compile_s: 0.0, sent, crashes_before, sources_only: true });
        tracing::info!(app = %self.name(), "reloading the sources");
        format!("reloading {}'s sources", self.name())
    }

    /// The next generation's version, `X.Y.Z-dev.N`.
    fn next_version(&mut self) -> Version {
        self.generation += 1;
        let v = &self.project.manifest.version;
        Version::parse(&format!("{}.{}.{}-dev.{}", v.major, v.minor, v.patch, self.generation)).expect("a valid version")
    }

    /// Copies `built` in as the next generation; returns the manifest that runs it and its file.
    /// Generations older than the one running go.
    fn next_generation(&mut self, built: &Built) -> anyhow::Result<(Manifest, PathBuf)> {
        let version = self.next_version();
        let stem = built.component.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let file = format!("{stem}-{}.wasm", self.generation);
        let to = self.builds.join(&file);
        std::fs::copy(&built.component, &to).with_context(|| format!("copying the build to {}", to.display()))?;
        let running = self.code.as_ref().map(|(_, path)| path.clone());
        for entry in std::fs::read_dir(&self.builds).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "wasm") && path != to && Some(&path) != running.as_ref() {
                let _ = std::fs::remove_file(&path);
            }
        }
        let mut manifest = self.project.manifest.clone();
        manifest.entry = Entry::Component(PathBuf::from(file));
        manifest.version = version;
        Ok((manifest, to))
    }

    fn swap(&mut self, shell: &mut Shell, build: DevBuild) -> anyhow::Result<()> {
        let (manifest, file) = self.next_generation(&build.built)?;
        let version = manifest.version.clone();
        let crashes_before = shell.modules.app(self.module).map_or(0, |a| a.crashes().len());
        self.send_upgrade(shell, manifest, build.env, build.code.clone(), file.clone())?;
        self.code = Some((build.code, file));
        self.baked = build.baked;
        self.swapping = Some(Swap {
            version,
            build_s: build.built.seconds,
            compile_s: build.compile_s,
            sent: Instant::now(),
            crashes_before,
            sources_only: false,
        });
        Ok(())
    }

    /// Hands the module its next generation: `manifest` on `code` (compiled from `file`), with
    /// `env`, through the runtime's upgrade; an app that is not running (its last generation
    /// failed) starts on it afresh.
    fn send_upgrade(
        &self,
        shell: &mut Shell,
        manifest: Manifest,
        env: Vec<(String, String)>,
        code: Precompiled,
        file: PathBuf,
    ) -> anyhow::Result<()> {
        let stopped = shell.modules.app(self.module).is_none_or(|a| matches!(a.status(), AppStatus::Failed(_) | AppStatus::Stopped));
        shell.modules.set_env(self.module, env)?;
        shell.modules.upgrade_compiled(self.module, manifest, &self.builds, code, file)?;
        if stopped {
            shell.modules.stop(self.module)?;
            shell.modules.start(self.module)?;
        }
        Ok(())
    }

    /// Whether the last upgrade took: the app runs the new version, or its crash list says
    /// the new version did not start (and the runtime went back to the old one).
    fn see_swap(&mut self, shell: &mut Shell) -> Option<String> {
        let swap = self.swapping.as_ref()?;
        let app = shell.modules.app(self.module)?;
        if app.version() == swap.version {
            let swap_s = swap.sent.elapsed().as_secs_f64();
            let how = if swap.sources_only {
                format!("sources only, swap {:.0} ms", swap_s * 1e3)
            } else {
                format!("build {:.1} s, compile {:.1} s, swap {:.0} ms", swap.build_s, swap.compile_s, swap_s * 1e3)
            };
            let said = format!("reloaded {} as {} ({how}): same module, subscriptions kept", self.name(), swap.version);
            tracing::info!("{said}");
            self.last = Some(Reload { build_s: swap.build_s, compile_s: swap.compile_s, swap_s });
            self.swapping = None;
            return Some(said);
        }
        let crashes = app.crashes();
        let failed = crashes.iter().skip(swap.crashes_before).find(|c| c.reason.contains(&swap.version.to_string()))?;
        let reason = failed.reason.clone();
        self.crash_seen_ns = crashes.iter().map(|c| c.at_ns).max().unwrap_or(self.crash_seen_ns);
        let sources_only = swap.sources_only;
        self.swapping = None;
        let said = format!("{}'s new build did not start; the last good build runs on:\n{reason}", self.name());
        let said = self.say_error(said);
        // A module the dev build did not import (a `from x import (` over several lines, say):
        // a full build imports it.
        if sources_only && (reason.contains("ModuleNotFoundError") || reason.contains("ImportError")) {
            return Some(format!("{said}\n{}", self.work_in_background(shell, Some(Target::Dev))));
        }
        Some(said)
    }

    fn say_error(&self, said: String) -> String {
        tracing::error!(app = %self.name(), "{said}");
        said
    }
}

/// What a save needs.
enum Save {
    /// Only sources changed, and they parse: restart on the code there is, with this
    /// environment.
    Sources(Vec<(String, String)>),
    /// Sources the bundler refuses, in its words (the last good build runs on).
    Refused(String),
    /// A build: `Plain` for Python sources the host's parser refuses, so that componentize-py
    /// says what is wrong (and the app runs, should the host's Python be the one wrong);
    /// `Dev` for anything else.
    Build(Target),
}

/// What the work a save set off came to.
enum Prepared {
    Sources(Vec<(String, String)>),
    Refused(String),
    Built(Box<DevBuild>),
}

/// What a save of `project` needs (see `pydev`, `jsdev`): only a save on a dev loader
/// (`baked`: what its build baked in) whose sources alone changed skips the build.
fn classify_save(project: &Project, baked: Option<&Baked>) -> Save {
    let Some(baked) = baked else { return Save::Build(Target::Dev) };
    let dir = &project.dir;
    match project.language {
        Language::Python => {
            let Ok(sources) = pydev::read(dir) else { return Save::Build(Target::Dev) };
            if sources.digest != baked.digest || !sources.imports.is_subset(&baked.imports) {
                Save::Build(Target::Dev)
            } else if !pydev::parses(&sources.files) {
                Save::Build(Target::Plain)
            } else {
                Save::Sources(vec![(super::SOURCES_VAR.to_owned(), sources.json)])
            }
        }
        Language::JavaScript => match jsdev::read(dir) {
            Ok(sources) if sources.digest == baked.digest => match sources.bundle {
                Ok(bundle) => Save::Sources(vec![(super::SOURCES_VAR.to_owned(), bundle)]),
                Err(why) => Save::Refused(why),
            },
            _ => Save::Build(Target::Dev),
        },
        Language::Rust => Save::Build(Target::Dev),
    }
}

/// Which component a build makes.
#[derive(Clone, Copy)]
enum Target {
    /// What `visor dev` runs: for Python, the dev loader.
    Dev,
    /// What `visor build` makes.
    Plain,
}

/// Builds `project` for `visor dev` and compiles the result (on the calling thread): a Python
/// or JavaScript project as its dev loader with its sources in the environment (unless
/// `target` is plain, or esbuild is missing), any other as `visor build` does.
fn build_generation(project: &Project, engine: &AppEngine, target: Target) -> anyhow::Result<DevBuild> {
    let js = match (project.language, target) {
        (Language::JavaScript, Target::Dev) => jsdev::read(&project.dir).ok(),
        _ => None,
    };
    let (built, env, baked) = match (project.language, target, js) {
        (Language::Python, Target::Dev, _) => {
            let sources = pydev::read(&project.dir)?;
            let built = project.build_python_dev(&sources.imports)?;
            let env = vec![(super::SOURCES_VAR.to_owned(), sources.json)];
            (built, env, Some(Baked { imports: sources.imports, digest: sources.digest }))
        }
        (Language::JavaScript, Target::Dev, Some(sources)) => {
            let bundle = sources.bundle.map_err(|why| anyhow::anyhow!("{why}"))?;
            let built = project.build_js_dev()?;
            let env = vec![(super::SOURCES_VAR.to_owned(), bundle)];
            (built, env, Some(Baked { imports: BTreeSet::new(), digest: sources.digest }))
        }
        _ => (project.build()?, Vec::new(), None),
    };
    let started = Instant::now();
    let code = Precompiled::compile_file(engine, &project.manifest.name, &built.component)?;
    let compile_s = started.elapsed().as_secs_f64();
    Ok(DevBuild { built, code, compile_s, env, baked })
}
