//! [`Registry::install`]: copy a module folder into the store so that a crash at any instant
//! leaves either no trace of the new version or all of it.
//!
//! The order is the whole argument: (1) hash and copy everything into `tmp/`; (2) move the
//! blobs into `blobs/` (each rename atomic; a blob never changes once there, since its name is
//! its hash); (3) stage the version folder in `tmp/`; (4) rename it to
//! `modules/<name>/<version>`. Until (4) nothing refers to the new blobs, and a folder under
//! `modules/` only ever appears whole, after every blob it names.
//!
//! The crash tests check that argument by killing an install stopped after (2) or (3): they
//! stop it through a hook injected with [`Registry::with_install_hook`], never through
//! anything the product reads.

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Registry;
use super::error::{RegistryError, io_err};
use super::files::{copy_to_temp, remove_any, rename_durable, sha256_file, sha256_hex, sync_dir, temp_path, write_new};
use super::installed::{ComponentRecord, EntryRecord, InstalledModule, RECORD_FILE, read_record, read_version_dir};
use super::provenance::Origin;
use crate::manifest::{Entry, MANIFEST_FILE, Manifest, ManifestError};

/// A point in an install where the hook of [`Registry::with_install_hook`] is called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InstallPoint {
    /// The new blobs are in `blobs/`; nothing refers to them yet.
    AfterBlobs,
    /// The version folder is staged (and synced) in `tmp/`, not yet renamed into `modules/`.
    AfterStage,
}

/// The hook's signature: the point reached and the registry's `tmp/` folder.
type HookFn = dyn Fn(InstallPoint, &Path) + Send + Sync;

/// What [`Registry::with_install_hook`] installs: called by every install at each
/// [`InstallPoint`].
#[derive(Clone)]
pub(super) struct InstallHook(Arc<HookFn>);

impl fmt::Debug for InstallHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InstallHook(..)")
    }
}

/// What one install is installing, checked and read, before the lock is taken.
#[derive(Clone, Copy)]
struct Staged<'a> {
    manifest: &'a Manifest,
    manifest_bytes: &'a [u8],
    module_dir: &'a Path,
    origin: &'a Origin,
}

/// A file copied into `tmp/` and hashed, on its way to `blobs/`.
struct Pending {
    temp: PathBuf,
    sha256: String,
}

impl Registry {
    /// This registry, calling `hook` at each [`InstallPoint`] of every install it runs, with
    /// the registry's `tmp/` folder, while the install holds the store's lock. The crash tests
    /// stop an install there and kill it; a registry has no hook unless given one.
    pub fn with_install_hook(mut self, hook: impl Fn(InstallPoint, &Path) + Send + Sync + 'static) -> Registry {
        self.install_hook = Some(InstallHook(Arc::new(hook)));
        self
    }

    /// Installs the module in `module_dir` (its `visor.toml` and, for a component module, the
    /// component it names) and returns it as installed.
    ///
    /// Installing a `name@version` that is already installed with the same content does
    /// nothing and succeeds; with other content it fails ([`RegistryError::VersionConflict`]):
    /// an installed version never changes under a module that depends on it.
    /// Dependencies are not required to be installed yet; [`resolve`](Registry::resolve)
    /// checks them when the module is started.
    pub fn install(&self, module_dir: &Path) -> Result<InstalledModule, RegistryError> {
        self.install_from(module_dir, &Origin::default())
    }

    /// [`install`](Registry::install), recording `origin` (where the folder came from and who
    /// vouched for it) instead of a local, unsigned folder. An identical version already
    /// installed keeps the record it was installed with.
    pub fn install_from(&self, module_dir: &Path, origin: &Origin) -> Result<InstalledModule, RegistryError> {
        let layout = &self.layout;
        let manifest_path = module_dir.join(MANIFEST_FILE);
        if !manifest_path.is_file() {
            return Err(RegistryError::NotAModule { dir: module_dir.to_path_buf() });
        }
        let shown = manifest_path.display().to_string();
        let manifest_bytes = fs::read(&manifest_path).map_err(io_err("read", &manifest_path))?;
        let text = std::str::from_utf8(&manifest_bytes)
            .map_err(|e| ManifestError::Syntax { origin: shown.clone(), message: format!("not UTF-8: {e}") })?;
        let manifest = Manifest::parse(text, &shown)?;
        let component_source = match &manifest.entry {
            Entry::Component(file) => {
                let path = module_dir.join(file);
                if !path.is_file() {
                    return Err(RegistryError::MissingComponent { module: manifest.id(), path });
                }
                Some((file.clone(), path))
            }
            Entry::Native(_) => None,
        };

        let _lock = layout.lock_exclusive()?;
        layout.clean()?;
        let mut pending = Vec::new();
        let staged = Staged { manifest: &manifest, manifest_bytes: &manifest_bytes, module_dir, origin };
        let result = self.install_locked(&staged, component_source, &mut pending);
        for p in &pending {
            let _ = remove_any(&p.temp);
        }
        result
    }

    fn install_locked(
        &self,
        staged: &Staged<'_>,
        component_source: Option<(PathBuf, PathBuf)>,
        pending: &mut Vec<Pending>,
    ) -> Result<InstalledModule, RegistryError> {
        let Staged { manifest, manifest_bytes, module_dir, origin } = *staged;
        let layout = &self.layout;
        let manifest_sha256 = sha256_hex(manifest_bytes);
        let verified = origin.verified.as_ref();
        let check = |what, expected: Option<&String>, actual: &String| match expected {
            Some(expected) if expected != actual => {
                Err(RegistryError::ChangedSinceVerified { module: manifest.id(), what, expected: expected.clone(), actual: actual.clone() })
            }
            _ => Ok(()),
        };
        check("manifest (visor.toml)", verified.map(|v| &v.manifest_sha256), &manifest_sha256)?;
        let component = match component_source {
            Some((file, source)) => {
                // The hash is of the bytes copied into the store, not of the file read before.
                let (temp, sha256) = copy_to_temp(&source, &layout.tmp)?;
                pending.push(Pending { temp, sha256: sha256.clone() });
                let expected = verified.map(|v| v.component_sha256.clone().unwrap_or_default());
                check("component", expected.as_ref(), &sha256)?;
                Some(ComponentRecord { sha256, file_name: file.to_string_lossy().into_owned() })
            }
            None => None,
        };

        let dest = layout.version_dir(&manifest.name, &manifest.version);
        if dest.exists() {
            let existing = read_record(&dest)?;
            if existing.manifest_sha256 == manifest_sha256 && existing.component == component {
                tracing::info!(module = %manifest.id(), "already installed with the same content");
                return read_version_dir(layout, &dest);
            }
            return Err(RegistryError::VersionConflict { module: manifest.id(), dir: dest });
        }

        let manifest_temp = temp_path(&layout.tmp, "blob");
        write_new(&manifest_temp, manifest_bytes)?;
        pending.push(Pending { temp: manifest_temp, sha256: manifest_sha256.clone() });
        for p in pending.iter() {
            let blob = layout.blob(&p.sha256);
            // Content-addressed: a blob already there holds these very bytes — unless it was
            // damaged, in which case this install repairs it (with one atomic rename).
            if !blob.exists() || sha256_file(&blob)? != p.sha256 {
                rename_durable(&p.temp, &blob)?;
            }
        }
        self.reached(InstallPoint::AfterBlobs);

        let source = match &origin.source {
            Some(source) => source.clone(),
            None => fs::canonicalize(module_dir).unwrap_or_else(|_| module_dir.to_path_buf()).display().to_string(),
        };
        let record = EntryRecord::new(manifest_sha256, component, source.clone(), origin.audit.clone());
        let record_json = serde_json::to_vec_pretty(&record).expect("the entry record always serializes");
        let stage = temp_path(&layout.tmp, "stage");
        fs::create_dir(&stage).map_err(io_err("create the folder", &stage))?;
        pending.push(Pending { temp: stage.clone(), sha256: String::new() });
        write_new(&stage.join(MANIFEST_FILE), manifest_bytes)?;
        write_new(&stage.join(RECORD_FILE), &record_json)?;
        sync_dir(&stage)?;
        self.reached(InstallPoint::AfterStage);

        let name_dir = layout.modules.join(&manifest.name);
        if !name_dir.is_dir() {
            fs::create_dir(&name_dir).map_err(io_err("create the folder", &name_dir))?;
            sync_dir(&layout.modules)?;
        }
        rename_durable(&stage, &dest)?;
        tracing::info!(module = %manifest.id(), from = %source, audit = %origin.audit, "installed");
        read_version_dir(layout, &dest)
    }

    fn reached(&self, point: InstallPoint) {
        if let Some(InstallHook(hook)) = &self.install_hook {
            hook(point, &self.layout.tmp);
        }
    }
}
