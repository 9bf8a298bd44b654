//! Where an installed module came from and who vouched for it: the [`Audit`] state recorded in
//! its `entry.json` at install time (defined in `visor_manifest::audit`, shared with the
//! installer), and the [`Origin`] an installer hands to
//! [`Registry::install_from`](super::Registry::install_from).
//!
//! The registry only stores what the installer decided; checking signatures and keys is the
//! installer's job (the `visor-oci` crate), since the registry knows nothing of networks or
//! keys.

pub use visor_manifest::audit::Audit;

/// What an installer tells the registry about a module folder it installs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// Shown as "installed from"; `None` records the folder's own path.
    pub source: Option<String>,
    pub audit: Audit,
    /// What the installer verified (a signature covers these digests): the registry installs
    /// only these bytes, so nothing can change the folder between the check and the install.
    pub verified: Option<Verified>,
}

/// The SHA-256 digests (lowercase hex) of the files an installer checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verified {
    pub manifest_sha256: String,
    pub component_sha256: Option<String>,
}
