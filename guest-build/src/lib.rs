//! Building the guest apps: every crate in `<repo>/apps` compiled to a `wasm32-wasip2` component.
//!
//! Guests are a separate cargo workspace with their own toolchain and target dir, so the host
//! never links them; this crate is the one place that knows how to turn that workspace into
//! `.wasm` files. The `visor` crate's build script (which bundles the sample apps into the
//! binary) and the tests both come through [`build_guests`], so a test that loads `cube.wasm`
//! builds exactly what ships.
//!
//! Data in: the repository root. Data out: [`GuestArtifacts`], the folder holding
//! `<app>.wasm` for every guest binary (`cube`, `hud`, the `probe` test program, …).
//!
//! Two toolchains can do the job, tried in this order:
//! - **rustup** — when `rustup target list --installed` lists `wasm32-wasip2` (a developer
//!   laptop), a plain `cargo build --target wasm32-wasip2` with that toolchain.
//! - **Debian** — rustup cannot download targets on the project's machines, so Debian's
//!   `rustc-web` (whose LLVM has every wasm target) builds std from `rust-web-src` with
//!   `-Zbuild-std`, linking with `wasm-component-ld` (see `../shared/TOOLCHAIN.md` beside the checkout).
//!
//! Both write to `<repo>/target/guests/wasm32-wasip2/release`. Concurrent callers (several test
//! processes) are safe: cargo's lock on the target dir serialises them, and a no-op rebuild takes
//! about a second. Cargo's output is captured and its tail goes into the error.
//!
//! Layout: this file — Rust: toolchain detection ([`GuestToolchain::detect`]), the cargo
//! invocations ([`build_guests`], [`build_project`]) and the error type ([`GuestBuildError`]);
//! [`scripted`] — Python and JavaScript projects, through `componentize-py` and `componentize-js`.

pub mod scripted;

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The target every guest is compiled for.
pub const GUEST_TARGET: &str = "wasm32-wasip2";

/// How many trailing lines of cargo's stderr a failed build carries in its error.
const STDERR_TAIL_LINES: usize = 60;

/// Where built guest components land, and how to find one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestArtifacts {
    pub dir: PathBuf,
}

impl GuestArtifacts {
    /// The artifact folder for `repo`, whether or not anything has been built there yet.
    pub fn in_repo(repo: &Path) -> Self {
        Self { dir: target_dir(repo).join(GUEST_TARGET).join("release") }
    }

    /// The component for guest binary `app`: `dir/app.wasm`.
    pub fn path(&self, app: &str) -> PathBuf {
        self.dir.join(format!("{app}.wasm"))
    }
}

/// The toolchain a guest build uses; see the module guide for why there are two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuestToolchain {
    /// rustup's active toolchain, which has the `wasm32-wasip2` target installed.
    Rustup { cargo: PathBuf, rustc: PathBuf },
    /// Debian's `rustc-web` 1.9x, building std for the target with `-Zbuild-std`.
    Debian { cargo: PathBuf, rustc: PathBuf, wasi_libc: PathBuf, linker: PathBuf },
}

impl fmt::Display for GuestToolchain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rustup { .. } => f.write_str("rustup"),
            Self::Debian { .. } => f.write_str("Debian rustc-web"),
        }
    }
}

/// Why the guests could not be built. Each message names what is missing and the fix.
#[derive(Debug, thiserror::Error)]
pub enum GuestBuildError {
    #[error("no Cargo.toml in {0}: expected the apps/ workspace in the repository root, or an app project made by `visor new`")]
    NoWorkspace(PathBuf),
    #[error(
        "neither rustup's wasm32-wasip2 target nor Debian's rustc-web toolchain is installed: \
         run scripts/setup.sh (or `rustup target add wasm32-wasip2` where rustup can download)"
    )]
    NoToolchain,
    #[error("Debian's rustc-web is installed but {missing} is not: run scripts/setup.sh ({fix})")]
    DebianIncomplete { missing: &'static str, fix: &'static str },
    #[error("could not copy app manifest {} to {}: {source}", from.display(), to.display())]
    CopyManifest {
        from: PathBuf,
        to: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("could not start {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: io::Error,
    },
    #[error("building {} with the {toolchain} toolchain failed ({status}); {output}", workspace.display())]
    Failed {
        workspace: PathBuf,
        toolchain: String,
        status: std::process::ExitStatus,
        /// The tail of cargo's stderr.
        output: String,
    },
    #[error("{tool} is not installed: run `{fix}` (or point {tool}'s VISOR_COMPONENTIZE_* variable at one)")]
    MissingTool { tool: &'static str, fix: String },
    #[error("{var} names {}, which is not a file: point it at the componentizer, or unset it", path.display())]
    ToolOverride { var: &'static str, path: PathBuf },
    #[error("{what} failed ({status}): {fix}; it said:\n{output}")]
    Install { what: &'static str, fix: &'static str, status: std::process::ExitStatus, output: String },
    #[error("{} is not a complete app project: it needs {entry} and the wit/ folder (`visor new` makes both)", project.display())]
    NoScript { project: PathBuf, entry: &'static str },
    #[error("the guest build succeeded but left no component at {0}: check the crate's name and `crate-type = [\"cdylib\"]`")]
    NoOutput(PathBuf),
}

/// Builds every guest in `<repo>/apps` for `wasm32-wasip2` (release), capturing cargo's output.
pub fn build_guests(repo: &Path) -> Result<GuestArtifacts, GuestBuildError> {
    let workspace = repo.join("apps");
    if !workspace.join("Cargo.toml").is_file() {
        return Err(GuestBuildError::NoWorkspace(workspace));
    }
    let toolchain = GuestToolchain::detect(&workspace)?;
    let mut cmd = cargo_command(&toolchain, &workspace, &target_dir(repo));
    cmd.arg("--workspace");

    tracing::info!(workspace = %workspace.display(), %toolchain, "building guests for {GUEST_TARGET}");
    tracing::debug!(?cmd, "guest build command");
    let started = Instant::now();
    let program = format!("{} (guest build)", cmd.get_program().to_string_lossy());
    let spawn_err = |source| GuestBuildError::Spawn { program: program.clone(), source };

    let out = cmd.stdin(Stdio::null()).output().map_err(spawn_err)?;
    let (status, stderr) = (out.status, String::from_utf8_lossy(&out.stderr));
    let output = format!("cargo said:\n{}", tail(&stderr, STDERR_TAIL_LINES));
    if !status.success() {
        return Err(GuestBuildError::Failed { workspace, toolchain: toolchain.to_string(), status, output });
    }

    let artifacts = GuestArtifacts::in_repo(repo);
    let built = count_components(&artifacts.dir);
    if built == 0 {
        return Err(GuestBuildError::NoOutput(artifacts.dir));
    }
    copy_manifests(&workspace, &artifacts.dir)?;
    tracing::info!(
        dir = %artifacts.dir.display(),
        components = built,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "guests built"
    );
    Ok(artifacts)
}

/// Builds one app project — a crate outside the guest workspace (what `visor new` makes) — for
/// `wasm32-wasip2` into `target_dir`, and returns its component: `crate_name`'s cdylib, with
/// `-` as `_` in the file name. `target_dir` may be shared between projects (the standard
/// library and common crates then build once). A failure carries the tail of the compiler's
/// own messages.
pub fn build_project(project: &Path, target_dir: &Path, crate_name: &str) -> Result<PathBuf, GuestBuildError> {
    if !project.join("Cargo.toml").is_file() {
        return Err(GuestBuildError::NoWorkspace(project.to_path_buf()));
    }
    let toolchain = GuestToolchain::detect(project)?;
    let mut cmd = cargo_command(&toolchain, project, target_dir);
    cmd.arg("--lib");
    tracing::info!(project = %project.display(), %toolchain, "building for {GUEST_TARGET}");
    let program = format!("{} (app build)", cmd.get_program().to_string_lossy());
    let out = cmd.stdin(Stdio::null()).output().map_err(|source| GuestBuildError::Spawn { program, source })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let output = format!("cargo said:\n{}", tail(&stderr, STDERR_TAIL_LINES));
        return Err(GuestBuildError::Failed {
            workspace: project.to_path_buf(),
            toolchain: toolchain.to_string(),
            status: out.status,
            output,
        });
    }
    let component = target_dir.join(GUEST_TARGET).join("release").join(format!("{}.wasm", crate_name.replace('-', "_")));
    if !component.is_file() {
        return Err(GuestBuildError::NoOutput(component));
    }
    Ok(component)
}

/// Puts each app's `visor.toml` beside its component as `<component>.toml`
/// (`apps/face-tags/visor.toml` → `face_tags.toml`), where `visor run APP.wasm` looks for it.
fn copy_manifests(workspace: &Path, out: &Path) -> Result<(), GuestBuildError> {
    let Ok(entries) = std::fs::read_dir(workspace) else { return Ok(()) };
    for entry in entries.flatten() {
        let manifest = entry.path().join("visor.toml");
        if manifest.is_file() {
            let name = entry.file_name().to_string_lossy().replace('-', "_");
            let to = out.join(format!("{name}.toml"));
            std::fs::copy(&manifest, &to).map_err(|source| GuestBuildError::CopyManifest {
                from: manifest.clone(),
                to: to.clone(),
                source,
            })?;
        }
    }
    Ok(())
}

impl GuestToolchain {
    /// Picks rustup when it has the target, else Debian's toolchain; explains what is missing.
    ///
    /// rustup is asked from inside the guest workspace so a `rust-toolchain.toml` there (or a
    /// `RUSTUP_TOOLCHAIN` inherited from `cargo +x test`) chooses the toolchain, as cargo would.
    pub fn detect(workspace: &Path) -> Result<Self, GuestBuildError> {
        if let Some(rustup) = Self::rustup(workspace) {
            return Ok(rustup);
        }
        Self::debian()
    }

    fn rustup(workspace: &Path) -> Option<Self> {
        let installed = run_for_stdout(workspace, "rustup", ["target", "list", "--installed"])?;
        if !installed.lines().any(|l| l.trim() == GUEST_TARGET) {
            tracing::debug!("rustup lacks the {GUEST_TARGET} target; trying Debian's toolchain");
            return None;
        }
        // Resolve the real binaries: a bare `cargo` on PATH might be Debian's, not rustup's.
        let cargo = run_for_stdout(workspace, "rustup", ["which", "cargo"])?;
        let rustc = run_for_stdout(workspace, "rustup", ["which", "rustc"])?;
        Some(Self::Rustup { cargo: PathBuf::from(cargo.trim()), rustc: PathBuf::from(rustc.trim()) })
    }

    fn debian() -> Result<Self, GuestBuildError> {
        let cargo = PathBuf::from("/usr/bin/cargo");
        let rustc = PathBuf::from("/usr/bin/rustc");
        if !cargo.is_file() || !rustc.is_file() {
            return Err(GuestBuildError::NoToolchain);
        }
        if !Path::new("/usr/lib/rustlib/src/rust/library").is_dir() {
            return Err(GuestBuildError::DebianIncomplete {
                missing: "the standard library source (rust-web-src)",
                fix: "apt-get install rust-web-src",
            });
        }
        let wasi_libc = PathBuf::from("/usr/lib/wasm32-wasi");
        if !wasi_libc.is_dir() {
            return Err(GuestBuildError::DebianIncomplete { missing: "WASI's libc (wasi-libc)", fix: "apt-get install wasi-libc" });
        }
        let linker = find_component_linker().ok_or(GuestBuildError::DebianIncomplete {
            missing: "the wasm-component-ld linker",
            fix: "cargo install --locked wasm-component-ld",
        })?;
        Ok(Self::Debian { cargo, rustc, wasi_libc, linker })
    }
}

/// `<repo>/target/guests`: apart from the host's target dir so the two toolchains never
/// invalidate each other's builds.
fn target_dir(repo: &Path) -> PathBuf {
    repo.join("target").join("guests")
}

/// The `cargo build` for `toolchain`, with the environment a parent cargo (`cargo test`,
/// `cargo run`) leaves behind scrubbed so it cannot redirect or reflag the guest build.
fn cargo_command(toolchain: &GuestToolchain, workspace: &Path, target_dir: &Path) -> Command {
    let (cargo, rustc) = match toolchain {
        GuestToolchain::Rustup { cargo, rustc } | GuestToolchain::Debian { cargo, rustc, .. } => (cargo, rustc),
    };
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace);
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_BUILD_TARGET_DIR",
        "CARGO_MAKEFLAGS",
        "RUSTC_BOOTSTRAP",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("RUSTC", rustc);
    cmd.args(["build", "--release", "--target", GUEST_TARGET]);
    cmd.arg("--target-dir").arg(target_dir);

    if let GuestToolchain::Debian { wasi_libc, linker, .. } = toolchain {
        // -Zbuild-std is nightly-only; Debian's stable rustc allows it under RUSTC_BOOTSTRAP.
        cmd.env("RUSTC_BOOTSTRAP", "1")
            .env("RUSTFLAGS", format!("-L {}", wasi_libc.display()))
            .env("CARGO_TARGET_WASM32_WASIP2_LINKER", linker)
            .arg("-Zbuild-std=std,panic_abort");
    }
    cmd
}

/// `wasm-component-ld` on PATH, else where `cargo install` puts it, else the copy that Debian's
/// `rust-web-llvm` ships inside the rustc sysroot.
///
/// Found on PATH it is passed by bare name, as the hand-run recipe in TOOLCHAIN.md does: cargo
/// fingerprints the linker string, and a different spelling would rebuild std (about a minute).
fn find_component_linker() -> Option<PathBuf> {
    const NAME: &str = "wasm-component-ld";
    let path = std::env::var_os("PATH").unwrap_or_default();
    if std::env::split_paths(&path).any(|dir| dir.join(NAME).is_file()) {
        return Some(PathBuf::from(NAME));
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|h| h.join("bin"));
    let sysroot = PathBuf::from(format!("/usr/lib/rustlib/{}-unknown-linux-gnu/bin", std::env::consts::ARCH));
    cargo_home.into_iter().chain(std::iter::once(sysroot)).map(|dir| dir.join(NAME)).find(|candidate| candidate.is_file())
}

/// Runs `program args` in `dir` and returns its stdout, or `None` if it is missing or fails.
fn run_for_stdout<I, S>(dir: &Path, program: &str, args: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new(program).args(args).current_dir(dir).stdin(Stdio::null()).output();
    match out {
        Ok(out) if out.status.success() => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        Ok(out) => {
            tracing::debug!(program, status = %out.status, "probe failed");
            None
        }
        Err(err) => {
            tracing::debug!(program, %err, "probe could not start");
            None
        }
    }
}

fn count_components(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(Result::ok).filter(|e| e.path().extension() == Some(OsStr::new("wasm"))).count())
        .unwrap_or(0)
}

/// The last `lines` lines of `text`, marked when something was cut.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.trim_end().lines().collect();
    let skip = all.len().saturating_sub(lines);
    let mut out = String::new();
    if skip > 0 {
        out.push_str(&format!("[… {skip} earlier lines cut …]\n"));
    }
    out.push_str(&all[skip..].join("\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifacts_live_under_the_guest_target_dir() {
        let artifacts = GuestArtifacts::in_repo(Path::new("/repo"));
        assert_eq!(artifacts.path("cube"), Path::new("/repo/target/guests/wasm32-wasip2/release/cube.wasm"));
    }

    #[test]
    fn tail_keeps_the_last_lines_and_says_what_it_cut() {
        let text = (1..=5).map(|n| n.to_string()).collect::<Vec<_>>().join("\n");
        assert_eq!(tail(&text, 2), "[… 3 earlier lines cut …]\n4\n5");
        assert_eq!(tail("a\nb\n", 10), "a\nb");
    }

    #[test]
    fn a_repo_without_apps_is_named_in_the_error() {
        let err = build_guests(Path::new("/nonexistent-visor-repo")).unwrap_err();
        assert!(matches!(err, GuestBuildError::NoWorkspace(_)));
        assert!(err.to_string().contains("Cargo.toml"), "{err}");
    }
}
