//! What `visor-oci` reads from a registry or a user, through its public API: a module
//! reference, a public key line, a signature layer (JSON) and a module folder.
//!
//! Input, in [`SEPARATOR`](crate::SEPARATOR)-separated sections: a reference (`oci://…`, also
//! read as a key line), the `visor.toml` layer, the signature layer, and the component's bytes.
//! The manifest and component layers reach `Package` through `Package::from_dir` on a scratch
//! folder: `Package::from_parts`, which `pull` uses on downloaded bytes, is crate-private, and
//! the OCI image manifest itself is parsed by oci-client inside `pull` (network only).
//!
//! Asserted: no panic; a reference prints and parses back to itself; a key prints and parses
//! back; a signature layer serializes and parses back, and one that verifies names its key;
//! a package holds the bytes it was read from and writes out and reads back the same; a
//! signature accepted for a package vouches for exactly that package's statement and verifies;
//! with an empty keyring its publisher is unknown, which the default `[install]` rules refuse
//! and an explicit allowance admits; an unsigned package is refused.

use std::fs;
use std::path::Path;

use visor_manifest::manifest::Entry;
use visor_manifest::policy::InstallRules;
use visor_manifest::{Audit, Manifest};
use visor_oci::{Keyring, ModuleRef, OciError, Package, PublicKey, Publisher, Signature, admit, check_signature};

pub fn run(data: &[u8]) {
    let parts = crate::sections(data, 4);
    let reference = crate::text(&parts, 0).unwrap_or_default();
    check_reference(reference);
    let signature = parts.get(2).and_then(|bytes| Signature::from_json(bytes).ok());
    if let Some(signature) = &signature {
        check_signature_layer(signature);
    }
    if let Some(manifest) = parts.get(1) {
        check_package(reference, manifest, parts.get(3).copied().unwrap_or_default(), signature.as_ref());
    }
}

fn check_reference(text: &str) {
    if let Ok(r) = ModuleRef::parse(text) {
        assert!(ModuleRef::is_reference(text), "'{text}' parsed but is not a reference");
        let printed = r.to_string();
        assert_eq!(ModuleRef::parse(&printed).as_ref().ok(), Some(&r), "'{text}' prints as '{printed}', which reads back otherwise");
        let _ = r.plain_http();
    }
    if let Ok((key, _name)) = PublicKey::parse_line(text) {
        assert_eq!(PublicKey::from_hex(&key.to_hex()), Ok(key));
        assert_eq!(key.fingerprint().len(), 16);
        assert_eq!(PublicKey::parse_line(&key.to_line("k")), Ok((key, Some("k".to_string()))));
    }
}

fn check_signature_layer(signature: &Signature) {
    assert_eq!(Signature::from_json(&signature.to_json()).as_ref(), Ok(signature), "a signature layer does not read back");
    let _ = signature.statement.signed_bytes();
    if let Ok(key) = signature.verify() {
        assert_eq!(PublicKey::from_hex(&signature.key), Ok(key), "a signature verified under another key than it names");
    }
}

fn check_package(reference: &str, manifest: &[u8], component: &[u8], signature: Option<&Signature>) {
    let dir = crate::scratch_dir();
    fs::write(dir.path().join("visor.toml"), manifest).expect("write visor.toml");
    // The component goes where the manifest says, when it says somewhere inside the folder.
    if let Ok(Entry::Component(file)) =
        std::str::from_utf8(manifest).map_err(drop).and_then(|t| Manifest::parse(t, "probe").map_err(drop)).map(|m| m.entry)
    {
        let path = dir.path().join(file);
        if let Some(parent) = path.parent() {
            let _ = fs::create_dir_all(parent);
        }
        let _ = fs::write(path, component);
    }
    let Ok(package) = Package::from_dir(dir.path()) else { return };
    assert_eq!(package.manifest_bytes, manifest);
    assert_eq!(package.component_bytes, component);
    let statement = package.statement();
    assert_eq!(
        (statement.name.as_str(), statement.version.as_str()),
        (package.manifest.name.as_str(), &*package.manifest.version.to_string())
    );

    let out = crate::scratch_dir();
    package.write_to(out.path()).expect("a package writes out to an empty folder");
    let back = Package::from_dir(out.path()).expect("a package written out reads back");
    // Bytes and identity, not `Manifest`'s `==`: free `[settings]` may hold a NaN.
    assert_eq!((&back.manifest_bytes, &back.component_bytes), (&package.manifest_bytes, &package.component_bytes));
    assert_eq!((back.manifest.id(), &back.component_file), (package.manifest.id(), &package.component_file));

    let keyring = Keyring::open(&dir.path().join("keys"));
    assert!(matches!(check_signature(reference, &package, None, &keyring), Err(OciError::Unsigned { .. })));
    let Some(signature) = signature else { return };
    let Ok(publisher) = check_signature(reference, &package, Some(signature), &keyring) else { return };
    assert_eq!(signature.statement, statement, "a signature for another statement was accepted");
    let key = signature.verify().expect("an accepted signature verifies");
    assert_eq!(publisher, Publisher::Unknown { key }, "an empty keyring knows no publisher");
    let policy = Path::new("policy.toml");
    assert!(
        admit(reference, &package, &publisher, InstallRules::default(), false, policy).is_err(),
        "an unknown publisher admitted by default"
    );
    let audit =
        admit(reference, &package, &publisher, InstallRules::default(), true, policy).expect("an allowed unknown publisher is admitted");
    assert_eq!(audit, Audit::UnknownPublisher { key: key.to_hex() });
}
