//! What an installed version folder holds and how it is read back: `visor.toml` (the manifest,
//! byte for byte as installed) and `entry.json` (an [`EntryRecord`]: the hashes that tie the
//! folder to its blobs, where it came from, and who vouched for it).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use semver::Version;
use serde::{Deserialize, Serialize};

use super::Layout;
use super::error::{RegistryError, io_err};
use super::files::sha256_hex;
use super::provenance::Audit;
use crate::manifest::{Entry, MANIFEST_FILE, Manifest};

/// The record file inside a version folder.
pub(super) const RECORD_FILE: &str = "entry.json";
/// The record format this build writes and reads.
const RECORD_FORMAT: u32 = 1;

/// `modules/<name>/<version>/entry.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct EntryRecord {
    pub format: u32,
    pub manifest_sha256: String,
    pub component: Option<ComponentRecord>,
    pub installed_at_unix: u64,
    /// Where it was installed from (a folder, or an `oci://` reference), for `visor module info`.
    pub source: String,
    /// Absent (local) in records written before modules could come from the internet.
    #[serde(default, skip_serializing_if = "Audit::is_local")]
    pub audit: Audit,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ComponentRecord {
    pub sha256: String,
    /// The component's path relative to the manifest, as `entry.component` names it.
    pub file_name: String,
}

impl EntryRecord {
    pub(super) fn new(manifest_sha256: String, component: Option<ComponentRecord>, source: String, audit: Audit) -> EntryRecord {
        let installed_at_unix = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
        EntryRecord { format: RECORD_FORMAT, manifest_sha256, component, installed_at_unix, source, audit }
    }

    /// Every blob this version refers to.
    pub(super) fn blobs(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.manifest_sha256.as_str()).chain(self.component.as_ref().map(|c| c.sha256.as_str()))
    }
}

/// One installed `name@version`.
#[derive(Clone, Debug)]
pub struct InstalledModule {
    pub manifest: Manifest,
    /// `modules/<name>/<version>/` under the registry root.
    pub dir: PathBuf,
    pub manifest_sha256: String,
    /// `None` for native drivers.
    pub component: Option<InstalledComponent>,
    pub installed_at: SystemTime,
    /// Where it was installed from: a folder, or an `oci://` reference.
    pub source: PathBuf,
    /// Who vouched for it at install time.
    pub audit: Audit,
}

/// The component of an installed module: an immutable blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstalledComponent {
    /// `blobs/sha256/<sha256>`: load it from here (or through the compile cache).
    pub path: PathBuf,
    pub sha256: String,
    /// Its name beside the manifest when installed (`entry.component`).
    pub file_name: PathBuf,
}

impl InstalledModule {
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    pub fn version(&self) -> &Version {
        &self.manifest.version
    }

    /// `name@version`.
    pub fn id(&self) -> String {
        self.manifest.id()
    }
}

/// Whether `name` can be a module name, and so a folder name that stays inside `modules/`.
pub(super) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

pub(super) fn read_record(dir: &Path) -> Result<EntryRecord, RegistryError> {
    let path = dir.join(RECORD_FILE);
    let text = fs::read_to_string(&path).map_err(io_err("read", &path))?;
    let record: EntryRecord =
        serde_json::from_str(&text).map_err(|e| RegistryError::Corrupt { path: path.clone(), problem: e.to_string() })?;
    if record.format != RECORD_FORMAT {
        let problem = format!("record format {} is not {RECORD_FORMAT}, the one this build reads", record.format);
        return Err(RegistryError::Corrupt { path, problem });
    }
    Ok(record)
}

/// Reads `modules/<name>/<version>/` back, checking that the folder, its record and its
/// manifest agree (blob contents are [`verify`](super::Registry::verify)'s job: hashing every
/// component on every listing would make `list` as slow as the biggest module).
pub(super) fn read_version_dir(layout: &Layout, dir: &Path) -> Result<InstalledModule, RegistryError> {
    let record = read_record(dir)?;
    let manifest_path = dir.join(MANIFEST_FILE);
    let text = fs::read(&manifest_path).map_err(io_err("read", &manifest_path))?;
    let corrupt = |problem: String| RegistryError::Corrupt { path: dir.to_path_buf(), problem };
    if sha256_hex(&text) != record.manifest_sha256 {
        return Err(corrupt(format!("{MANIFEST_FILE} does not match the sha256 in {RECORD_FILE}")));
    }
    let text = String::from_utf8(text).map_err(|_| corrupt(format!("{MANIFEST_FILE} is not UTF-8")))?;
    let manifest = Manifest::parse(&text, &manifest_path.display().to_string())?;

    let folder_name = dir.parent().and_then(Path::file_name).and_then(|n| n.to_str());
    let folder_version = dir.file_name().and_then(|n| n.to_str());
    if folder_name != Some(manifest.name.as_str()) || folder_version != Some(manifest.version.to_string().as_str()) {
        return Err(corrupt(format!("its manifest says {}, which is not the folder's name@version", manifest.id())));
    }
    let component = match (&manifest.entry, &record.component) {
        (Entry::Component(file), Some(c)) if Path::new(&c.file_name) == file => {
            Some(InstalledComponent { path: layout.blob(&c.sha256), sha256: c.sha256.clone(), file_name: file.clone() })
        }
        (Entry::Native(_), None) => None,
        _ => return Err(corrupt(format!("{RECORD_FILE} and the manifest's `entry` disagree"))),
    };
    Ok(InstalledModule {
        manifest,
        dir: dir.to_path_buf(),
        manifest_sha256: record.manifest_sha256,
        component,
        installed_at: UNIX_EPOCH + Duration::from_secs(record.installed_at_unix),
        source: PathBuf::from(record.source),
        audit: record.audit,
    })
}
