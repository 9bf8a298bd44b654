//! Registry logins: the username and password (or token) to present to a registry that does
//! not serve anonymous users, one per `HOST[:PORT]`, kept in the store's private `keys/` folder
//! (`keys/logins.json`, readable by its owner only) and sent as HTTP basic auth, which
//! oci-client trades for the registry's bearer token when it asks for one.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{OciError, io_err};
use crate::keys::{create_private_dir, write_private};

/// What to present to one registry. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).field("password", &"…").finish()
    }
}

/// The store's registry logins.
#[derive(Clone, Debug)]
pub struct Logins {
    path: PathBuf,
}

#[derive(Default, Serialize, Deserialize)]
struct File {
    hosts: BTreeMap<String, Credentials>,
}

impl Logins {
    pub fn in_store(root: &Path) -> Logins {
        Logins { path: root.join("keys").join("logins.json") }
    }

    /// The login for `registry` (`HOST[:PORT]`), if there is one.
    pub fn get(&self, registry: &str) -> Result<Option<Credentials>, OciError> {
        Ok(self.read()?.hosts.remove(registry))
    }

    /// The registries logged in to.
    pub fn hosts(&self) -> Result<Vec<String>, OciError> {
        Ok(self.read()?.hosts.into_keys().collect())
    }

    /// Records (or replaces) the login for `registry`.
    pub fn set(&self, registry: &str, credentials: Credentials) -> Result<(), OciError> {
        let mut file = self.read()?;
        file.hosts.insert(registry.to_string(), credentials);
        self.write(&file)
    }

    /// Forgets the login for `registry`; whether there was one.
    pub fn remove(&self, registry: &str) -> Result<bool, OciError> {
        let mut file = self.read()?;
        let had = file.hosts.remove(registry).is_some();
        if had {
            self.write(&file)?;
        }
        Ok(had)
    }

    fn read(&self) -> Result<File, OciError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| OciError::BadKeyFile {
                path: self.path.clone(),
                problem: format!("not a logins file ({e}); remove it and log in again"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(File::default()),
            Err(e) => Err(io_err("read", &self.path)(e)),
        }
    }

    /// Writes through a private temporary file and a rename: the old logins or the new.
    fn write(&self, file: &File) -> Result<(), OciError> {
        let dir = self.path.parent().expect("the logins file is inside keys/");
        create_private_dir(dir)?;
        let temp = dir.join(format!("logins.json.{}.tmp", std::process::id()));
        let _ = std::fs::remove_file(&temp);
        let json = serde_json::to_vec_pretty(file).expect("logins serialize");
        write_private(&temp, &json)?;
        std::fs::rename(&temp, &self.path).map_err(io_err("replace", &self.path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_kept_per_registry_privately_and_never_printed() {
        let root = tempfile::tempdir().unwrap();
        let logins = Logins::in_store(root.path());
        assert_eq!(logins.get("127.0.0.1:5000").unwrap(), None);
        let alice = Credentials { username: "alice".into(), password: "s3cret".into() };
        logins.set("127.0.0.1:5000", alice.clone()).unwrap();
        logins.set("ghcr.io", Credentials { username: "bob".into(), password: "t".into() }).unwrap();
        assert_eq!(logins.get("127.0.0.1:5000").unwrap(), Some(alice.clone()));
        assert_eq!(logins.hosts().unwrap(), ["127.0.0.1:5000", "ghcr.io"]);
        assert!(!format!("{alice:?}").contains("s3cret"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(root.path().join("keys/logins.json")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(logins.remove("ghcr.io").unwrap());
        assert!(!logins.remove("ghcr.io").unwrap());
        assert_eq!(logins.hosts().unwrap(), ["127.0.0.1:5000"]);
    }
}
