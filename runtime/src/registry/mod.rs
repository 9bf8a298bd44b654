//! The local module registry: a persistent store of installed modules, content-addressed by
//! sha256, with versions side by side, dependency resolution, and a cache of compiled code so
//! a module compiles once per engine rather than on every start.
//!
//! Data enters through [`Registry::install`] (a module folder: `visor.toml` and the component
//! it names) and leaves as [`InstalledModule`]s — from [`list`](Registry::list),
//! [`get`](Registry::get), or [`resolve`](Registry::resolve) in start order — and as compiled
//! [`Component`](wasmtime::component::Component)s from [`Registry::load_component`].
//!
//! On disk, under the root (`$VISOR_HOME`, else `$XDG_DATA_HOME/visor`, else
//! `$HOME/.local/share/visor`):
//!
//! ```text
//! format                            "visor-registry 1"
//! lock                              advisory lock: writers exclusive, cache writers shared
//! blobs/sha256/<hex>                immutable content: components and manifests
//! modules/<name>/<version>/         one installed version
//!     visor.toml                    its manifest, byte for byte
//!     entry.json                    manifest and component sha256, file name, time, source,
//!                                   audit state (who vouched for it)
//! cache/<engine-key>/<sha>.cwasm    compiled component (+ <sha>.cwasm.sha256)
//! tmp/                              staging; emptied on open and before each install
//! ```
//!
//! Crash safety: nothing under `blobs/`, `modules/` or `cache/` is ever written in place.
//! Everything is written under `tmp/`, synced, and renamed into place; a version folder
//! appears with one `rename`, after the blobs it names. A process killed at any point leaves
//! the store as it was plus, at most, unreferenced blobs (which [`Registry::gc`] removes) and
//! `tmp/` leftovers (removed on the next open). Removal is the same move backwards: the version
//! folder is renamed into `tmp/` first, then deleted.
//!
//! Layout:
//! - `error`: [`RegistryError`].
//! - `files`: hashing, temporary names, atomic writes.
//! - `installed`: the version folder's record and [`InstalledModule`].
//! - `install`: [`Registry::install`], and the [`InstallPoint`]s where the crash tests stop it.
//! - `provenance`: [`Audit`] and [`Origin`]: where a module came from, who vouched for it.
//! - `remove`: [`Registry::remove`] and [`Registry::gc`].
//! - `verify`: [`Registry::verify`].
//! - `resolve`: dependency resolution and the "who depends on it" check, as pure functions.
//! - `cache`: [`Registry::load_component`], the compiled-code cache.

mod cache;
mod error;
mod files;
mod install;
mod installed;
mod provenance;
mod remove;
mod resolve;
mod verify;

use std::fs::{self, File, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

use semver::{Version, VersionReq};

pub use cache::CacheOutcome;
pub use error::RegistryError;
pub use install::InstallPoint;
pub use installed::{InstalledComponent, InstalledModule};
pub use provenance::{Audit, Origin, Verified};
pub use remove::GcReport;

use error::io_err;
use files::{read_names, remove_any};
use install::InstallHook;
use installed::{read_version_dir, valid_name};

/// What the `format` file says; a store of another format is refused rather than misread.
const FORMAT: &str = "visor-registry 1";

/// The paths of a registry root.
#[derive(Clone, Debug)]
struct Layout {
    root: PathBuf,
    blobs: PathBuf,
    modules: PathBuf,
    cache: PathBuf,
    tmp: PathBuf,
}

impl Layout {
    fn new(root: &Path) -> Layout {
        Layout {
            root: root.to_path_buf(),
            blobs: root.join("blobs").join("sha256"),
            modules: root.join("modules"),
            cache: root.join("cache"),
            tmp: root.join("tmp"),
        }
    }

    fn blob(&self, sha256: &str) -> PathBuf {
        self.blobs.join(sha256)
    }

    fn version_dir(&self, name: &str, version: &Version) -> PathBuf {
        self.modules.join(name).join(version.to_string())
    }

    fn lock_file(&self) -> Result<File, RegistryError> {
        let path = self.root.join("lock");
        File::options().create(true).truncate(false).write(true).open(&path).map_err(io_err("open the lock file", path))
    }

    /// Held by everything that changes `modules/` or `blobs/`, or empties `tmp/`. The lock
    /// belongs to the open file, so a killed holder releases it.
    fn lock_exclusive(&self) -> Result<File, RegistryError> {
        let file = self.lock_file()?;
        file.lock().map_err(io_err("lock", self.root.join("lock")))?;
        Ok(file)
    }

    /// `Ok(None)` when someone holds the lock and `shared` is not compatible with that.
    fn try_lock(&self, shared: bool) -> Result<Option<File>, RegistryError> {
        let file = self.lock_file()?;
        let result = if shared { file.try_lock_shared() } else { file.try_lock() };
        match result {
            Ok(()) => Ok(Some(file)),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(e)) => Err(io_err("lock", self.root.join("lock"))(e)),
        }
    }

    /// Removes what interrupted installs, removals and cache writes left in `tmp/`, and name
    /// folders left empty. Only under the exclusive lock: others' work in progress lives here.
    fn clean(&self) -> Result<(), RegistryError> {
        for (_, path) in read_names(&self.tmp)? {
            tracing::info!(leftover = %path.display(), "removing what an interrupted registry operation left");
            remove_any(&path).map_err(io_err("remove", &path))?;
        }
        for (_, path) in read_names(&self.modules)? {
            // Fails unless empty, which is the point.
            if path.is_dir() && fs::remove_dir(&path).is_ok() {
                tracing::debug!(folder = %path.display(), "removed an empty module folder");
            }
        }
        Ok(())
    }

    /// Every `modules/<name>/<version>` folder whose names could be ours, sorted; stray
    /// entries are skipped here and reported by `verify`.
    fn version_dirs(&self) -> Result<Vec<PathBuf>, RegistryError> {
        let mut out = Vec::new();
        for (name, path) in read_names(&self.modules)? {
            if !valid_name(&name) || !path.is_dir() {
                continue;
            }
            out.extend(self.versions_of(&name)?.into_iter().map(|(_, dir)| dir));
        }
        Ok(out)
    }

    /// `(version, folder)` for each version folder of `name`.
    fn versions_of(&self, name: &str) -> Result<Vec<(Version, PathBuf)>, RegistryError> {
        let dir = self.modules.join(name);
        let names = match read_names(&dir) {
            Err(RegistryError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => Vec::new(),
            other => other?,
        };
        let mut out: Vec<_> = names.into_iter().filter_map(|(v, path)| Version::parse(&v).ok().map(|v| (v, path))).collect();
        out.sort();
        Ok(out)
    }
}

/// The registry at one root. Cheap to clone; every method reads the disk afresh, so several
/// processes (the shell and the `visor module` CLI) can share one root.
#[derive(Clone, Debug)]
pub struct Registry {
    layout: Layout,
    install_hook: Option<InstallHook>,
}

impl Registry {
    /// `$VISOR_HOME`, else `$XDG_DATA_HOME/visor`, else `$HOME/.local/share/visor`.
    pub fn default_root() -> Result<PathBuf, RegistryError> {
        let var = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        var("VISOR_HOME")
            .or_else(|| var("XDG_DATA_HOME").map(|d| d.join("visor")))
            .or_else(|| var("HOME").map(|h| h.join(".local").join("share").join("visor")))
            .ok_or(RegistryError::NoHome)
    }

    /// Opens (creating if needed) the registry at `root`, and clears what a crashed operation
    /// left in `tmp/` unless another process is busy with the store right now.
    pub fn open(root: &Path) -> Result<Registry, RegistryError> {
        let layout = Layout::new(root);
        for dir in [&layout.root, &layout.blobs, &layout.modules, &layout.cache, &layout.tmp] {
            fs::create_dir_all(dir).map_err(io_err("create the folder", dir))?;
        }
        let format_path = root.join("format");
        match fs::read_to_string(&format_path) {
            Ok(found) if found.trim() == FORMAT => {}
            Ok(found) => return Err(RegistryError::Format { root: root.to_path_buf(), found: found.trim().to_string() }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("read", format_path)(e)),
        }
        if let Some(_lock) = layout.try_lock(false)? {
            if !format_path.exists() {
                files::write_atomic(&layout.tmp, &format_path, format!("{FORMAT}\n").as_bytes())?;
            }
            layout.clean()?;
        }
        Ok(Registry { layout, install_hook: None })
    }

    pub fn root(&self) -> &Path {
        &self.layout.root
    }

    /// Every installed module version, sorted by name, then version. A version folder that
    /// cannot be read is left out with a warning ([`verify`](Registry::verify) names it).
    pub fn list(&self) -> Result<Vec<InstalledModule>, RegistryError> {
        let dirs = self.layout.version_dirs()?;
        Ok(dirs.iter().filter_map(|dir| self.read_or_warn(dir)).collect())
    }

    /// The installed versions of `name`, oldest first.
    pub fn versions(&self, name: &str) -> Result<Vec<InstalledModule>, RegistryError> {
        check_name(name)?;
        let versions = self.layout.versions_of(name)?;
        Ok(versions.iter().filter_map(|(_, dir)| self.read_or_warn(dir)).collect())
    }

    /// `name@version`, or the newest version of `name` when `version` is `None`.
    pub fn get(&self, name: &str, version: Option<&Version>) -> Result<Option<InstalledModule>, RegistryError> {
        check_name(name)?;
        match version {
            Some(v) => {
                let dir = self.layout.version_dir(name, v);
                if dir.is_dir() { read_version_dir(&self.layout, &dir).map(Some) } else { Ok(None) }
            }
            None => Ok(self.versions(name)?.pop()),
        }
    }

    /// `name` (its highest version matching `req`, or its newest) and everything it depends
    /// on, transitively, in start order: each module after all of its dependencies.
    ///
    /// A `module` dependency takes the highest installed version in its range; an `interface`
    /// dependency the module exporting the highest matching version of that interface. Either
    /// prefers a module already chosen in this resolution when it fits, so one start does not
    /// run two versions of a library where one would do.
    pub fn resolve(&self, name: &str, req: Option<&VersionReq>) -> Result<Vec<InstalledModule>, RegistryError> {
        check_name(name)?;
        let installed = self.list()?;
        let order = resolve::resolve(&installed, name, req)?;
        Ok(order.into_iter().cloned().collect())
    }

    fn read_or_warn(&self, dir: &Path) -> Option<InstalledModule> {
        read_version_dir(&self.layout, dir)
            .inspect_err(|e| tracing::warn!(folder = %dir.display(), "skipping an unreadable installed module: {e}"))
            .ok()
    }
}

fn check_name(name: &str) -> Result<(), RegistryError> {
    if valid_name(name) { Ok(()) } else { Err(RegistryError::BadName { name: name.to_string() }) }
}
