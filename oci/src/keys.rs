//! [`Keyring`]: the user's ed25519 keys, in the store's `keys/` folder.
//!
//! ```text
//! keys/own/NAME.key        the private key (its 32-byte seed in hex), mode 0600; folder 0700
//! keys/own/NAME.pub        its public line, to hand to others: "ed25519 HEX NAME"
//! keys/trusted/NAME.pub    publishers whose modules install (own keys count as trusted too)
//! keys/revoked/HEX.pub     keys whose modules are refused, whatever else says; named by the
//!                          key itself (the line inside keeps the name), so revoking a second
//!                          key called like the first can never overwrite the first's revocation
//! ```
//!
//! A key is judged by its bytes, never by its name: names are only what the user calls it.
//! (Older stores kept `revoked/NAME.pub`; those files are still read as revocations.)

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use ed25519_dalek::{SigningKey, VerifyingKey};

use crate::error::{OciError, io_err};

/// An ed25519 public key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(pub(crate) VerifyingKey);

impl PublicKey {
    pub fn to_hex(&self) -> String {
        hex::encode(self.0.as_bytes())
    }

    /// The first 16 hex digits, for listings.
    pub fn fingerprint(&self) -> String {
        self.to_hex()[..16].to_string()
    }

    pub fn from_hex(text: &str) -> Result<PublicKey, String> {
        let bytes: [u8; 32] = hex::decode(text.trim()).ok().and_then(|b| b.try_into().ok()).ok_or("a public key is 64 hex digits")?;
        VerifyingKey::from_bytes(&bytes).map(PublicKey).map_err(|e| format!("not a valid ed25519 point: {e}"))
    }

    /// Reads `ed25519 HEX [NAME]` (a `.pub` file's line), `ed25519:HEX`, or bare `HEX`, and
    /// returns the key and the name the line gives, if any.
    pub fn parse_line(text: &str) -> Result<(PublicKey, Option<String>), String> {
        let mut words = text.split_whitespace();
        let first = words.next().ok_or("it is empty")?;
        let (hex, name) = match (first, first.strip_prefix("ed25519:")) {
            ("ed25519", _) => (words.next().ok_or("nothing follows 'ed25519'")?, words.next()),
            (_, Some(hex)) => (hex, words.next()),
            (hex, None) => (hex, words.next()),
        };
        Ok((PublicKey::from_hex(hex)?, name.map(str::to_string)))
    }

    pub fn to_line(&self, name: &str) -> String {
        format!("ed25519 {} {name}\n", self.to_hex())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyState {
    /// One of the user's own keys (it can sign; it is trusted).
    Own,
    Trusted,
    Revoked,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyEntry {
    pub name: String,
    pub key: PublicKey,
    pub state: KeyState,
    pub path: PathBuf,
}

#[derive(Clone, Debug)]
pub struct Keyring {
    dir: PathBuf,
}

impl Keyring {
    /// The keyring in the folder `dir` (created when first written).
    pub fn open(dir: &Path) -> Keyring {
        Keyring { dir: dir.to_path_buf() }
    }

    /// The keyring of the store rooted at `root`: `root/keys`.
    pub fn in_store(root: &Path) -> Keyring {
        Keyring::open(&root.join("keys"))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn folder(&self, state: KeyState) -> PathBuf {
        self.dir.join(match state {
            KeyState::Own => "own",
            KeyState::Trusted => "trusted",
            KeyState::Revoked => "revoked",
        })
    }

    /// Makes a new key pair `name` from the operating system's randomness.
    pub fn create(&self, name: &str) -> Result<KeyEntry, OciError> {
        check_name(name)?;
        let own = self.folder(KeyState::Own);
        let path = own.join(format!("{name}.key"));
        if path.exists() {
            return Err(OciError::KeyExists { name: name.to_string(), path });
        }
        create_private_dir(&own)?;
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| io_err("draw randomness for", &path)(std::io::Error::other(e.to_string())))?;
        let signing = SigningKey::from_bytes(&seed);
        write_private(&path, format!("{}\n", hex::encode(seed)).as_bytes())?;
        let key = PublicKey(signing.verifying_key());
        let public = own.join(format!("{name}.pub"));
        fs::write(&public, key.to_line(name)).map_err(io_err("write", &public))?;
        tracing::info!(key = name, fingerprint = %key.fingerprint(), "created a signing key");
        Ok(KeyEntry { name: name.to_string(), key, state: KeyState::Own, path: public })
    }

    /// The own key `name` to sign with; with no name, the only own key there is.
    pub fn signing_key(&self, name: Option<&str>) -> Result<(String, SigningKey), OciError> {
        let own: Vec<KeyEntry> = self.entries()?.into_iter().filter(|e| e.state == KeyState::Own).collect();
        let names = || own.iter().map(|e| e.name.clone()).collect::<Vec<_>>();
        let name = match (name, own.as_slice()) {
            (Some(name), _) => name.to_string(),
            (None, [only]) => only.name.clone(),
            (None, _) => return Err(OciError::ChooseKey { available: names() }),
        };
        check_name(&name)?;
        let path = self.folder(KeyState::Own).join(format!("{name}.key"));
        if !path.is_file() {
            return Err(OciError::NoSuchKey { name, place: "among your own keys", available: names() });
        }
        let signing = read_private(&path)?;
        if self.revoked(&PublicKey(signing.verifying_key()))?.is_some() {
            return Err(OciError::SigningKeyRevoked { name });
        }
        Ok((name, signing))
    }

    /// Trusts `key` as the publisher `name`.
    pub fn trust(&self, key: PublicKey, name: &str) -> Result<KeyEntry, OciError> {
        check_name(name)?;
        let folder = self.folder(KeyState::Trusted);
        let path = folder.join(format!("{name}.pub"));
        if let Ok((existing, _)) = read_public(&path)
            && existing != key
        {
            return Err(OciError::KeyExists { name: name.to_string(), path });
        }
        fs::create_dir_all(&folder).map_err(io_err("create the folder", &folder))?;
        fs::write(&path, key.to_line(name)).map_err(io_err("write", &path))?;
        Ok(KeyEntry { name: name.to_string(), key, state: KeyState::Trusted, path })
    }

    /// Revokes every own or trusted key called `target` or equal to it (a public key); a public
    /// key known under no name is recorded as revoked under `name` (else its fingerprint).
    pub fn revoke(&self, target: &str, name: Option<&str>) -> Result<Vec<KeyEntry>, OciError> {
        let as_key = PublicKey::parse_line(target).ok().map(|(k, _)| k);
        let matches = |e: &KeyEntry| e.name == target || Some(e.key) == as_key;
        let mut revoked = Vec::new();
        let entries = self.entries()?;
        let mut found: Vec<(String, PublicKey)> = Vec::new();
        for e in entries.iter().filter(|e| e.state != KeyState::Revoked && matches(e)) {
            // An own key is usually trusted under the same name too: revoke it once.
            if !found.iter().any(|(n, k)| *n == e.name && *k == e.key) {
                found.push((e.name.clone(), e.key));
            }
        }
        if found.is_empty() {
            let Some(key) = as_key else {
                let available = entries.iter().filter(|e| e.state != KeyState::Revoked).map(|e| e.name.clone()).collect();
                return Err(OciError::NoSuchKey { name: target.to_string(), place: "to revoke", available });
            };
            found.push((name.map(str::to_string).unwrap_or_else(|| key.fingerprint()), key));
        }
        let folder = self.folder(KeyState::Revoked);
        fs::create_dir_all(&folder).map_err(io_err("create the folder", &folder))?;
        for (name, key) in found {
            // Keyed by the key's bytes: one file per revoked key, however many share a name.
            let path = folder.join(format!("{}.pub", key.to_hex()));
            fs::write(&path, key.to_line(&name)).map_err(io_err("write", &path))?;
            let trusted = self.folder(KeyState::Trusted).join(format!("{name}.pub"));
            if trusted.is_file() {
                fs::remove_file(&trusted).map_err(io_err("remove", &trusted))?;
            }
            tracing::info!(key = %name, fingerprint = %key.fingerprint(), "revoked");
            revoked.push(KeyEntry { name, key, state: KeyState::Revoked, path });
        }
        Ok(revoked)
    }

    /// Every key in the keyring: own, then trusted, then revoked, each sorted by name.
    pub fn entries(&self) -> Result<Vec<KeyEntry>, OciError> {
        let mut out = Vec::new();
        for (state, extension) in [(KeyState::Own, "key"), (KeyState::Trusted, "pub"), (KeyState::Revoked, "pub")] {
            let folder = self.folder(state);
            let Ok(listing) = fs::read_dir(&folder) else { continue };
            let mut found = Vec::new();
            for entry in listing {
                let path = entry.map_err(io_err("list", &folder))?.path();
                let Some(name) = path.file_stem().and_then(|n| n.to_str()).map(str::to_string) else { continue };
                if path.extension().and_then(|e| e.to_str()) != Some(extension) {
                    continue;
                }
                let (key, label) = match state {
                    KeyState::Own => (PublicKey(read_private(&path)?.verifying_key()), None),
                    _ => read_public(&path)?,
                };
                // A revocation's file is named by its key; the name the user knew it by is inside.
                let name = if state == KeyState::Revoked { label.unwrap_or(name) } else { name };
                found.push(KeyEntry { name, key, state, path });
            }
            found.sort_by(|a, b| a.name.cmp(&b.name));
            out.extend(found);
        }
        Ok(out)
    }

    /// The revoked entry for `key`, if it is revoked.
    pub fn revoked(&self, key: &PublicKey) -> Result<Option<KeyEntry>, OciError> {
        Ok(self.entries()?.into_iter().find(|e| e.state == KeyState::Revoked && e.key == *key))
    }

    /// What the keyring says about `key`: revoked wins over trusted, trusted over own.
    pub fn lookup(&self, key: &PublicKey) -> Result<Option<KeyEntry>, OciError> {
        let entries: Vec<KeyEntry> = self.entries()?.into_iter().filter(|e| e.key == *key).collect();
        let rank = |s: KeyState| match s {
            KeyState::Revoked => 0,
            KeyState::Trusted => 1,
            KeyState::Own => 2,
        };
        Ok(entries.into_iter().min_by_key(|e| rank(e.state)))
    }
}

fn check_name(name: &str) -> Result<(), OciError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok { Ok(()) } else { Err(OciError::BadKeyName { name: name.to_string() }) }
}

/// A public key file's key and the name on its line, if any.
fn read_public(path: &Path) -> Result<(PublicKey, Option<String>), OciError> {
    let text = fs::read_to_string(path).map_err(io_err("read", path))?;
    PublicKey::parse_line(&text).map_err(|problem| OciError::BadKeyFile { path: path.to_path_buf(), problem })
}

fn read_private(path: &Path) -> Result<SigningKey, OciError> {
    let text = fs::read_to_string(path).map_err(io_err("read", path))?;
    let seed: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| OciError::BadKeyFile { path: path.to_path_buf(), problem: "a private key file holds 64 hex digits".into() })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(file = %path.display(), "a private key others can read; chmod 600 it");
        }
    }
    Ok(SigningKey::from_bytes(&seed))
}

pub(crate) fn create_private_dir(dir: &Path) -> Result<(), OciError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io_err("create the folder", dir))
}

/// Creates `path` readable and writable by its owner only, and writes `bytes`.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), OciError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(io_err("create", path))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(io_err("write", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyring(name: &str) -> (tempfile::TempDir, Keyring) {
        let dir = tempfile::Builder::new().prefix(&format!("visor-keys-{name}")).tempdir().unwrap();
        let keyring = Keyring::in_store(dir.path());
        (dir, keyring)
    }

    fn key(seed: u8) -> PublicKey {
        PublicKey(SigningKey::from_bytes(&[seed; 32]).verifying_key())
    }

    #[test]
    fn revoking_a_second_key_of_the_same_name_keeps_the_first_revoked() {
        let (_dir, keyring) = keyring("same-name");
        let (first, second) = (key(1), key(2));
        keyring.trust(first, "alice").unwrap();
        keyring.revoke("alice", None).unwrap();
        // The user trusts a new key under the old name, then revokes that one too.
        keyring.trust(second, "alice").unwrap();
        keyring.revoke("alice", None).unwrap();
        assert!(keyring.revoked(&first).unwrap().is_some(), "the first key must stay revoked");
        assert!(keyring.revoked(&second).unwrap().is_some());
        let names: Vec<String> = keyring.entries().unwrap().into_iter().filter(|e| e.state == KeyState::Revoked).map(|e| e.name).collect();
        assert_eq!(names, ["alice", "alice"], "both listed under the name the user knew them by");
    }

    #[test]
    fn a_key_revoked_by_its_bytes_under_a_new_name_does_not_touch_another() {
        let (_dir, keyring) = keyring("by-bytes");
        let (first, second) = (key(3), key(4));
        keyring.revoke(&first.to_hex(), Some("mallory")).unwrap();
        keyring.revoke(&second.to_hex(), Some("mallory")).unwrap();
        assert!(keyring.revoked(&first).unwrap().is_some() && keyring.revoked(&second).unwrap().is_some());
    }

    #[test]
    fn a_revocation_in_the_older_layout_still_counts() {
        let (dir, keyring) = keyring("old-layout");
        let old = dir.path().join("keys/revoked");
        fs::create_dir_all(&old).unwrap();
        fs::write(old.join("eve.pub"), key(5).to_line("eve")).unwrap();
        let entry = keyring.revoked(&key(5)).unwrap().expect("still revoked");
        assert_eq!(entry.name, "eve");
    }
}
