//! [`OciError`]: why publishing, pulling or checking a module failed, naming the thing and
//! what to do about it.

use std::io;
use std::path::PathBuf;

use thiserror::Error;
use visor_manifest::manifest::ManifestError;

#[derive(Debug, Error)]
pub enum OciError {
    #[error(
        "'{text}' is not a module reference: {problem}; write oci://HOST[:PORT]/REPOSITORY:TAG, \
         e.g. oci://127.0.0.1:5000/visor/hud:1.0.0"
    )]
    BadReference { text: String, problem: String },
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("{} is not a module folder: it has no visor.toml (publish takes the folder `visor module install` takes)", dir.display())]
    NotAModule { dir: PathBuf },
    #[error("module {module} is a native driver ('{native}'): only component modules can be published")]
    NativeModule { module: String, native: String },
    #[error(
        "module {module}: its manifest names the component {}, which is not a file there; build it \
         first (visor apps build) or fix `entry.component`",
        path.display()
    )]
    MissingComponent { module: String, path: PathBuf },
    #[error("{what} of {module} is {size} bytes, over the limit of {limit}; modules this large are refused")]
    TooLarge { module: String, what: String, size: u64, limit: u64 },
    #[error("cannot start the network runtime: {0}")]
    Runtime(#[source] io::Error),
    #[error("cannot set up the registry client: {message}")]
    Client { message: String },
    #[error(
        "{action} {reference} took longer than {seconds} s and was given up (a registry that stalls or \
         trickles cannot hold an install open): try again, or ask the registry's owner"
    )]
    Deadline { action: &'static str, reference: String, seconds: u64 },
    #[error("{action} {reference} failed: {message}{}", hint_for(.message))]
    Registry { action: &'static str, reference: String, message: String },
    #[error("{reference} is not a Visor module: {problem} (modules are published with `visor module publish`)")]
    NotAPackage { reference: String, problem: String },
    #[error(
        "{reference} was tampered with: its {what} does not match its digest (expected {expected}, \
         got {actual}); nothing was installed — ask the publisher to publish it again and tell \
         the registry's operator"
    )]
    Tampered { reference: String, what: String, expected: String, actual: String },
    #[error(
        "{reference} ({module}) is not signed; nothing was installed — ask its publisher to publish \
         it signed (visor module publish DIR REF --key NAME)"
    )]
    Unsigned { reference: String, module: String },
    #[error(
        "{reference} ({module}): its signature was made for other content ({problem}); it was \
         altered after signing — nothing was installed"
    )]
    SignatureMismatch { reference: String, module: String, problem: String },
    #[error(
        "{reference} ({module}): the signature does not verify with the key it names (ed25519 {key}): \
         it was signed with another key, or altered; nothing was installed — do not trust this copy"
    )]
    BadSignature { reference: String, module: String, key: String },
    #[error(
        "{reference} ({module}) is signed by '{name}' (ed25519 {key}), a key you revoked; nothing was \
         installed (`visor keys list` shows revoked keys; trust a new key of the publisher's with \
         `visor keys trust`)"
    )]
    Revoked { reference: String, module: String, name: String, key: String },
    #[error(
        "{reference} ({module}) is signed by a key you have not trusted (ed25519 {key}); nothing was \
         installed — if you know the publisher, trust their key with `visor keys trust KEY --name \
         NAME`; to install modules from unknown publishers set {setting} in {policy} (or pass \
         --allow-unknown-publisher for this install)"
    )]
    UnknownPublisher { reference: String, module: String, key: String, setting: &'static str, policy: String },
    #[error("'{name}' is not a key name: use 1 to 64 of a-z, 0-9 and '-', starting with a letter")]
    BadKeyName { name: String },
    #[error("no key named '{name}' {place}; {}", available_keys(.available))]
    NoSuchKey { name: String, place: &'static str, available: Vec<String> },
    #[error("a key named '{name}' already exists ({}); pick another name", path.display())]
    KeyExists { name: String, path: PathBuf },
    #[error("{} is not a key file of this keyring: {problem}", path.display())]
    BadKeyFile { path: PathBuf, problem: String },
    #[error(
        "'{text}' is not an ed25519 public key ({problem}); pass a .pub file from `visor keys new`, \
         its line \"ed25519 HEX NAME\", or the 64 hex digits"
    )]
    BadPublicKey { text: String, problem: String },
    #[error("which key should sign? {}; pass --key NAME (or --unsigned to publish without a signature)", available_keys(.available))]
    ChooseKey { available: Vec<String> },
    #[error("the key '{name}' is revoked in this keyring; sign with another (visor keys new NAME)")]
    SigningKeyRevoked { name: String },
}

fn available_keys(available: &[String]) -> String {
    if available.is_empty() {
        "there are none yet: make one with `visor keys new NAME`".to_string()
    } else {
        format!("the keys here: {}", available.join(", "))
    }
}

/// A hint for the registry failures people meet first.
fn hint_for(message: &str) -> &'static str {
    let lower = message.to_ascii_lowercase();
    if lower.contains("connect") || lower.contains("connection refused") {
        " (is the registry running and the address right? plain HTTP is used for loopback \
          addresses; pass --insecure for another HTTP-only registry)"
    } else if lower.contains("manifest unknown") || lower.contains("not found") {
        " (no such repository or tag in that registry: check the reference)"
    } else if lower.contains("unauthorized") || lower.contains("denied") {
        " (the registry wants credentials, which this build does not send yet)"
    } else {
        ""
    }
}

/// `map_err` helper: `.map_err(io_err("read", &path))`.
pub(crate) fn io_err(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> OciError {
    let path = path.into();
    move |source| OciError::Io { action, path, source }
}
