//! Python and JavaScript apps: a project's script turned into a component by the Bytecode
//! Alliance's own tools, `componentize-py` (PyPI) and `componentize-js` (npm), which bundle an
//! interpreter (CPython, SpiderMonkey) with the app and bind the project's `wit/` world.
//!
//! Visor pins one version of each and keeps it in its own toolchains folder
//! ([`toolchains_dir`]): a Python virtual environment in `python/`, an npm prefix in `js/`.
//! [`install`] puts them there (`visor toolchain install python js`, which the set-up script
//! runs); [`find`] looks for a tool in this order: the `VISOR_COMPONENTIZE_PY` /
//! `VISOR_COMPONENTIZE_JS` override, that folder, then `PATH`. A missing tool is an error that
//! names the command installing it. `visor dev`'s dev loaders are built here too
//! ([`build_python_dev`], [`build_js_dev`]), and esbuild, installed beside componentize-js,
//! bundles a JavaScript app for its loader ([`bundle_js`]).
//!
//! Data in: a project folder holding `app.py` or `app.js` and `wit/visor.wit`. Data out: the
//! component file in the build's target folder, or the tool's own messages on failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::{GuestBuildError, STDERR_TAIL_LINES, tail};

/// The scripting languages an app can be written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    Python,
    JavaScript,
}

impl Script {
    /// Both, in the order `visor toolchain install` takes them.
    pub const ALL: [Script; 2] = [Script::Python, Script::JavaScript];

    /// The file a project in this language starts from.
    pub fn entry_file(self) -> &'static str {
        match self {
            Script::Python => "app.py",
            Script::JavaScript => "app.js",
        }
    }

    /// The componentizer's command name.
    pub fn tool(self) -> &'static str {
        match self {
            Script::Python => "componentize-py",
            Script::JavaScript => "componentize-js",
        }
    }

    /// The pinned package the toolchains folder gets (the one Visor's tests build with).
    pub fn package(self) -> &'static str {
        match self {
            Script::Python => "componentize-py==0.25.1",
            Script::JavaScript => "@bytecodealliance/componentize-js@0.23.0",
        }
    }

    /// Pinned helpers installed beside it: esbuild bundles a JavaScript app for `visor dev`'s
    /// loader.
    fn helpers(self) -> &'static [&'static str] {
        match self {
            Script::Python => &[],
            Script::JavaScript => &["esbuild@0.25.12"],
        }
    }

    /// The word `visor toolchain install` takes for it.
    pub fn key(self) -> &'static str {
        match self {
            Script::Python => "python",
            Script::JavaScript => "js",
        }
    }

    /// The environment variable that points at a componentizer of the user's choosing.
    fn override_var(self) -> &'static str {
        match self {
            Script::Python => "VISOR_COMPONENTIZE_PY",
            Script::JavaScript => "VISOR_COMPONENTIZE_JS",
        }
    }

    /// Where [`install`] puts the tool's executable inside the toolchains folder.
    fn installed_at(self, toolchains: &Path) -> PathBuf {
        match self {
            Script::Python => toolchains.join("python/bin/componentize-py"),
            Script::JavaScript => toolchains.join("js/node_modules/.bin/componentize-js"),
        }
    }
}

/// Visor's toolchains folder: `VISOR_TOOLCHAINS`, else `$XDG_DATA_HOME/visor/toolchains`, else
/// `~/.local/share/visor/toolchains`.
pub fn toolchains_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("VISOR_TOOLCHAINS") {
        return PathBuf::from(dir);
    }
    let data = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from(".local/share"));
    data.join("visor/toolchains")
}

/// The componentizer for `script`: the override, Visor's installed copy, or one on `PATH`.
pub fn find(script: Script) -> Result<PathBuf, GuestBuildError> {
    if let Some(tool) = std::env::var_os(script.override_var()) {
        let tool = PathBuf::from(tool);
        return if tool.is_file() { Ok(tool) } else { Err(GuestBuildError::ToolOverride { var: script.override_var(), path: tool }) };
    }
    let installed = script.installed_at(&toolchains_dir());
    if installed.is_file() {
        return Ok(installed);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(script.tool()))
        .find(|tool| tool.is_file())
        .ok_or(GuestBuildError::MissingTool { tool: script.tool(), fix: format!("visor toolchain install {}", script.key()) })
}

/// A Python for host-side checks: the toolchains folder's (the one componentize-py runs
/// under), else `python3` on `PATH`.
pub fn python() -> PathBuf {
    let venv = toolchains_dir().join("python/bin/python3");
    if venv.is_file() { venv } else { PathBuf::from("python3") }
}

/// Installs the pinned componentizer for `script` into the toolchains folder (a no-op when it
/// is there already) and returns its executable. Needs `python3` with `venv`, or `npm`.
pub fn install(script: Script) -> Result<PathBuf, GuestBuildError> {
    let toolchains = toolchains_dir();
    let tool = script.installed_at(&toolchains);
    if tool.is_file() && (script != Script::JavaScript || esbuild_in(&toolchains).is_file()) {
        return Ok(tool);
    }
    std::fs::create_dir_all(&toolchains)
        .map_err(|source| GuestBuildError::Spawn { program: format!("mkdir {}", toolchains.display()), source })?;
    tracing::info!(package = script.package(), dir = %toolchains.display(), "installing");
    match script {
        Script::Python => {
            let venv = toolchains.join("python");
            run_step(Command::new("python3").arg("-m").arg("venv").arg(&venv), "python3 -m venv", "apt-get install python3-venv")?;
            run_step(
                Command::new(venv.join("bin/pip")).args(["install", "--quiet", "--disable-pip-version-check", script.package()]),
                "pip install componentize-py",
                "check the network reaches PyPI",
            )?;
        }
        Script::JavaScript => {
            let prefix = toolchains.join("js");
            // An older install without a helper: npm adding to it in place can leave it broken
            // (seen with componentize-js's own dependencies), so it starts afresh.
            let _ = std::fs::remove_dir_all(&prefix);
            run_step(
                Command::new("npm")
                    .args(["install", "--no-fund", "--no-audit", "--loglevel=error", "--prefix"])
                    .arg(&prefix)
                    .arg(script.package())
                    .args(script.helpers()),
                "npm install componentize-js",
                "apt-get install nodejs npm, and check the network reaches the npm registry",
            )?;
        }
    }
    if tool.is_file() { Ok(tool) } else { Err(GuestBuildError::NoOutput(tool)) }
}

/// esbuild in the toolchains folder `toolchains`.
fn esbuild_in(toolchains: &Path) -> PathBuf {
    toolchains.join("js/node_modules/.bin/esbuild")
}

/// Bundles a JavaScript project's `app.js` and its relative imports into one CommonJS script for
/// `visor dev`'s loader, leaving the app world's interfaces and `./visor.js` to it. The outer
/// error: esbuild is missing or would not run; the inner one: esbuild's own message (a syntax
/// error or an import it cannot find, with file, line and column).
pub fn bundle_js(project: &Path) -> Result<Result<String, String>, GuestBuildError> {
    let esbuild = esbuild_in(&toolchains_dir());
    if !esbuild.is_file() {
        return Err(GuestBuildError::MissingTool { tool: "esbuild", fix: "visor toolchain install js".to_owned() });
    }
    let out = Command::new(&esbuild)
        .args(["app.js", "--bundle", "--format=cjs", "--platform=neutral", "--external:visor:*", "--external:./visor.js"])
        .args(["--log-level=error", "--color=false"])
        .current_dir(project)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| GuestBuildError::Spawn { program: esbuild.display().to_string(), source })?;
    if out.status.success() {
        Ok(Ok(String::from_utf8_lossy(&out.stdout).into_owned()))
    } else {
        Ok(Err(format!("esbuild said:\n{}", tail(&String::from_utf8_lossy(&out.stderr), STDERR_TAIL_LINES))))
    }
}

/// Builds a JavaScript project's dev component for `visor dev`: `loader` as the entry in place
/// of `app.js`, with the project's `visor.js`, against the `app-dev` world (`dev_wit`: files
/// added beside the project's `wit/`), in a staging folder. Returns
/// `target_dir/wasm32-wasip2/<name>-dev.wasm`.
pub fn build_js_dev(
    project: &Path,
    target_dir: &Path,
    name: &str,
    loader: &str,
    dev_wit: &[(&str, &str)],
) -> Result<PathBuf, GuestBuildError> {
    check_project(project, Script::JavaScript)?;
    let stage = target_dir.join("visor-dev-loader-js");
    let _ = std::fs::remove_dir_all(&stage);
    let mut files: Vec<(PathBuf, Vec<u8>)> = vec![(PathBuf::from("visor_dev_loader.js"), loader.as_bytes().to_vec())];
    let read = |path: PathBuf| {
        std::fs::read(&path).map_err(|source| GuestBuildError::Spawn { program: format!("reading {}", path.display()), source })
    };
    files.push((PathBuf::from("visor.js"), read(project.join("visor.js"))?));
    for entry in std::fs::read_dir(project.join("wit")).into_iter().flatten().flatten() {
        if entry.path().is_file() {
            files.push((Path::new("wit").join(entry.file_name()), read(entry.path())?));
        }
    }
    files.extend(dev_wit.iter().map(|(path, text)| (Path::new("wit").join(path), text.as_bytes().to_vec())));
    for (path, bytes) in files {
        let path = stage.join(path);
        let written = path.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| std::fs::write(&path, bytes));
        written.map_err(|source| GuestBuildError::Spawn { program: format!("writing {}", path.display()), source })?;
    }
    let component = output(target_dir, &format!("{}-dev.wasm", name.replace('-', "_")))?;
    let mut cmd = Command::new(find(Script::JavaScript)?);
    cmd.args(["visor_dev_loader.js", "--wit", "wit", "--world-name", "app-dev", "--disable", "http", "fetch-event", "-o"]).arg(&component);
    run_tool(&stage, Script::JavaScript, cmd, component)
}

/// Runs one install step; a failure carries its output and `fix`.
fn run_step(cmd: &mut Command, what: &'static str, fix: &'static str) -> Result<(), GuestBuildError> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|source| GuestBuildError::Spawn { program: format!("{what} (is it installed? {fix})"), source })?;
    if out.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&out.stderr);
    Err(GuestBuildError::Install { what, fix, status: out.status, output: tail(&said, STDERR_TAIL_LINES) })
}

/// Builds the `script` project in `project` into `target_dir/wasm32-wasip2/<name>.wasm` and
/// returns that path. A failure carries the tool's own messages (the Python or JavaScript
/// error, with its line).
pub fn build(project: &Path, target_dir: &Path, script: Script, name: &str) -> Result<PathBuf, GuestBuildError> {
    check_project(project, script)?;
    let component = output(target_dir, &format!("{}.wasm", name.replace('-', "_")))?;
    let mut cmd = Command::new(find(script)?);
    match script {
        // `-d wit -w app` binds the world; `componentize app` takes app.py (and the `visor`
        // helper package beside it) from the project folder.
        Script::Python => cmd.args(["-d", "wit", "-w", "app", "componentize", "app", "-o"]).arg(&component),
        // The relative `./visor.js` import is bundled in; WASI HTTP is left out (Visor gives
        // apps the bus, not an HTTP client), so the component imports only what Visor provides.
        Script::JavaScript => {
            cmd.args(["app.js", "--wit", "wit", "--world-name", "app", "--disable", "http", "fetch-event", "-o"]).arg(&component)
        }
    };
    run_tool(project, script, cmd, component)
}

/// Builds a Python project's dev component for `visor dev`: `loader` — the dev loader's
/// source, whose `PREIMPORT = []` line gets `preimport` — as the app module in place of
/// `app.py`, beside the project's `visor` package. Returns
/// `target_dir/wasm32-wasip2/<name>-dev.wasm`.
pub fn build_python_dev(
    project: &Path,
    target_dir: &Path,
    name: &str,
    loader: &str,
    preimport: &[String],
) -> Result<PathBuf, GuestBuildError> {
    check_project(project, Script::Python)?;
    let stage = target_dir.join("visor-dev-loader");
    std::fs::create_dir_all(&stage).map_err(|source| GuestBuildError::Spawn { program: format!("mkdir {}", stage.display()), source })?;
    // Module names are dotted identifiers, which Rust's debug quoting writes as Python does.
    let names: Vec<String> = preimport.iter().map(|module| format!("{module:?}")).collect();
    let loader = loader.replacen("PREIMPORT = []", &format!("PREIMPORT = [{}]", names.join(", ")), 1);
    let file = stage.join("visor_dev_loader.py");
    std::fs::write(&file, loader).map_err(|source| GuestBuildError::Spawn { program: format!("writing {}", file.display()), source })?;
    let component = output(target_dir, &format!("{}-dev.wasm", name.replace('-', "_")))?;
    let mut cmd = Command::new(find(Script::Python)?);
    cmd.args(["-d", "wit", "-w", "app", "componentize", "-p", ".", "-p"]).arg(&stage).args(["visor_dev_loader", "-o"]).arg(&component);
    run_tool(project, Script::Python, cmd, component)
}

/// Whether `project` holds what a `script` build needs.
fn check_project(project: &Path, script: Script) -> Result<(), GuestBuildError> {
    if project.join(script.entry_file()).is_file() && project.join("wit").is_dir() {
        Ok(())
    } else {
        Err(GuestBuildError::NoScript { project: project.to_path_buf(), entry: script.entry_file() })
    }
}

/// `target_dir/wasm32-wasip2/file`, its folder made.
fn output(target_dir: &Path, file: &str) -> Result<PathBuf, GuestBuildError> {
    let out_dir = target_dir.join(crate::GUEST_TARGET);
    std::fs::create_dir_all(&out_dir)
        .map_err(|source| GuestBuildError::Spawn { program: format!("mkdir {}", out_dir.display()), source })?;
    Ok(out_dir.join(file))
}

/// Runs a componentizer in `project` and checks it left `component`.
fn run_tool(project: &Path, script: Script, mut cmd: Command, component: PathBuf) -> Result<PathBuf, GuestBuildError> {
    cmd.current_dir(project);
    tracing::info!(project = %project.display(), tool = ?cmd.get_program(), "building");
    let program = format!("{} (app build)", cmd.get_program().to_string_lossy());
    let out = cmd.stdin(Stdio::null()).output().map_err(|source| GuestBuildError::Spawn { program, source })?;
    if !out.status.success() {
        // Both tools print the script's own error on stderr, some of it on stdout.
        // componentize-js says only that parsing failed; Node's parser says where.
        let mut said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        if script == Script::JavaScript {
            said.extend(js_syntax_error(project));
        }
        return Err(GuestBuildError::Failed {
            workspace: project.to_path_buf(),
            toolchain: script.tool().to_owned(),
            status: out.status,
            output: format!("{} said:\n{}", script.tool(), tail(&said, STDERR_TAIL_LINES)),
        });
    }
    if !component.is_file() {
        return Err(GuestBuildError::NoOutput(component));
    }
    Ok(component)
}

/// The first syntax error Node finds in the project's top-level `.js` files, named by file and
/// line (parsed as ES modules; nothing is run or resolved).
fn js_syntax_error(project: &Path) -> Option<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(project)
        .ok()?
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "js"))
        .collect();
    files.sort();
    files.into_iter().find_map(|file| {
        let source = std::fs::File::open(&file).ok()?;
        let out = Command::new("node").args(["--input-type=module", "--check"]).stdin(source).output().ok()?;
        if out.status.success() {
            return None;
        }
        let said = String::from_utf8_lossy(&out.stderr);
        let name = file.file_name()?.to_string_lossy().into_owned();
        // Up to the error's own line; the rest is Node's stack.
        let lines: Vec<&str> = said.lines().collect();
        let end = lines.iter().position(|line| line.contains("Error:")).map_or(lines.len(), |i| i + 1);
        Some(format!("\n{}\n", lines[..end].join("\n").replace("[stdin]", &name)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_project_file_is_named() {
        let dir = std::env::temp_dir().join("visor-scripted-empty");
        let _ = std::fs::create_dir_all(&dir);
        let err = build(&dir, &dir.join("target"), Script::Python, "x").unwrap_err();
        assert!(err.to_string().contains("app.py"), "{err}");
    }
}
