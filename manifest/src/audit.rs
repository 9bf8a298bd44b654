//! Who vouched for an installed module: the [`Audit`] state an installer decides and the
//! registry records in the module's `entry.json`.
//!
//! Pure data, so that the installer (the `visor-oci` crate, which checks signatures and keys)
//! and the registry (in the runtime, which stores the verdict) agree on one type without the
//! installer depending on the runtime. A publisher's key is kept so that a later revocation can
//! be shown against modules already installed.

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
