//! [`Package`]: a module folder read into memory — the manifest's bytes, the component's bytes
//! and their names — which is what gets signed, pushed, pulled and written back out.

use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};
use visor_manifest::manifest::{Entry, MANIFEST_FILE, Manifest, ManifestError};

use crate::error::{OciError, io_err};
use crate::media;
use crate::signature::Statement;

#[derive(Clone, Debug)]
pub struct Package {
    pub manifest: Manifest,
    /// `visor.toml`, byte for byte.
    pub manifest_bytes: Vec<u8>,
    /// `entry.component`: where the component goes beside the manifest.
    pub component_file: PathBuf,
    pub component_bytes: Vec<u8>,
}

/// The config blob's content.
#[derive(Serialize)]
struct ConfigBlob<'a> {
    name: &'a str,
    version: String,
    kind: String,
    component: String,
}

impl Package {
    /// Reads the module folder `dir`: `visor.toml` and the component it names.
    pub fn from_dir(dir: &Path) -> Result<Package, OciError> {
        let manifest_path = dir.join(MANIFEST_FILE);
        if !manifest_path.is_file() {
            return Err(OciError::NotAModule { dir: dir.to_path_buf() });
        }
        let manifest_bytes = fs::read(&manifest_path).map_err(io_err("read", &manifest_path))?;
        let manifest = parse_manifest(&manifest_bytes, &manifest_path.display().to_string())?;
        let component_file = component_file(&manifest)?;
        let path = dir.join(&component_file);
        if !path.is_file() {
            return Err(OciError::MissingComponent { module: manifest.id(), path });
        }
        let component_bytes = fs::read(&path).map_err(io_err("read", &path))?;
        let package = Package { manifest, manifest_bytes, component_file, component_bytes };
        package.check_sizes()?;
        Ok(package)
    }

    /// A package from pulled bytes; `origin` names them in errors.
    pub(crate) fn from_parts(manifest_bytes: Vec<u8>, component_bytes: Vec<u8>, origin: &str) -> Result<Package, OciError> {
        let manifest = parse_manifest(&manifest_bytes, origin)?;
        let component_file = component_file(&manifest)?;
        Ok(Package { manifest, manifest_bytes, component_file, component_bytes })
    }

    /// What a signature of this package vouches for.
    pub fn statement(&self) -> Statement {
        Statement {
            name: self.manifest.name.clone(),
            version: self.manifest.version.to_string(),
            manifest_sha256: sha256_hex(&self.manifest_bytes),
            component_sha256: sha256_hex(&self.component_bytes),
        }
    }

    /// The config blob: JSON for registry browsers.
    pub(crate) fn config_json(&self) -> Vec<u8> {
        let config = ConfigBlob {
            name: &self.manifest.name,
            version: self.manifest.version.to_string(),
            kind: format!("{:?}", self.manifest.kind).to_lowercase(),
            component: self.component_file.display().to_string(),
        };
        serde_json::to_vec(&config).expect("the config always serializes")
    }

    /// Writes the module folder (`visor.toml` and the component) into `dir`, which exists.
    pub fn write_to(&self, dir: &Path) -> Result<(), OciError> {
        let manifest_path = dir.join(MANIFEST_FILE);
        fs::write(&manifest_path, &self.manifest_bytes).map_err(io_err("write", &manifest_path))?;
        let component_path = dir.join(&self.component_file);
        if let Some(parent) = component_path.parent() {
            fs::create_dir_all(parent).map_err(io_err("create the folder", parent))?;
        }
        fs::write(&component_path, &self.component_bytes).map_err(io_err("write", &component_path))
    }

    pub(crate) fn check_sizes(&self) -> Result<(), OciError> {
        let too_large = |what: &str, size: usize, limit: u64| OciError::TooLarge {
            module: self.manifest.id(),
            what: what.to_string(),
            size: size as u64,
            limit,
        };
        if self.manifest_bytes.len() as u64 > media::MAX_MANIFEST_BYTES {
            return Err(too_large("the manifest", self.manifest_bytes.len(), media::MAX_MANIFEST_BYTES));
        }
        if self.component_bytes.len() as u64 > media::MAX_COMPONENT_BYTES {
            return Err(too_large("the component", self.component_bytes.len(), media::MAX_COMPONENT_BYTES));
        }
        Ok(())
    }

    /// SHA-256 (lowercase hex) of `visor.toml` and of the component, as checked here: what an
    /// installer must find in the folder it installs from.
    pub fn digests(&self) -> (String, String) {
        (sha256_hex(&self.manifest_bytes), sha256_hex(&self.component_bytes))
    }
}

fn parse_manifest(bytes: &[u8], origin: &str) -> Result<Manifest, OciError> {
    let text =
        std::str::from_utf8(bytes).map_err(|e| ManifestError::Syntax { origin: origin.to_string(), message: format!("not UTF-8: {e}") })?;
    Ok(Manifest::parse(text, origin)?)
}

fn component_file(manifest: &Manifest) -> Result<PathBuf, OciError> {
    match &manifest.entry {
        Entry::Component(file) => Ok(file.clone()),
        Entry::Native(native) => Err(OciError::NativeModule { module: manifest.id(), native: native.clone() }),
    }
}

/// Lowercase hex sha256.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
