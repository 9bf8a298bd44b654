//! Module manifests: what a module is, what it needs, what it offers, what it asks to be
//! allowed, and how much it may use.
//!
//! Every module — app, library or driver, wasm or native — ships a `visor.toml`:
//!
//! ```toml
//! name = "face-tags"
//! version = "0.2.1"
//! kind = "app"                        # app | library | driver
//! description = "Labels next to faces"
//! entry = { component = "face_tags.wasm" }     # or { native = "camera" }
//! depends = [{ module = "vision", version = "^0.3" },
//!            { interface = "visor:vision/detections", version = "^1" }]
//! exports = { interfaces = [], topics = ["tags/#"] }
//! triggers = { boot = true, topics = [], on_demand = false }
//!
//! [capabilities]
//! publish = ["tags/#"]
//! subscribe = ["vision/faces", "camera/+/info"]
//! call = ["vision"]
//! devices = ["display-layer"]
//! network = ["api.example.com", "10.0.0.0/8"]
//! dirs = [{ host = "data", guest = "/data", mode = "ro" }]
//!
//! [settings]                          # the module's own configuration, free-form
//! label_color = "#ffcc00"
//!
//! [limits]
//! memory_mib = 64
//! frame_cpu_ms = 50
//! vertices = 65536
//! bus_messages_per_second = 500
//! bus_queue_mib = 32           # what its bus queues and held frames may keep in memory
//! ```
//!
//! [`Manifest::parse`] checks the whole file and reports every problem at once, each naming
//! the field, what is wrong and what would fix it — a manifest with ten mistakes gets ten lines,
//! not one at a time.
//!
//! Layout: `mod.rs` (the types), `parse.rs` (the checking parser), `tests.rs`.

mod parse;

use std::net::IpAddr;
use std::path::PathBuf;

use ipnet::IpNet;
pub use semver::{Version, VersionReq};
use thiserror::Error;

use crate::topic::TopicPattern;

/// The manifest's file name inside a module folder.
pub const MANIFEST_FILE: &str = "visor.toml";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModuleKind {
    App,
    Library,
    Driver,
}

impl ModuleKind {
    /// As manifests write it: `app`, `library`, `driver`.
    pub fn name(self) -> &'static str {
        match self {
            ModuleKind::App => "app",
            ModuleKind::Library => "library",
            ModuleKind::Driver => "driver",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A wasm component, relative to the manifest.
    Component(PathBuf),
    /// A native driver built into the shell, by name.
    Native(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dependency {
    Module { name: String, version: VersionReq },
    Interface { name: String, version: VersionReq },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exports {
    /// Interfaces offered, as `namespace:package/interface@version`.
    pub interfaces: Vec<(String, Version)>,
    pub topics: Vec<TopicPattern>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Triggers {
    /// Start when the shell starts.
    pub boot: bool,
    /// Start on the first message on any of these topics.
    pub topics: Vec<TopicPattern>,
    /// Start when another module calls it or the user opens it.
    pub on_demand: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Device {
    Camera,
    Input,
    Pose,
    DisplayLayer,
    /// Tethered glasses' own sensors: keys, proximity (worn), ambient light.
    Glasses,
    /// The real world's metric depth (`camera/depth`): the shape of the room, which the camera
    /// picture alone does not give away.
    Depth,
}

impl Device {
    pub const ALL: [(&'static str, Device); 6] = [
        ("camera", Device::Camera),
        ("input", Device::Input),
        ("pose", Device::Pose),
        ("display-layer", Device::DisplayLayer),
        ("glasses", Device::Glasses),
        ("depth", Device::Depth),
    ];

    pub fn name(self) -> &'static str {
        Device::ALL.iter().find(|(_, d)| *d == self).map(|(n, _)| *n).unwrap_or("?")
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NetworkTarget {
    Host(String),
    Net(IpNet),
}

impl NetworkTarget {
    /// Whether `host` (a name or an address) falls under this entry.
    pub fn allows(&self, host: &str) -> bool {
        match self {
            NetworkTarget::Host(name) => name.eq_ignore_ascii_case(host),
            NetworkTarget::Net(net) => host.parse::<IpAddr>().is_ok_and(|ip| net.contains(&ip)),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DirMode {
    ReadOnly,
    ReadWrite,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DirGrant {
    /// A folder inside the module's own data folder (relative, never leaving it): the shell
    /// keeps that folder apart from the module's installed files.
    pub host: PathBuf,
    /// Where the module sees it.
    pub guest: String,
    pub mode: DirMode,
}

/// What a module asks to be allowed (in a manifest) or is allowed (after the policy).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub publish: Vec<TopicPattern>,
    pub subscribe: Vec<TopicPattern>,
    /// Modules it may call (request/reply to their exported topics).
    pub call: Vec<String>,
    pub devices: Vec<Device>,
    pub network: Vec<NetworkTarget>,
    pub dirs: Vec<DirGrant>,
    /// The privileged shell capability: managing other modules over the bus.
    pub shell: bool,
}

/// Resource limits; absent fields take the defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    pub memory_mib: u32,
    pub frame_cpu_ms: u32,
    pub vertices: u32,
    pub bus_messages_per_second: u32,
    /// Bytes (in MiB) the module's bus queues, and the frames it holds, may keep in memory.
    pub bus_queue_mib: u32,
}

impl Default for Limits {
    fn default() -> Self {
        let app = visor_types::AppLimits::default();
        Limits {
            memory_mib: app.max_memory_mib,
            frame_cpu_ms: app.frame_cpu_ms,
            vertices: app.max_vertices,
            bus_messages_per_second: 1000,
            bus_queue_mib: 32,
        }
    }
}

impl Limits {
    /// The upper bounds a manifest may ask for at all.
    pub const MAX: Limits = Limits {
        memory_mib: (crate::limits::MAX_MEMORY_BYTES >> 20) as u32,
        frame_cpu_ms: 1000,
        vertices: 4_000_000,
        bus_messages_per_second: 100_000,
        bus_queue_mib: 1024,
    };

    /// The bus byte budget these ask for.
    pub fn bus_queue_bytes(&self) -> u64 {
        u64::from(self.bus_queue_mib) << 20
    }

    /// The per-app gfx limits these imply.
    pub fn app_limits(&self) -> visor_types::AppLimits {
        visor_types::AppLimits {
            max_memory_mib: self.memory_mib,
            frame_cpu_ms: self.frame_cpu_ms,
            max_vertices: self.vertices,
            max_indices: self.vertices.saturating_mul(3),
            ..Default::default()
        }
    }
}

// Not `Eq`: `settings` is free TOML, which may hold floats.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    pub name: String,
    pub version: Version,
    pub kind: ModuleKind,
    pub description: String,
    pub entry: Entry,
    pub depends: Vec<Dependency>,
    pub exports: Exports,
    pub triggers: Triggers,
    pub capabilities: Capabilities,
    pub limits: Limits,
    /// The module's own configuration (`[settings]`), passed to it as written: a native
    /// module's factory reads it (the vision module's model and decoder, say); the shell itself
    /// never interprets it.
    pub settings: toml::Table,
}

#[derive(Debug, Error, Clone, PartialEq)]
pub enum ManifestError {
    #[error("manifest {origin} is not TOML: {message}")]
    Syntax { origin: String, message: String },
    #[error("manifest {origin} has {} problem(s):\n  - {}", problems.len(), problems.join("\n  - "))]
    Invalid { origin: String, problems: Vec<String> },
}

impl Manifest {
    /// Parses and checks a manifest; `origin` names it in errors (usually its path).
    pub fn parse(text: &str, origin: &str) -> Result<Manifest, ManifestError> {
        parse::parse(text, origin)
    }

    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

#[cfg(test)]
mod tests;
