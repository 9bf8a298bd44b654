//! The policy's `[install]` section: rules for installing modules from the internet, as
//! opposed to what installed modules may do.
//!
//! ```toml
//! [install]
//! unknown_publishers = "deny"   # or "allow": install modules signed by keys not trusted
//! ```

use super::PolicyError;

/// How the setting is named in messages that tell the user to change it.
pub const UNKNOWN_PUBLISHERS_SETTING: &str = "unknown_publishers = \"allow\" under [install]";

/// What to do with a soundly signed module whose key the user has not trusted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum UnknownPublishers {
    /// Refuse it (the default): only trusted publishers install.
    #[default]
    Deny,
    /// Install it, recorded as from an unknown publisher.
    Allow,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InstallRules {
    pub unknown_publishers: UnknownPublishers,
}

impl InstallRules {
    pub(super) fn parse(value: &toml::Value, origin: &str) -> Result<InstallRules, PolicyError> {
        let invalid = |message: String| PolicyError::Invalid { origin: origin.into(), message };
        let Some(table) = value.as_table() else {
            return Err(invalid("`install` should be an [install] section".into()));
        };
        let mut rules = InstallRules::default();
        for (key, value) in table {
            match (key.as_str(), value.as_str()) {
                ("unknown_publishers", Some("deny")) => rules.unknown_publishers = UnknownPublishers::Deny,
                ("unknown_publishers", Some("allow")) => rules.unknown_publishers = UnknownPublishers::Allow,
                ("unknown_publishers", _) => {
                    return Err(invalid(format!("`install.unknown_publishers` is {value}; use \"deny\" or \"allow\"")));
                }
                (other, _) => {
                    return Err(invalid(format!("unknown field `install.{other}`; [install] has `unknown_publishers`")));
                }
            }
        }
        Ok(rules)
    }
}
