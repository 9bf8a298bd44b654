//! `visor module …` and `visor run` over a real store, as a user drives them.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn visor(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_visor"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env("RUST_LOG", "info,visor_runtime::modules=debug")
        .output()
        .expect("running visor")
}

fn ok(output: Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(output.status.success(), "visor failed:\n{stderr}");
    String::from_utf8_lossy(&output.stdout).to_string() + &stderr
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("visor-module-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn install_grant_run_and_remove_a_module() {
    let work = scratch("flow");
    let (store, module, out) = (work.join("store"), work.join("cube-world"), work.join("out"));
    std::fs::create_dir_all(&module).unwrap();
    std::fs::copy(common::component("cube"), module.join("cube.wasm")).unwrap();
    std::fs::write(
        module.join("visor.toml"),
        "name = \"cube-world\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = { component = \"cube.wasm\" }\n\
         triggers = { boot = true }\n[capabilities]\ndevices = [\"display-layer\"]\n",
    )
    .unwrap();

    let installed = ok(visor(&store, &["module", "install", module.to_str().unwrap()]));
    assert!(installed.contains("installed cube-world@1.0.0") && installed.contains("devices: display-layer"), "{installed}");
    assert!(ok(visor(&store, &["module", "list"])).contains("cube-world               1.0.0      App  [boot]"));
    let info = ok(visor(&store, &["module", "info", "cube-world"]));
    assert!(info.contains("denied: device 'display-layer'"), "installing grants nothing: {info}");
    assert!(ok(visor(&store, &["module", "grant", "cube-world"])).contains("granted cube-world: devices: display-layer"));

    let run = ok(visor(&store, &["run", "--headless", "--unpaced", "--frames", "3", "--out", out.to_str().unwrap()]));
    assert!(run.contains("started the installed modules marked boot"), "{run}");
    assert!(run.contains("outcome=Hit"), "compiled at install, so the start hits the cache: {run}");
    let log = std::fs::read_to_string(out.join("timing.jsonl")).unwrap();
    assert!(log.lines().all(|l| l.contains("\"cube-world\"") && l.contains("\"layers\":1")), "{log}");

    assert!(ok(visor(&store, &["module", "remove", "cube-world@1.0.0"])).contains("removed cube-world 1.0.0"));
    assert!(ok(visor(&store, &["module", "list"])).contains("no modules installed"));
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn a_broken_manifest_is_refused_with_every_problem() {
    let work = scratch("broken");
    let module = work.join("broken");
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(module.join("visor.toml"), "name = \"Bad Name\"\nversion = \"one\"\nkind = \"daemon\"\n").unwrap();
    let output = visor(&work.join("store"), &["module", "install", module.to_str().unwrap()]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    for needle in ["'Bad Name'", "'one' is not semver", "'daemon'", "`entry` is missing"] {
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&work);
}

#[test]
fn boot_skips_a_module_that_cannot_start_and_starts_the_newest_of_the_rest() {
    let work = scratch("boot");
    let (store, out) = (work.join("store"), work.join("out"));
    let module = |name: &str, version: &str, extra: &str| {
        let dir = work.join(format!("{name}-{version}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(common::component("cube"), dir.join("cube.wasm")).unwrap();
        std::fs::write(
            dir.join("visor.toml"),
            format!(
                "name = \"{name}\"\nversion = \"{version}\"\nkind = \"app\"\nentry = {{ component = \"cube.wasm\" }}\n\
                 triggers = {{ boot = true }}\n{extra}[capabilities]\ndevices = [\"display-layer\"]\n"
            ),
        )
        .unwrap();
        dir
    };
    // Two versions of a healthy app, and one whose dependency the user has since removed.
    for dir in [
        module("cube-world", "1.0.0", ""),
        module("cube-world", "1.2.0", ""),
        module("orphan", "1.0.0", "depends = [{ module = \"gone-lib\", version = \"^1\" }]\n"),
    ] {
        ok(visor(&store, &["module", "install", dir.to_str().unwrap()]));
    }
    ok(visor(&store, &["module", "grant", "cube-world"]));
    ok(visor(&store, &["module", "grant", "orphan"]));

    let run = ok(visor(&store, &["run", "--headless", "--unpaced", "--frames", "3", "--out", out.to_str().unwrap()]));
    assert!(run.contains("skipped at boot") && run.contains("orphan") && run.contains("gone-lib"), "the failure is named: {run}");
    let log = std::fs::read_to_string(out.join("timing.jsonl")).unwrap();
    assert!(log.lines().all(|l| l.contains("\"cube-world\"") && l.contains("\"layers\":1")), "one cube-world drew: {log}");
    assert!(run.contains("cube-world@1.2.0") && !run.contains("cube-world@1.0.0"), "the newest version booted, alone: {run}");
    let _ = std::fs::remove_dir_all(&work);
}
