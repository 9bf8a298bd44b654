//! The oci-client session behind [`publish`](crate::publish) and [`pull`](crate::pull): TLS
//! through rustls with the ring provider, plain HTTP only for a loopback or `--insecure`
//! registry, and a current-thread tokio runtime so the callers stay synchronous.
//!
//! Also [`Capped`], the download buffer that refuses to grow past a part's size limit, and
//! the translation of oci-client's errors into [`OciError`]s that say what happened.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Once;
use std::task::{Context, Poll};
use std::time::Duration;

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::errors::{DigestError, OciDistributionError};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use tokio::io::AsyncWrite;

use crate::error::OciError;
use crate::reference::ModuleRef;

/// One registry conversation: a client and the runtime its futures run on.
pub(crate) struct Session {
    pub client: Client,
    pub reference: Reference,
    pub auth: RegistryAuth,
    runtime: tokio::runtime::Runtime,
}

impl Session {
    pub fn new(module: &ModuleRef) -> Result<Session, OciError> {
        static PROVIDER: Once = Once::new();
        // reqwest is built without a default provider (see Cargo.toml); an Err here means
        // some other part of the process installed one first, which serves as well.
        PROVIDER.call_once(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
        });
        let protocol = if module.plain_http() { ClientProtocol::HttpsExcept(vec![module.registry.clone()]) } else { ClientProtocol::Https };
        let config = ClientConfig {
            protocol,
            // One request per blob instead of a chunked upload: modules are small.
            use_monolithic_push: true,
            // A module is one artifact; an image index is not something to choose from.
            platform_resolver: None,
            connect_timeout: Some(Duration::from_secs(10)),
            read_timeout: Some(Duration::from_secs(60)),
            ..ClientConfig::default()
        };
        let client = Client::try_from(config).map_err(|e| OciError::Client { message: e.to_string() })?;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(OciError::Runtime)?;
        let auth = match &module.auth {
            Some(login) => RegistryAuth::Basic(login.username.clone(), login.password.clone()),
            None => RegistryAuth::Anonymous,
        };
        Ok(Session { client, reference: module.to_oci(), auth, runtime })
    }

    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// Runs `future` to completion unless `within` passes first: `None` then. Per-read
    /// timeouts alone let a registry that sends a byte a minute hold a pull open for ever.
    pub fn block_on_within<F: Future>(&self, within: Duration, future: F) -> Option<F::Output> {
        self.runtime.block_on(async { tokio::time::timeout(within, future).await.ok() })
    }
}

/// A download buffer that fails a write that would take it past `limit` bytes.
pub(crate) struct Capped {
    pub bytes: Vec<u8>,
    limit: u64,
}

/// The message a [`Capped`] write fails with, to tell it apart from other I/O errors.
const OVER_LIMIT: &str = "visor: blob over its size limit";

impl Capped {
    pub fn new(limit: u64) -> Capped {
        Capped { bytes: Vec::new(), limit }
    }
}

impl AsyncWrite for Capped {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if (this.bytes.len() + buf.len()) as u64 > this.limit {
            return Poll::Ready(Err(io::Error::other(OVER_LIMIT)));
        }
        this.bytes.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// What went wrong with one registry operation.
pub(crate) enum Failure {
    /// The bytes did not hash to the digest they were fetched by.
    Digest {
        expected: String,
        actual: String,
    },
    /// The registry sent more than the part's limit.
    OverLimit,
    Other(String),
}

pub(crate) fn classify(error: OciDistributionError) -> Failure {
    match error {
        OciDistributionError::DigestError(DigestError::VerificationError { expected, actual }) => Failure::Digest { expected, actual },
        OciDistributionError::IoError(e) if e.to_string() == OVER_LIMIT => Failure::OverLimit,
        other => Failure::Other(error_chain(&other)),
    }
}

/// An operation's failure as an [`OciError::Registry`].
pub(crate) fn registry_error(action: &'static str, module: &ModuleRef) -> impl FnOnce(OciDistributionError) -> OciError {
    let reference = module.to_string();
    move |e| OciError::Registry { action, reference, message: error_chain(&e) }
}

/// The error and its sources, so "error sending request" says why.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        message.push_str(": ");
        message.push_str(&e.to_string());
        source = e.source();
    }
    message
}
