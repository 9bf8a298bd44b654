//! [`Registry::remove`] and [`Registry::gc`]: removal refuses to break a module that depends on
//! what it removes, moves the version folder out of `modules/` in one rename, and then lets
//! `gc` delete the blobs and compiled code nothing refers to any more.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use semver::Version;

use super::error::{RegistryError, io_err};
use super::files::{is_sha256_hex, read_names, remove_any, rename_durable, temp_path};
use super::installed::{InstalledModule, read_record};
use super::{Registry, check_name, resolve};

/// What [`Registry::gc`] deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GcReport {
    pub blobs_removed: usize,
    pub cache_files_removed: usize,
    pub bytes_freed: u64,
}

impl Registry {
    /// Removes `name@version`, or every version of `name` when `version` is `None`, and returns
    /// the versions removed. Refuses ([`RegistryError::DependedOn`]) when another installed
    /// module depends on one of them and nothing left would satisfy it.
    pub fn remove(&self, name: &str, version: Option<&Version>) -> Result<Vec<Version>, RegistryError> {
        check_name(name)?;
        let _lock = self.layout.lock_exclusive()?;
        let installed = self.list()?;
        let targets: Vec<&InstalledModule> =
            installed.iter().filter(|m| m.name() == name && version.is_none_or(|v| m.version() == v)).collect();
        if targets.is_empty() {
            let wanted = match version {
                Some(v) => format!("{name}@{v}"),
                None => name.to_string(),
            };
            let installed = self.layout.versions_of(name)?.into_iter().map(|(v, _)| v).collect();
            return Err(RegistryError::NotInstalled { name: name.to_string(), wanted, installed });
        }
        resolve::check_removal(&installed, &targets)?;

        let mut removed = Vec::new();
        for module in targets {
            // One rename takes it out of `modules/`; deleting the files can then be as slow
            // (or as interrupted) as it likes: `tmp/` is emptied on the next open.
            let trash = temp_path(&self.layout.tmp, "removed");
            rename_durable(&module.dir, &trash)?;
            remove_any(&trash).map_err(io_err("remove", &trash))?;
            tracing::info!(module = %module.id(), "removed");
            removed.push(module.version().clone());
        }
        // Only succeeds once the last version is gone.
        let _ = fs::remove_dir(self.layout.modules.join(name));
        if let Err(e) = self.gc_locked() {
            tracing::warn!("removed {name}, but could not collect its unreferenced blobs: {e}");
        }
        Ok(removed)
    }

    /// Deletes blobs no installed version refers to, and compiled code for components no
    /// installed version refers to. Refuses to delete anything if any version folder's record
    /// cannot be read, since its blobs cannot then be told apart from garbage.
    pub fn gc(&self) -> Result<GcReport, RegistryError> {
        let _lock = self.layout.lock_exclusive()?;
        self.gc_locked()
    }

    fn gc_locked(&self) -> Result<GcReport, RegistryError> {
        let mut referenced = HashSet::new();
        for dir in self.layout.version_dirs()? {
            let record = read_record(&dir)?;
            referenced.extend(record.blobs().map(str::to_string));
        }
        let mut report = GcReport::default();
        for (name, path) in read_names(&self.layout.blobs)? {
            if !referenced.contains(&name) {
                report.bytes_freed += delete(&path)?;
                report.blobs_removed += 1;
            }
        }
        // cache/<engine-key>/<sha>.cwasm and <sha>.cwasm.sha256
        for (_, engine_dir) in read_names(&self.layout.cache)? {
            if !engine_dir.is_dir() {
                continue;
            }
            for (name, path) in read_names(&engine_dir)? {
                let sha = name.split('.').next().unwrap_or_default();
                if is_sha256_hex(sha) && !referenced.contains(sha) {
                    report.bytes_freed += delete(&path)?;
                    report.cache_files_removed += 1;
                }
            }
        }
        if report != GcReport::default() {
            tracing::info!(?report, "collected unreferenced registry files");
        }
        Ok(report)
    }
}

/// Deletes a file and returns its size.
fn delete(path: &Path) -> Result<u64, RegistryError> {
    let size = fs::symlink_metadata(path).map(|m| m.len()).unwrap_or(0);
    remove_any(path).map_err(io_err("remove", path))?;
    Ok(size)
}
