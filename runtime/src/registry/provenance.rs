//! Where an installed module came from and who vouched for it: the [`Audit`] state recorded in
//! its `entry.json` at install time, and the [`Origin`] an installer hands to
//! [`Registry::install_from`](super::Registry::install_from).
//!
//! The registry only stores what the installer decided; checking signatures and keys is the
//! installer's job (the `visor-oci` crate), since the registry knows nothing of networks or
//! keys. A publisher's key is kept so that a later revocation can be shown against modules
//! already installed.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Who vouched for an installed module when it was installed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Audit {
    /// Installed from a local folder: nothing was signed or checked.
    #[default]
    Local,
    /// Signed by a key the user trusts, under the name they gave it.
    TrustedPublisher {
        name: String,
        /// The ed25519 public key, 64 hex digits.
        key: String,
    },
    /// Signed, soundly, by a key the user has not trusted; the policy allowed it.
    UnknownPublisher { key: String },
}

impl Audit {
    pub fn is_local(&self) -> bool {
        matches!(self, Audit::Local)
    }

    /// The publisher's public key, for signed modules.
    pub fn key(&self) -> Option<&str> {
        match self {
            Audit::Local => None,
            Audit::TrustedPublisher { key, .. } | Audit::UnknownPublisher { key } => Some(key),
        }
    }
}

impl fmt::Display for Audit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let short = |key: &str| key.chars().take(16).collect::<String>();
        match self {
            Audit::Local => write!(f, "local (installed from a folder, unsigned)"),
            Audit::TrustedPublisher { name, key } => write!(f, "trusted publisher {name} (ed25519 {})", short(key)),
            Audit::UnknownPublisher { key } => write!(f, "unknown publisher (ed25519 {})", short(key)),
        }
    }
}

/// What an installer tells the registry about a module folder it installs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// Shown as "installed from"; `None` records the folder's own path.
    pub source: Option<String>,
    pub audit: Audit,
}
