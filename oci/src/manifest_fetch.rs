//! The OCI image manifest, fetched under a size cap.
//!
//! oci-client reads a manifest response whole, however large: a hostile registry could answer
//! with gigabytes and the pull would hold them all before any check. So the manifest is
//! fetched here instead, through the client's own authentication (its bearer token, or the
//! login's basic credentials), streamed chunk by chunk, and refused the moment it passes
//! [`MAX_OCI_MANIFEST_BYTES`](crate::media::MAX_OCI_MANIFEST_BYTES). Its digest is the
//! SHA-256 of exactly the bytes received, checked against the reference when that names one.

use oci_client::RegistryOperation;
use oci_client::manifest::OciImageManifest;
use oci_client::secrets::RegistryAuth;
use reqwest::header::{ACCEPT, AUTHORIZATION};

use crate::error::OciError;
use crate::media;
use crate::package::sha256_hex;
use crate::transport::Session;

/// The manifest types a module artifact may come as.
const ACCEPTED: &str = "application/vnd.oci.image.manifest.v1+json";

/// The manifest `session` names and its `sha256:` digest.
pub(crate) async fn fetch_manifest(session: &Session, plain_http: bool) -> Result<(OciImageManifest, String), OciError> {
    let reference = &session.reference;
    let shown = reference.whole();
    let failed = |message: String| OciError::Registry { action: "pull", reference: shown.clone(), message };
    let token = session.client.auth(reference, &session.auth, RegistryOperation::Pull).await.map_err(|e| failed(e.to_string()))?;
    let scheme = if plain_http { "http" } else { "https" };
    let target = reference.digest().or(reference.tag()).unwrap_or("latest");
    let url = format!("{scheme}://{}/v2/{}/manifests/{target}", reference.resolve_registry(), reference.repository());
    let http = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| OciError::Client { message: e.to_string() })?;
    let mut request = http.get(&url).header(ACCEPT, ACCEPTED);
    match (token, &session.auth) {
        (Some(token), _) => request = request.header(AUTHORIZATION, format!("Bearer {token}")),
        (None, RegistryAuth::Basic(user, password)) => request = request.basic_auth(user, Some(password)),
        _ => {}
    }
    let mut response = request.send().await.map_err(|e| failed(e.to_string()))?;
    if !response.status().is_success() {
        return Err(failed(format!("the registry answered {} for {url}", response.status())));
    }
    let limit = media::MAX_OCI_MANIFEST_BYTES;
    let too_large = |size| OciError::TooLarge { module: shown.clone(), what: "OCI manifest".into(), size, limit };
    if let Some(declared) = response.content_length().filter(|&n| n > limit) {
        return Err(too_large(declared));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(e.to_string()))? {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(too_large((body.len() + chunk.len()) as u64));
        }
        body.extend_from_slice(&chunk);
    }
    let digest = format!("sha256:{}", sha256_hex(&body));
    if let Some(expected) = reference.digest().filter(|d| *d != digest) {
        let (expected, actual) = (expected.to_string(), digest);
        return Err(OciError::Tampered { reference: shown, what: "OCI manifest".into(), expected, actual });
    }
    let manifest = serde_json::from_slice(&body).map_err(|e| OciError::NotAPackage {
        reference: shown.clone(),
        problem: format!("its OCI manifest is not an image manifest: {e}"),
    })?;
    Ok((manifest, digest))
}
