//! The media types of a Visor module artifact, and how large each part may be.
//!
//! Own media types keep a module from being mistaken for a container image (and the other way
//! round): `pull` refuses an artifact whose config or layers are of any other type.

/// The config blob: a small JSON summary (name, version, kind, component name) for registry
/// browsers. Informational: what is installed comes from the manifest layer.
pub const CONFIG: &str = "application/vnd.visor.module.config.v1+json";
/// `visor.toml`, byte for byte.
pub const MANIFEST: &str = "application/vnd.visor.module.manifest.v1+toml";
/// The WebAssembly component.
pub const COMPONENT: &str = "application/wasm";
/// A [`Signature`](crate::Signature) as JSON.
pub const SIGNATURE: &str = "application/vnd.visor.module.signature.v1+json";

/// The annotation holding a layer's file name (the one ORAS uses too).
pub const TITLE: &str = "org.opencontainers.image.title";

/// Size limits, checked against the registry's descriptor before downloading and against the
/// bytes while downloading, so a hostile registry cannot fill memory.
pub const MAX_CONFIG_BYTES: u64 = 64 << 10;
/// The OCI image manifest itself (a few hundred bytes for a module; the distribution spec lets
/// registries refuse manifests over 4 MiB).
pub const MAX_OCI_MANIFEST_BYTES: u64 = 4 << 20;
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;
pub const MAX_COMPONENT_BYTES: u64 = 256 << 20;
pub const MAX_SIGNATURE_BYTES: u64 = 64 << 10;
