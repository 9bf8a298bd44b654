//! Host implementations of the app world's imports, one file per WIT interface.
//!
//! The `bindgen!` output stays private to this module; [`HostState`] is the store data of one
//! app and [`add_to_linker`] wires every interface (and WASI) into a linker once. Host
//! functions never trap on a guest's behalf: they return the interface's error value, and the
//! only traps an app meets are wasmtime's own (bad pointers, its CPU budget, its memory cap).
//!
//! Layout: `gfx` (buffers, textures, pipelines, draws), `bus` (the shared bus), `log`, `clock`,
//! `convert` (WIT records to shared types), `limiter` (the store's limits and its memory gauge).

pub mod bus;
pub mod clock;
mod convert;
pub mod gfx;
pub mod limiter;
pub mod log;

use std::sync::Arc;

use visor_types::clock::SharedClock;
use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime::StoreLimitsBuilder;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::sockets::SocketAddrUse;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};

use crate::app::AppSpec;
use crate::manifest::{DirMode, NetworkTarget};
use std::net::ToSocketAddrs;
use bus::GuestBus;
use gfx::GfxState;
use limiter::{MemoryGauge, MeteredLimits};
use log::LogRing;

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
            // A folder that cannot be opened is left out: the app sees it missing, the log says why.
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

/// Opens WASI sockets to the granted hosts and ranges only: every address a socket would bind
/// or connect to is checked against the grant. Host names are resolved once, when the app
/// starts; an address they later resolve to elsewhere stays closed.
fn allow_network(wasi: &mut wasmtime_wasi::WasiCtxBuilder, app: &str, targets: &[NetworkTarget]) {
    let mut nets = Vec::new();
    for target in targets {
        match target {
            NetworkTarget::Net(net) => nets.push(*net),
            NetworkTarget::Host(name) => match (name.as_str(), 0).to_socket_addrs() {
                Ok(addrs) => nets.extend(addrs.map(|a| ipnet::IpNet::from(a.ip()))),
                Err(e) => tracing::warn!(app, "cannot resolve granted host '{name}': {e}"),
            },
        }
    }
    let nets = Arc::new(nets);
    wasi.allow_tcp(true).allow_udp(true).allow_ip_name_lookup(true).socket_addr_check(move |addr, use_| {
        // Connecting binds the socket to the unspecified address first: that opens nothing.
        let local_any = addr.ip().is_unspecified() && matches!(use_, SocketAddrUse::TcpBind | SocketAddrUse::UdpBind);
        let allowed = local_any || nets.iter().any(|n| n.contains(&addr.ip()));
        Box::pin(async move { allowed })
    });
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
