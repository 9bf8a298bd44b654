//! Visor as a program people install: the built binary, copied alone into an empty folder and
//! run there by a user with a fresh home and nothing of the checkout in reach, starts, unpacks
//! its data, and shows the sample apps over the camera.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// An empty folder holding only a copy of the binary, and a fresh home beside it.
struct Installed {
    root: PathBuf,
    bin: PathBuf,
    home: PathBuf,
}

impl Installed {
    fn new(name: &str) -> Installed {
        let root = std::env::temp_dir().join(format!("visor-installed-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let (work, home) = (root.join("work"), root.join("home"));
        std::fs::create_dir_all(&work).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        let bin = work.join("visor");
        std::fs::copy(env!("CARGO_BIN_EXE_visor"), &bin).expect("copying the binary");
        Installed { root, bin, home }
    }

    /// Runs the copy in its own folder with only a minimal environment: no variable of the
    /// build or the checkout (CARGO_*, VISOR_*, XDG_*) reaches it.
    fn run(&self, args: &[&str]) -> Output {
        let runtime = self.root.join("xdg-runtime");
        std::fs::create_dir_all(&runtime).unwrap();
        Command::new(&self.bin)
            .args(args)
            .current_dir(self.bin.parent().unwrap())
            .env_clear()
            .env("HOME", &self.home)
            .env("PATH", "/usr/bin:/bin")
            .env("XDG_RUNTIME_DIR", runtime)
            .output()
            .expect("running the installed visor")
    }

    fn work(&self) -> &Path {
        self.bin.parent().unwrap()
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn ok(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "visor failed ({}):\n{stderr}", output.status);
    stderr
}

#[test]
fn the_installed_binary_runs_the_sample_apps_from_an_empty_folder() {
    let installed = Installed::new("run");
    let log = ok(&installed.run(&["run", "--headless", "--frames", "30", "--out", "out/"]));
    assert!(!log.contains(env!("CARGO_MANIFEST_DIR")), "the run reached into the checkout:\n{log}");

    let out = installed.work().join("out");
    let frames = (0..30).filter(|n| out.join(format!("frame-{n:06}.png")).is_file()).count();
    assert_eq!(frames, 30, "30 frames written");
    let timing = std::fs::read_to_string(out.join("timing.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(timing.lines().last().unwrap()).unwrap();
    for app in ["cube", "hud"] {
        assert!(last["apps"][app]["submission"].is_u64(), "{app} drew: {last}");
    }

    // The data was unpacked under the fresh home, and nowhere else.
    let bundle = installed.home.join(".local/share/visor/bundle");
    let unpacked: Vec<_> = std::fs::read_dir(&bundle).expect("the data folder").flatten().collect();
    assert_eq!(unpacked.len(), 1, "one unpacked copy in {}", bundle.display());
    assert!(unpacked[0].path().join("components/cube.wasm").is_file());

    // The last frame shows the camera (the desk clip: no large black or flat areas) with the
    // apps over it: the hud's dark-blue panel and the cube's saturated faces.
    let image = image::open(out.join("frame-000029.png")).unwrap().to_rgba8();
    let pixels = image.pixels().count() as f64;
    let black = image.pixels().filter(|p| p.0[..3].iter().all(|&c| c < 8)).count() as f64;
    assert!(black / pixels < 0.05, "the camera is behind the apps ({:.0}% black)", 100.0 * black / pixels);
    let saturated = image
        .pixels()
        .filter(|p| {
            let (max, min) = (*p.0[..3].iter().max().unwrap(), *p.0[..3].iter().min().unwrap());
            max > 150 && max - min > 120
        })
        .count() as f64;
    assert!(saturated / pixels > 0.002, "the cube's faces show ({:.3}%)", 100.0 * saturated / pixels);
}

#[test]
fn the_installed_binary_says_what_it_has_and_where_its_data_is() {
    let installed = Installed::new("errors");
    let output = installed.run(&["run", "--headless", "--frames", "1", "--profile", "no-such-glasses"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-such-glasses") && stderr.contains("desktop-sim"), "{stderr}");

    let missing = installed.root.join("no-data-here");
    let output = installed.run(&["--data-dir", missing.to_str().unwrap(), "run", "--headless", "--frames", "1"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no-data-here") && stderr.contains("--data-dir"), "{stderr}");
}

#[test]
fn a_data_dir_given_is_used_instead_of_the_bundle() {
    let installed = Installed::new("data-dir");
    // The checkout has the same layout for profiles, modules and assets; its own profile
    // folder gains a profile only it has.
    let data = installed.root.join("data");
    for folder in ["device-profiles", "modules", "assets"] {
        copy_tree(&common::repo().join(folder), &data.join(folder));
    }
    let mine = std::fs::read_to_string(data.join("device-profiles/desktop-sim.toml"))
        .unwrap()
        .replace("name = \"desktop-sim\"", "name = \"mine\"")
        .replace("eye_width = 640", "eye_width = 200")
        .replace("eye_height = 480", "eye_height = 100");
    std::fs::write(data.join("device-profiles/mine.toml"), mine).unwrap();
    let probe = common::component("probe");
    let out = installed.work().join("out");
    let output = installed.run(&[
        "--data-dir",
        data.to_str().unwrap(),
        "run",
        "--headless",
        "--frames",
        "2",
        "--profile",
        "mine",
        "--out",
        out.to_str().unwrap(),
        probe.to_str().unwrap(),
    ]);
    ok(&output);
    let image = image::open(out.join("frame-000001.png")).unwrap();
    assert_eq!((image.width(), image.height()), (400, 100), "the data folder's own profile was used");
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            copy_tree(&path, &to.join(entry.file_name()));
        } else {
            std::fs::copy(&path, to.join(entry.file_name())).unwrap();
        }
    }
}
