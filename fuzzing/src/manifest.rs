//! `visor.toml` text through `Manifest::parse`.
//!
//! Asserted: no panic; a refusal lists at least one problem; an accepted manifest keeps every
//! limit within `1..=Limits::MAX`, has a module name, a semver version that prints and parses
//! back, a `.wasm` entry inside its folder (never a native entry for an app), topic patterns
//! that parse back from their text, nothing under `shell/` without the shell capability, and
//! guest folders that are absolute; and the empty policy grants it nothing (see `grant`).

use std::path::Component;

use visor_manifest::manifest::{Entry, Limits, ModuleKind, Version};
use visor_manifest::{Manifest, ManifestError, Policy, TopicPattern};

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Manifest::parse(text, "fuzz") {
        Ok(manifest) => check(&manifest),
        Err(e) => {
            if let ManifestError::Invalid { problems, .. } = &e {
                assert!(!problems.is_empty(), "a manifest refused without a single problem named");
            }
            let _ = e.to_string();
        }
    }
}

/// What every accepted manifest holds (the policy target checks its manifests with it too).
pub fn check(m: &Manifest) {
    let (l, max) = (&m.limits, Limits::MAX);
    for (field, value, most) in [
        ("memory_mib", l.memory_mib, max.memory_mib),
        ("frame_cpu_ms", l.frame_cpu_ms, max.frame_cpu_ms),
        ("vertices", l.vertices, max.vertices),
        ("bus_messages_per_second", l.bus_messages_per_second, max.bus_messages_per_second),
        ("bus_queue_mib", l.bus_queue_mib, max.bus_queue_mib),
    ] {
        assert!((1..=most).contains(&value), "limits.{field} is {value}, outside 1..={most}");
    }
    let app = l.app_limits();
    assert!(u64::from(app.max_memory_mib) << 20 <= visor_manifest::limits::MAX_MEMORY_BYTES as u64);
    let _ = l.bus_queue_bytes();

    assert!(!m.name.is_empty() && m.name.len() <= 64, "name '{}'", m.name);
    assert_eq!(Version::parse(&m.version.to_string()).ok().as_ref(), Some(&m.version));
    assert_eq!(m.id(), format!("{}@{}", m.name, m.version));
    match &m.entry {
        Entry::Component(path) => {
            assert!(path.extension().is_some_and(|e| e == "wasm"), "entry.component {path:?} is not a .wasm file");
            assert!(
                path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)),
                "entry.component {path:?} leaves its folder"
            );
        }
        Entry::Native(_) => assert_ne!(m.kind, ModuleKind::App, "an app with a native entry"),
    }
    let caps = &m.capabilities;
    let patterns = caps.publish.iter().chain(&caps.subscribe).chain(&m.exports.topics).chain(&m.triggers.topics);
    for p in patterns {
        assert_eq!(TopicPattern::new(p.as_str()).as_ref(), Ok(p));
    }
    if !caps.shell {
        for p in caps.publish.iter().chain(&caps.subscribe) {
            assert_ne!(p.as_str().split('/').next(), Some("shell"), "'{p}' is under shell/ without the shell capability");
        }
    }
    for dir in &caps.dirs {
        assert!(dir.guest.starts_with('/') && !dir.guest.split('/').any(|s| s == ".."), "guest folder {:?}", dir.guest);
    }
    for target in &caps.network {
        let _ = target.allows("localhost");
        let _ = target.allows("10.0.0.1");
    }
    crate::grant::check(&Policy::default(), m);
}
