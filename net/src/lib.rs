//! Visor's bus across devices, on Zenoh.
//!
//! A shell joins the network with a [`Bridge`] over its bus: topics become key expressions
//! under the device's prefix (`keys`), messages cross as encoded payloads with the sender's
//! stamp (`wire`), and remote modules join the bus as proxies named `MODULE@DEVICE`, granted by
//! the user's policy like any local module and refused without an entry (`bridge`). Peers find
//! each other through liveliness tokens and say what they run (`peers`); the profile's
//! `[network]` section becomes the Zenoh configuration (`config`).
//!
//! Layout:
//! - `keys`: topics ↔ key expressions.
//! - `wire`: payloads ↔ Zenoh payloads, encodings and attachments.
//! - `config`: [`visor_types::profile::NetworkConfig`] → `zenoh::Config`.
//! - `acl`: the policy as Zenoh access control, where peers log in.
//! - `peers`: [`PeerInfo`], [`AdvertisedModule`], remote manifests, [`list_peers`].
//! - `bridge`: [`Bridge`] (`export`, `import`, `request`).

pub mod acl;
mod bridge;
pub mod config;
pub mod keys;
pub mod peers;
pub mod wire;

use std::path::PathBuf;

pub use bridge::{Bridge, BridgeStats, PEER_REFRESH, PEERS_TOPIC, PeerStatus, REQUEST_TIMEOUT};
pub use peers::{AdvertisedModule, PeerInfo, PeerReport, list_peers};

/// Re-exported so callers open sessions (`visor peers`, the bench) with the same Zenoh.
pub use zenoh;

#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("network setting {key}: {message}")]
    Config { key: String, message: String },
    #[error("{} {message}", path.display())]
    File { path: PathBuf, message: String },
    #[error("'{name}' cannot be a device name on the network; use up to 64 letters, digits, '-' or '_' (set [network] device)")]
    Device { name: String },
    #[error("{what}: {message}")]
    Zenoh { what: String, message: String },
    #[error("{what}: {message}")]
    Bus { what: String, message: String },
    #[error("remote module {who}: {message}")]
    Remote { who: String, message: String },
}
