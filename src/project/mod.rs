//! App projects outside the Visor checkout: `visor new` makes one from a template built into
//! the binary (`new`), `visor build` compiles it into a component and packs it with its
//! manifest, and `visor dev` runs it and reloads it in place on every save (`dev`).
//!
//! A project is a folder holding `visor.toml` (the app's manifest) and its sources. Its
//! language is told by what else is there: `Cargo.toml` is Rust, built by the same toolchain
//! code the tests use for `apps/` (`visor-guest-build`: rustup's `wasm32-wasip2`, else Debian's
//! recipe); `app.py` is Python and `app.js` JavaScript, built by `componentize-py` and
//! `componentize-js` (`visor_guest_build::scripted`, installed by `visor toolchain install`).
//! The build goes to the project's `target/` (or `VISOR_BUILD_TARGET_DIR`, which
//! several projects may share); the package — `visor.toml` beside the component its `entry`
//! names — to `target/visor/`, ready for `visor run`, `visor module install` and `publish`.

pub mod dev;
pub mod jsdev;
pub mod new;
pub mod pydev;

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use anyhow::Context;
use visor_guest_build::scripted::{self, Script};
use visor_runtime::manifest::{Entry, MANIFEST_FILE, Manifest};

/// Where `visor build` puts the package, inside the project.
pub const PACKAGE_DIR: &str = "target/visor";

/// The language a project is written in, from the files it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    Rust,
    Python,
    JavaScript,
}

impl Language {
    /// The language of the project in `dir`, from the file it builds from.
    fn of(dir: &Path) -> Option<Language> {
        [("Cargo.toml", Language::Rust), ("app.py", Language::Python), ("app.js", Language::JavaScript)]
            .into_iter()
            .find_map(|(file, language)| dir.join(file).is_file().then_some(language))
    }

    /// The componentizer that builds it, for the scripting languages.
    fn script(self) -> Option<Script> {
        match self {
            Language::Rust => None,
            Language::Python => Some(Script::Python),
            Language::JavaScript => Some(Script::JavaScript),
        }
    }
}

/// An app project: its folder, manifest and language.
#[derive(Clone, Debug)]
pub struct Project {
    pub dir: PathBuf,
    pub manifest: Manifest,
    pub language: Language,
    /// The Rust crate whose cdylib is the component; the app's name for the other languages.
    crate_name: String,
    /// Where builds go, when not the default ([`Project::target_dir`]).
    target: Option<PathBuf>,
}

/// A finished build: the component (in the build's target dir) and how long it took.
pub struct Built {
    pub component: PathBuf,
    pub seconds: f64,
}

impl Project {
    /// Reads the project in `dir`; says what is missing when it is not one.
    pub fn open(dir: &Path) -> anyhow::Result<Project> {
        let dir = std::path::absolute(dir).with_context(|| format!("the project folder {}", dir.display()))?;
        let manifest_path = dir.join(MANIFEST_FILE);
        let text = std::fs::read_to_string(&manifest_path).with_context(|| {
            format!("{} is not a Visor app project: it has no {MANIFEST_FILE} (`visor new NAME` makes one)", dir.display())
        })?;
        let manifest = Manifest::parse(&text, &manifest_path.display().to_string())?;
        let language = Language::of(&dir).with_context(|| {
            format!(
                "{} holds none of Cargo.toml (Rust), app.py (Python) or app.js (JavaScript): \
                 `visor new NAME --lang rust|python|js` makes a project to start from",
                dir.display()
            )
        })?;
        let crate_name = match language {
            Language::Rust => crate_name(&dir.join("Cargo.toml"))?,
            _ => manifest.name.clone(),
        };
        Ok(Project { dir, manifest, language, crate_name, target: None })
    }

    /// Builds into `target` rather than the default ([`Project::target_dir`]).
    pub fn with_target_dir(mut self, target: Option<PathBuf>) -> Project {
        self.target = target;
        self
    }

    /// The component file the manifest's `entry` names.
    pub fn entry(&self) -> anyhow::Result<&Path> {
        match &self.manifest.entry {
            Entry::Component(file) => Ok(file),
            other => anyhow::bail!("{}'s entry is {other:?}; an app's entry is `{{ component = \"FILE.wasm\" }}`", self.manifest.name),
        }
    }

    /// The build's target dir: the one given, else `VISOR_BUILD_TARGET_DIR`, else the
    /// project's `target/`.
    pub fn target_dir(&self) -> PathBuf {
        self.target
            .clone()
            .or_else(|| std::env::var_os("VISOR_BUILD_TARGET_DIR").map(PathBuf::from))
            .unwrap_or_else(|| self.dir.join("target"))
    }

    /// Compiles the project into a component. The error carries the compiler's own messages.
    pub fn build(&self) -> anyhow::Result<Built> {
        let started = Instant::now();
        let component = match self.language.script() {
            None => visor_guest_build::build_project(&self.dir, &self.target_dir(), &self.crate_name)?,
            Some(script) => scripted::build(&self.dir, &self.target_dir(), script, &self.crate_name)?,
        };
        Ok(Built { component, seconds: started.elapsed().as_secs_f64() })
    }

    /// Builds a Python project's dev component (`pydev`): the dev loader in place of `app.py`,
    /// importing `imports` while it builds.
    pub fn build_python_dev(&self, imports: &std::collections::BTreeSet<String>) -> anyhow::Result<Built> {
        let started = Instant::now();
        let imports: Vec<String> = imports.iter().cloned().collect();
        let component = scripted::build_python_dev(&self.dir, &self.target_dir(), &self.crate_name, pydev::LOADER, &imports)?;
        Ok(Built { component, seconds: started.elapsed().as_secs_f64() })
    }

    /// Builds a JavaScript project's dev component (`jsdev`): the dev loader in place of
    /// `app.js`.
    pub fn build_js_dev(&self) -> anyhow::Result<Built> {
        let started = Instant::now();
        let component = scripted::build_js_dev(&self.dir, &self.target_dir(), &self.crate_name, jsdev::LOADER, jsdev::DEV_WIT)?;
        Ok(Built { component, seconds: started.elapsed().as_secs_f64() })
    }

    /// Builds and packs the component beside the manifest in [`PACKAGE_DIR`]; returns that
    /// folder.
    pub fn package(&self) -> anyhow::Result<(PathBuf, Built)> {
        let built = self.build()?;
        let out = self.dir.join(PACKAGE_DIR);
        std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
        let entry = out.join(self.entry()?);
        std::fs::copy(&built.component, &entry).with_context(|| format!("copying the component to {}", entry.display()))?;
        let manifest = out.join(MANIFEST_FILE);
        std::fs::copy(self.dir.join(MANIFEST_FILE), &manifest).with_context(|| format!("writing {}", manifest.display()))?;
        Ok((out, built))
    }

    /// The newest modification time among the project's sources (everything but `target/`,
    /// hidden files and what the tools write themselves): a save anywhere moves it.
    pub fn sources_changed_at(&self) -> SystemTime {
        newest(&self.dir, true)
    }
}

fn newest(dir: &Path, top: bool) -> SystemTime {
    let mut latest = SystemTime::UNIX_EPOCH;
    let Ok(entries) = std::fs::read_dir(dir) else { return latest };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Python writes `__pycache__/` while componentize-py reads the app: counting it would
        // make every build look like a save.
        if name.starts_with('.') || (top && name == "target") || name == "__pycache__" || name == "node_modules" {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let at = if meta.is_dir() { newest(&entry.path(), false) } else { meta.modified().unwrap_or(latest) };
        latest = latest.max(at);
    }
    latest
}

/// The environment variable a dev loader (`pydev`, `jsdev`) reads the project's sources from.
pub const SOURCES_VAR: &str = "VISOR_DEV_SOURCES";

/// A digest of the files and folders `parts` of the project in `dir`: what a dev build bakes in.
pub fn digest(dir: &Path, parts: &[&str]) -> u64 {
    let mut files = Vec::new();
    for part in parts {
        let path = dir.join(part);
        if path.is_dir() {
            let _ = walk(&path, &mut files);
        } else {
            files.push(path);
        }
    }
    files.sort();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for file in files {
        file.hash(&mut hasher);
        std::fs::read(&file).unwrap_or_default().hash(&mut hasher);
    }
    hasher.finish()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)?.flatten() {
        let path = entry.path();
        if entry.file_name() == "__pycache__" {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// `[package] name` of a Cargo.toml.
fn crate_name(cargo: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(cargo).with_context(|| format!("reading {}", cargo.display()))?;
    let value: toml::Table = toml::from_str(&text).with_context(|| format!("{} is not valid TOML", cargo.display()))?;
    value
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .map(str::to_owned)
        .with_context(|| format!("{} names no [package] name", cargo.display()))
}

/// `visor build [DIR]`: the package and what to do with it.
pub fn build_cmd(dir: &Path) -> anyhow::Result<String> {
    let project = Project::open(dir)?;
    let step = crate::progress::step(format!("building {}", project.manifest.name));
    let (out, built) = project.package()?;
    step.done();
    let entry = out.join(project.entry()?);
    let size = std::fs::metadata(&entry).map(|m| m.len()).unwrap_or(0);
    Ok(format!(
        "built {} {} in {:.1} s: {} ({} KiB)\n  run it:      visor run {}\n  install it:  visor module install {}\n",
        project.manifest.name,
        project.manifest.version,
        built.seconds,
        entry.display(),
        size / 1024,
        entry.display(),
        out.display()
    ))
}
