//! Bundles what `visor` needs at run time into the binary, so an installed copy runs with no
//! checkout around it: the device profiles, the built-in modules' manifests, the recorded
//! sessions, pose tracks and models under `assets/`, and the guest apps compiled to components.
//!
//! Out: `$OUT_DIR/bundle.rs`, included by `src/data/bundle.rs`: a table of `(path, bytes)` with
//! every file under the layout the data folder has at run time (`device-profiles/`, `modules/`,
//! `assets/`, `components/`), and a bundle id (version plus a hash of every path and byte) that
//! names the folder the table is unpacked into.
//!
//! The guest apps are built here by `visor-guest-build` (the same code the tests use), into the
//! checkout's `target/guests`. `VISOR_BUNDLE_APPS=0` leaves them out, for hosts without a wasm
//! toolchain; such a binary says so when asked for a sample app.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};

/// Folders bundled whole (relative to the checkout), with the file names left out of them.
const TREES: [&str; 3] = ["device-profiles", "modules", "assets"];
/// File endings that stay in the checkout: the scripts that made the recordings (their outputs
/// are bundled).
const SKIPPED: [&str; 1] = [".py"];

fn main() {
    let repo = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));

    let mut files = BTreeMap::new();
    for tree in TREES {
        println!("cargo::rerun-if-changed={tree}");
        collect(&repo, &repo.join(tree), &mut files);
    }

    println!("cargo::rerun-if-env-changed=VISOR_BUNDLE_APPS");
    let bundle_apps = std::env::var("VISOR_BUNDLE_APPS").map_or(true, |v| v != "0");
    if bundle_apps {
        for input in ["apps", "shell-api", "bus-wire", "guest-build/src"] {
            println!("cargo::rerun-if-changed={input}");
        }
        let built = match visor_guest_build::build_guests(&repo) {
            Ok(built) => built,
            Err(e) => panic!(
                "bundling the sample apps into visor: {e}\n\
                 (to build a visor without its sample apps, set VISOR_BUNDLE_APPS=0)"
            ),
        };
        for entry in std::fs::read_dir(&built.dir).expect("the guest build's output folder").flatten() {
            let path = entry.path();
            let keep = matches!(path.extension().and_then(|e| e.to_str()), Some("wasm" | "toml"));
            if keep && path.is_file() {
                let name = path.file_name().expect("a file name").to_string_lossy().into_owned();
                files.insert(format!("components/{name}"), path);
            }
        }
    }

    let mut hasher = DefaultHasher::new();
    let mut table = String::from("pub static FILES: &[(&str, &[u8])] = &[\n");
    for (name, path) in &files {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        hasher.write(name.as_bytes());
        hasher.write(&bytes);
        table.push_str(&format!("    ({name:?}, include_bytes!({:?})),\n", path.display().to_string()));
    }
    table.push_str("];\n");
    let id = format!("{}-{:016x}", std::env::var("CARGO_PKG_VERSION").expect("cargo sets the version"), hasher.finish());
    table.push_str(&format!("pub const BUNDLE_ID: &str = {id:?};\n"));
    table.push_str(&format!("pub const APPS_BUNDLED: bool = {bundle_apps};\n"));
    std::fs::write(out.join("bundle.rs"), table).expect("writing the bundle table");
}

/// Adds every file under `dir` to `files`, keyed by its path relative to `repo` with `/`.
fn collect(repo: &Path, dir: &Path, files: &mut BTreeMap<String, PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let relative = path.strip_prefix(repo).expect("under the checkout");
        let name = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        if SKIPPED.iter().any(|s| name.ends_with(s)) {
            continue;
        }
        if path.is_dir() {
            collect(repo, &path, files);
        } else if path.is_file() {
            files.insert(name, path);
        }
    }
}
