//! Helpers for the OCI tests: a real registry on loopback, scratch stores, a module folder
//! around the `hud` sample app, and running the `visor` binary against a store.

#![allow(dead_code, reason = "each test binary uses its own part of these helpers")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use visor::bench::install::LoopbackRegistry;

/// Starts `docker-registry`; a missing one fails the test with how to install it.
pub fn registry() -> LoopbackRegistry {
    LoopbackRegistry::start().unwrap_or_else(|e| panic!("these tests need a real OCI registry: {e:#}"))
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("visor-oci-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub fn visor(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_visor"))
        .arg("--store")
        .arg(store)
        .args(args)
        .env("RUST_LOG", "info,visor_runtime::modules=debug")
        .output()
        .expect("running visor")
}

/// Stdout and stderr of a command that must succeed.
pub fn ok(output: Output) -> String {
    let text = String::from_utf8_lossy(&output.stdout).to_string() + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "visor failed:\n{text}");
    text
}

/// Stderr of a command that must fail.
pub fn fails(output: Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(!output.status.success(), "visor should have failed; stdout:\n{}\nstderr:\n{stderr}", String::from_utf8_lossy(&output.stdout));
    stderr
}

/// A module folder `dir/<name>-<version>`: the hud app, asking for the display layer, started
/// at boot.
pub fn module_dir(dir: &Path, hud: &Path, version: &str) -> PathBuf {
    let module = dir.join(format!("hud-{version}"));
    std::fs::create_dir_all(&module).unwrap();
    std::fs::copy(hud, module.join("hud.wasm")).unwrap();
    std::fs::write(
        module.join("visor.toml"),
        format!(
            "name = \"hud\"\nversion = \"{version}\"\nkind = \"app\"\nentry = {{ component = \"hud.wasm\" }}\n\
             triggers = {{ boot = true }}\n[capabilities]\ndevices = [\"display-layer\"]\n"
        ),
    )
    .unwrap();
    module
}

/// A publisher: a store with a key `name`, whose public file is returned too.
pub fn publisher(work: &Path, name: &str) -> (PathBuf, PathBuf) {
    let store = work.join(format!("publisher-{name}"));
    ok(visor(&store, &["keys", "new", name]));
    let public = store.join("keys/own").join(format!("{name}.pub"));
    assert!(public.is_file());
    (store, public)
}

/// Whether the store has nothing installed.
pub fn nothing_installed(store: &Path) -> bool {
    ok(visor(store, &["module", "list"])).contains("no modules installed")
}
