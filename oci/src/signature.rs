//! [`Statement`] (what a publisher vouches for) and [`Signature`] (the signature layer).
//!
//! The signed bytes are a fixed, line-based rendering of the statement rather than JSON, so
//! that no two encoders can disagree about what was signed. The statement travels inside the
//! signature too, so a mismatch can be described ("signed for component sha256 X, got Y")
//! rather than only refused.

use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};

use crate::keys::PublicKey;

/// What a signature vouches for: this module, at this version, with exactly these bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub name: String,
    pub version: String,
    pub manifest_sha256: String,
    pub component_sha256: String,
}

impl Statement {
    /// The exact bytes an ed25519 signature covers.
    pub fn signed_bytes(&self) -> Vec<u8> {
        format!(
            "visor-module-signature-v1\nname {}\nversion {}\nmanifest-sha256 {}\ncomponent-sha256 {}\n",
            self.name, self.version, self.manifest_sha256, self.component_sha256
        )
        .into_bytes()
    }

    /// How `self` (what was signed) differs from `actual` (what arrived), if it does.
    pub fn difference(&self, actual: &Statement) -> Option<String> {
        let fields = [
            ("module name", &self.name, &actual.name),
            ("version", &self.version, &actual.version),
            ("manifest sha256", &self.manifest_sha256, &actual.manifest_sha256),
            ("component sha256", &self.component_sha256, &actual.component_sha256),
        ];
        let differ: Vec<String> =
            fields.iter().filter(|(_, s, a)| s != a).map(|(what, s, a)| format!("signed {what} {s}, got {a}")).collect();
        (!differ.is_empty()).then(|| differ.join("; "))
    }
}

/// The signature layer's content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub format: u32,
    pub algorithm: String,
    /// The signer's ed25519 public key, 64 hex digits.
    pub key: String,
    /// The name the signer gave its key: a hint for messages only; trust goes by the key.
    pub signer: String,
    pub statement: Statement,
    /// The ed25519 signature of [`Statement::signed_bytes`], 128 hex digits.
    pub signature: String,
}

const FORMAT: u32 = 1;
const ALGORITHM: &str = "ed25519";

impl Signature {
    pub fn sign(statement: &Statement, key: &SigningKey, signer: &str) -> Signature {
        let signature = key.sign(&statement.signed_bytes());
        Signature {
            format: FORMAT,
            algorithm: ALGORITHM.to_string(),
            key: PublicKey(key.verifying_key()).to_hex(),
            signer: signer.to_string(),
            statement: statement.clone(),
            signature: hex::encode(signature.to_bytes()),
        }
    }

    /// Checks the signature against the key it names; `Err` says why it does not hold.
    pub fn verify(&self) -> Result<PublicKey, String> {
        if self.format != FORMAT || self.algorithm != ALGORITHM {
            return Err(format!("format {} / {} is not format {FORMAT} / {ALGORITHM}", self.format, self.algorithm));
        }
        let key = PublicKey::from_hex(&self.key)?;
        let bytes: [u8; 64] =
            hex::decode(&self.signature).ok().and_then(|b| b.try_into().ok()).ok_or("the signature is not 128 hex digits")?;
        let signature = ed25519_dalek::Signature::from_bytes(&bytes);
        key.0.verify_strict(&self.statement.signed_bytes(), &signature).map_err(|e| e.to_string())?;
        Ok(key)
    }

    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a signature always serializes")
    }

    pub fn from_json(bytes: &[u8]) -> Result<Signature, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement() -> Statement {
        Statement { name: "hud".into(), version: "1.0.0".into(), manifest_sha256: "aa".into(), component_sha256: "bb".into() }
    }

    #[test]
    fn a_signature_verifies_and_any_change_breaks_it() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let signed = Signature::sign(&statement(), &key, "alice");
        assert_eq!(signed.verify().unwrap().to_hex(), signed.key);
        let round = Signature::from_json(&signed.to_json()).unwrap();
        assert_eq!(round, signed);

        let mut altered = signed.clone();
        altered.statement.component_sha256 = "cc".into();
        assert!(altered.verify().is_err());
        let mut other_key = signed.clone();
        other_key.key = PublicKey(SigningKey::from_bytes(&[8; 32]).verifying_key()).to_hex();
        assert!(other_key.verify().is_err());
    }

    #[test]
    fn differences_are_described() {
        let mut got = statement();
        got.component_sha256 = "cc".into();
        assert_eq!(statement().difference(&got).unwrap(), "signed component sha256 bb, got cc");
        assert!(statement().difference(&statement()).is_none());
    }
}
