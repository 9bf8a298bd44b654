//! [`pull`]: fetches a module artifact, checks every part, and writes the module folder into a
//! temporary folder for the runtime's `Registry::install_from`.
//!
//! Order: the OCI manifest (fetched under a size cap, `manifest_fetch`); its config type and layer types (a Visor module, nothing else);
//! each declared size against its limit; each blob, hashed while downloading (oci-client) and
//! again here against its digest (so the check does not rest on the client library alone);
//! then the signature against the bytes and the keyring ([`check_signature`]). Nothing is
//! written to disk until all of that has passed.

use std::time::{Duration, Instant};

use oci_client::manifest::OciDescriptor;
use tempfile::TempDir;

use crate::error::{OciError, io_err};
use crate::keys::Keyring;
use crate::manifest_fetch::fetch_manifest;
use crate::media;
use crate::package::{Package, sha256_hex};
use crate::reference::ModuleRef;
use crate::signature::Signature;
use crate::transport::{Capped, Failure, Session, classify};
use crate::trust::{Publisher, check_signature};

/// How long each step of a pull took.
#[derive(Clone, Copy, Debug, Default)]
pub struct PullTimings {
    /// Manifest and blobs over the network (the client hashes while receiving).
    pub pull: Duration,
    /// Our digest checks, the signature and the keyring.
    pub verify: Duration,
}

/// How long the OCI manifest may take to arrive.
const MANIFEST_DEADLINE: Duration = Duration::from_secs(30);
/// The blobs may take this long, plus a second for every [`SLOWEST_BYTES_PER_SECOND`] they
/// declare: slower than that, a registry is stalling rather than serving.
const BLOBS_BASE_DEADLINE: Duration = Duration::from_secs(60);
const SLOWEST_BYTES_PER_SECOND: u64 = 256 << 10;

/// A pulled, checked module.
#[derive(Debug)]
pub struct Pulled {
    pub package: Package,
    pub publisher: Publisher,
    /// The module folder: install it from here. Removed when dropped.
    pub dir: TempDir,
    /// `sha256:…` of the OCI manifest it came from.
    pub digest: String,
    pub bytes: u64,
    pub timings: PullTimings,
}

/// The layers of a module artifact, by role.
struct Layers<'a> {
    manifest: &'a OciDescriptor,
    component: &'a OciDescriptor,
    signature: Option<&'a OciDescriptor>,
}

/// Pulls `from`, checks it against `keyring`, and writes it out.
pub fn pull(from: &ModuleRef, keyring: &Keyring) -> Result<Pulled, OciError> {
    let reference = from.to_string();
    let not_a_package = |problem: String| OciError::NotAPackage { reference: reference.clone(), problem };
    let started = Instant::now();
    let session = Session::new(from)?;
    tracing::debug!(elapsed = ?started.elapsed(), "registry client ready");
    let deadline = |within: Duration| OciError::Deadline { action: "pulling", reference: reference.clone(), seconds: within.as_secs() };
    let (manifest, digest) = session
        .block_on_within(MANIFEST_DEADLINE, fetch_manifest(&session, from.plain_http()))
        .ok_or_else(|| deadline(MANIFEST_DEADLINE))??;
    if manifest.config.media_type != media::CONFIG {
        return Err(not_a_package(format!("its config is of type '{}', not '{}'", manifest.config.media_type, media::CONFIG)));
    }
    let layers = classify_layers(&manifest.layers).map_err(not_a_package)?;
    tracing::debug!(elapsed = ?started.elapsed(), "manifest pulled");

    // The parts come down side by side: one round trip's wait instead of three.
    let declared: u64 = manifest.layers.iter().map(|l| u64::try_from(l.size).unwrap_or(0)).fold(0, u64::saturating_add);
    let within = BLOBS_BASE_DEADLINE + Duration::from_secs(declared / SLOWEST_BYTES_PER_SECOND);
    let parts = session.block_on_within(within, async {
        let signature = async {
            match layers.signature {
                Some(d) => fetch(&session, &reference, d, "signature layer", media::MAX_SIGNATURE_BYTES).await.map(Some),
                None => Ok(None),
            }
        };
        tokio::join!(
            fetch(&session, &reference, layers.manifest, "manifest layer (visor.toml)", media::MAX_MANIFEST_BYTES),
            fetch(&session, &reference, layers.component, "component layer", media::MAX_COMPONENT_BYTES),
            signature,
        )
    });
    let (manifest_bytes, component_bytes, signature_bytes) = parts.ok_or_else(|| deadline(within))?;
    let (manifest_bytes, component_bytes, signature_bytes) = (manifest_bytes?, component_bytes?, signature_bytes?);
    let pulled_at = Instant::now();

    for (descriptor, bytes, what) in
        [(layers.manifest, &manifest_bytes, "manifest layer (visor.toml)"), (layers.component, &component_bytes, "component layer")]
            .into_iter()
            .chain(layers.signature.zip(signature_bytes.as_ref()).map(|(d, b)| (d, b, "signature layer")))
    {
        let actual = format!("sha256:{}", sha256_hex(bytes));
        if actual != descriptor.digest {
            let expected = descriptor.digest.clone();
            return Err(OciError::Tampered { reference: reference.clone(), what: what.to_string(), expected, actual });
        }
    }
    let package = Package::from_parts(manifest_bytes, component_bytes, &format!("{reference} visor.toml"))?;
    let signature = match &signature_bytes {
        Some(bytes) => {
            Some(Signature::from_json(bytes).map_err(|e| not_a_package(format!("its signature layer is not a signature: {e}")))?)
        }
        None => None,
    };
    let publisher = check_signature(&reference, &package, signature.as_ref(), keyring)?;
    let verified_at = Instant::now();

    let dir =
        tempfile::Builder::new().prefix("visor-pull-").tempdir().map_err(io_err("create a temporary folder in", std::env::temp_dir()))?;
    package.write_to(dir.path())?;
    let bytes = (package.manifest_bytes.len() + package.component_bytes.len() + signature_bytes.map_or(0, |b| b.len())) as u64;
    let timings = PullTimings { pull: pulled_at - started, verify: verified_at - pulled_at };
    tracing::debug!(module = %package.manifest.id(), from = %reference, %digest, bytes, ?timings, "pulled and verified");
    Ok(Pulled { package, publisher, dir, digest, bytes, timings })
}

/// One blob, within `limit` bytes and checked against its digest by the client as it arrives.
async fn fetch(session: &Session, reference: &str, descriptor: &OciDescriptor, what: &str, limit: u64) -> Result<Vec<u8>, OciError> {
    let size = u64::try_from(descriptor.size).unwrap_or(u64::MAX);
    let too_large = |size| OciError::TooLarge { module: reference.to_string(), what: what.to_string(), size, limit };
    if size > limit {
        return Err(too_large(size));
    }
    let mut out = Capped::new(limit);
    let result = session.client.pull_blob(&session.reference, descriptor, &mut out).await;
    match result.map_err(classify) {
        Ok(()) => Ok(out.bytes),
        Err(Failure::Digest { expected, actual }) => {
            Err(OciError::Tampered { reference: reference.to_string(), what: what.to_string(), expected, actual })
        }
        Err(Failure::OverLimit) => Err(too_large(limit + 1)),
        Err(Failure::Other(message)) => Err(OciError::Registry { action: "pull", reference: reference.to_string(), message }),
    }
}

fn classify_layers(layers: &[OciDescriptor]) -> Result<Layers<'_>, String> {
    let of = |media_type: &str| layers.iter().filter(|l| l.media_type == media_type).collect::<Vec<_>>();
    if let Some(other) = layers.iter().find(|l| ![media::MANIFEST, media::COMPONENT, media::SIGNATURE].contains(&l.media_type.as_str())) {
        return Err(format!("it has a layer of type '{}'", other.media_type));
    }
    let (manifests, components, signatures) = (of(media::MANIFEST), of(media::COMPONENT), of(media::SIGNATURE));
    match (manifests.as_slice(), components.as_slice(), signatures.as_slice()) {
        ([manifest], [component], []) => Ok(Layers { manifest, component, signature: None }),
        ([manifest], [component], [signature]) => Ok(Layers { manifest, component, signature: Some(signature) }),
        _ => Err(format!(
            "it should have one {} layer, one {} layer and at most one {} layer; it has {}, {} and {}",
            media::MANIFEST,
            media::COMPONENT,
            media::SIGNATURE,
            manifests.len(),
            components.len(),
            signatures.len()
        )),
    }
}
