//! The `[network]` section of a device profile: how this shell's bus reaches other devices over
//! Zenoh. Without it (and without `visor run --connect/--listen`) nothing leaves the device.
//!
//! ```toml
//! [network]
//! device = "glasses-1"                  # this device's name on the network (default: the host's)
//! listen = ["tcp/0.0.0.0:7447"]         # where peers may connect to us
//! connect = ["tcp/10.0.0.2:7447"]       # peers (or a router) to connect to
//! router = false                        # true: `connect` names a zenohd router (client mode)
//! scouting = false                      # multicast discovery of peers on the LAN
//! frames = { "camera/frames" = "jpeg" } # how frames cross, per topic: png (default), jpeg or raw
//! keep = ["orders/#"]                   # held while no peer listens, sent when one does
//! jpeg_quality = 85
//! auth = { user = "glasses-1", password_file = "/etc/visor/zenoh.pass", users_file = "/etc/visor/zenoh.users" }
//! tls = { root_ca = "ca.pem", cert = "me.pem", key = "me.key" }   # needs tls/ endpoints
//! offload = { vision = "edge-1", fallback = true }
//! ```
//!
//! Who may send what is not here: remote modules are granted like local ones, in the user's
//! policy, under their network names (`[modules."vision@edge-1"]`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// Default JPEG quality for frames sent as JPEG.
pub const DEFAULT_JPEG_QUALITY: u8 = 85;

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// This device's name on the network, the prefix of every key it publishes; the host name
    /// when not given.
    #[serde(default)]
    pub device: Option<String>,
    /// Zenoh endpoints to listen on (`tcp/ADDR:PORT`, `tls/ADDR:PORT`).
    #[serde(default)]
    pub listen: Vec<String>,
    /// Zenoh endpoints to connect to: peers, or the router when `router` is set.
    #[serde(default)]
    pub connect: Vec<String>,
    /// `connect` names a router (`zenohd`): run as its client instead of as a peer.
    #[serde(default)]
    pub router: bool,
    /// Find peers by multicast scouting on the local network (off: only `connect`).
    #[serde(default)]
    pub scouting: bool,
    /// How frames on a topic cross the link; topics not named go as lossless PNG.
    #[serde(default)]
    pub frames: BTreeMap<String, FrameEncoding>,
    #[serde(default = "default_jpeg_quality")]
    pub jpeg_quality: u8,
    /// Exported topics whose messages are kept: held (up to a queue's worth, then refused to
    /// their publishers, as a full command queue is) while no peer listens or the link is
    /// down, and sent in order when one does. Others are sensor streams: the newest wins.
    #[serde(default)]
    pub keep: Vec<String>,
    #[serde(default)]
    pub auth: Option<AuthConfig>,
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    #[serde(default)]
    pub offload: Option<OffloadConfig>,
}

/// How a frame is encoded for the link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FrameEncoding {
    /// Lossless: the pixels arrive as they left.
    #[default]
    Png,
    /// Lossy and about ten times smaller: for camera pictures over thin links.
    Jpeg,
    /// The pixels as they are: nothing to encode or decode, for fast links (two shells on one
    /// machine, a wired LAN).
    Raw,
}

/// Zenoh's user-password authentication.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The user this device logs in to its peers as (by convention its device name).
    pub user: String,
    /// A file holding this device's password (one line).
    pub password_file: PathBuf,
    /// The users this device accepts: `user:password` lines. Without it, any peer that knows
    /// no password is still refused by the peers that ask for one.
    #[serde(default)]
    pub users_file: Option<PathBuf>,
}

/// TLS for `tls/` endpoints.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// The certificate authority peers' certificates are checked against.
    pub root_ca: PathBuf,
    /// This device's certificate and key (PEM), shown to peers.
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Library modules served by another device.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OffloadConfig {
    /// The device whose `vision` module answers this device's camera frames.
    pub vision: String,
    /// Run vision here while that device is away (default true).
    #[serde(default = "default_true")]
    pub fallback: bool,
}

impl Default for NetworkConfig {
    /// No links: nothing leaves the device.
    fn default() -> NetworkConfig {
        NetworkConfig {
            device: None,
            listen: Vec::new(),
            connect: Vec::new(),
            router: false,
            scouting: false,
            frames: BTreeMap::new(),
            jpeg_quality: DEFAULT_JPEG_QUALITY,
            keep: Vec::new(),
            auth: None,
            tls: None,
            offload: None,
        }
    }
}

fn default_jpeg_quality() -> u8 {
    DEFAULT_JPEG_QUALITY
}

fn default_true() -> bool {
    true
}

/// Whether `name` can be a device name: a key-expression chunk of letters, digits, `-` and `_`.
pub fn valid_device_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl NetworkConfig {
    /// Every problem with the section, each naming the field and the fix.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        if let Some(device) = &self.device
            && !valid_device_name(device)
        {
            p.push(format!("network.device is '{device}'; use up to 64 letters, digits, '-' or '_'"));
        }
        for (field, list) in [("listen", &self.listen), ("connect", &self.connect)] {
            for endpoint in list {
                if !endpoint.contains('/') {
                    p.push(format!("network.{field} has '{endpoint}'; write a Zenoh endpoint such as tcp/127.0.0.1:7447"));
                }
            }
        }
        if self.router && self.connect.is_empty() {
            p.push("network.router is true but network.connect is empty; name the router (tcp/HOST:7447)".into());
        }
        if !(1..=100).contains(&self.jpeg_quality) {
            p.push(format!("network.jpeg_quality is {}; use 1 to 100", self.jpeg_quality));
        }
        if let Some(offload) = &self.offload
            && !valid_device_name(&offload.vision)
        {
            p.push(format!("network.offload.vision is '{}'; name a device (letters, digits, '-', '_')", offload.vision));
        }
        p
    }

    /// Whether this section asks for any link at all.
    pub fn is_active(&self) -> bool {
        !self.listen.is_empty() || !self.connect.is_empty() || self.scouting
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_section_reads_and_checks() {
        let network: NetworkConfig = toml::from_str(
            r#"
            device = "glasses-1"
            connect = ["tcp/10.0.0.2:7447"]
            frames = { "camera/frames" = "jpeg" }
            keep = ["orders/#"]
            offload = { vision = "edge" }
            "#,
        )
        .unwrap();
        assert!(network.problems().is_empty() && network.is_active());
        assert_eq!(network.frames["camera/frames"], FrameEncoding::Jpeg);
        assert_eq!(network.jpeg_quality, DEFAULT_JPEG_QUALITY);
        assert!(network.offload.as_ref().is_some_and(|o| o.fallback), "fallback is on unless turned off");
        assert!(!NetworkConfig::default().is_active(), "no section, no links");

        let bad: NetworkConfig = toml::from_str("device = \"my glasses\"\nlisten = [\"7447\"]\nrouter = true\njpeg_quality = 0\n").unwrap();
        let problems = bad.problems().join("\n");
        for field in ["network.device", "network.listen", "network.router", "network.jpeg_quality"] {
            assert!(problems.contains(field), "{field} not named in:\n{problems}");
        }
        assert!(toml::from_str::<NetworkConfig>("conect = []").is_err(), "a misspelt key is an error");
    }
}
