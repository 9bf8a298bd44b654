//! Who is on the network: each shell holds a liveliness token on `visor-peer/DEVICE` while it
//! runs and answers `visor-info/DEVICE` with a [`PeerInfo`]: its device name, version and the
//! modules it runs, each with what its manifest asks for. A receiving shell turns an advertised
//! module into a [`Manifest`] named `MODULE@DEVICE` and grants it through the user's policy
//! like any local module ([`remote_manifest`]).
//!
//! [`list_peers`] is `visor peers`: every live token, each peer's info and the round trip of
//! asking for it.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use visor_runtime::manifest::{Capabilities, Manifest};
use visor_runtime::policy::{Grant, Policy};
use zenoh::Wait;

use crate::{NetError, keys};

/// A module as its device advertises it: its name and what its manifest asks for.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AdvertisedModule {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub publish: Vec<String>,
    #[serde(default)]
    pub subscribe: Vec<String>,
    #[serde(default)]
    pub call: Vec<String>,
    #[serde(default)]
    pub devices: Vec<String>,
    /// Topics it answers requests on.
    #[serde(default)]
    pub exports: Vec<String>,
    /// Messages per second its manifest allows it (the default limit when not said).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages_per_second: Option<u32>,
}

impl AdvertisedModule {
    pub fn from_manifest(manifest: &Manifest) -> AdvertisedModule {
        let strings = |list: &[visor_runtime::bus::TopicPattern]| list.iter().map(|p| p.to_string()).collect();
        let caps = &manifest.capabilities;
        AdvertisedModule {
            name: manifest.name.clone(),
            kind: format!("{:?}", manifest.kind).to_lowercase(),
            publish: strings(&caps.publish),
            subscribe: strings(&caps.subscribe),
            call: caps.call.clone(),
            devices: caps.devices.iter().map(|d| d.name().to_string()).collect(),
            exports: strings(&manifest.exports.topics),
            messages_per_second: Some(manifest.limits.bus_messages_per_second),
        }
    }

    /// What a module asks for when it only has policy sections (a plain Zenoh client
    /// advertises nothing): exactly what they grant, together.
    pub fn from_grants<'a>(name: &str, grants: impl IntoIterator<Item = &'a Capabilities>) -> AdvertisedModule {
        let mut asked = AdvertisedModule { name: name.to_string(), kind: "library".into(), ..AdvertisedModule::default() };
        let add = |list: &mut Vec<String>, item: String| {
            if !list.contains(&item) {
                list.push(item);
            }
        };
        for caps in grants {
            caps.publish.iter().for_each(|p| add(&mut asked.publish, p.to_string()));
            caps.subscribe.iter().for_each(|p| add(&mut asked.subscribe, p.to_string()));
            caps.call.iter().for_each(|c| add(&mut asked.call, c.clone()));
            caps.devices.iter().for_each(|d| add(&mut asked.devices, d.name().to_string()));
        }
        asked
    }
}

/// What a shell says about itself on `visor-info/DEVICE`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PeerInfo {
    pub device: String,
    pub version: String,
    pub modules: Vec<AdvertisedModule>,
}

/// The manifest of `module`, running on `device`, as this shell sees it: named
/// `MODULE@DEVICE`, asking for what it advertised, checked by the same parser as any manifest
/// (a remote that advertises nonsense gets an error naming it, and no grant).
pub fn remote_manifest(device: &str, module: &AdvertisedModule) -> Result<Manifest, NetError> {
    let name = format!("{}@{device}", module.name);
    let mut doc = toml::Table::new();
    doc.insert("name".into(), "remote".into());
    doc.insert("version".into(), "0.0.0".into());
    doc.insert("kind".into(), "library".into());
    doc.insert("entry".into(), toml::Value::Table(toml::toml! { native = "remote" }));
    let list = |items: &[String]| toml::Value::Array(items.iter().map(|s| toml::Value::from(s.as_str())).collect());
    let mut exports = toml::Table::new();
    exports.insert("topics".into(), list(&module.exports));
    doc.insert("exports".into(), toml::Value::Table(exports));
    let mut caps = toml::Table::new();
    for (key, items) in
        [("publish", &module.publish), ("subscribe", &module.subscribe), ("call", &module.call), ("devices", &module.devices)]
    {
        caps.insert(key.into(), list(items));
    }
    doc.insert("capabilities".into(), toml::Value::Table(caps));
    if let Some(rate) = module.messages_per_second {
        let mut limits = toml::Table::new();
        limits.insert("bus_messages_per_second".into(), toml::Value::Integer(rate.into()));
        doc.insert("limits".into(), toml::Value::Table(limits));
    }
    let mut manifest =
        Manifest::parse(&doc.to_string(), &name).map_err(|e| NetError::Remote { who: name.clone(), message: e.to_string() })?;
    manifest.name = name;
    Ok(manifest)
}

/// The policy's entries for remote modules (`MODULE@DEVICE`, `*@DEVICE`), each with what it
/// grants when the module asks for exactly its entry: what the bridge subscribes to, exports
/// and lets through before any peer has said what it runs. Entries whose device part is not a
/// device name are skipped (the bridge says so once, at start).
pub fn remote_entries(policy: &Policy) -> impl Iterator<Item = (&str, Grant)> + '_ {
    policy.modules.iter().filter_map(|(name, caps)| {
        let (module, device) = name.split_once('@')?;
        if !visor_types::profile::valid_device_name(device) {
            return None;
        }
        let manifest = remote_manifest(device, &AdvertisedModule::from_grants(module, [caps])).ok()?;
        Some((device, policy.grant(&Manifest { name: name.clone(), ..manifest })))
    })
}

/// One peer as `visor peers` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct PeerReport {
    pub device: String,
    pub version: String,
    pub modules: Vec<String>,
    /// Round trip of asking for its info, in milliseconds; none when it did not answer.
    pub latency_ms: Option<f64>,
}

/// Fetches `device`'s info, timing the round trip.
pub fn fetch_info(session: &zenoh::Session, device: &str, timeout: Duration) -> Option<(PeerInfo, Duration)> {
    let started = Instant::now();
    let replies = session.get(keys::info(device)).timeout(timeout).wait().ok()?;
    let reply = replies.recv().ok()?;
    let elapsed = started.elapsed();
    let sample = reply.result().ok()?;
    let info: PeerInfo = serde_json::from_slice(&sample.payload().to_bytes()).ok()?;
    (info.device == device).then_some((info, elapsed))
}

/// The devices whose shells are live on `session`'s network, with their info and latency.
pub fn list_peers(session: &zenoh::Session, timeout: Duration) -> Result<Vec<PeerReport>, NetError> {
    let tokens = session
        .liveliness()
        .get(format!("{}/*", keys::PEER))
        .timeout(timeout)
        .wait()
        .map_err(|e| NetError::Zenoh { what: "asking who is live".into(), message: e.to_string() })?;
    let mut devices = Vec::new();
    while let Ok(reply) = tokens.recv() {
        if let Ok(sample) = reply.result()
            && let Some(device) = sample.key_expr().as_str().strip_prefix(keys::PEER).and_then(|r| r.strip_prefix('/'))
        {
            devices.push(device.to_string());
        }
    }
    devices.sort();
    devices.dedup();
    Ok(devices
        .into_iter()
        .map(|device| match fetch_info(session, &device, timeout) {
            Some((info, rtt)) => PeerReport {
                device,
                version: info.version,
                modules: info.modules.into_iter().map(|m| m.name).collect(),
                latency_ms: Some(rtt.as_secs_f64() * 1e3),
            },
            None => PeerReport { device, version: String::new(), modules: Vec::new(), latency_ms: None },
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advertised_modules_become_checked_manifests() {
        let vision = AdvertisedModule {
            name: "vision".into(),
            kind: "library".into(),
            publish: vec!["vision/faces".into()],
            subscribe: vec!["camera/frames".into()],
            devices: vec!["camera".into()],
            exports: vec!["vision/faces".into()],
            ..AdvertisedModule::default()
        };
        let manifest = remote_manifest("edge-1", &vision).unwrap();
        assert_eq!(manifest.name, "vision@edge-1");
        let back = AdvertisedModule::from_manifest(&manifest);
        assert_eq!(AdvertisedModule { name: "vision".into(), messages_per_second: None, ..back }, vision);
        assert_eq!(back.messages_per_second, Some(1000), "the default limit");
        let liar = AdvertisedModule { name: "x".into(), publish: vec!["Not A Topic".into()], ..AdvertisedModule::default() };
        let error = remote_manifest("edge-1", &liar).unwrap_err().to_string();
        assert!(error.contains("x@edge-1"), "{error}");
    }
}
