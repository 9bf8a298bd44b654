//! Vision served by another device, with local vision as the fallback: the profile's
//! `[network] offload = { vision = "edge", fallback = true }`.
//!
//! A few times a second ([`CHECK_EVERY`], asked each frame through [`tick`]), the offload
//! looks at who is on the network. While the named device is
//! there running `vision`, its faces arrive on this bus as from `vision@edge` and the local
//! vision library is stopped (started by a dependent app, it is stopped again). When that
//! device goes away, the local library starts if the profile allows and an app that depends on
//! it runs; when it comes back, the local one stops again. No restart either way.
//!
//! Every change is logged and published on `net/offload` ([`OffloadStatus`]), and the
//! simulator window's overlay shows it ([`Offload::line`]).

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use visor_net::Bridge;
use visor_runtime::AppStatus;
use visor_runtime::bus::{BusCapabilities, Endpoint, ModuleRef, Payload, Topic, TopicPattern};
use visor_runtime::manifest::Dependency;
use visor_runtime::modules::ModuleHost;
use visor_types::profile::OffloadConfig;

/// Where offload changes are published.
pub const OFFLOAD_TOPIC: &str = "net/offload";

/// The library module offloaded.
const VISION: &str = "vision";

/// How often the network is looked at: peers come and go over seconds, frames every few ms.
pub const CHECK_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// The network's part of a frame: vision moves between the offload device and this shell as
/// that device comes and goes (nothing without a network or an offload).
pub fn tick(offload: Option<&mut Offload>, bridge: Option<&Bridge>, host: &mut ModuleHost) {
    if let (Some(offload), Some(bridge)) = (offload, bridge) {
        offload.tick(bridge, host);
    }
}

/// Who serves vision to this shell now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServedBy {
    /// The offload device.
    Remote,
    /// This shell's own library: the offload device is away.
    Local,
    /// Nobody: the offload device is away and the profile allows no fallback (or no app needs it).
    Nobody,
}

/// What is published on [`OFFLOAD_TOPIC`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OffloadStatus {
    pub module: String,
    pub device: String,
    pub served_by: ServedBy,
}

pub struct Offload {
    config: OffloadConfig,
    served_by: Option<ServedBy>,
    endpoint: Endpoint,
    checked: Option<std::time::Instant>,
}

impl Offload {
    /// Watches for `config.vision` on `host`'s bus.
    pub fn new(config: OffloadConfig, host: &ModuleHost) -> Offload {
        let caps = BusCapabilities {
            publish: vec![TopicPattern::from_str(OFFLOAD_TOPIC).expect("a valid pattern")],
            messages_per_second: 100,
            ..BusCapabilities::none()
        };
        let endpoint = host.bus().endpoint(ModuleRef::new(u32::MAX - 2, "offload"), caps);
        Offload { config, served_by: None, endpoint, checked: None }
    }

    /// Who serves vision now, once the first tick has looked.
    pub fn served_by(&self) -> Option<ServedBy> {
        self.served_by
    }

    /// One line for an overlay.
    pub fn line(&self) -> String {
        match self.served_by {
            Some(ServedBy::Remote) => format!("vision on {}", self.config.vision),
            Some(ServedBy::Local) => format!("{} away: vision here", self.config.vision),
            Some(ServedBy::Nobody) => format!("{} away: no vision", self.config.vision),
            None => format!("vision: looking for {}", self.config.vision),
        }
    }

    /// Starts or stops the local library as the offload device comes and goes.
    pub fn tick(&mut self, bridge: &Bridge, host: &mut ModuleHost) {
        if self.checked.is_some_and(|at| at.elapsed() < CHECK_EVERY) {
            return;
        }
        self.checked = Some(std::time::Instant::now());
        let remote = bridge.runs(&self.config.vision, VISION);
        let local = host.find(VISION);
        let running = |host: &ModuleHost, id| host.info(id).is_some_and(|i| !matches!(i.status, AppStatus::Stopped | AppStatus::Failed(_)));
        let served_by = if remote {
            if let Some(id) = local.filter(|id| running(host, *id)) {
                let _ = host.stop(id);
            }
            ServedBy::Remote
        } else if self.config.fallback && local.is_some() && needed(host) {
            let id = local.expect("checked");
            if !running(host, id)
                && let Err(e) = host.start(id)
            {
                tracing::warn!("cannot fall back to local vision: {e}");
            }
            ServedBy::Local
        } else {
            ServedBy::Nobody
        };
        if self.served_by != Some(served_by) {
            match served_by {
                ServedBy::Remote => tracing::info!(device = %self.config.vision, "vision is served by the offload device"),
                ServedBy::Local => tracing::warn!(device = %self.config.vision, "the offload device is away; vision runs here"),
                ServedBy::Nobody => tracing::warn!(device = %self.config.vision, "the offload device is away; no vision"),
            }
            let status = OffloadStatus { module: VISION.into(), device: self.config.vision.clone(), served_by };
            if let Ok(payload) = Payload::json(&status)
                && let Err(e) = self.endpoint.publish(&Topic::new(OFFLOAD_TOPIC).expect("a valid topic"), payload)
            {
                tracing::debug!("{OFFLOAD_TOPIC}: {e}");
            }
            self.served_by = Some(served_by);
        }
    }
}

/// Whether a running module depends on vision.
fn needed(host: &ModuleHost) -> bool {
    host.list().iter().filter(|m| !matches!(m.status, AppStatus::Stopped | AppStatus::Failed(_))).any(|m| {
        host.manifest(m.id)
            .is_some_and(|manifest| manifest.depends.iter().any(|d| matches!(d, Dependency::Module { name, .. } if name == VISION)))
    })
}
