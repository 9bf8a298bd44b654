//! The file-system moves every registry write is built from: hash while copying, write to a
//! temporary name and `fsync`, then `rename` into place and `fsync` the folder. A rename within
//! one file system is atomic, so a reader (or a process started after a crash) sees the old
//! state or the new one, never a half-written file.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

use super::error::{RegistryError, io_err};

/// Lowercase hex, two digits a byte.
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// Whether `text` looks like a sha256 in hex, as blob and cache file names are.
pub(super) fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub(super) fn sha256_file(path: &Path) -> Result<String, RegistryError> {
    let mut file = File::open(path).map_err(io_err("open", path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(io_err("read", path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// A fresh name in `tmp`: unique across processes (pid) and threads (a counter).
pub(super) fn temp_path(tmp: &Path, prefix: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    tmp.join(format!("{prefix}-{}-{n}-{nanos:08x}", std::process::id()))
}

/// Makes a finished rename or creation inside `dir` survive a power loss.
pub(super) fn sync_dir(dir: &Path) -> Result<(), RegistryError> {
    // Windows cannot open a folder as a file; its renames are durable enough for us there.
    if cfg!(unix) {
        File::open(dir).and_then(|f| f.sync_all()).map_err(io_err("sync the folder", dir))?;
    }
    Ok(())
}

/// Writes `bytes` to a temporary file in `tmp` and syncs it; the caller renames it into place.
pub(super) fn write_temp(tmp: &Path, prefix: &str, bytes: &[u8]) -> Result<PathBuf, RegistryError> {
    let path = temp_path(tmp, prefix);
    let mut file = File::create(&path).map_err(io_err("create", &path))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io_err("write", &path))?;
    Ok(path)
}

/// Copies `src` to a temporary file in `tmp`, hashing on the way; returns the copy and its
/// sha256. The copy, not the source, is what gets hashed and installed, so a source edited
/// during the install cannot make the name and the content disagree.
pub(super) fn copy_to_temp(src: &Path, tmp: &Path) -> Result<(PathBuf, String), RegistryError> {
    let mut input = File::open(src).map_err(io_err("open", src))?;
    let path = temp_path(tmp, "blob");
    let mut output = File::create(&path).map_err(io_err("create", &path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = input.read(&mut buf).map_err(io_err("read", src))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        output.write_all(&buf[..n]).map_err(io_err("write", &path))?;
    }
    output.sync_all().map_err(io_err("write", &path))?;
    Ok((path, hex(&hasher.finalize())))
}

/// Renames `from` to `to` and syncs `to`'s folder.
pub(super) fn rename_durable(from: &Path, to: &Path) -> Result<(), RegistryError> {
    fs::rename(from, to).map_err(io_err("move into place", to))?;
    match to.parent() {
        Some(parent) => sync_dir(parent),
        None => Ok(()),
    }
}

/// Writes `bytes` to `dest` atomically (temporary file in `tmp`, sync, rename).
pub(super) fn write_atomic(tmp: &Path, dest: &Path, bytes: &[u8]) -> Result<(), RegistryError> {
    let temp = write_temp(tmp, "write", bytes)?;
    rename_durable(&temp, dest).inspect_err(|_| {
        let _ = fs::remove_file(&temp);
    })
}

/// Entries of a folder, skipping names that are not UTF-8 and hidden ones (`.`-prefixed).
pub(super) fn read_names(dir: &Path) -> Result<Vec<(String, PathBuf)>, RegistryError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_err("list", dir))? {
        let entry = entry.map_err(io_err("list", dir))?;
        if let Some(name) = entry.file_name().to_str()
            && !name.starts_with('.')
        {
            out.push((name.to_string(), entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// Removes a file or a folder tree; a path already gone is fine.
pub(super) fn remove_any(path: &Path) -> io::Result<()> {
    let result = match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) => Err(e),
    };
    match result {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        other => other,
    }
}

/// Creates `path` (which must not exist yet), writes `bytes` and syncs it.
pub(super) fn write_new(path: &Path, bytes: &[u8]) -> Result<(), RegistryError> {
    let mut file = File::create_new(path).map_err(io_err("create", path))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io_err("write", path))
}
