//! `visor bench dev`: save-to-new-pixels in `visor dev`, per language. For Rust, Python and
//! JavaScript in turn it makes the template project in a temporary folder, runs it under
//! [`DevReload`] in a headless shell, then saves a new colour into the template's colour line
//! `rounds` times and times each save until the new colour is on screen: the build, the
//! upgrade (from the build's end until the app runs the new version) and the whole.
//!
//! A language whose toolchain is missing gets a row saying which command installs it. Rust
//! projects build into one folder kept across runs (`$TMPDIR/visor-bench-dev-target`), so only
//! the first run pays for the standard library.

use std::path::Path;
use std::time::{Duration, Instant};

use visor_runtime::policy::Policy;
use visor_types::clock::MonotonicClock;

use super::report::{Report, Table, num, text};
use crate::data::DataDir;
use crate::project::dev::DevReload;
use crate::project::new::{Lang, TEMPLATE_COLOR};
use crate::project::{PACKAGE_DIR, Project};
use crate::shell::Shell;

/// The longest one step may take before the bench gives up on it.
const PATIENCE: Duration = Duration::from_secs(900);

/// The colours saved in turn: red, then green.
const EDITS: [[f32; 4]; 2] = [[0.95, 0.1, 0.1, 1.0], [0.1, 0.95, 0.1, 1.0]];

/// The goal for save-to-new-pixels, seconds, from the issue that asked for `visor dev`.
fn goal_s(lang: Lang) -> f64 {
    if lang == Lang::Rust { 2.0 } else { 5.0 }
}

/// One language's figures.
struct Timings {
    component_mib: f64,
    first_start_s: f64,
    build_s: Vec<f64>,
    swap_s: Vec<f64>,
    total_s: Vec<f64>,
}

/// `visor bench dev`: the table, one row per language.
pub fn run(data: &DataDir, profile: &str, rounds: u32) -> anyhow::Result<Report> {
    let profile = visor_types::DeviceProfile::find(profile, &data.profiles())?;
    let mut table = Table::new(
        format!("visor dev: save to new pixels, {rounds} saves per language (median seconds)"),
        &["language", "component MiB", "first start s", "build s", "upgrade s", "save → pixels s", "goal s"],
    );
    for lang in [Lang::Rust, Lang::Python, Lang::Js] {
        let name = format!("{lang:?}").to_lowercase();
        if let Some(script) = lang.script()
            && let Err(missing) = visor_guest_build::scripted::find(script)
        {
            table.note(format!("{name}: not measured: {missing}"));
            continue;
        }
        let t = measure(data, &profile, lang, rounds.max(1))?;
        let median = |samples: &Vec<f64>| super::percentile(&mut samples.clone(), 0.5);
        table.row(vec![
            text(name),
            num(t.component_mib, 1),
            num(t.first_start_s, 1),
            num(median(&t.build_s), 2),
            num(median(&t.swap_s), 2),
            num(median(&t.total_s), 2),
            num(goal_s(lang), 0),
        ]);
    }
    table.note("build: the language's tool (cargo, componentize-py, componentize-js); upgrade: compile (Cranelift, reusing unchanged functions), instantiate, init, until the app runs the new version; save → pixels includes noticing the save (sources are looked at four times a second) and the frame that shows it. A Python or JavaScript save that changes only sources skips build and compile: the dev loader restarts on the code it has (JavaScript's esbuild bundling, milliseconds, is in save → pixels)");
    let mut report = Report::default();
    report.context("profile", profile.name.clone());
    report.tables.push(table);
    Ok(report)
}

fn measure(data: &DataDir, profile: &visor_types::DeviceProfile, lang: Lang, rounds: u32) -> anyhow::Result<Timings> {
    let home = tempfile::tempdir()?;
    let dir = crate::project::new::create(home.path(), "bench-square", lang)?;
    let target = (lang == Lang::Rust).then(|| std::env::temp_dir().join("visor-bench-dev-target"));
    let project = Project::open(&dir)?.with_target_dir(target);

    let mut shell = Shell::new(profile.clone(), data.root(), MonotonicClock::shared(), Policy::default())?;
    let started = Instant::now();
    let mut dev = DevReload::start(project, &mut shell)?;
    let mut frame = 0;
    run_until(&mut shell, &mut dev, &mut frame, "the template's square shows", |shell, _| shows(shell, TEMPLATE_COLOR))?;
    let first_start_s = started.elapsed().as_secs_f64();

    let source = dir.join(lang.template_source());
    let mut text = std::fs::read_to_string(&source)?;
    let mut shown = TEMPLATE_COLOR;
    let mut timings = Timings { component_mib: 0.0, first_start_s, build_s: Vec::new(), swap_s: Vec::new(), total_s: Vec::new() };
    for round in 0..rounds {
        let color = EDITS[round as usize % EDITS.len()];
        text = text.replace(&lang.template_color_line(shown), &lang.template_color_line(color));
        std::fs::write(&source, &text)?;
        let saved = Instant::now();
        run_until(&mut shell, &mut dev, &mut frame, "the new colour shows", |shell, said| {
            said.iter().any(|line| line.starts_with("reloaded")) && shows(shell, color)
        })?;
        timings.total_s.push(saved.elapsed().as_secs_f64());
        let reload = dev.last_reload().expect("a reload was reported");
        timings.build_s.push(reload.build_s);
        timings.swap_s.push(reload.compile_s + reload.swap_s);
        shown = color;
    }
    timings.component_mib = newest_component_bytes(&dir) as f64 / (1 << 20) as f64;
    Ok(timings)
}

/// Steps the shell and polls the dev loop until `done`, which sees what the loop said so far.
fn run_until(
    shell: &mut Shell,
    dev: &mut DevReload,
    frame: &mut u64,
    what: &str,
    done: impl Fn(&mut Shell, &[String]) -> bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + PATIENCE;
    let mut said = Vec::new();
    while !done(shell, &said) {
        anyhow::ensure!(Instant::now() < deadline, "waited {PATIENCE:?} for {what}; the dev loop said {said:?}");
        said.extend(dev.poll(shell));
        shell.step(*frame, shell.clock.now_ns());
        *frame += 1;
    }
    Ok(())
}

/// Whether the middle of the first eye shows `rgba` (sRGB on screen, so compared loosely).
fn shows(shell: &mut Shell, rgba: [f32; 4]) -> bool {
    let eye = &shell.profile.display;
    let (x, y) = (eye.eye_width / 2, eye.eye_height / 2);
    let Ok(frame) = shell.compositor.read_frame() else { return false };
    let pixel = frame.get_pixel(x, y).0;
    (0..3).all(|c| (f32::from(pixel[c]) / 255.0 - srgb(rgba[c])).abs() < 0.12)
}

/// Linear to sRGB, as the display encodes it.
fn srgb(linear: f32) -> f32 {
    if linear <= 0.003_130_8 { linear * 12.92 } else { 1.055 * linear.powf(1.0 / 2.4) - 0.055 }
}

/// The size of the largest component in the project's build folders.
fn newest_component_bytes(project: &Path) -> u64 {
    let dev_builds = project.join("target/visor-dev");
    [dev_builds, project.join(PACKAGE_DIR)]
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten()
        .flatten()
        .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "wasm"))
        .filter_map(|entry| entry.metadata().ok().map(|m| m.len()))
        .max()
        .unwrap_or(0)
}
