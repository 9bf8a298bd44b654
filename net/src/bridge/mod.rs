//! [`Bridge`]: this shell's bus on a Zenoh network.
//!
//! Data flow, with this device `glasses` and a peer `edge`:
//!
//! - **Out** (`export`): topics some remote module is granted to subscribe to (the user's
//!   policy, `[modules."MODULE@DEVICE"] subscribe = …`) are the exports. The bridge's own
//!   endpoint (`net`) subscribes to them and puts each message on `visor/glasses/TOPIC`, encoded
//!   per [`crate::wire`], once some peer listens (frames are not encoded for nobody). Messages
//!   that came in from the network are never sent back out.
//! - **In** (`import`): for every remote module the policy grants to publish, the bridge
//!   subscribes to `visor/DEVICE/PATTERN`. A sample's sender is `MODULE@DEVICE` (the module its
//!   host stamped, or `zenoh` for a plain client); it publishes through a proxy endpoint of that
//!   name, whose grants are its advertised manifest ∩ the policy. Without a policy entry the
//!   sample is refused and counted; the bus refuses what the grants do not cover.
//! - **Requests** (`request`): a proxy serves on this bus what its module exports on its own
//!   device, forwarding each request as a Zenoh query to `visor-req/DEVICE/glasses/TOPIC`; a
//!   query from a peer is asked on this bus through the asking module's proxy, so the same
//!   grants decide.
//! - **Peers** (`crate::peers`): a liveliness token and an info queryable say this shell is
//!   here; the peers' tokens coming and going are published on `net/peers` ([`PeerStatus`]).
//!
//! Zenoh's callbacks never block and never allocate without bound: each hands its sample to a
//! bounded queue that a bridge thread drains; a flood fills the queue and is dropped, counted.

mod export;
mod import;
mod request;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use visor_runtime::bus::{Bus, BusCapabilities, Endpoint, ModuleRef, Payload, Topic, TopicPattern};
use visor_runtime::manifest::Capabilities;
use visor_runtime::policy::Policy;
use visor_types::profile::{FrameEncoding, NetworkConfig};
use zenoh::Wait;
use zenoh::sample::SampleKind;

use crate::peers::{AdvertisedModule, PeerInfo, remote_manifest};
use crate::{NetError, keys};

/// Where the bridge publishes peers arriving and leaving ([`PeerStatus`]).
pub const PEERS_TOPIC: &str = "net/peers";

/// Module ids of proxies start here, clear of the ids the module host hands out.
const PROXY_IDS: u32 = 1 << 31;

/// Samples waiting for a bridge thread, per direction; more are dropped and counted.
const INBOX: usize = 256;

/// How long a forwarded request waits for its answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// A Zenoh declaration (subscriber, queryable) kept alive by the bridge.
type Declaration = Box<dyn std::any::Any + Send>;

/// A peer arriving or leaving, as published on [`PEERS_TOPIC`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeerStatus {
    pub device: String,
    pub present: bool,
    /// The modules it runs (empty when it left or did not say).
    pub modules: Vec<String>,
    /// Round trip of asking it what it runs, in milliseconds (asked on arrival and every
    /// [`PEER_REFRESH`]); none when it left or did not answer.
    #[serde(default)]
    pub latency_ms: Option<f64>,
}

/// How often live peers are asked again what they run (and so how far away they are).
pub const PEER_REFRESH: Duration = Duration::from_secs(5);

/// What the bridge has done, for the admin panel, the bench and the tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BridgeStats {
    pub sent: u64,
    pub received: u64,
    /// Samples from senders the policy does not name, or that their grants do not cover.
    pub refused: u64,
    /// Samples that did not decode, or overflowed a bridge queue.
    pub dropped: u64,
    pub requests_forwarded: u64,
    pub requests_answered: u64,
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    received: AtomicU64,
    refused: AtomicU64,
    dropped: AtomicU64,
    requests_forwarded: AtomicU64,
    requests_answered: AtomicU64,
}

/// This shell's bus on the network, until dropped.
pub struct Bridge {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
    // Declarations live as long as the bridge.
    _token: zenoh::liveliness::LivelinessToken,
    _declared: Vec<Declaration>,
}

/// What the bridge's threads share.
struct Shared {
    device: String,
    session: zenoh::Session,
    bus: Bus,
    policy: Policy,
    network: NetworkConfig,
    /// The bridge's own endpoint: subscribes to the exports, publishes [`PEERS_TOPIC`].
    endpoint: Endpoint,
    /// Remote modules by `MODULE@DEVICE`, made on first use.
    proxies: Mutex<HashMap<String, Arc<Proxy>>>,
    /// What each live peer advertised.
    peers: RwLock<BTreeMap<String, PeerInfo>>,
    /// Refusals already logged (each sender once).
    refusals: Mutex<HashSet<String>>,
    next_id: AtomicU32,
    counters: Counters,
    stop: AtomicBool,
}

/// A remote module on this bus.
struct Proxy {
    endpoint: Endpoint,
    device: String,
    module: String,
    /// Set when its device leaves: its threads end and it serves nothing more.
    gone: AtomicBool,
}

impl Bridge {
    /// Joins the network `network` describes as `device`, bridging `bus` under `policy`;
    /// `modules` are the local modules this shell advertises.
    pub fn start(
        bus: Bus,
        device: &str,
        network: NetworkConfig,
        policy: Policy,
        modules: Vec<AdvertisedModule>,
    ) -> Result<Bridge, NetError> {
        if !visor_types::profile::valid_device_name(device) {
            return Err(NetError::Device { name: device.to_string() });
        }
        let keep = network
            .keep
            .iter()
            .map(|k| TopicPattern::from_str(k).map_err(|e| NetError::Config { key: "network.keep".into(), message: e.to_string() }))
            .collect::<Result<Vec<_>, _>>()?;
        let mut config = crate::config::zenoh_config(&network)?;
        if network.auth.as_ref().is_some_and(|a| a.users_file.is_some()) {
            let acl = crate::acl::access_control(device, &policy).to_string();
            config
                .insert_json5("access_control", &acl)
                .map_err(|e| NetError::Config { key: "access_control".into(), message: e.to_string() })?;
        }
        let session = zenoh::open(config)
            .wait()
            .map_err(|e| NetError::Zenoh { what: format!("opening the network as {device}"), message: e.to_string() })?;
        for name in policy.modules.keys().filter(|n| n.split_once('@').is_some_and(|(_, d)| !visor_types::profile::valid_device_name(d))) {
            tracing::warn!(entry = %name, "policy entry ignored: name a device as MODULE@DEVICE (letters, digits, '-', '_')");
        }
        let exports = exports_of(&policy);
        let caps = BusCapabilities {
            subscribe: exports.clone(),
            publish: vec![TopicPattern::from_str("net/#").expect("a valid pattern")],
            messages_per_second: 10_000,
            ..BusCapabilities::none()
        };
        let endpoint = bus.endpoint(ModuleRef::new(PROXY_IDS - 1, "net"), caps);
        let shared = Arc::new(Shared {
            device: device.to_string(),
            session: session.clone(),
            bus,
            policy,
            network,
            endpoint,
            proxies: Mutex::new(HashMap::new()),
            peers: RwLock::new(BTreeMap::new()),
            refusals: Mutex::new(HashSet::new()),
            next_id: AtomicU32::new(PROXY_IDS),
            counters: Counters::default(),
            stop: AtomicBool::new(false),
        });
        // Threads started before a later step fails must not outlive the failed start.
        let started = StopOnDrop(Some(shared.clone()));
        let zerr = |what: &str| {
            let what = what.to_string();
            move |e: zenoh::Error| NetError::Zenoh { what: what.clone(), message: e.to_string() }
        };
        let mut declared: Vec<Declaration> = Vec::new();
        let mut threads = Vec::new();

        let info = PeerInfo { device: device.to_string(), version: env!("CARGO_PKG_VERSION").to_string(), modules };
        let info = serde_json::to_vec(&info).unwrap_or_default();
        let queryable = session
            .declare_queryable(keys::info(device))
            .callback(move |query| {
                let _ = query.reply(query.key_expr().clone(), info.clone()).encoding(zenoh::bytes::Encoding::APPLICATION_JSON).wait();
            })
            .wait()
            .map_err(zerr("declaring this shell's info"))?;
        declared.push(Box::new(queryable));

        let watcher = shared.clone();
        let (peer_tx, peer_rx) = crossbeam_channel::bounded::<(String, bool)>(INBOX);
        let liveliness = session
            .liveliness()
            .declare_subscriber(format!("{}/*", keys::PEER))
            .history(true)
            .callback(move |sample| {
                let key = sample.key_expr().as_str();
                if let Some(device) = key.strip_prefix(keys::PEER).and_then(|k| k.strip_prefix('/')) {
                    let _ = peer_tx.try_send((device.to_string(), sample.kind() == SampleKind::Put));
                }
            })
            .wait()
            .map_err(zerr("watching for peers"))?;
        declared.push(Box::new(liveliness));
        threads.push(spawn("visor-net-peers", move || watcher.watch_peers(&peer_rx)));

        threads.extend(export::start(&shared, &exports, &keep)?);
        let (subscribers, importers) = import::start(&shared)?;
        declared.extend(subscribers);
        threads.extend(importers);
        let (queryable, servers) = request::serve(&shared)?;
        declared.push(queryable);
        threads.extend(servers);

        let token = session.liveliness().declare_token(keys::peer(device)).wait().map_err(zerr("announcing this shell"))?;
        tracing::info!(
            device,
            exports = ?exports.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            zid = %session.zid(),
            "joined the network"
        );
        started.disarm();
        Ok(Bridge { shared, threads, _token: token, _declared: declared })
    }

    pub fn device(&self) -> &str {
        &self.shared.device
    }

    pub fn session(&self) -> &zenoh::Session {
        &self.shared.session
    }

    pub fn stats(&self) -> BridgeStats {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        BridgeStats {
            sent: get(&c.sent),
            received: get(&c.received),
            refused: get(&c.refused),
            dropped: get(&c.dropped),
            requests_forwarded: get(&c.requests_forwarded),
            requests_answered: get(&c.requests_answered),
        }
    }

    /// Whether `device` is live and says it runs `module`; reads in place, cheap enough for a
    /// frame loop.
    pub fn runs(&self, device: &str, module: &str) -> bool {
        let peers = self.shared.peers.read().unwrap_or_else(|p| p.into_inner());
        peers.get(device).is_some_and(|info| info.modules.iter().any(|m| m.name == module))
    }

    /// The peers live now, with what they advertised.
    pub fn peers(&self) -> Vec<PeerInfo> {
        self.shared.peers.read().unwrap_or_else(|p| p.into_inner()).values().cloned().collect()
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        if let Err(e) = self.shared.session.close().wait() {
            tracing::debug!("closing the network session: {e}");
        }
    }
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn frame_encoding(&self, topic: &Topic) -> FrameEncoding {
        self.network.frames.get(topic.as_str()).copied().unwrap_or_default()
    }

    /// The proxy of `module` on `device`, made on first use if the policy names it
    /// (`MODULE@DEVICE`, else `*@DEVICE`); none means refused.
    fn proxy(self: &Arc<Self>, device: &str, module: &str) -> Option<Arc<Proxy>> {
        let name = format!("{module}@{device}");
        // Held while the proxy is made: two threads meeting the same new module (a request and
        // its device's arrival) make one proxy, and `arrived` cannot miss one being made with
        // the grants of before it.
        let mut proxies = self.proxies.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(proxy) = proxies.get(&name) {
            return Some(proxy.clone());
        }
        let (caps, budget) = self.grant(device, module)?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let endpoint = self.bus.endpoint(ModuleRef::new(id, name.as_str()), caps);
        endpoint.budget().set_limit(budget);
        let proxy = Arc::new(Proxy { endpoint, device: device.to_string(), module: module.to_string(), gone: AtomicBool::new(false) });
        request::forward_served(self, &proxy);
        tracing::info!(module = %name, "remote module joined the bus");
        proxies.insert(name, proxy.clone());
        Some(proxy)
    }

    /// The policy sections that grant `module` on `device`, by name: `MODULE@DEVICE` and
    /// `*@DEVICE`, those the policy has; both apply.
    fn sections(&self, device: &str, module: &str) -> Vec<(&str, &Capabilities)> {
        [format!("{module}@{device}"), format!("*@{device}")]
            .iter()
            .filter_map(|name| self.policy.modules.get_key_value(name))
            .map(|(name, caps)| (name.as_str(), caps))
            .collect()
    }

    /// What `module` on `device` may do here, and the bytes its queues may hold: what its
    /// device advertised (or, before that or for a plain client, what its policy sections
    /// grant) ∩ its sections of the policy. None when the policy has no section for it.
    fn grant(&self, device: &str, module: &str) -> Option<(BusCapabilities, u64)> {
        let name = format!("{module}@{device}");
        let sections = self.sections(device, module);
        if sections.is_empty() || !visor_types::profile::valid_device_name(module) {
            self.refuse(&name, "the policy has no entry for it; add [modules.\"MODULE@DEVICE\"] to grant it");
            return None;
        }
        let peers = self.peers.read().unwrap_or_else(|p| p.into_inner());
        let advertised = peers.get(device).and_then(|info| info.modules.iter().find(|m| m.name == module).cloned());
        drop(peers);
        let asked = advertised.unwrap_or_else(|| AdvertisedModule::from_grants(module, sections.iter().map(|&(_, caps)| caps)));
        let manifest = match remote_manifest(device, &asked) {
            Ok(manifest) => manifest,
            Err(e) => {
                self.refuse(&name, &e.to_string());
                return None;
            }
        };
        let names: Vec<&str> = sections.iter().map(|&(name, _)| name).collect();
        let grant = self.policy.grant_under(&manifest, &names);
        if !grant.denied.is_empty() {
            tracing::info!(module = %name, denied = ?grant.denied, "remote module granted less than it asks");
        }
        let mut caps = visor_runtime::modules::bus_capabilities(&grant, &manifest);
        caps.shell = false;
        // Serving a topic means receiving its requests.
        caps.subscribe.extend(caps.serve.iter().cloned());
        Some((caps, manifest.limits.bus_queue_bytes()))
    }

    fn refuse(&self, who: &str, why: &str) {
        self.counters.refused.fetch_add(1, Ordering::Relaxed);
        let mut seen = self.refusals.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() < 256 && seen.insert(who.to_string()) {
            tracing::warn!(remote = who, "refused: {why}");
        }
    }

    fn watch_peers(self: &Arc<Self>, events: &crossbeam_channel::Receiver<(String, bool)>) {
        let mut refreshed = std::time::Instant::now();
        while !self.stopped() {
            if refreshed.elapsed() >= PEER_REFRESH {
                refreshed = std::time::Instant::now();
                let live: Vec<String> = self.peers.read().unwrap_or_else(|p| p.into_inner()).keys().cloned().collect();
                for device in live {
                    let latency = crate::peers::fetch_info(&self.session, &device, REQUEST_TIMEOUT).map(|(info, rtt)| {
                        let names = info.modules.iter().map(|m| m.name.clone()).collect();
                        (names, rtt.as_secs_f64() * 1e3)
                    });
                    if let Some((modules, ms)) = latency {
                        self.announce(PeerStatus { device, present: true, modules, latency_ms: Some(ms) });
                    }
                }
            }
            let Ok((device, present)) = events.recv_timeout(Duration::from_millis(100)) else { continue };
            if device == self.device {
                continue;
            }
            let status = if present { self.arrived(device) } else { self.left(device) };
            self.announce(status);
        }
    }

    fn arrived(self: &Arc<Self>, device: String) -> PeerStatus {
        let fetched = crate::peers::fetch_info(&self.session, &device, REQUEST_TIMEOUT);
        let latency_ms = fetched.as_ref().map(|(_, rtt)| rtt.as_secs_f64() * 1e3);
        let info = fetched.map(|(info, _)| info).unwrap_or_else(|| PeerInfo { device: device.clone(), ..PeerInfo::default() });
        let names: Vec<String> = info.modules.iter().map(|m| m.name.clone()).collect();
        self.peers.write().unwrap_or_else(|p| p.into_inner()).insert(device.clone(), info);
        tracing::info!(peer = %device, modules = ?names, "peer arrived");
        // Proxies made before it said what it runs (from their policy entries) now get the
        // grants of what it advertised.
        let existing: Vec<Arc<Proxy>> =
            self.proxies.lock().unwrap_or_else(|p| p.into_inner()).values().filter(|p| p.device == device).cloned().collect();
        for proxy in existing {
            if let Some((caps, budget)) = self.grant(&device, &proxy.module) {
                proxy.endpoint.set_capabilities(caps);
                proxy.endpoint.budget().set_limit(budget);
            }
        }
        // Its granted modules join now, so what they serve is served before anyone asks.
        for module in names.iter().filter(|m| !self.sections(&device, m).is_empty()) {
            self.proxy(&device, module);
        }
        PeerStatus { device, present: true, modules: names, latency_ms }
    }

    fn left(&self, device: String) -> PeerStatus {
        self.peers.write().unwrap_or_else(|p| p.into_inner()).remove(&device);
        let suffix = format!("@{device}");
        self.proxies.lock().unwrap_or_else(|p| p.into_inner()).retain(|name, proxy| {
            let stays = !name.ends_with(&suffix);
            if !stays {
                proxy.gone.store(true, Ordering::Relaxed);
            }
            stays
        });
        tracing::warn!(peer = %device, "peer left");
        PeerStatus { device, present: false, modules: Vec::new(), latency_ms: None }
    }

    fn announce(&self, status: PeerStatus) {
        let topic = Topic::new(PEERS_TOPIC).expect("a valid topic");
        if let Ok(payload) = Payload::json(&status)
            && let Err(e) = self.endpoint.publish(&topic, payload)
        {
            tracing::debug!("publishing {PEERS_TOPIC}: {e}");
        }
    }
}

/// The topics some remote module may subscribe to: what leaves this device.
fn exports_of(policy: &Policy) -> Vec<TopicPattern> {
    let mut exports: Vec<TopicPattern> = Vec::new();
    for (_, grant) in crate::peers::remote_entries(policy) {
        for pattern in grant.effective.subscribe {
            if !exports.iter().any(|e| e.covers(&pattern)) {
                exports.retain(|e| !pattern.covers(e));
                exports.push(pattern);
            }
        }
    }
    exports
}

/// Stops the bridge's threads when a start fails part way.
struct StopOnDrop(Option<Arc<Shared>>);

impl StopOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(shared) = &self.0 {
            shared.stop.store(true, Ordering::Relaxed);
        }
    }
}

fn spawn(name: &str, body: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    std::thread::Builder::new().name(name.into()).spawn(body).expect("spawning a bridge thread")
}
