//! [`publish`]: pushes a [`Package`] (and its signature, if any) to a registry as a Visor
//! module artifact: config, manifest layer, component layer, signature layer.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use oci_client::client::{Config, ImageLayer};

use crate::error::OciError;
use crate::media;
use crate::package::Package;
use crate::reference::ModuleRef;
use crate::signature::Signature;
use crate::transport::{Session, registry_error};

/// What [`publish`] pushed.
#[derive(Clone, Debug)]
pub struct Published {
    pub reference: ModuleRef,
    /// `sha256:…` of the OCI manifest, when the registry said it.
    pub digest: Option<String>,
    pub bytes: u64,
    pub elapsed: Duration,
}

fn titled(name: &str) -> Option<BTreeMap<String, String>> {
    Some(BTreeMap::from([(media::TITLE.to_string(), name.to_string())]))
}

/// Pushes `package` to `to`, with `signature` as its signature layer (`None` publishes it
/// unsigned, which installs nowhere that checks signatures).
pub fn publish(package: &Package, signature: Option<&Signature>, to: &ModuleRef) -> Result<Published, OciError> {
    package.check_sizes()?;
    let started = Instant::now();
    let session = Session::new(to)?;
    let mut layers = vec![
        ImageLayer::new(package.manifest_bytes.clone(), media::MANIFEST.to_string(), titled("visor.toml")),
        ImageLayer::new(
            package.component_bytes.clone(),
            media::COMPONENT.to_string(),
            titled(&package.component_file.display().to_string()),
        ),
    ];
    if let Some(signature) = signature {
        layers.push(ImageLayer::new(signature.to_json(), media::SIGNATURE.to_string(), titled("signature.json")));
    }
    let bytes = layers.iter().map(|l| l.data.len() as u64).sum();
    let config = Config::new(package.config_json(), media::CONFIG.to_string(), None);
    let annotations = BTreeMap::from([
        ("org.opencontainers.image.title".to_string(), package.manifest.name.clone()),
        ("org.opencontainers.image.version".to_string(), package.manifest.version.to_string()),
    ]);
    let manifest = oci_client::manifest::OciImageManifest::build(&layers, &config, Some(annotations));
    let response = session
        .block_on(session.client.push(&session.reference, &layers, config, &session.auth, Some(manifest)))
        .map_err(registry_error("push", to))?;
    // The manifest's URL ends in its digest on registries that follow the distribution spec.
    let digest = response.manifest_url.rsplit('/').next().filter(|d| d.starts_with("sha256:")).map(str::to_string);
    let elapsed = started.elapsed();
    tracing::info!(module = %package.manifest.id(), to = %to, bytes, signed = signature.is_some(), ?elapsed, "published");
    Ok(Published { reference: to.clone(), digest, bytes, elapsed })
}
