//! Visor's data folder: what the shell reads at run time besides the user's own files — device
//! profiles, the built-in modules' manifests, recorded camera sessions, pose tracks, models and
//! the sample apps as built components.
//!
//! Everything travels inside the binary (`build.rs` bundles it; [`bundle`] holds the table) and
//! is unpacked on first use into `$XDG_DATA_HOME/visor/bundle/<version>-<hash>/` (by default
//! `~/.local/share/visor/bundle/…`), once per build: a new binary gets a new folder, so nothing
//! stale is ever read. `--data-dir DIR` or `VISOR_DATA=DIR` points at another copy of the same
//! layout instead (a checkout works for everything but `components/`).
//!
//! Layout of a data folder:
//! - `device-profiles/NAME.toml`: one file per device.
//! - `modules/NAME/visor.toml`: the built-in modules' manifests.
//! - `assets/`: `camera/` sessions, `poses/` tracks, `models/`. Relative paths in a profile
//!   (a replay folder, a pose track) are resolved against the data folder.
//! - `components/APP.wasm` (and `APP.toml`, its manifest, where it has one): the sample apps.

pub mod bundle;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The environment variable that points at a data folder, like `--data-dir`.
pub const DATA_ENV: &str = "VISOR_DATA";
/// Written last into an unpacked folder: a folder without it is incomplete and is unpacked again.
const COMPLETE_MARKER: &str = ".complete";

/// Why the data folder cannot be used. Each message names the folder and the fix.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error(
        "data folder {0} has no device-profiles/ folder: point --data-dir (or {DATA_ENV}) at a \
         copy of Visor's data, or leave both unset to use the data built into this binary"
    )]
    NotData(PathBuf),
    #[error(
        "no folder to unpack Visor's data into: neither XDG_DATA_HOME nor HOME is set. Set one, \
         or point --data-dir (or {DATA_ENV}) at a copy of Visor's data"
    )]
    NoHome,
    #[error("unpacking Visor's data into {path}: {source}; free some space or set --data-dir")]
    Unpack {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(
        "this visor was built without its sample apps (VISOR_BUNDLE_APPS=0), so there is no \
         '{0}': name an app component (`visor run APP.wasm`), or rebuild visor with them"
    )]
    AppsNotBundled(String),
    #[error("no sample app '{name}' in {}: the ones there are {}", dir.display(), list_or_none(available))]
    NoApp { name: String, dir: PathBuf, available: Vec<String> },
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() { "none".to_owned() } else { names.join(", ") }
}

/// A data folder in the layout above.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The data folder a command uses: `explicit` (`--data-dir`), else `$VISOR_DATA`, else the
    /// data built into this binary, unpacked if it is not yet.
    pub fn resolve(explicit: Option<&Path>) -> Result<DataDir, DataError> {
        let chosen = explicit.map(Path::to_path_buf).or_else(|| std::env::var_os(DATA_ENV).filter(|v| !v.is_empty()).map(PathBuf::from));
        match chosen {
            Some(root) => DataDir::at(root),
            None => DataDir::bundled(),
        }
    }

    /// An existing data folder at `root`.
    pub fn at(root: impl Into<PathBuf>) -> Result<DataDir, DataError> {
        let root = root.into();
        if !root.join("device-profiles").is_dir() {
            return Err(DataError::NotData(root));
        }
        Ok(DataDir { root })
    }

    /// The data built into this binary, unpacked under the user's XDG data folder.
    pub fn bundled() -> Result<DataDir, DataError> {
        let base = std::env::var_os("XDG_DATA_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".local/share")))
            .ok_or(DataError::NoHome)?;
        DataDir::unpack_into(&base.join("visor").join("bundle"))
    }

    /// Unpacks the bundled data into `parent/<bundle id>` unless a complete copy is there.
    pub fn unpack_into(parent: &Path) -> Result<DataDir, DataError> {
        let root = parent.join(bundle::BUNDLE_ID);
        if root.join(COMPLETE_MARKER).is_file() {
            return Ok(DataDir { root });
        }
        let err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| DataError::Unpack { path, source }
        };
        fs::create_dir_all(parent).map_err(err(parent))?;
        // Unpacked beside its final place, then renamed: several visors starting at once each
        // unpack their own copy and the first rename wins; none ever reads a half-written file.
        let staging = parent.join(format!(".{}-{}", bundle::BUNDLE_ID, std::process::id()));
        let _ = fs::remove_dir_all(&staging);
        for (name, bytes) in bundle::FILES {
            let path = staging.join(name);
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir).map_err(err(dir))?;
            }
            fs::write(&path, bytes).map_err(err(&path))?;
        }
        fs::write(staging.join(COMPLETE_MARKER), bundle::BUNDLE_ID).map_err(err(&staging))?;
        if fs::rename(&staging, &root).is_err() {
            // Another process won, or an incomplete copy is in the way: clear it and retry once.
            if !root.join(COMPLETE_MARKER).is_file() {
                let _ = fs::remove_dir_all(&root);
                fs::rename(&staging, &root).map_err(err(&root))?;
            }
            let _ = fs::remove_dir_all(&staging);
        }
        tracing::info!(dir = %root.display(), files = bundle::FILES.len(), "unpacked Visor's data");
        Ok(DataDir { root })
    }

    /// The folder itself: relative paths in profiles resolve against it.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `device-profiles/`.
    pub fn profiles(&self) -> PathBuf {
        self.root.join("device-profiles")
    }

    /// `modules/`: the built-in modules' manifests, one folder each.
    pub fn modules(&self) -> PathBuf {
        self.root.join("modules")
    }

    /// `components/`: the sample apps.
    pub fn components(&self) -> PathBuf {
        self.root.join("components")
    }

    /// The sample app `name` (`cube`, `hud`, `launcher`, …) as a component path, its manifest
    /// (`name.toml`) beside it where it has one.
    pub fn component(&self, name: &str) -> Result<PathBuf, DataError> {
        let path = self.components().join(format!("{name}.wasm"));
        if path.is_file() {
            return Ok(path);
        }
        if !bundle::APPS_BUNDLED && !self.components().is_dir() {
            return Err(DataError::AppsNotBundled(name.to_owned()));
        }
        let mut available: Vec<String> = fs::read_dir(self.components())
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_string_lossy().strip_suffix(".wasm").map(str::to_owned))
            .collect();
        available.sort();
        Err(DataError::NoApp { name: name.to_owned(), dir: self.components(), available })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("visor-data-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn the_bundle_unpacks_once_into_a_folder_named_by_its_id() {
        let parent = scratch("unpack");
        let data = DataDir::unpack_into(&parent).unwrap();
        assert_eq!(data.root(), parent.join(bundle::BUNDLE_ID));
        for (name, bytes) in bundle::FILES {
            assert_eq!(&fs::read(data.root().join(name)).unwrap(), bytes, "{name}");
        }
        assert!(data.profiles().join("desktop-sim.toml").is_file());
        assert!(data.modules().join("camera/visor.toml").is_file());
        // A second start finds the complete copy and writes nothing.
        fs::write(data.profiles().join("desktop-sim.toml"), "edited").unwrap();
        let again = DataDir::unpack_into(&parent).unwrap();
        assert_eq!(fs::read_to_string(again.profiles().join("desktop-sim.toml")).unwrap(), "edited");
        fs::remove_dir_all(&parent).unwrap();
    }

    #[test]
    fn an_incomplete_copy_is_unpacked_again() {
        let parent = scratch("incomplete");
        fs::create_dir_all(parent.join(bundle::BUNDLE_ID).join("device-profiles")).unwrap();
        let data = DataDir::unpack_into(&parent).unwrap();
        assert!(data.profiles().join("desktop-sim.toml").is_file());
        fs::remove_dir_all(&parent).unwrap();
    }

    #[test]
    fn a_folder_that_is_not_data_is_named_with_the_fix() {
        let err = DataDir::at("/nonexistent-visor-data").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("/nonexistent-visor-data") && text.contains("--data-dir"), "{text}");
    }

    #[test]
    fn a_missing_sample_app_lists_the_ones_there() {
        let parent = scratch("apps");
        let data = DataDir::unpack_into(&parent).unwrap();
        let err = data.component("no-such-app").unwrap_err().to_string();
        assert!(err.contains("no-such-app"), "{err}");
        if bundle::APPS_BUNDLED {
            assert!(data.component("cube").unwrap().is_file());
            assert!(err.contains("cube") && err.contains("hud"), "{err}");
        }
        fs::remove_dir_all(&parent).unwrap();
    }
}
