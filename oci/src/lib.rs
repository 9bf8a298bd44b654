//! Visor modules from the internet: a module folder (its `visor.toml` and the component it
//! names) published to an OCI registry as an artifact of its own media types, signed with an
//! ed25519 key, and pulled back, checked byte by byte and signature by signature, into a folder
//! that the runtime's `Registry::install_from` installs.
//!
//! Data enters as a folder ([`Package::from_dir`]) or an `oci://` reference ([`pull`]); it
//! leaves as an OCI artifact ([`publish`]) or a [`Pulled`] folder with the [`Publisher`] that
//! vouched for it. Keys live in a [`Keyring`] under the store (`keys/`).
//!
//! The artifact (see [`media`]):
//!
//! ```text
//! config    application/vnd.visor.module.config.v1+json     name, version, kind, component name
//! layer     application/vnd.visor.module.manifest.v1+toml   visor.toml, byte for byte
//! layer     application/wasm                                the component
//! layer     application/vnd.visor.module.signature.v1+json  a Signature (absent when unsigned)
//! ```
//!
//! A signature covers a [`Statement`]: the module's name and version and the sha256 of the
//! manifest and of the component. What is checked on the way in, in order: every blob against
//! its OCI digest ([`OciError::Tampered`]), the statement against the bytes
//! ([`OciError::SignatureMismatch`]), the signature against its key ([`OciError::BadSignature`]),
//! the key against the keyring ([`OciError::Revoked`]), and an untrusted key against the
//! policy's `[install]` rules ([`OciError::UnknownPublisher`]).
//!
//! Dependencies: the manifest, policy and audit types come from `visor-manifest`, never from
//! the runtime, so the installer builds without wasmtime; the binary hands a [`Pulled`] folder
//! and its `Audit` to the runtime's registry.
//!
//! Layout:
//! - `error`: [`OciError`].
//! - `reference`: [`ModuleRef`], `oci://HOST[:PORT]/REPOSITORY:TAG`.
//! - `media`: the media types and size limits.
//! - `package`: [`Package`], a module folder read into memory.
//! - `signature`: [`Statement`] and [`Signature`].
//! - `keys`: [`Keyring`], the user's own, trusted and revoked keys on disk.
//! - `logins`: [`Logins`], the usernames and passwords for registries that need them.
//! - `trust`: [`Publisher`] (who signed) and [`admit`] (whether the policy lets it in).
//! - `transport`: the oci-client session: TLS, plain HTTP for loopback, a blocking runtime.
//! - `manifest_fetch`: the OCI manifest, streamed under a size cap (oci-client's has none).
//! - `publish`, `pull`: the two directions.

mod error;
mod keys;
mod logins;
mod manifest_fetch;
pub mod media;
mod package;
mod publish;
mod pull;
mod reference;
mod signature;
mod transport;
mod trust;

pub use error::OciError;
pub use keys::{KeyEntry, KeyState, Keyring, PublicKey};
pub use logins::{Credentials, Logins};
pub use package::Package;
pub use publish::{Published, publish};
pub use pull::{PullTimings, Pulled, pull};
pub use reference::ModuleRef;
pub use signature::{Signature, Statement};
pub use trust::{Publisher, admit, check_signature};
