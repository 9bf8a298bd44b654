//! App projects as a new user makes them, outside the checkout: `visor new`, `visor build`,
//! `visor run` of the package; and `visor dev`'s reload in place, driven in-process so a test
//! can edit a source file between frames and look at the pixels.
//!
//! The builds share `target/guests` with the guest workspace (`VISOR_BUILD_TARGET_DIR`), so
//! the standard library built for the samples is not built again.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use visor::project::dev::DevReload;
use visor::project::new::{Lang, TEMPLATE_COLOR};
use visor::shell::Shell;
use visor_runtime::policy::Policy;
use visor_types::clock::MonotonicClock;

fn visor(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_visor"));
    command.current_dir(dir).env("VISOR_BUILD_TARGET_DIR", common::repo().join("target/guests"));
    command
}

fn run_ok(command: &mut Command) -> String {
    let output = command.output().expect("running visor");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{command:?} failed:\n{text}");
    text
}

/// Whether `rgb` is the template's square colour (0.15, 0.55, 0.95): blue over green over red.
fn is_template_blue(rgb: [u8; 3]) -> bool {
    rgb[2] > 180 && rgb[1] > 60 && rgb[1] < rgb[2] && rgb[0] < rgb[1]
}

/// `visor new NAME --lang LANG` in a folder outside the checkout, `visor build`, then
/// `visor run --headless` of the package: the template's square shows in both eyes.
fn new_project_builds_and_runs(lang: &str, name: &str) {
    common::guests(); // The samples' build, whose standard library a Rust build reuses.
    let home = tempfile::tempdir().unwrap();
    let said = run_ok(visor(home.path()).args(["new", name, "--lang", lang]));
    assert!(said.contains("visor dev"), "{said}");
    let project = home.path().join(name);
    let said = run_ok(visor(&project).arg("build"));
    assert!(said.contains("visor module install"), "{said}");
    let package = project.join("target/visor");
    let component = package.join(format!("{}.wasm", name.replace('-', "_")));
    assert!(package.join("visor.toml").is_file() && component.is_file(), "{said}");

    let out = home.path().join("frames");
    let profile = common::repo().join("tests/profiles/window-test.toml");
    run_ok(
        visor(&project)
            .args(["run", "--headless", "--frames", "3", "--unpaced", "--profile"])
            .arg(&profile)
            .arg("--out")
            .arg(&out)
            .arg("--store")
            .arg(home.path().join("store"))
            .arg(&component),
    );
    let frame = image::open(out.join("frame-000002.png")).unwrap().to_rgb8();
    // Both eyes (320x240 each) show the square straight ahead.
    for x in [160, 480] {
        let centre = frame.get_pixel(x, 120).0;
        assert!(is_template_blue(centre), "{lang}: the square at ({x}, 120): {centre:?}");
    }
    let corner = frame.get_pixel(10, 10).0;
    assert!(corner.iter().all(|&c| c < 20), "{lang}: nothing but the square: {corner:?}");
}

#[test]
fn a_new_rust_project_builds_and_runs_from_anywhere() {
    new_project_builds_and_runs("rust", "hello-ar");
}

/// Needs componentize-py (`visor toolchain install python`, which the set-up script runs).
#[test]
fn a_new_python_project_builds_and_runs_from_anywhere() {
    new_project_builds_and_runs("python", "hello-py");
}

/// Needs componentize-js (`visor toolchain install js`, which the set-up script runs).
#[test]
fn a_new_javascript_project_builds_and_runs_from_anywhere() {
    new_project_builds_and_runs("js", "hello-js");
}

/// A template's edits for the dev test (its colour line, turned red, is the template's own,
/// `Lang::template_color_line`): a broken save, and how the reload is done.
struct Edits {
    lang: Lang,
    name: &'static str,
    broken: (&'static str, &'static str),
    /// What the reload after the colour change says of how it was done.
    reloaded_by: &'static str,
}

#[test]
fn visor_dev_reloads_a_saved_change_in_place_and_keeps_the_last_good_build() {
    dev_reloads_in_place(Edits {
        lang: Lang::Rust,
        name: "dev-square",
        broken: ("struct Square {", "struct Square {{"),
        reloaded_by: "build",
    });
}

#[test]
fn visor_dev_reloads_a_python_app_in_place() {
    dev_reloads_in_place(Edits {
        lang: Lang::Python,
        name: "dev-square-py",
        broken: ("class Square(App):", "class Square(App)"),
        // The dev loader restarts on the code it has, with the new sources.
        reloaded_by: "sources only",
    });
}

#[test]
fn visor_dev_reloads_a_javascript_app_in_place() {
    dev_reloads_in_place(Edits {
        lang: Lang::Js,
        name: "dev-square-js",
        broken: ("class Square {", "class Square {{"),
        // The dev loader restarts on the code it has, with the app bundled anew by esbuild.
        reloaded_by: "sources only",
    });
}

fn dev_reloads_in_place(edits: Edits) {
    common::guests();
    let home = tempfile::tempdir().unwrap();
    let project = visor::project::new::create(home.path(), edits.name, edits.lang).unwrap();
    let project = visor::project::Project::open(&project).unwrap().with_target_dir(Some(common::repo().join("target/guests")));

    let mut shell = Shell::new(common::profile(1), &common::repo(), MonotonicClock::shared(), Policy::default()).unwrap();
    let mut dev = DevReload::start(project.clone(), &mut shell).unwrap();
    let module = dev.module();
    let mut frame = 0;
    let mut said: Vec<String> = Vec::new();
    let mut step_until = |shell: &mut Shell, dev: &mut DevReload, what: &str, done: &dyn Fn(&mut Shell, &[String]) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(600);
        while !done(shell, &said) {
            assert!(Instant::now() < deadline, "timed out waiting until {what}; the dev loop said {said:?}");
            said.extend(dev.poll(shell));
            shell.step(frame, shell.clock.now_ns());
            frame += 1;
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let centre = |shell: &mut Shell| {
        let [r, g, b, _] = shell.compositor.read_frame().unwrap().get_pixel(80, 60).0;
        [r, g, b]
    };
    step_until(&mut shell, &mut dev, "the square shows", &|s, _| is_template_blue(centre(s)));
    // The guest's own log lines reach the dev overlay.
    let ready = format!("{} [info]: {} ready", edits.name, edits.name);
    assert!(std::iter::from_fn(|| dev.guest_line(&shell)).any(|line| line == ready), "the overlay is offered {ready:?}");

    // A saved change: the square turns red, in the same module, which keeps running.
    let source = project.dir.join(edits.lang.template_source());
    let text = std::fs::read_to_string(&source).unwrap();
    let red = text.replace(&edits.lang.template_color_line(TEMPLATE_COLOR), &edits.lang.template_color_line([0.95, 0.1, 0.1, 1.0]));
    assert_ne!(red, text, "the template's COLOR line moved: update this test");
    std::fs::write(&source, &red).unwrap();
    let is_red = |s: &mut Shell| {
        let [r, g, b] = centre(s);
        // 0.1 linear is 89 in the sRGB frame.
        r > 200 && g < 120 && b < 120
    };
    step_until(&mut shell, &mut dev, "the square turns red", &|s, said| {
        is_red(s) && said.iter().any(|l| l.contains(&format!("reloaded {} as 0.1.0-dev.2", edits.name)))
    });
    assert_eq!(shell.modules.find(edits.name), Some(module), "the same module, not a second one");
    assert!(shell.modules.app(module).unwrap().crashes().is_empty());

    // A broken save: the compiler's own message comes back, and the red square stays.
    std::fs::write(&source, red.replace(edits.broken.0, edits.broken.1)).unwrap();
    step_until(&mut shell, &mut dev, "the failed build is reported", &|_, said| said.iter().any(|l| l.contains("build failed")));
    let report = said.iter().find(|l| l.contains("build failed")).unwrap();
    let file = edits.lang.template_source().rsplit('/').next().unwrap();
    assert!(report.to_lowercase().contains("error") && report.contains(file), "the compiler's message, with the file: {report}");
    for _ in 0..10 {
        said.extend(dev.poll(&mut shell));
        shell.step(frame, shell.clock.now_ns());
        frame += 1;
    }
    assert!(is_red(&mut shell), "the last good build still shows");
    assert_eq!(shell.modules.app(module).unwrap().version().to_string(), "0.1.0-dev.2");
    let reloaded = said.iter().find(|l| l.starts_with("reloaded")).unwrap();
    assert!(reloaded.contains(edits.reloaded_by), "{reloaded}");
}
