//! [`RegistryError`]: why a registry operation failed, naming the thing and the fix.

use std::io;
use std::path::PathBuf;

use semver::Version;
use thiserror::Error;

use crate::manifest::ManifestError;

#[derive(Debug, Error)]
pub enum RegistryError {
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done, as a verb phrase: "read", "create the folder", ...
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("no registry folder: set VISOR_HOME (or HOME) to say where installed modules live")]
    NoHome,
    #[error(
        "{} is not a Visor registry of a format this build knows (found '{found}'); \
         point VISOR_HOME at another folder, or use the Visor version that created it",
        root.display()
    )]
    Format { root: PathBuf, found: String },
    #[error(
        "{} is not a module folder: it has no visor.toml (install takes a folder holding visor.toml \
         and the component it names)",
        dir.display()
    )]
    NotAModule { dir: PathBuf },
    #[error(
        "{module}: the {what} to be installed is not the one that was verified (sha256 {actual}, \
         verified {expected}); the folder changed after its check, so nothing was installed — \
         install it again"
    )]
    ChangedSinceVerified { module: String, what: &'static str, expected: String, actual: String },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(
        "module {module}: its manifest names the component {}, which is not a file there; \
         build the component first or fix `entry.component`",
        path.display()
    )]
    MissingComponent { module: String, path: PathBuf },
    #[error(
        "module {module} is already installed with different content (at {}); bump `version` in \
         visor.toml, or remove the installed one first with `visor module remove {module}`",
        dir.display()
    )]
    VersionConflict { module: String, dir: PathBuf },
    #[error("'{name}' is not a module name: use 1 to 64 of a-z, 0-9 and '-', starting with a letter")]
    BadName { name: String },
    #[error("module {wanted} is not installed; {}", installed_list(.name, .installed))]
    NotInstalled { name: String, wanted: String, installed: Vec<Version> },
    #[error(
        "cannot remove {module}: {dependent} depends on it ({dependency}) and no other installed \
         module satisfies that; remove {dependent} first"
    )]
    DependedOn { module: String, dependent: String, dependency: String },
    #[error("{module} needs {dependency}; installed: {installed} (install a matching module with `visor module install`)")]
    MissingDependency { module: String, dependency: String, installed: String },
    #[error("dependency cycle: {}; break it by removing one of these dependencies", cycle.join(" -> "))]
    Cycle { cycle: Vec<String> },
    #[error("module {module} is a native driver ('{native}'), not a component: there is nothing to compile")]
    NotAComponent { module: String, native: String },
    #[error("module {module}: {} does not compile as a WebAssembly component: {message}", path.display())]
    Compile { module: String, path: PathBuf, message: String },
    #[error("{} is damaged: {problem}; run `visor module remove` on it and install it again", path.display())]
    Corrupt { path: PathBuf, problem: String },
}

fn installed_list(name: &str, installed: &[Version]) -> String {
    if installed.is_empty() {
        format!("no version of '{name}' is installed (install one with `visor module install PATH`)")
    } else {
        let versions: Vec<String> = installed.iter().map(Version::to_string).collect();
        format!("installed versions of '{name}': {}", versions.join(", "))
    }
}

/// `map_err` helper: `.map_err(io_err("read", &path))`.
pub(super) fn io_err(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> RegistryError {
    let path = path.into();
    move |source| RegistryError::Io { action, path, source }
}
