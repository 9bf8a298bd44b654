//! [`ModuleRef`]: where a module lives in a registry, written `oci://HOST[:PORT]/REPOSITORY:TAG`,
//! or `https://HOST[:PORT]/REPOSITORY:TAG` (what a browser's address bar would hold).
//!
//! With `oci://`, registries on a loopback address (`localhost`, `127.0.0.0/8`, `[::1]`) are
//! spoken to over plain HTTP, as a registry started by hand for development or tests is; any
//! other registry over HTTPS unless the user says `--insecure` for it. With `https://`, always
//! HTTPS: the user said so.

use std::fmt;
use std::net::IpAddr;

use crate::error::OciError;
use crate::logins::Credentials;

const SCHEME: &str = "oci://";
const HTTPS: &str = "https://";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleRef {
    /// `HOST[:PORT]`.
    pub registry: String,
    pub repository: String,
    pub tag: String,
    /// Plain HTTP although the registry is not on a loopback address.
    pub insecure: bool,
    /// Written `https://`: HTTPS even on loopback.
    pub https: bool,
    /// The login to present (basic auth); anonymous when `None`.
    pub auth: Option<Credentials>,
}

impl ModuleRef {
    /// Whether `text` is meant as a registry reference rather than a folder.
    pub fn is_reference(text: &str) -> bool {
        text.starts_with(SCHEME) || text.starts_with(HTTPS)
    }

    pub fn parse(text: &str) -> Result<ModuleRef, OciError> {
        let bad = |problem: &str| OciError::BadReference { text: text.to_string(), problem: problem.to_string() };
        let https = text.starts_with(HTTPS);
        let rest = text
            .strip_prefix(SCHEME)
            .or_else(|| text.strip_prefix(HTTPS))
            .ok_or_else(|| bad("it does not start with oci:// or https://"))?;
        let (registry, path) = rest.split_once('/').ok_or_else(|| bad("there is no /REPOSITORY after the registry"))?;
        if registry.is_empty() || !registry.chars().all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c)) {
            return Err(bad("the registry should be HOST or HOST:PORT"));
        }
        let (repository, tag) = path.rsplit_once(':').ok_or_else(|| bad("there is no :TAG (e.g. :1.0.0)"))?;
        if repository.contains(':') || !valid_repository(repository) {
            return Err(bad("the repository should be lowercase a-z, 0-9, '.', '_', '-' in /-separated parts"));
        }
        if !valid_tag(tag) {
            return Err(bad("the tag should be 1 to 128 of A-Z, a-z, 0-9, '_', '.', '-', not starting with '.' or '-'"));
        }
        Ok(ModuleRef {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag: tag.to_string(),
            insecure: false,
            https,
            auth: None,
        })
    }

    /// This reference, spoken to over plain HTTP wherever it is.
    pub fn with_insecure(mut self, insecure: bool) -> ModuleRef {
        self.insecure = insecure;
        self
    }

    /// This reference, presenting `auth` to its registry.
    pub fn with_auth(mut self, auth: Option<Credentials>) -> ModuleRef {
        self.auth = auth;
        self
    }

    /// Whether to use plain HTTP: a loopback registry, or one the user marked insecure.
    pub fn plain_http(&self) -> bool {
        self.insecure || (!self.https && is_loopback(&self.registry))
    }

    pub(crate) fn to_oci(&self) -> oci_client::Reference {
        oci_client::Reference::with_tag(self.registry.clone(), self.repository.clone(), self.tag.clone())
    }
}

impl fmt::Display for ModuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { HTTPS } else { SCHEME };
        write!(f, "{scheme}{}/{}:{}", self.registry, self.repository, self.tag)
    }
}

/// `HOST[:PORT]` names this machine.
fn is_loopback(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => registry.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn valid_repository(repository: &str) -> bool {
    let part_ok = |part: &str| {
        !part.is_empty()
            && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
            && part.starts_with(|c: char| c.is_ascii_alphanumeric())
            && part.ends_with(|c: char| c.is_ascii_alphanumeric())
    };
    repository.len() <= 255 && repository.split('/').all(part_ok)
}

fn valid_tag(tag: &str) -> bool {
    (1..=128).contains(&tag.len()) && tag.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)) && !tag.starts_with(['.', '-'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_and_print_back() {
        let r = ModuleRef::parse("oci://127.0.0.1:5000/visor/hud:1.0.0").unwrap();
        assert_eq!((r.registry.as_str(), r.repository.as_str(), r.tag.as_str()), ("127.0.0.1:5000", "visor/hud", "1.0.0"));
        assert!(r.plain_http());
        assert_eq!(r.to_string(), "oci://127.0.0.1:5000/visor/hud:1.0.0");
        assert!(ModuleRef::parse("oci://[::1]:80/a:b").unwrap().plain_http());
        assert!(ModuleRef::parse("oci://localhost/a:b").unwrap().plain_http());
        let remote = ModuleRef::parse("oci://ghcr.io/someone/face-tags:2.1.0").unwrap();
        assert!(!remote.plain_http() && remote.clone().with_insecure(true).plain_http());
        let https = ModuleRef::parse("https://localhost:5000/visor/hud:1.0.0").unwrap();
        assert!(ModuleRef::is_reference("https://localhost:5000/visor/hud:1.0.0"));
        assert!(!https.plain_http(), "https:// means HTTPS, even on loopback");
        assert_eq!(https.to_string(), "https://localhost:5000/visor/hud:1.0.0");
    }

    #[test]
    fn bad_references_say_what_is_wrong() {
        for (text, needle) in [
            ("127.0.0.1:5000/hud:1", "oci://"),
            ("oci://host", "REPOSITORY"),
            ("oci://host/hud", ":TAG"),
            ("oci://host/Hud:1", "lowercase"),
            ("oci://host/hud:-x", "tag"),
        ] {
            let err = ModuleRef::parse(text).unwrap_err().to_string();
            assert!(err.contains(needle) && err.contains("oci://HOST[:PORT]/REPOSITORY:TAG"), "{text}: {err}");
        }
    }
}
