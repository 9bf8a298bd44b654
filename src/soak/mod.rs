//! `visor soak --minutes N`: the whole shell under load for a while, watched for leaks and
//! slowdowns.
//!
//! It runs what a busy pair of glasses runs, all at the display's rate: the camera (the
//! recorded astronaut clip of the `faces` profile) and the vision library, eight apps — the
//! cube, the HUD, face tags, the launcher, two probes drawing slabs, and two hostile probes
//! that crash and are restarted over and over (one traps every few seconds, one allocates until
//! its memory cap stops it) — input every frame (pointer moves, clicks, keys, focus changes),
//! and a module installed into the store, started, stopped and removed again and again, as the
//! launcher does. Every few seconds it samples the process ([`samples::Sample`]); at the end it
//! prints a table per minute and fails if a figure kept growing or frames got slower (see
//! `samples` for the rules).
//!
//! The store is a fresh temporary one, so a soak never touches the user's modules.

pub mod samples;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use visor_runtime::RestartPolicy;
use visor_runtime::modules::ModuleId;
use visor_runtime::registry::Registry;
use visor_types::clock::MonotonicClock;

use crate::data::DataDir;
use crate::run::resolve_profile;
use crate::shell::{KeyInput, PointerInput, PointerKind, Shell};
use samples::{Record, Sample};

pub struct SoakOptions {
    pub data: DataDir,
    /// How long to run, in minutes (fractions allowed).
    pub minutes: f64,
    /// The device profile (default `faces`: camera replay, stereo, vision).
    pub profile: String,
    /// Set by Ctrl-C: end early and report what was seen.
    pub stop: Arc<AtomicBool>,
}

/// How often the process is sampled.
const SAMPLE_EVERY: Duration = Duration::from_secs(5);
/// Start-up (compiles, caches, the first camera frames) that growth is not judged over.
const WARM_UP: Duration = Duration::from_secs(30);
/// How often a module is installed (and, half-way, removed again).
const INSTALL_EVERY: Duration = Duration::from_secs(20);

/// What ran and what it came to.
pub struct SoakReport {
    pub record: Record,
    pub problems: Vec<String>,
}

impl SoakReport {
    /// The table and the verdict, in Markdown.
    pub fn render(&self) -> String {
        let r = &self.record;
        let mut out = self.record.table();
        out.push_str(&format!(
            "\n{} frames; {} installs, {} removes; {} restarts of the hostile apps\n",
            r.frames.len(),
            r.installs,
            r.removes,
            r.restarts
        ));
        match self.problems.is_empty() {
            true => out.push_str("\nheld: nothing grew without bound, frame p99 stayed within 1.2x of the first minute's\n"),
            false => self.problems.iter().for_each(|p| out.push_str(&format!("\nFAILED: {p}\n"))),
        }
        out
    }
}

/// Runs the soak; an error when it could not run, a report (with its problems) when it did.
pub fn run(options: &SoakOptions) -> anyhow::Result<SoakReport> {
    let store = tempfile::Builder::new().prefix("visor-soak-").tempdir().context("a temporary store for the soak")?;
    let registry = Registry::open(&store.path().join("store"))?;
    let profile = resolve_profile(&options.data, &options.profile, None)?;
    let mut shell = Shell::new(profile, options.data.root(), MonotonicClock::shared(), Default::default())?;
    // Crashes are the point of the hostile apps: restart them quickly, never give up.
    shell.modules.set_restart_policy(RestartPolicy {
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(500),
        max_crashes: u32::MAX,
        window: Duration::from_secs(1),
    });
    shell.serve_store(registry.clone())?;
    start_apps(&mut shell, &options.data)?;
    shell.publish(0, shell.clock.now_ns());
    shell.wait_for_apps(Duration::from_secs(300));
    // After the wait: the memory bomb never draws a first frame to wait for.
    let hostile = start_hostile_apps(&mut shell, &options.data)?;
    let mut installer = Installer::new(&options.data, store.path())?;

    let period = Duration::from_secs_f64(1.0 / f64::from(shell.profile.display.refresh_hz));
    let length = Duration::from_secs_f64(options.minutes.max(0.0) * 60.0);
    let mut record = Record::default();
    let mut input = InputScript::default();
    let started = Instant::now();
    let mut next_sample = Duration::ZERO;
    let mut next_install = INSTALL_EVERY;
    let mut frame = 0;
    // The newest crash counted, per hostile app: their crash lists keep only the latest few.
    let mut counted_to = vec![0u64; hostile.len()];
    while started.elapsed() < length && !options.stop.load(Ordering::Relaxed) {
        let due = started + period.mul_f64(frame as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let at = started.elapsed();
        input.step(&mut shell, frame);
        let report = shell.step(frame, shell.clock.now_ns());
        record.frames.push((at, report.stats.ms));
        frame += 1;
        if at >= next_install {
            next_install += INSTALL_EVERY;
            installer.cycle(&mut shell, &registry, &mut record)?;
        }
        if at >= next_sample {
            next_sample += SAMPLE_EVERY;
            let gpu = shell.compositor.gpu().device.generate_allocator_report().map(|r| r.total_allocated_bytes);
            record.samples.push(Sample::take(at, gpu));
            for (id, counted) in hostile.iter().zip(counted_to.iter_mut()) {
                let crashes = shell.modules.info(*id).map(|i| i.crashes).unwrap_or_default();
                record.restarts += crashes.iter().filter(|c| c.at_ns > *counted).count() as u32;
                *counted = crashes.iter().map(|c| c.at_ns).max().unwrap_or(*counted).max(*counted);
            }
        }
    }
    installer.finish(&mut shell, &registry);
    let problems = record.problems(WARM_UP);
    Ok(SoakReport { record, problems })
}

/// Six of the eight apps: the friendly ones.
fn start_apps(shell: &mut Shell, data: &DataDir) -> anyhow::Result<()> {
    for app in ["cube", "hud", "face_tags", "launcher"] {
        shell.launch(&data.component(app)?, &[])?;
    }
    let probe = data.component("probe")?;
    shell.launch(&probe, &[("PROBE_COLOR", "0,1,0,0.8"), ("PROBE_X", "-1.5,-0.8")])?;
    shell.launch(&probe, &[("PROBE_COLOR", "0,0,1,0.8"), ("PROBE_X", "0.8,1.5"), ("PROBE_Z", "-3,-3")])?;
    Ok(())
}

/// The two that crash over and over: one traps every 300 frames, one allocates until its cap.
fn start_hostile_apps(shell: &mut Shell, data: &DataDir) -> anyhow::Result<Vec<ModuleId>> {
    let probe = data.component("probe")?;
    let trapping = shell.launch(&probe, &[("PROBE_TRAP_AT", "300"), ("PROBE_X", "-0.4,0.4"), ("PROBE_Z", "-4,-4")])?;
    let bomb = shell.launch(&probe, &[("VISOR_PROBE", "memory-bomb")])?;
    Ok(vec![trapping, bomb])
}

/// Installs a module into the store and starts it; the next time, stops and removes it.
struct Installer {
    folder: PathBuf,
    installed: Option<ModuleId>,
}

const SOAKED: &str = "soak-module";

impl Installer {
    /// A module folder: the cube's component under a manifest of its own.
    fn new(data: &DataDir, scratch: &Path) -> anyhow::Result<Installer> {
        let folder = scratch.join("module");
        std::fs::create_dir_all(&folder)?;
        std::fs::copy(data.component("cube")?, folder.join("app.wasm")).context("copying the cube for the soak's module")?;
        let manifest = format!(
            "name = \"{SOAKED}\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = {{ component = \"app.wasm\" }}\n\
             [capabilities]\ndevices = [\"display-layer\", \"input\"]\n"
        );
        std::fs::write(folder.join("visor.toml"), manifest)?;
        Ok(Installer { folder, installed: None })
    }

    fn cycle(&mut self, shell: &mut Shell, registry: &Registry, record: &mut Record) -> anyhow::Result<()> {
        match self.installed.take() {
            None => {
                let module = registry.install(&self.folder)?;
                shell.modules.policy_mut().allow_all(&module.manifest);
                let id = shell.modules.load_installed(registry, &module)?;
                shell.modules.start(id)?;
                self.installed = Some(id);
                record.installs += 1;
            }
            Some(id) => {
                shell.modules.unload(id)?;
                registry.remove(SOAKED, None)?;
                record.removes += 1;
            }
        }
        Ok(())
    }

    fn finish(&mut self, shell: &mut Shell, registry: &Registry) {
        if let Some(id) = self.installed.take() {
            let _ = shell.modules.unload(id);
            let _ = registry.remove(SOAKED, None);
        }
    }
}

/// Input a user might give: the pointer wandering over the view, a click now and then, keys
/// for the focused app, and the focus moving on.
#[derive(Default)]
struct InputScript {
    seed: u64,
}

impl InputScript {
    fn next(&mut self) -> u64 {
        // xorshift: the same run every time, no dependency.
        self.seed = if self.seed == 0 { 0x9e37_79b9_7f4a_7c15 } else { self.seed };
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        self.seed
    }

    fn step(&mut self, shell: &mut Shell, frame: u64) {
        let d = &shell.profile.display;
        let (width, height) = ((d.eye_width * d.eyes) as f32, d.eye_height as f32);
        let x = (self.next() % 10_000) as f32 / 10_000.0 * width;
        let y = (self.next() % 10_000) as f32 / 10_000.0 * height;
        shell.pointer(PointerInput { x, y, kind: PointerKind::Move });
        match frame % 90 {
            30 => {
                shell.pointer(PointerInput { x, y, kind: PointerKind::Down });
                shell.pointer(PointerInput { x, y, kind: PointerKind::Up });
            }
            60 => {
                for down in [true, false] {
                    shell.key(KeyInput { key: "a".into(), text: down.then(|| "a".into()), down });
                }
            }
            0 if frame.is_multiple_of(900) => {
                shell.cycle_focus();
            }
            _ => {}
        }
    }
}

/// `visor soak`: runs and returns the report, or fails (after printing it) when the run did
/// not hold.
pub fn command(options: &SoakOptions, print: impl Fn(&str) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let report = run(options)?;
    print(&report.render())?;
    if !report.problems.is_empty() {
        bail!("the soak did not hold: {}", report.problems.join("; "));
    }
    Ok(())
}
