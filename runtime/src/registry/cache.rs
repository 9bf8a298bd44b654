//! The compiled-code cache: `cache/<engine-key>/<component-sha256>.cwasm`, so the second start
//! of a module deserializes machine code instead of compiling it.
//!
//! The engine key is a hash of everything that makes compiled code fit an engine (target, CPU
//! features, compiler settings, wasmtime version: wasmtime's own
//! `precompile_compatibility_hash`), so engines configured differently never share a file.
//! Each `.cwasm` has a `.cwasm.tag` beside it: an HMAC-SHA256, under a secret key of the
//! store's (`cache/.key`, readable by the store's user only), of the engine key, the
//! component's sha256 and the compiled bytes. A plain hash beside the file would vouch for
//! nothing — whoever could replace the code could replace its hash — while a tag needs the key,
//! which no module can read. A file without a sound tag, or that wasmtime refuses, is a miss
//! and is rewritten. The cache is an optimization only: failing to write it is logged, never
//! an error.

use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use super::Registry;
use super::error::{RegistryError, io_err};
use super::files::{hex, sha256_hex, write_atomic};
use super::installed::InstalledModule;
use crate::manifest::Entry;

/// The store's cache key file, under `cache/`.
const KEY_FILE: &str = ".key";

/// Whether [`Registry::load_component`] found compiled code or had to compile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheOutcome {
    Hit,
    Miss,
}

/// Feeds `Hash` into sha256. `DefaultHasher` is not promised to be stable across Rust
/// versions; a sha256 of the same bytes is, so the key survives rebuilding the shell.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_le_bytes(first)
    }
}

/// The cache folder name for `engine`: 128 bits of a sha256 of its compatibility hash.
pub(super) fn engine_key(engine: &Engine) -> String {
    let mut hasher = Sha256Hasher(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hex(&hasher.0.finalize()[..16])
}

impl Registry {
    /// The module's component compiled for `engine`: from the cache when there is a sound
    /// entry for this engine, else compiled from its blob (checked against its hash first) and
    /// written to the cache for next time.
    pub fn load_component(&self, engine: &Engine, module: &InstalledModule) -> Result<(Component, CacheOutcome), RegistryError> {
        let Some(component) = &module.component else {
            let native = match &module.manifest.entry {
                Entry::Native(name) => name.clone(),
                Entry::Component(_) => String::new(),
            };
            return Err(RegistryError::NotAComponent { module: module.id(), native });
        };
        let engine_key = engine_key(engine);
        let dir = self.layout.cache.join(&engine_key);
        let cwasm = dir.join(format!("{}.cwasm", component.sha256));
        let tag = dir.join(format!("{}.cwasm.tag", component.sha256));
        let key = self.cache_key();
        if let Err(e) = &key {
            tracing::warn!("the compile cache is off: its key cannot be read or made: {e}");
        }
        let signer = key.ok().map(|key| Signer { key, engine_key, component: component.sha256.clone() });
        if let Some(compiled) = signer.as_ref().and_then(|s| load_cached(engine, s, &cwasm, &tag)) {
            tracing::debug!(module = %module.id(), "compiled code from the cache");
            return Ok((compiled, CacheOutcome::Hit));
        }

        let bytes = fs::read(&component.path).map_err(io_err("read", &component.path))?;
        if sha256_hex(&bytes) != component.sha256 {
            let problem = format!("the component of {} does not match its sha256", module.id());
            return Err(RegistryError::Corrupt { path: component.path.clone(), problem });
        }
        let compiled = Component::new(engine, &bytes).map_err(|e| RegistryError::Compile {
            module: module.id(),
            path: component.file_name.clone(),
            message: format!("{e:#}"),
        })?;
        if let Some(signer) = &signer
            && let Err(e) = self.store_cached(&compiled, signer, &dir, &cwasm, &tag)
        {
            tracing::warn!(module = %module.id(), "compiled, but could not cache the result: {e}");
        }
        Ok((compiled, CacheOutcome::Miss))
    }

    /// The store's secret cache key: read, or made on first use (32 random bytes, created
    /// readable and writable by the store's user only, never replaced once there).
    fn cache_key(&self) -> Result<[u8; 32], RegistryError> {
        let path = self.layout.cache.join(KEY_FILE);
        let read = |path: &Path| -> Result<[u8; 32], RegistryError> {
            let bytes = fs::read(path).map_err(io_err("read", path))?;
            bytes.try_into().map_err(|_| RegistryError::Corrupt {
                path: path.to_path_buf(),
                problem: "the cache key is not 32 bytes; remove it and the cache/ folder".into(),
            })
        };
        if path.is_file() {
            return read(&path);
        }
        fs::create_dir_all(&self.layout.cache).map_err(io_err("create the folder", &self.layout.cache))?;
        let mut key = [0u8; 32];
        getrandom::getrandom(&mut key)
            .map_err(|e| RegistryError::Corrupt { path: path.clone(), problem: format!("no randomness for the cache key: {e}") })?;
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(mut file) => {
                use std::io::Write as _;
                file.write_all(&key).and_then(|()| file.sync_all()).map_err(io_err("write", &path))?;
                Ok(key)
            }
            // Another process made it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(&path),
            Err(e) => Err(io_err("create", &path)(e)),
        }
    }

    fn store_cached(&self, compiled: &Component, signer: &Signer, dir: &Path, cwasm: &Path, tag: &Path) -> Result<(), RegistryError> {
        // Shared: other cache writers may go on; an install (which empties tmp/) may not.
        // If one is running, skip: the next start writes the cache instead.
        let Some(_lock) = self.layout.try_lock(true)? else {
            tracing::debug!("registry busy; not caching compiled code this time");
            return Ok(());
        };
        let serialized = compiled.serialize().map_err(|e| RegistryError::Corrupt {
            path: PathBuf::from(cwasm),
            problem: format!("wasmtime could not serialize the compiled component: {e:#}"),
        })?;
        fs::create_dir_all(dir).map_err(io_err("create the folder", dir))?;
        // The code first, then the tag that vouches for it: a crash between leaves a
        // mismatch, which reads as a miss.
        write_atomic(&self.layout.tmp, cwasm, &serialized)?;
        write_atomic(&self.layout.tmp, tag, format!("{}\n", hex(&signer.tag(&serialized))).as_bytes())
    }
}

/// Tags compiled code for one component on one engine with the store's key.
struct Signer {
    key: [u8; 32],
    engine_key: String,
    component: String,
}

impl Signer {
    fn mac(&self, bytes: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        // Lengths first, so no two (engine, component, code) triples hash the same stream.
        for part in [self.engine_key.as_bytes(), self.component.as_bytes(), bytes] {
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part);
        }
        mac
    }

    fn tag(&self, bytes: &[u8]) -> Vec<u8> {
        self.mac(bytes).finalize().into_bytes().to_vec()
    }

    /// Whether `tag` (hex) is this signer's tag of `bytes`, compared in constant time.
    fn verify(&self, bytes: &[u8], tag: &str) -> bool {
        let Some(tag) = unhex(tag.trim()) else { return false };
        self.mac(bytes).verify_slice(&tag).is_ok()
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// The cached component, if the file is there, carries a sound tag for this component and
/// engine, and wasmtime accepts it; anything else is a miss (logged when it is damage or a
/// forgery, not absence).
///
/// The file is read into memory and checked there, not memory-mapped with
/// `Component::deserialize_file` (which would skip a copy): a mapping shows later writes to the
/// file, so whoever can write it could change the code after its tag was checked. Restarts do
/// not come here at all: the module host keeps the compiled component in memory.
fn load_cached(engine: &Engine, signer: &Signer, cwasm: &Path, tag: &Path) -> Option<Component> {
    let bytes = fs::read(cwasm).ok()?;
    let recorded = fs::read_to_string(tag).unwrap_or_default();
    if !signer.verify(&bytes, &recorded) {
        tracing::warn!(file = %cwasm.display(), "cached compiled code has no sound tag from this store; recompiling");
        return None;
    }
    deserialize_checked(engine, &bytes)
        .inspect_err(|e| tracing::warn!(file = %cwasm.display(), "wasmtime refused cached code ({e:#}); recompiling"))
        .ok()
}

/// Loads machine code that this registry compiled and checked.
#[allow(unsafe_code, reason = "deserializing precompiled code is unsafe in wasmtime; the SAFETY comment says why this use is sound")]
fn deserialize_checked(engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Component> {
    // SAFETY: wasmtime requires that the bytes come from its own `serialize` and have not been
    // tampered with, because it runs them as machine code. These were written by
    // `store_cached` from `Component::serialize`, atomically (temporary file, sync, rename),
    // into a folder keyed by this engine's compatibility hash, and the caller has just checked
    // them, in memory, against an HMAC tag made when they were written with the store's secret
    // key (`cache/.key`, mode 0600). Whoever can write the cache folder but not read that key —
    // a module, a folder grant — cannot make a tag, so substituted code is a miss; truncation or
    // corruption is caught the same way, and nothing can change the bytes between the check and
    // the load.
    unsafe { Component::deserialize(engine, bytes) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(component: &str) -> Signer {
        Signer { key: [7; 32], engine_key: "engine".into(), component: component.into() }
    }

    #[test]
    fn a_tag_holds_for_its_component_engine_and_key_only() {
        let code = b"compiled code";
        let tag = hex(&signer("a").tag(code));
        assert!(signer("a").verify(code, &tag));
        assert!(!signer("b").verify(code, &tag), "another component's tag");
        assert!(!Signer { engine_key: "other".into(), ..signer("a") }.verify(code, &tag), "another engine's tag");
        assert!(!Signer { key: [8; 32], ..signer("a") }.verify(code, &tag), "another store's key");
        assert!(!signer("a").verify(b"compiled cod3", &tag), "other code");
        assert!(!signer("a").verify(code, &sha256_hex(code)), "a plain hash is no tag");
        assert!(!signer("a").verify(code, "zz"), "not hex");
    }
}
