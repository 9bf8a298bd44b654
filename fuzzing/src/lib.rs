//! The bodies of Visor's fuzz targets (`fuzz/fuzz_targets/`, one line each over a check here): each module's `run` takes libFuzzer's bytes, feeds them to
//! one of Visor's parsers (or, for `host_calls`, to a guest that turns them into host calls)
//! through its public API, and asserts what that code promises about what it accepts. The targets in `fuzz_targets/` stay one line each (as wasmtime keeps its
//! `crates/fuzzing` apart from its thin targets), so a reader finds every check here.
//!
//! Data in: arbitrary bytes. A target that needs several inputs (a topic and a pattern, a
//! manifest and its component) cuts them into [`sections`]; a target that needs files writes
//! them into a fresh temporary folder, because the parser it drives only reads folders. Data
//! out: nothing; a panic or a failed assertion is the finding, and libFuzzer keeps the input.
//!
//! Layout, one module per target:
//! - `manifest`: `visor.toml` through `Manifest::parse`, and the empty policy's grant.
//! - `policy`: the policy file through `Policy::parse`, its sections written back, grants.
//! - `topic`: topic names and patterns, matching and covering.
//! - `device_profile`: device profiles through `DeviceProfile::from_toml`.
//! - `oci_package`: module references, signature layers and module folders (`visor-oci`).
//! - `session`: recorded session folders and pose tracks (`visor-drivers`).
//! - `wgsl`: app shaders through `visor_shader::validate_app_shader`.
//! - `host_calls`: the probe's `chaos` guest under `visor-runtime`, its calls chosen by the input.
//! - `grant` (shared): the invariants of `Policy::grant`.

pub mod device_profile;
pub mod grant;
pub mod host_calls;
pub mod manifest;
pub mod oci_package;
pub mod policy;
pub mod session;
pub mod topic;
pub mod wgsl;

/// One target's check: a panic is a finding.
pub type Check = fn(&[u8]);

/// Every target by the name of its file in `fuzz/fuzz_targets/` and its check: what the test
/// suite replays the committed corpus and regression inputs through.
pub const TARGETS: &[(&str, Check)] = &[
    ("device_profile", device_profile::run),
    ("host_calls", host_calls::run),
    ("manifest", manifest::run),
    ("oci_package", oci_package::run),
    ("policy", policy::run),
    ("session", session::run),
    ("topic", topic::run),
    ("wgsl", wgsl::run),
];

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The line that separates the sections of a multi-part input: not TOML, JSON or WGSL, so a
/// seed made of real files reads as those files one after the other.
pub const SEPARATOR: &[u8] = b"\n%%\n";

/// `data` cut at the first `max - 1` [`SEPARATOR`]s: at most `max` sections, the last holding
/// the rest (so a binary last section may contain the separator itself).
pub fn sections(data: &[u8], max: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(max);
    let mut rest = data;
    while out.len() + 1 < max {
        match rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
            Some(at) => {
                out.push(&rest[..at]);
                rest = &rest[at + SEPARATOR.len()..];
            }
            None => break,
        }
    }
    out.push(rest);
    out
}

/// Section `index` of `parts` as text, if it is there and is UTF-8.
pub fn text<'a>(parts: &[&'a [u8]], index: usize) -> Option<&'a str> {
    parts.get(index).and_then(|p| std::str::from_utf8(p).ok())
}

/// A fresh temporary folder for a parser that reads folders; removed when dropped.
///
/// In memory (`/dev/shm`) where there is one: making and removing a folder per execution on
/// a disk file system (ext4 searching for recently deleted inodes) cut executions tenfold.
pub fn scratch_dir() -> tempfile::TempDir {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    let base = BASE.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let usable = shm.is_dir() && tempfile::tempdir_in(shm).is_ok();
        if usable { shm.to_path_buf() } else { std::env::temp_dir() }
    });
    tempfile::Builder::new().prefix("visor-fuzz-").tempdir_in(base).expect("a temporary folder")
}
