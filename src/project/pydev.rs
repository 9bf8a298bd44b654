//! `visor dev` for Python without a rebuild per save. The project's component is built once
//! around the dev loader (`apps/sdk-python/visor_dev_loader.py`) instead of `app.py`, and the
//! project's sources reach it through the environment on every start ([`super::SOURCES_VAR`]): a saved
//! change then only restarts the app in place on the code already compiled — tens of
//! milliseconds where componentize-py and a compile take seconds.
//!
//! The loader is built with what the sources import, because componentize-py can import only
//! while it builds. So a save takes this fast path only when nothing baked into the build
//! changed ([`PySources::digest`]: the `visor` package, `wit/`, `visor.toml`), the sources import
//! nothing new, and the host's Python parses them; anything else is a full build, whose
//! componentize-py run is also the authority on errors.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::Context;

/// The dev loader's source, compiled into the binary.
pub const LOADER: &str = include_str!("../../apps/sdk-python/visor_dev_loader.py");

/// A Python project's sources as the dev loader takes them.
pub struct PySources {
    /// `{"module.name": ["file.py", "text", is_package]}`, for [`super::SOURCES_VAR`].
    pub json: String,
    /// What the sources import, but for the project's own modules: imported at build time.
    pub imports: BTreeSet<String>,
    /// A digest of what a build bakes in: the `visor` package, `wit/` and `visor.toml`.
    pub digest: u64,
    /// The source files, for the syntax check.
    pub files: Vec<PathBuf>,
}

/// Reads the sources of the Python project in `dir`: every `.py` file but the `visor` package,
/// hidden files, `target/` and `__pycache__/`.
pub fn read(dir: &Path) -> anyhow::Result<PySources> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    files.sort();
    let mut modules = serde_json::Map::new();
    let mut imported = BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        let relative = file.strip_prefix(dir).unwrap_or(file);
        let (name, package) = module_name(relative);
        imports_of(&text, &mut imported);
        let shown = relative.to_string_lossy().into_owned();
        modules.insert(name, serde_json::json!([shown, text, package]));
    }
    // The project's own modules load from the sources, never at build time.
    let own: BTreeSet<&str> = modules.keys().map(|m| m.split('.').next().unwrap_or(m)).collect();
    let imports = imported.into_iter().filter(|m| !own.contains(m.split('.').next().unwrap_or(m))).collect();
    let digest = super::digest(dir, &["visor", "wit", visor_runtime::manifest::MANIFEST_FILE]);
    Ok(PySources { json: serde_json::Value::Object(modules).to_string(), imports, digest, files })
}

/// Whether the host's Python parses every file (the fast path's guard).
pub fn parses(files: &[PathBuf]) -> bool {
    const CHECK: &str = "import sys\nfor f in sys.argv[1:]:\n    compile(open(f, encoding='utf-8').read(), f, 'exec')";
    let python = visor_guest_build::scripted::python();
    let status = Command::new(python).arg("-c").arg(CHECK).args(files).stdin(Stdio::null()).stderr(Stdio::null()).status();
    status.is_ok_and(|s| s.success())
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let top = dir == root;
        if name.starts_with('.') || name == "__pycache__" || (top && (name == "target" || name == "visor")) {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else if name.ends_with(".py") {
            out.push(path);
        }
    }
    Ok(())
}

/// `pkg/mod.py` is `pkg.mod`; `pkg/__init__.py` is the package `pkg`.
fn module_name(relative: &Path) -> (String, bool) {
    let parts: Vec<String> = relative.with_extension("").iter().map(|p| p.to_string_lossy().into_owned()).collect();
    match parts.split_last() {
        Some((last, parents)) if last == "__init__" => (parents.join("."), true),
        _ => (parts.join("."), false),
    }
}

/// Adds the modules `text` imports: `import a.b, c as d` gives `a.b` and `c`; `from a import b`
/// gives `a` and `a.b` (which may be a submodule). Relative imports are the project's own.
fn imports_of(text: &str, out: &mut BTreeSet<String>) {
    let dotted = |name: &str| {
        !name.is_empty()
            && name.split('.').all(|part| part.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_'))
            && name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.')
    };
    let first_word = |s: &str| s.split_whitespace().next().unwrap_or("").to_owned();
    for line in text.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("import ") {
            out.extend(rest.split(',').map(first_word).filter(|m| dotted(m)));
        } else if let Some((module, names)) = line.strip_prefix("from ").and_then(|rest| rest.split_once(" import ")) {
            let module = module.trim();
            if !dotted(module) {
                continue;
            }
            out.insert(module.to_owned());
            let names = names.trim_matches(|c: char| c == '(' || c == ')' || c.is_whitespace());
            out.extend(names.split(',').map(first_word).filter(|n| dotted(n)).map(|n| format!("{module}.{n}")));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_and_module_names_are_read_from_sources() {
        let mut found = BTreeSet::new();
        imports_of(
            "import os, json as j\nfrom wit_world.imports import gfx, types\nfrom . import local\n    import math  # inside\nfrom x import (a, b)\n",
            &mut found,
        );
        let found: Vec<&str> = found.iter().map(String::as_str).collect();
        assert_eq!(
            found,
            ["json", "math", "os", "wit_world.imports", "wit_world.imports.gfx", "wit_world.imports.types", "x", "x.a", "x.b"]
        );
        assert_eq!(module_name(Path::new("app.py")), ("app".to_owned(), false));
        assert_eq!(module_name(Path::new("lib/util.py")), ("lib.util".to_owned(), false));
        assert_eq!(module_name(Path::new("lib/__init__.py")), ("lib".to_owned(), true));
    }

    #[test]
    fn the_projects_own_modules_are_not_imported_at_build_time() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.py"), "import helpers\nimport colorsys\nfrom visor import App\n").unwrap();
        std::fs::write(dir.path().join("helpers.py"), "X = 1\n").unwrap();
        std::fs::create_dir(dir.path().join("visor")).unwrap();
        std::fs::write(dir.path().join("visor/__init__.py"), "").unwrap();
        let sources = read(dir.path()).unwrap();
        assert!(sources.imports.contains("colorsys") && !sources.imports.contains("helpers"), "{:?}", sources.imports);
        let json: serde_json::Value = serde_json::from_str(&sources.json).unwrap();
        assert!(json.get("app").is_some() && json.get("helpers").is_some() && json.get("visor").is_none(), "{json}");
        let before = sources.digest;
        std::fs::write(dir.path().join("visor/__init__.py"), "# changed").unwrap();
        assert_ne!(read(dir.path()).unwrap().digest, before, "a change to the SDK is a change to what is baked in");
    }
}
