//! Host implementations of the app world's imports, one file per WIT interface.
//!
//! The `bindgen!` output stays private to this module; [`HostState`] is the store data of one
//! app and [`add_to_linker`] wires every interface (and WASI) into a linker once. Host
//! functions never trap on a guest's behalf: they return the interface's error value, and the
//! only traps an app meets are wasmtime's own (bad pointers, its CPU budget, its memory cap).
//!
//! Layout: `gfx` (buffers, textures, pipelines, draws), `bus` (the shared bus), `log`, `clock`,
//! `convert` (WIT records to shared types), `frame_record` (`frame-info` lowered into a guest
//! in one pass), `limiter` (the store's limits and its memory gauge).

pub mod bus;
pub mod clock;
mod convert;
mod frame_record;
pub mod gfx;
pub mod limiter;
pub mod log;

use std::sync::Arc;

use visor_types::clock::SharedClock;
use wasmtime::StoreLimitsBuilder;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};

use crate::app::AppSpec;
use crate::manifest::{DirMode, NetworkTarget};
use bus::GuestBus;
use gfx::GfxState;
use limiter::{MemoryGauge, MeteredLimits};
use log::LogRing;
use std::net::ToSocketAddrs;

mod bindings {
    wasmtime::component::bindgen!({
        path: "../apps/wit",
        world: "app",
        with: { "visor:app/bus.frame": crate::bus::FrameHandle },
    });
}

pub(crate) use bindings::App as AppBindings;
pub(crate) use bindings::AppPre as AppBindingsPre;
pub(crate) use convert::frame_info as convert_frame_info;
pub(crate) use frame_record::FrameRecord;

/// How much of a guest's stderr (panic messages, mostly) is kept for its crash report.
const STDERR_CAPTURE: usize = 16 << 10;

/// The store data of one app.
pub struct HostState {
    pub(crate) app: String,
    pub(crate) gfx: GfxState,
    pub(crate) bus: GuestBus,
    pub(crate) logs: Arc<LogRing>,
    pub(crate) clock: SharedClock,
    pub(crate) limits: MeteredLimits,
    pub(crate) stderr: MemoryOutputPipe,
    wasi: WasiCtx,
    table: ResourceTable,
}

impl HostState {
    /// The store data for `spec`; `memory` is the gauge its store's limiter keeps up to date.
    pub(crate) fn new(spec: &AppSpec, bus: GuestBus, logs: Arc<LogRing>, clock: SharedClock, memory: MemoryGauge) -> HostState {
        let stderr = MemoryOutputPipe::new(STDERR_CAPTURE);
        let mut wasi = WasiCtx::builder();
        wasi.stderr(stderr.clone());
        for (key, value) in &spec.env {
            wasi.env(key, value);
        }
        if !spec.network.is_empty() {
            allow_network(&mut wasi, &spec.name, &spec.network);
        }
        for (host, grant) in &spec.dirs {
            let perms = match grant.mode {
                DirMode::ReadOnly => FsPerms::ReadOnly,
                DirMode::ReadWrite => FsPerms::ReadWrite,
            };
            // The module's data folders (inside its own, outside its installed files) are
            // made on first use. One that cannot be opened is left out: the app sees it
            // missing, the log says why.
            if let Err(e) = std::fs::create_dir_all(host) {
                tracing::warn!(app = %spec.name, "cannot make its folder {}: {e}", host.display());
            }
            if let Err(e) = wasi.preopened_dir(host, &grant.guest, perms) {
                tracing::warn!(app = %spec.name, "cannot preopen {} as {}: {e:#}", host.display(), grant.guest);
            }
        }
        let max_memory = usize::try_from(u64::from(spec.limits.max_memory_mib) << 20).unwrap_or(usize::MAX);
        let limits = StoreLimitsBuilder::new().memory_size(max_memory).instances(16).tables(16).build();
        HostState {
            app: spec.name.clone(),
            gfx: GfxState::new(&spec.name, spec.limits.clone()),
            bus,
            logs,
            clock,
            limits: MeteredLimits::new(limits, memory),
            stderr,
            wasi: wasi.build(),
            table: ResourceTable::new(),
        }
    }

    /// What the guest wrote to stderr, for a crash report (its panic message, usually).
    pub(crate) fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.contents()).trim().to_string()
    }
}

/// Opens WASI sockets to the granted hosts and ranges only: every address a socket would
/// connect, send to or receive from is checked against the grant. Host names are resolved once,
/// when the app starts; an address they later resolve to elsewhere stays closed.
///
/// A network grant is for reaching out, never for being reached: binding a chosen port,
/// listening and accepting are refused (no manifest can ask for inbound ports yet); only the
/// wildcard address with an ephemeral port may be bound, which is what a connect or a first
/// send does. A granted *name* that resolves to loopback does not open loopback (a DNS answer
/// must not reach services on the device): only a granted address range that holds it does.
/// Name lookups are allowed only when a name is granted.
fn allow_network(wasi: &mut wasmtime_wasi::WasiCtxBuilder, app: &str, targets: &[NetworkTarget]) {
    let nets = Arc::new(granted_nets(app, targets, |name| (name, 0).to_socket_addrs().map(|a| a.map(|a| a.ip()).collect())));
    let lookups = targets.iter().any(|t| matches!(t, NetworkTarget::Host(_)));
    wasi.allow_tcp(true).allow_udp(true).allow_ip_name_lookup(lookups).socket_addr_check(move |addr, use_| {
        let allowed = socket_use_allowed(&nets, addr, use_);
        Box::pin(async move { allowed })
    });
}

/// The address ranges `targets` grant: ranges as they are, names through `resolve`, minus
/// loopback addresses a name resolved to unless a granted range holds them.
fn granted_nets(
    app: &str,
    targets: &[NetworkTarget],
    resolve: impl Fn(&str) -> std::io::Result<Vec<std::net::IpAddr>>,
) -> Vec<ipnet::IpNet> {
    let ranges: Vec<ipnet::IpNet> =
        targets.iter().filter_map(|t| if let NetworkTarget::Net(net) = t { Some(*net) } else { None }).collect();
    let mut nets = ranges.clone();
    for target in targets {
        let NetworkTarget::Host(name) = target else { continue };
        match resolve(name) {
            Ok(addrs) => {
                for ip in addrs {
                    let local = ip.is_loopback() || ip.is_unspecified();
                    if local && !ranges.iter().any(|n| n.contains(&ip)) {
                        tracing::warn!(
                            app,
                            "granted host '{name}' resolves to {ip}, a local address: not opened (grant the address itself to allow it)"
                        );
                    } else {
                        nets.push(ipnet::IpNet::from(ip));
                    }
                }
            }
            Err(e) => tracing::warn!(app, "cannot resolve granted host '{name}': {e}"),
        }
    }
    nets
}

/// Whether a socket may use `addr` for `use_` under the granted `nets` (see [`allow_network`]).
fn socket_use_allowed(nets: &[ipnet::IpNet], addr: std::net::SocketAddr, use_: SocketAddrUse) -> bool {
    let granted = || nets.iter().any(|n| n.contains(&addr.ip()));
    match use_ {
        // Implicit binds (a connect, a first send) use the wildcard address and port 0.
        SocketAddrUse::TcpBind | SocketAddrUse::UdpBind => addr.ip().is_unspecified() && addr.port() == 0,
        SocketAddrUse::TcpListen | SocketAddrUse::TcpAccept => false,
        SocketAddrUse::TcpConnect | SocketAddrUse::UdpSend | SocketAddrUse::UdpReceive => granted(),
        // A use this build of wasmtime adds later: closed until reviewed.
        #[allow(unreachable_patterns, reason = "SocketAddrUse may grow; new uses stay closed")]
        _ => false,
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl bindings::visor::app::types::Host for HostState {}

/// Adds WASI and every Visor interface to `linker`.
pub(crate) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    AppBindings::add_to_linker::<HostState, HasSelf<HostState>>(linker, |state| state)
}

#[cfg(test)]
mod network_tests {
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_network_grant_reaches_out_but_is_never_reached() {
        let nets = vec!["93.184.216.0/24".parse().unwrap()];
        assert!(socket_use_allowed(&nets, addr("93.184.216.34:443"), SocketAddrUse::TcpConnect));
        assert!(!socket_use_allowed(&nets, addr("10.0.0.1:443"), SocketAddrUse::TcpConnect));
        assert!(socket_use_allowed(&nets, addr("0.0.0.0:0"), SocketAddrUse::TcpBind), "a connect's implicit bind");
        assert!(!socket_use_allowed(&nets, addr("0.0.0.0:8080"), SocketAddrUse::TcpBind), "a chosen port");
        assert!(!socket_use_allowed(&nets, addr("93.184.216.34:8080"), SocketAddrUse::TcpBind));
        assert!(!socket_use_allowed(&nets, addr("0.0.0.0:0"), SocketAddrUse::TcpListen));
        assert!(!socket_use_allowed(&nets, addr("93.184.216.34:5000"), SocketAddrUse::TcpAccept));
        assert!(socket_use_allowed(&nets, addr("0.0.0.0:0"), SocketAddrUse::UdpBind));
        assert!(!socket_use_allowed(&nets, addr("0.0.0.0:53"), SocketAddrUse::UdpBind));
        assert!(!socket_use_allowed(&nets, addr("10.0.0.1:53"), SocketAddrUse::UdpSend));
    }

    #[test]
    fn a_granted_name_resolving_to_loopback_does_not_open_loopback() {
        let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let resolve = |_: &str| Ok(vec![loopback, IpAddr::V4(Ipv4Addr::new(93, 184, 216, 34))]);
        let by_name = granted_nets("app", &[NetworkTarget::Host("example.org".into())], resolve);
        assert!(!by_name.iter().any(|n| n.contains(&loopback)), "{by_name:?}");
        assert!(by_name.iter().any(|n| n.contains(&IpAddr::V4(Ipv4Addr::new(93, 184, 216, 34)))));
        let granted = [NetworkTarget::Host("example.org".into()), NetworkTarget::Net("127.0.0.0/8".parse().unwrap())];
        assert!(granted_nets("app", &granted, resolve).iter().any(|n| n.contains(&loopback)), "loopback granted as a range");
    }
}
