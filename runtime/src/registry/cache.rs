//! The compiled-code cache: `cache/<engine-key>/<component-sha256>.cwasm`, so the second start
//! of a module deserializes machine code instead of compiling it.
//!
//! The engine key is a hash of everything that makes compiled code fit an engine (target, CPU
//! features, compiler settings, wasmtime version: wasmtime's own
//! `precompile_compatibility_hash`), so engines configured differently never share a file.
//! Each `.cwasm` has a `.cwasm.sha256` beside it; a file that does not match it, or that
//! wasmtime refuses, is a miss and is rewritten. The cache is an optimization only: failing to
//! write it is logged, never an error.

use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use super::Registry;
use super::error::{RegistryError, io_err};
use super::files::{hex, sha256_hex, write_atomic};
use super::installed::InstalledModule;
use crate::manifest::Entry;

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
    pub fn load_component(
        &self,
        engine: &Engine,
        module: &InstalledModule,
    ) -> Result<(Component, CacheOutcome), RegistryError> {
        let Some(component) = &module.component else {
            let native = match &module.manifest.entry {
                Entry::Native(name) => name.clone(),
                Entry::Component(_) => String::new(),
            };
            return Err(RegistryError::NotAComponent { module: module.id(), native });
        };
        let dir = self.layout.cache.join(engine_key(engine));
        let cwasm = dir.join(format!("{}.cwasm", component.sha256));
        let sum = dir.join(format!("{}.cwasm.sha256", component.sha256));
        if let Some(compiled) = load_cached(engine, &cwasm, &sum) {
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
        if let Err(e) = self.store_cached(&compiled, &dir, &cwasm, &sum) {
            tracing::warn!(module = %module.id(), "compiled, but could not cache the result: {e}");
        }
        Ok((compiled, CacheOutcome::Miss))
    }

    fn store_cached(&self, compiled: &Component, dir: &Path, cwasm: &Path, sum: &Path) -> Result<(), RegistryError> {
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
        // The code first, then the hash that vouches for it: a crash between leaves a
        // mismatch, which reads as a miss.
        write_atomic(&self.layout.tmp, cwasm, &serialized)?;
        write_atomic(&self.layout.tmp, sum, format!("{}\n", sha256_hex(&serialized)).as_bytes())
    }
}

/// The cached component, if the file is there, matches its recorded sha256 and wasmtime
/// accepts it for this engine; anything else is a miss (logged when it is damage, not absence).
fn load_cached(engine: &Engine, cwasm: &Path, sum: &Path) -> Option<Component> {
    let bytes = fs::read(cwasm).ok()?;
    let recorded = fs::read_to_string(sum).unwrap_or_default();
    if sha256_hex(&bytes) != recorded.trim() {
        tracing::warn!(file = %cwasm.display(), "cached compiled code does not match its sha256; recompiling");
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
    // them, in memory, against the sha256 recorded when they were written, so truncation or
    // corruption on disk is caught and nothing can change them between the check and the load.
    // (Someone able to write the registry folder could replace both files; they could equally
    // replace the components, so the cache trusts no more than the registry already does.)
    unsafe { Component::deserialize(engine, bytes) }
}
