//! The shell on a network: `visor run --connect/--listen`, `visor serve` and `visor peers`.
//!
//! - [`NetArgs`]: the command-line endpoints, laid over the profile's `[network]` section.
//! - [`start_bridge`]: joins the network with the shell's bus, advertising its modules.
//! - `visor serve --modules vision`: a shell with no display and no GPU that runs library
//!   modules for other devices (faces for a pair of glasses, on an edge box) until stopped.
//! - `visor peers`: who is on the network, what they run, and how far away they are.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use visor_net::{AdvertisedModule, Bridge};
use visor_runtime::bus::Bus;
use visor_runtime::modules::ModuleHost;
use visor_runtime::policy::Policy;
use visor_runtime::{AppEngine, FrameFeed};
use visor_types::clock::MonotonicClock;
use visor_types::profile::{NetworkConfig, valid_device_name};

use crate::builtin;
use crate::data::DataDir;

/// Network endpoints given on the command line; they add to the profile's `[network]`.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct NetArgs {
    /// Connect to a peer or router at this Zenoh endpoint (tcp/HOST:PORT); repeatable.
    #[arg(long, value_name = "ENDPOINT")]
    pub connect: Vec<String>,
    /// Listen for peers at this Zenoh endpoint (tcp/ADDR:PORT); repeatable.
    #[arg(long, value_name = "ENDPOINT")]
    pub listen: Vec<String>,
    /// This device's name on the network (default: the profile's, else the host name).
    #[arg(long, value_name = "NAME")]
    pub device: Option<String>,
}

impl NetArgs {
    /// The profile's section with these endpoints added.
    pub fn over(&self, profile: &NetworkConfig) -> anyhow::Result<NetworkConfig> {
        let mut network = profile.clone();
        network.connect.extend(self.connect.iter().cloned());
        network.listen.extend(self.listen.iter().cloned());
        if self.device.is_some() {
            network.device = self.device.clone();
        }
        let problems = network.problems();
        anyhow::ensure!(problems.is_empty(), "the network settings have problems:\n  - {}", problems.join("\n  - "));
        Ok(network)
    }
}

/// This device's name: the configured one, else the host name made into a valid one.
pub fn device_name(network: &NetworkConfig) -> String {
    if let Some(device) = &network.device {
        return device.clone();
    }
    let host =
        std::fs::read_to_string("/proc/sys/kernel/hostname").or_else(|_| std::fs::read_to_string("/etc/hostname")).unwrap_or_default();
    let name: String = host.trim().chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).take(64).collect();
    if valid_device_name(&name) { name } else { "visor".into() }
}

/// Joins the network `network` describes with `modules`' bus, when it asks for any link.
pub fn start_bridge(network: &NetworkConfig, modules: &ModuleHost, policy: Policy) -> anyhow::Result<Option<Bridge>> {
    if !network.is_active() {
        return Ok(None);
    }
    let advertised = modules.list().iter().filter_map(|m| modules.manifest(m.id)).map(AdvertisedModule::from_manifest).collect();
    let device = device_name(network);
    let bridge = Bridge::start(modules.bus().clone(), &device, network.clone(), policy, advertised)
        .with_context(|| format!("joining the network as {device}"))?;
    Ok(Some(bridge))
}

/// `visor serve`'s options.
#[derive(clap::Args, Clone, Debug)]
pub struct ServeArgs {
    /// Library modules to run for other devices (built-in: vision).
    #[arg(long, value_delimiter = ',', required = true)]
    pub modules: Vec<String>,
    #[command(flatten)]
    pub net: NetArgs,
    /// A profile whose [network] section to use (a name or a PATH.toml); its display is unused.
    #[arg(long)]
    pub profile: Option<String>,
    /// Stop after this many seconds (default: run until Ctrl-C or SIGTERM).
    #[arg(long, value_name = "S")]
    pub seconds: Option<f64>,
}

/// Runs `args.modules` on a bus joined to the network, until `stop` is set.
pub fn serve(data: &DataDir, store: Option<&std::path::Path>, args: &ServeArgs, stop: Arc<AtomicBool>) -> anyhow::Result<()> {
    let profile_network = match &args.profile {
        Some(profile) => crate::run::resolve_profile(data, profile, None)?.network,
        None => NetworkConfig::default(),
    };
    let network = args.net.over(&profile_network)?;
    anyhow::ensure!(network.is_active(), "visor serve needs a link: give --listen tcp/ADDR:PORT or --connect tcp/HOST:PORT");
    let registry = crate::module_cmd::open_store(store)?;
    let policy = crate::module_cmd::load_policy(&registry)?;
    let mut host = library_host(data, policy.clone(), &args.modules)?;
    let bridge = start_bridge(&network, &host, policy)?.context("no link to serve on")?;
    tracing::info!(device = bridge.device(), modules = ?args.modules, "serving");
    let until = args.seconds.map(|s| std::time::Instant::now() + Duration::from_secs_f64(s));
    while !stop.load(Ordering::Relaxed) && until.is_none_or(|t| std::time::Instant::now() < t) {
        std::thread::sleep(Duration::from_millis(100));
        host.poll_triggers();
    }
    let stats = bridge.stats();
    tracing::info!(sent = stats.sent, received = stats.received, refused = stats.refused, "stopping");
    drop(bridge);
    host.shutdown();
    Ok(())
}

/// A module host with no display running the built-in library modules `modules` (vision) on
/// a bus of its own.
pub fn library_host(data: &DataDir, policy: Policy, modules: &[String]) -> anyhow::Result<ModuleHost> {
    let clock = MonotonicClock::shared();
    let engine = AppEngine::new().map_err(|e| anyhow::anyhow!("starting wasmtime: {e:#}"))?;
    // No display: the library modules it runs draw nothing.
    let feed = FrameFeed::new(visor_types::FrameInfo { display_time_ns: 0, frame_number: 0, head: glam::Mat4::IDENTITY, eyes: Vec::new() });
    let mut host = ModuleHost::new(Bus::new(clock.clone()), engine, feed, clock, policy, 60.0);
    for name in modules {
        match name.as_str() {
            "vision" => builtin::register_vision(&mut host, data.root()),
            other => anyhow::bail!("visor serve runs the built-in library modules (vision); '{other}' is not one"),
        }
        let id = builtin::load_one(&mut host, data.root(), name)?;
        host.start(id).with_context(|| format!("starting {name}"))?;
    }
    Ok(host)
}

/// `visor peers`'s options.
#[derive(clap::Args, Clone, Debug)]
pub struct PeersArgs {
    #[command(flatten)]
    pub net: NetArgs,
    /// How long to wait for answers, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    pub wait_ms: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Lists the shells reachable through `args`' endpoints.
pub fn peers(args: &PeersArgs) -> anyhow::Result<String> {
    let mut network = args.net.over(&NetworkConfig::default())?;
    anyhow::ensure!(!network.connect.is_empty(), "visor peers needs a shell to ask: give --connect tcp/HOST:PORT");
    network.listen.clear();
    let config = visor_net::config::zenoh_config(&network)?;
    let session = zenoh_open(config)?;
    // Give the link a moment to come up and the peers' tokens to arrive.
    std::thread::sleep(Duration::from_millis(args.wait_ms.min(500)));
    let peers = visor_net::list_peers(&session, Duration::from_millis(args.wait_ms))?;
    if args.json {
        return Ok(serde_json::to_string_pretty(&peers)?);
    }
    let mut out = format!("{:<20} {:>10}  {:<8} modules\n", "device", "latency", "version");
    for peer in &peers {
        let latency = peer.latency_ms.map_or("no answer".to_string(), |ms| format!("{ms:.2} ms"));
        out += &format!("{:<20} {:>10}  {:<8} {}\n", peer.device, latency, peer.version, peer.modules.join(", "));
    }
    if peers.is_empty() {
        out += "(no shell answered)\n";
    }
    Ok(out)
}

fn zenoh_open(config: visor_net::zenoh::Config) -> anyhow::Result<visor_net::zenoh::Session> {
    use visor_net::zenoh::Wait;
    visor_net::zenoh::open(config).wait().map_err(|e| anyhow::anyhow!("opening the network: {e}"))
}
