//! The user's policy: which of the capabilities that manifests ask for are granted.
//!
//! Deny by default: a module gets the intersection of what its manifest requests and what the
//! policy grants it (its own section plus `[defaults]`); everything else is denied, and the
//! denials are listed so the shell can tell the user once, at start.
//!
//! ```toml
//! [defaults]                 # granted to every module that asks
//! devices = ["display-layer"]
//!
//! [modules.face-tags]
//! publish = ["tags/#"]
//! subscribe = ["vision/#"]
//! call = ["vision"]
//! network = ["10.0.0.0/8"]
//! dirs = [{ host = "data", guest = "/data", mode = "ro" }]
//!
//! [install]                  # rules for installing from the internet (see `install`)
//! unknown_publishers = "deny"
//! ```
//!
//! Layout: this file (reading a policy, granting); `install` (the `[install]` rules); `write`
//! (writing a module's grants back into the file).

use std::collections::BTreeMap;
use std::path::Path;

use thiserror::Error;

use crate::manifest::{Capabilities, Device, Manifest, NetworkTarget};
use crate::topic::TopicPattern;

mod install;
mod write;

pub use install::{InstallRules, UNKNOWN_PUBLISHERS_SETTING, UnknownPublishers};
pub use write::{grant_section, set_module_grant};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Policy {
    pub defaults: Capabilities,
    pub modules: BTreeMap<String, Capabilities>,
    pub install: InstallRules,
}

#[derive(Debug, Error)]
pub enum PolicyError {
    #[error("cannot read policy {path}: {message}")]
    Read { path: String, message: String },
    #[error("policy {origin} is not valid: {message}")]
    Invalid { origin: String, message: String },
}

/// What a module may do after the policy, and what it asked for but may not.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Grant {
    pub effective: Capabilities,
    /// The topics it answers requests on: its manifest's exported topics, less those it may
    /// not serve (a wildcard root, `shell/` without the shell capability, a device's root
    /// without the device). Serving needs no grant of its own: what a module exports is its
    /// own API, and the bus still lets only one module serve a topic.
    pub serve: Vec<TopicPattern>,
    /// One line per refused request, e.g. "publish 'camera/raw'".
    pub denied: Vec<String>,
}

impl Policy {
    /// Parses a policy. Its sections have the shape of a manifest's `[capabilities]`.
    pub fn parse(text: &str, origin: &str) -> Result<Policy, PolicyError> {
        let table: toml::Table =
            text.parse().map_err(|e: toml::de::Error| PolicyError::Invalid { origin: origin.into(), message: e.to_string() })?;
        let section = |name: &str, value: &toml::Value| -> Result<Capabilities, PolicyError> {
            // Reuse the manifest's checking parser for the capability tables.
            let mut doc = toml::Table::new();
            doc.insert("name".into(), "policy".into());
            doc.insert("version".into(), "0.0.0".into());
            doc.insert("kind".into(), "library".into());
            doc.insert("entry".into(), toml::Value::Table(toml::toml! { native = "policy" }));
            doc.insert("capabilities".into(), value.clone());
            Manifest::parse(&doc.to_string(), &format!("{origin} [{name}]"))
                .map(|m| m.capabilities)
                .map_err(|e| PolicyError::Invalid { origin: origin.into(), message: e.to_string() })
        };
        let mut policy = Policy::default();
        for (key, value) in &table {
            match key.as_str() {
                "defaults" => policy.defaults = section("defaults", value)?,
                "install" => policy.install = InstallRules::parse(value, origin)?,
                "modules" => {
                    let Some(modules) = value.as_table() else {
                        return Err(PolicyError::Invalid {
                            origin: origin.into(),
                            message: "`modules` should be a table of [modules.NAME] sections".into(),
                        });
                    };
                    for (name, caps) in modules {
                        policy.modules.insert(name.clone(), section(&format!("modules.{name}"), caps)?);
                    }
                }
                other => {
                    return Err(PolicyError::Invalid {
                        origin: origin.into(),
                        message: format!("unknown section `{other}`; a policy has [defaults], [modules.NAME] and [install]"),
                    });
                }
            }
        }
        Ok(policy)
    }

    /// Loads a policy file; a missing file is the empty policy (everything denied).
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, &path.display().to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Policy::default()),
            Err(e) => Err(PolicyError::Read { path: path.display().to_string(), message: e.to_string() }),
        }
    }

    /// Grants `module` everything, as asked: for trusted local development only.
    pub fn allow_all(&mut self, manifest: &Manifest) {
        self.modules.insert(manifest.name.clone(), manifest.capabilities.clone());
    }

    /// What `manifest` may do under this policy: its own section and `[defaults]`.
    pub fn grant(&self, manifest: &Manifest) -> Grant {
        self.grant_under(manifest, &[&manifest.name])
    }

    /// What `manifest` may do under the named `[modules.NAME]` sections together (those the
    /// policy has) and `[defaults]`: a remote module `vision@edge` is granted by its own
    /// section and by its device's `*@edge` alike, so neither hides the other.
    pub fn grant_under(&self, manifest: &Manifest, sections: &[&str]) -> Grant {
        let sources: Vec<&Capabilities> = sections.iter().filter_map(|name| self.modules.get(*name)).chain([&self.defaults]).collect();
        let asked = &manifest.capabilities;
        let mut grant = Grant::default();
        let (e, denied) = (&mut grant.effective, &mut grant.denied);

        for (what, requested, out) in [("publish", &asked.publish, &mut e.publish), ("subscribe", &asked.subscribe, &mut e.subscribe)] {
            for pattern in requested {
                let granted = sources.iter().any(|s| {
                    let list = if what == "publish" { &s.publish } else { &s.subscribe };
                    list.iter().any(|g| g.covers(pattern))
                });
                keep(granted, pattern.clone(), out, denied, || format!("{what} '{pattern}'"));
            }
        }
        for name in &asked.call {
            let granted = sources.iter().any(|s| s.call.contains(name));
            keep(granted, name.clone(), &mut e.call, denied, || format!("call '{name}'"));
        }
        for device in &asked.devices {
            let granted = sources.iter().any(|s| s.devices.contains(device));
            keep(granted, *device, &mut e.devices, denied, || format!("device '{}'", device.name()));
        }
        for target in &asked.network {
            let granted = sources.iter().any(|s| s.network.iter().any(|g| network_covers(g, target)));
            keep(granted, target.clone(), &mut e.network, denied, || format!("network '{target:?}'"));
        }
        for dir in &asked.dirs {
            let best = sources.iter().flat_map(|s| &s.dirs).filter(|g| g.host == dir.host && g.guest == dir.guest).map(|g| g.mode).max();
            match best {
                None => denied.push(format!("dir '{}' at '{}'", dir.host.display(), dir.guest)),
                Some(mode) => {
                    // Read-write asked, read-only granted: the module gets read-only.
                    let mode = mode.min(dir.mode);
                    if mode != dir.mode {
                        denied.push(format!("writing dir '{}' (granted read-only)", dir.host.display()));
                    }
                    e.dirs.push(crate::manifest::DirGrant { mode, ..dir.clone() });
                }
            }
        }
        // A device's data travels on the bus under its own root (`camera/frames`, `pose/head`):
        // a pattern that can reach that root needs the device, whatever the topic grants say,
        // so granting a topic never hands out the camera or the head pose by the back door.
        for (device, root) in DEVICE_TOPICS {
            if !e.devices.contains(&device) {
                for (what, list) in [("publish", &mut e.publish), ("subscribe", &mut e.subscribe)] {
                    list.retain(|pattern| {
                        let reaches = needs_root(pattern.as_str(), root);
                        if reaches {
                            denied.push(format!("{what} '{pattern}' (it reaches {root}/, which needs the '{}' device)", device.name()));
                        }
                        !reaches
                    });
                }
            }
        }
        let shell = sources.iter().any(|s| s.shell);
        if asked.shell {
            keep(shell, true, &mut Vec::new(), denied, || "the shell capability".into());
            e.shell = shell;
        }
        grant.serve = servable(&manifest.exports.topics, &grant.effective, &mut grant.denied);
        grant
    }
}

/// The exported topics a module may answer requests on, under its effective capabilities.
fn servable(exports: &[TopicPattern], effective: &Capabilities, denied: &mut Vec<String>) -> Vec<TopicPattern> {
    let mut serve = Vec::new();
    for pattern in exports {
        let first = pattern.as_str().split('/').next().unwrap_or_default();
        // The most specific root the pattern sits under: camera/depth before camera.
        let device = DEVICE_TOPICS.iter().rev().find(|(_, root)| under_root(pattern.as_str(), root)).map(|(d, _)| *d);
        let refused = match first {
            "+" | "#" => Some("a module serves topics under a root of its own, not a wildcard".to_string()),
            "shell" if !effective.shell => Some("shell/ needs the shell capability".to_string()),
            _ => device.filter(|d| !effective.devices.contains(d)).map(|d| format!("{first}/ needs the '{}' device", d.name())),
        };
        match refused {
            Some(why) => denied.push(format!("serving '{pattern}' ({why})")),
            None => serve.push(pattern.clone()),
        }
    }
    serve
}

/// The bus roots that carry a device's data. `camera/depth` sits under the camera's root but
/// needs its own device: depth is the shape of the room, more than the picture gives away.
const DEVICE_TOPICS: [(Device, &str); 4] =
    [(Device::Camera, "camera"), (Device::Pose, "pose"), (Device::Glasses, "glasses"), (Device::Depth, "camera/depth")];

/// Whether some topic `pattern` matches lies at or under `root` (`camera/#` reaches
/// `camera/depth`; `+/frames` reaches `camera`, as `camera/frames`).
fn reaches_root(pattern: &str, root: &str) -> bool {
    let mut segments = pattern.split('/');
    for want in root.split('/') {
        match segments.next() {
            Some("#") => return true,
            Some("+") => {}
            Some(segment) if segment == want => {}
            // The pattern ends above the root, or turns elsewhere.
            _ => return false,
        }
    }
    true
}

/// Whether `pattern` needs the device of `root`: it reaches the root, and is not wholly under a
/// narrower root with a device of its own (`camera/depth` needs only the depth device).
fn needs_root(pattern: &str, root: &str) -> bool {
    reaches_root(pattern, root)
        && !DEVICE_TOPICS
            .iter()
            .any(|(_, narrower)| narrower.len() > root.len() && narrower.starts_with(root) && under_root(pattern, narrower))
}

/// Whether `pattern` is under `root` by name (no wildcard standing in for the root's segments).
fn under_root(pattern: &str, root: &str) -> bool {
    pattern == root || pattern.strip_prefix(root).is_some_and(|rest| rest.starts_with('/'))
}

fn keep<T>(granted: bool, item: T, out: &mut Vec<T>, denied: &mut Vec<String>, describe: impl FnOnce() -> String) {
    if granted {
        out.push(item);
    } else {
        denied.push(describe());
    }
}

fn network_covers(granted: &NetworkTarget, requested: &NetworkTarget) -> bool {
    match (granted, requested) {
        (NetworkTarget::Host(g), NetworkTarget::Host(r)) => g.eq_ignore_ascii_case(r),
        (NetworkTarget::Net(g), NetworkTarget::Net(r)) => g.contains(r),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;
    use crate::manifest::DirMode;
    use crate::topic::TopicPattern;

    fn p(s: &str) -> TopicPattern {
        TopicPattern::from_str(s).unwrap()
    }

    #[test]
    fn pattern_coverage() {
        assert!(p("vision/#").covers(&p("vision/faces")));
        assert!(p("vision/#").covers(&p("vision/+/x")));
        assert!(p("camera/+").covers(&p("camera/left")));
        assert!(p("camera/+").covers(&p("camera/+")));
        assert!(!p("camera/left").covers(&p("camera/+")));
        assert!(!p("camera/+").covers(&p("camera/#")));
        assert!(!p("camera/+").covers(&p("camera/left/raw")));
        assert!(!p("a/b").covers(&p("a")));
    }

    #[test]
    fn only_what_is_both_asked_and_granted_is_effective() {
        let manifest = Manifest::parse(
            r#"
            name = "m"
            version = "1.0.0"
            kind = "app"
            entry = { component = "m.wasm" }
            [capabilities]
            publish = ["tags/faces", "camera/raw"]
            subscribe = ["vision/faces"]
            devices = ["camera", "display-layer"]
            network = ["10.1.0.0/16", "evil.example"]
            dirs = [{ host = "data", guest = "/data", mode = "rw" }]
            shell = true
            "#,
            "m",
        )
        .unwrap();
        let policy = Policy::parse(
            r#"
            [defaults]
            devices = ["display-layer"]
            [modules.m]
            publish = ["tags/#"]
            subscribe = ["vision/+"]
            network = ["10.0.0.0/8"]
            dirs = [{ host = "data", guest = "/data", mode = "ro" }]
            "#,
            "policy",
        )
        .unwrap();
        let grant = policy.grant(&manifest);
        assert_eq!(grant.effective.publish, vec![p("tags/faces")]);
        assert_eq!(grant.effective.subscribe, vec![p("vision/faces")]);
        assert_eq!(grant.effective.devices, vec![crate::manifest::Device::DisplayLayer]);
        assert_eq!(grant.effective.network.len(), 1);
        assert_eq!(grant.effective.dirs[0].mode, DirMode::ReadOnly);
        assert!(!grant.effective.shell);
        for d in ["publish 'camera/raw'", "device 'camera'", "evil.example", "writing dir 'data'", "the shell capability"] {
            assert!(grant.denied.iter().any(|x| x.contains(d)), "{d} denied: {:?}", grant.denied);
        }
    }

    #[test]
    fn the_empty_policy_denies_everything() {
        let manifest = Manifest::parse(
            "name = \"m\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = { component = \"m.wasm\" }\n[capabilities]\npublish = [\"x\"]",
            "m",
        )
        .unwrap();
        let grant = Policy::default().grant(&manifest);
        assert!(grant.effective.publish.is_empty());
        assert_eq!(grant.denied, vec!["publish 'x'".to_string()]);
    }

    #[test]
    fn topics_of_a_device_need_the_device() {
        let policy = Policy::parse(
            "[modules.app]\nsubscribe = [\"camera/#\", \"pose/head\", \"#\", \"news/#\"]\npublish = [\"camera/frames\"]\n",
            "test",
        )
        .unwrap();
        let manifest = Manifest::parse(
            "name = \"app\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = { component = \"a.wasm\" }\n\
             [capabilities]\nsubscribe = [\"camera/frames\", \"pose/head\", \"#\", \"news/today\"]\npublish = [\"camera/frames\"]\n",
            "app",
        )
        .unwrap();
        let grant = policy.grant(&manifest);
        assert_eq!(grant.effective.subscribe, vec![p("news/today")], "{:?}", grant.denied);
        assert!(grant.effective.publish.is_empty(), "no forged camera frames");
        for needle in ["subscribe 'camera/frames'", "subscribe 'pose/head'", "subscribe '#'", "publish 'camera/frames'"] {
            assert!(grant.denied.iter().any(|d| d.starts_with(needle) && d.contains("device")), "{needle}: {:?}", grant.denied);
        }

        let with_devices =
            Policy::parse("[modules.app]\nsubscribe = [\"camera/#\", \"pose/head\"]\ndevices = [\"camera\", \"pose\"]\n", "test").unwrap();
        let manifest = Manifest::parse(
            "name = \"app\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = { component = \"a.wasm\" }\n\
             [capabilities]\nsubscribe = [\"camera/frames\", \"pose/head\"]\ndevices = [\"camera\", \"pose\"]\n",
            "app",
        )
        .unwrap();
        assert_eq!(with_devices.grant(&manifest).effective.subscribe, vec![p("camera/frames"), p("pose/head")]);
    }

    #[test]
    fn depth_needs_the_depth_device_and_only_it() {
        let policy = Policy::parse(
            "[modules.app]\nsubscribe = [\"camera/#\"]\ndevices = [\"camera\", \"depth\"]\n\
             [modules.mapper]\nsubscribe = [\"camera/#\"]\ndevices = [\"depth\"]\n",
            "test",
        )
        .unwrap();
        let manifest = |name: &str, devices: &str| {
            Manifest::parse(
                &format!(
                    "name = \"{name}\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = {{ component = \"a.wasm\" }}\n\
                     [capabilities]\nsubscribe = [\"camera/frames\", \"camera/depth\", \"camera/#\"]\ndevices = [{devices}]\n"
                ),
                name,
            )
            .unwrap()
        };
        // The camera without depth: the picture, but neither the depth nor a pattern reaching it.
        let grant = policy.grant(&manifest("app", "\"camera\""));
        assert_eq!(grant.effective.subscribe, vec![p("camera/frames")], "{:?}", grant.denied);
        assert!(
            grant.denied.iter().any(|d| d.starts_with("subscribe 'camera/depth'") && d.contains("'depth' device")),
            "{:?}",
            grant.denied
        );
        assert!(grant.denied.iter().any(|d| d.starts_with("subscribe 'camera/#'")), "{:?}", grant.denied);
        // Both devices: everything asked.
        let grant = policy.grant(&manifest("app", "\"camera\", \"depth\""));
        assert_eq!(grant.effective.subscribe.len(), 3, "{:?}", grant.denied);
        // Depth alone: the depth, not the picture.
        let grant = policy.grant(&manifest("mapper", "\"depth\""));
        assert_eq!(grant.effective.subscribe, vec![p("camera/depth")], "{:?}", grant.denied);
    }

    /// A remote module's own section and its device's `*@DEVICE` section grant together: the
    /// README's offload policy gives `vision@edge` faces from one and the camera from the other.
    #[test]
    fn named_sections_grant_together() {
        let policy = Policy::parse(
            "[modules.\"vision@edge\"]\npublish = [\"vision/faces\"]\n\
             [modules.\"*@edge\"]\nsubscribe = [\"camera/frames\"]\ncall = [\"camera\"]\ndevices = [\"camera\"]\n",
            "test",
        )
        .unwrap();
        let manifest = Manifest::parse(
            "name = \"vision\"\nversion = \"1.0.0\"\nkind = \"library\"\nentry = { native = \"vision\" }\n\
             [capabilities]\npublish = [\"vision/faces\", \"camera/describe\"]\nsubscribe = [\"camera/frames\"]\n\
             call = [\"camera\"]\ndevices = [\"camera\"]\n",
            "vision",
        )
        .unwrap();
        // As the bridge names it: remote modules are MODULE@DEVICE.
        let manifest = Manifest { name: "vision@edge".into(), ..manifest };
        let alone = policy.grant(&manifest);
        assert_eq!(alone.effective.publish, vec![p("vision/faces")]);
        assert!(alone.effective.call.is_empty() && alone.effective.subscribe.is_empty(), "{:?}", alone.effective);
        let together = policy.grant_under(&manifest, &["vision@edge", "*@edge", "not-in-the-policy"]);
        assert_eq!(together.effective.publish, vec![p("vision/faces")]);
        assert_eq!(together.effective.subscribe, vec![p("camera/frames")]);
        assert_eq!(together.effective.call, vec!["camera".to_string()]);
        assert_eq!(together.effective.devices, vec![crate::manifest::Device::Camera]);
        assert_eq!(together.denied, vec!["publish 'camera/describe'".to_string()]);
    }

    #[test]
    fn a_module_serves_its_exports_under_roots_it_may_reach() {
        let manifest = Manifest::parse(
            "name = \"app\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = { component = \"a.wasm\" }\n\
             exports = { topics = [\"app/rpc\", \"camera/describe\", \"shell/cmd\", \"+/rpc\"] }\n",
            "app",
        )
        .unwrap();
        let grant = Policy::default().grant(&manifest);
        assert_eq!(grant.serve, vec![p("app/rpc")], "{:?}", grant.denied);
        for needle in ["serving 'camera/describe' (camera/ needs the 'camera' device)", "serving 'shell/cmd'", "serving '+/rpc'"] {
            assert!(grant.denied.iter().any(|d| d.starts_with(needle)), "{needle}: {:?}", grant.denied);
        }
    }
}
