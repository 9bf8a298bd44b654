//! Who signed a package ([`check_signature`]) and whether the policy lets it in ([`admit`]).
//!
//! The checks run from the bytes outward: the statement against the package's actual hashes,
//! the signature against the key it names, then that key against the keyring. Only a package
//! that passes all three has a [`Publisher`]; [`admit`] then turns a publisher into the
//! [`Audit`] state the registry records, or refuses an unknown one under a deny policy.

use std::path::Path;

use visor_manifest::audit::Audit;
use visor_manifest::policy::{InstallRules, UNKNOWN_PUBLISHERS_SETTING, UnknownPublishers};

use crate::error::OciError;
use crate::keys::{KeyState, Keyring, PublicKey};
use crate::package::Package;
use crate::signature::Signature;

/// Who vouched for a package whose signature holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Publisher {
    /// A key the user trusts (or their own), under the user's name for it.
    Trusted { name: String, key: PublicKey },
    /// A sound signature by a key the user has never trusted.
    Unknown { key: PublicKey },
}

/// Checks `signature` (the package's signature layer, if it had one) against the package's
/// bytes and the keyring. `reference` names the package in errors.
pub fn check_signature(
    reference: &str,
    package: &Package,
    signature: Option<&Signature>,
    keyring: &Keyring,
) -> Result<Publisher, OciError> {
    let module = package.manifest.id();
    let Some(signature) = signature else {
        return Err(OciError::Unsigned { reference: reference.to_string(), module });
    };
    if let Some(problem) = signature.statement.difference(&package.statement()) {
        return Err(OciError::SignatureMismatch { reference: reference.to_string(), module, problem });
    }
    let key = signature.verify().map_err(|problem| {
        tracing::debug!(%problem, "signature does not verify");
        OciError::BadSignature { reference: reference.to_string(), module: module.clone(), key: signature.key.clone() }
    })?;
    match keyring.lookup(&key)? {
        Some(entry) if entry.state == KeyState::Revoked => {
            Err(OciError::Revoked { reference: reference.to_string(), module, name: entry.name, key: key.to_hex() })
        }
        Some(entry) => Ok(Publisher::Trusted { name: entry.name, key }),
        None => Ok(Publisher::Unknown { key }),
    }
}

/// The audit state to record for `publisher`, or a refusal naming the setting that would allow
/// it: unknown publishers install only when the policy (`rules`, read from `policy_path`) or
/// the user's `allow_unknown` for this one install says so.
pub fn admit(
    reference: &str,
    package: &Package,
    publisher: &Publisher,
    rules: InstallRules,
    allow_unknown: bool,
    policy_path: &Path,
) -> Result<Audit, OciError> {
    match publisher {
        Publisher::Trusted { name, key } => Ok(Audit::TrustedPublisher { name: name.clone(), key: key.to_hex() }),
        Publisher::Unknown { key } if allow_unknown || rules.unknown_publishers == UnknownPublishers::Allow => {
            tracing::warn!(module = %package.manifest.id(), key = %key.to_hex(), "installing a module from an unknown publisher, as allowed");
            Ok(Audit::UnknownPublisher { key: key.to_hex() })
        }
        Publisher::Unknown { key } => Err(OciError::UnknownPublisher {
            reference: reference.to_string(),
            module: package.manifest.id(),
            key: key.to_hex(),
            setting: UNKNOWN_PUBLISHERS_SETTING,
            policy: policy_path.display().to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use visor_manifest::manifest::Manifest;

    use super::*;

    fn package() -> Package {
        let text = "name = \"hud\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = { component = \"hud.wasm\" }\n";
        Package {
            manifest: Manifest::parse(text, "t").unwrap(),
            manifest_bytes: text.as_bytes().to_vec(),
            component_file: "hud.wasm".into(),
            component_bytes: b"\0asm".to_vec(),
        }
    }

    fn keyring(name: &str) -> (tempfile::TempDir, Keyring) {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keyring::open(&dir.path().join(name));
        (dir, keys)
    }

    #[test]
    fn own_trusted_unknown_and_revoked_keys() {
        let (_d, keys) = keyring("k");
        let alice = keys.create("alice").unwrap();
        let (_, signing) = keys.signing_key(None).unwrap();
        let pkg = package();
        let signed = Signature::sign(&pkg.statement(), &signing, "alice");
        let trusted = check_signature("r", &pkg, Some(&signed), &keys).unwrap();
        assert_eq!(trusted, Publisher::Trusted { name: "alice".into(), key: alice.key });

        let (_e, stranger_keys) = keyring("s");
        assert_eq!(check_signature("r", &pkg, Some(&signed), &stranger_keys).unwrap(), Publisher::Unknown { key: alice.key });
        stranger_keys.trust(alice.key, "al").unwrap();
        assert!(
            matches!(check_signature("r", &pkg, Some(&signed), &stranger_keys).unwrap(), Publisher::Trusted { name, .. } if name == "al")
        );
        assert_eq!(stranger_keys.revoke("al", None).unwrap().len(), 1);
        let err = check_signature("r", &pkg, Some(&signed), &stranger_keys).unwrap_err();
        assert!(matches!(err, OciError::Revoked { .. }), "{err}");

        keys.revoke("alice", None).unwrap();
        assert!(matches!(keys.signing_key(Some("alice")), Err(OciError::SigningKeyRevoked { .. })));
    }

    #[test]
    fn unsigned_altered_and_forged_packages_are_refused() {
        let (_d, keys) = keyring("k");
        let pkg = package();
        assert!(matches!(check_signature("r", &pkg, None, &keys), Err(OciError::Unsigned { .. })));
        let mallory = SigningKey::from_bytes(&[9; 32]);
        let mut forged = Signature::sign(&pkg.statement(), &mallory, "alice");
        forged.key = keys.create("alice").unwrap().key.to_hex();
        assert!(matches!(check_signature("r", &pkg, Some(&forged), &keys), Err(OciError::BadSignature { .. })));
        let mut other = pkg.clone();
        other.component_bytes.push(1);
        let signed = Signature::sign(&pkg.statement(), &mallory, "m");
        assert!(matches!(check_signature("r", &other, Some(&signed), &keys), Err(OciError::SignatureMismatch { .. })));
    }

    #[test]
    fn unknown_publishers_need_the_policy_or_the_flag() {
        let pkg = package();
        let unknown = Publisher::Unknown { key: PublicKey(SigningKey::from_bytes(&[3; 32]).verifying_key()) };
        let deny = InstallRules::default();
        let err = admit("r", &pkg, &unknown, deny, false, Path::new("/p/policy.toml")).unwrap_err().to_string();
        assert!(
            err.contains(UNKNOWN_PUBLISHERS_SETTING) && err.contains("/p/policy.toml") && err.contains("--allow-unknown-publisher"),
            "{err}"
        );
        assert!(matches!(admit("r", &pkg, &unknown, deny, true, Path::new("p")), Ok(Audit::UnknownPublisher { .. })));
        let allow = InstallRules { unknown_publishers: UnknownPublishers::Allow };
        assert!(admit("r", &pkg, &unknown, allow, false, Path::new("p")).is_ok());
    }

    #[test]
    fn private_keys_are_owner_only_and_names_are_checked() {
        let (_d, keys) = keyring("k");
        keys.create("bob").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(keys.dir().join("own/bob.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(keys.create("bob"), Err(OciError::KeyExists { .. })));
        assert!(matches!(keys.create("Bad Name"), Err(OciError::BadKeyName { .. })));
        let line = std::fs::read_to_string(keys.dir().join("own/bob.pub")).unwrap();
        let (key, name) = PublicKey::parse_line(&line).unwrap();
        assert_eq!((key, name.as_deref()), (keys.entries().unwrap()[0].key, Some("bob")));
    }
}
