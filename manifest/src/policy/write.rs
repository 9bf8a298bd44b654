//! Writing grants back into a policy file: a `[modules.NAME]` section granting exactly a given
//! set of capabilities, in the same shape [`Policy::parse`](super::Policy::parse) reads.

use std::fmt::Write as _;

use super::{Policy, PolicyError};
use crate::manifest::{Capabilities, DirMode, NetworkTarget};

/// `text` as a TOML string: TOML's own escapes (Rust's `{:?}` writes `\u{301}`, which TOML
/// refuses; a folder named with a combining accent would make the file unreadable).
fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// The TOML of a `[modules.NAME]` section granting exactly `caps`.
pub fn grant_section(name: &str, caps: &Capabilities) -> String {
    let quoted = |items: Vec<String>| items.iter().map(|i| toml_string(i)).collect::<Vec<_>>().join(", ");
    let network = caps.network.iter().map(|n| match n {
        NetworkTarget::Host(host) => host.clone(),
        NetworkTarget::Net(net) => net.to_string(),
    });
    let dirs: Vec<String> = caps
        .dirs
        .iter()
        .map(|d| {
            let mode = if d.mode == DirMode::ReadWrite { "rw" } else { "ro" };
            let (host, guest) = (toml_string(&d.host.display().to_string()), toml_string(&d.guest));
            format!("{{ host = {host}, guest = {guest}, mode = \"{mode}\" }}")
        })
        .collect();
    let mut section = format!("[modules.{name}]\n");
    // Writing to a String cannot fail.
    let _ = writeln!(section, "publish = [{}]", quoted(caps.publish.iter().map(|p| p.to_string()).collect()));
    let _ = writeln!(section, "subscribe = [{}]", quoted(caps.subscribe.iter().map(|p| p.to_string()).collect()));
    let _ = writeln!(section, "call = [{}]", quoted(caps.call.clone()));
    let _ = writeln!(section, "devices = [{}]", quoted(caps.devices.iter().map(|d| d.name().to_string()).collect()));
    let _ = writeln!(section, "network = [{}]", quoted(network.collect()));
    let _ = writeln!(section, "dirs = [{}]", dirs.join(", "));
    let _ = writeln!(section, "shell = {}", caps.shell);
    section
}

/// `text` (a policy file's content; `origin` names it in errors) with `[modules.NAME]` granting
/// exactly `caps`: appended when the file has no such section, else replaced. Replacing
/// rewrites the file from its parsed TOML, so its comments do not survive (logged).
pub fn set_module_grant(text: &str, origin: &str, name: &str, caps: &Capabilities) -> Result<String, PolicyError> {
    let invalid = |e: toml::de::Error| PolicyError::Invalid { origin: origin.into(), message: e.to_string() };
    let current = Policy::parse(text, origin)?;
    let section = grant_section(name, caps);
    let out = if current.modules.contains_key(name) {
        tracing::info!(policy = origin, module = name, "replacing the module's grants (the file is rewritten; comments are not kept)");
        let mut table: toml::Table = text.parse().map_err(invalid)?;
        let mut grant: toml::Table = section.parse().map_err(invalid)?;
        let new = grant.remove("modules").and_then(|m| m.as_table().and_then(|m| m.get(name).cloned()));
        if let (Some(toml::Value::Table(modules)), Some(new)) = (table.get_mut("modules"), new) {
            modules.insert(name.to_string(), new);
        }
        toml::to_string(&table).map_err(|e| PolicyError::Invalid { origin: origin.into(), message: e.to_string() })?
    } else {
        let mut out = text.to_string();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&section);
        out
    };
    Policy::parse(&out, origin)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;
    use crate::policy::UnknownPublishers;

    fn caps(text: &str) -> Capabilities {
        let doc =
            format!("name = \"m\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = {{ component = \"m.wasm\" }}\n[capabilities]\n{text}");
        Manifest::parse(&doc, "m").unwrap().capabilities
    }

    #[test]
    fn a_written_section_reads_back_as_the_same_grant() {
        let asked = caps(
            "publish = [\"tags/#\"]\ndevices = [\"display-layer\"]\nnetwork = [\"10.0.0.0/8\", \"api.example\"]\n\
                          dirs = [{ host = \"data\", guest = \"/data\", mode = \"ro\" }]\nshell = true",
        );
        let text = set_module_grant("[install]\nunknown_publishers = \"allow\"\n", "p", "m", &asked).unwrap();
        let policy = Policy::parse(&text, "p").unwrap();
        assert_eq!(policy.modules["m"], asked);
        assert_eq!(policy.install.unknown_publishers, UnknownPublishers::Allow);
    }

    /// Found by fuzzing: Rust's `{:?}` escapes are not TOML's.
    #[test]
    fn folders_with_accents_and_control_characters_are_written_as_toml_reads_them() {
        let asked = caps("dirs = [{ host = \"Cafe\\u0301\", guest = \"/d\\u0001ata\", mode = \"rw\" }]");
        let text = set_module_grant("", "p", "m", &asked).unwrap();
        assert_eq!(Policy::parse(&text, "p").unwrap().modules["m"], asked);
    }

    #[test]
    fn setting_a_grant_again_replaces_the_section() {
        let first = set_module_grant("", "p", "m", &caps("publish = [\"a\"]")).unwrap();
        let second = set_module_grant(&first, "p", "m", &caps("subscribe = [\"b\"]")).unwrap();
        let policy = Policy::parse(&second, "p").unwrap();
        assert_eq!(policy.modules["m"], caps("subscribe = [\"b\"]"));
    }

    #[test]
    fn install_rules_default_to_deny_and_bad_values_name_the_fix() {
        assert_eq!(Policy::parse("", "p").unwrap().install.unknown_publishers, UnknownPublishers::Deny);
        let err = Policy::parse("[install]\nunknown_publishers = \"maybe\"", "p").unwrap_err().to_string();
        assert!(err.contains("\"deny\" or \"allow\""), "{err}");
    }
}
