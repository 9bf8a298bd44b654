//! A profile's `[network]` section ([`NetworkConfig`]) as a Zenoh configuration: peer mode
//! unless a router is named, multicast scouting only when asked for, the device's
//! user-password login and its TLS files.

use std::path::Path;

use visor_types::profile::NetworkConfig;

use crate::NetError;

/// The largest message accepted from a peer (an 8K RGBA frame, raw, with room to spare).
pub const MAX_MESSAGE_BYTES: u64 = 160 << 20;

/// The Zenoh configuration for `network`.
pub fn zenoh_config(network: &NetworkConfig) -> Result<zenoh::Config, NetError> {
    let mut config = zenoh::Config::default();
    let mut set = |key: &str, value: serde_json::Value| {
        config.insert_json5(key, &value.to_string()).map_err(|e| NetError::Config { key: key.to_string(), message: e.to_string() })
    };
    set("mode", (if network.router { "client" } else { "peer" }).into())?;
    set("connect/endpoints", network.connect.clone().into())?;
    set("listen/endpoints", network.listen.clone().into())?;
    // A peer that is not up yet is tried again in the background (every 1 to 4 s), so a shell
    // starts whether or not its peers have (a timeout of 0 would try once and give up).
    set("connect/timeout_ms", (-1).into())?;
    set("connect/exit_on_failure", false.into())?;
    set("scouting/multicast/enabled", network.scouting.into())?;
    set("adminspace/enabled", false.into())?;
    // The largest message a peer may send: an 8K RGBA frame sent raw, and no more.
    set("transport/link/rx/max_message_size", MAX_MESSAGE_BYTES.into())?;
    if let Some(auth) = &network.auth {
        set("transport/auth/usrpwd/user", auth.user.clone().into())?;
        set("transport/auth/usrpwd/password", read_secret(&auth.password_file)?.into())?;
        if let Some(users) = &auth.users_file {
            check_file(users, "network.auth.users_file")?;
            set("transport/auth/usrpwd/dictionary_file", users.display().to_string().into())?;
        }
    }
    if let Some(tls) = &network.tls {
        for (path, field) in [(&tls.root_ca, "root_ca"), (&tls.cert, "cert"), (&tls.key, "key")] {
            check_file(path, &format!("network.tls.{field}"))?;
        }
        let path = |p: &Path| serde_json::Value::from(p.display().to_string());
        set("transport/link/tls/root_ca_certificate", path(&tls.root_ca))?;
        set("transport/link/tls/listen_certificate", path(&tls.cert))?;
        set("transport/link/tls/listen_private_key", path(&tls.key))?;
        set("transport/link/tls/connect_certificate", path(&tls.cert))?;
        set("transport/link/tls/connect_private_key", path(&tls.key))?;
        set("transport/link/tls/enable_mtls", true.into())?;
    }
    Ok(config)
}

fn read_secret(path: &Path) -> Result<String, NetError> {
    let text = std::fs::read_to_string(path).map_err(|e| NetError::File {
        path: path.to_path_buf(),
        message: format!("{e}; network.auth.password_file should name a file holding this device's password"),
    })?;
    let secret = text.trim().to_string();
    if secret.is_empty() {
        return Err(NetError::File { path: path.to_path_buf(), message: "is empty; write the device's password in it".into() });
    }
    Ok(secret)
}

fn check_file(path: &Path, field: &str) -> Result<(), NetError> {
    if path.is_file() {
        Ok(())
    } else {
        Err(NetError::File { path: path.to_path_buf(), message: format!("does not exist; {field} should name a readable file") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_section_becomes_a_zenoh_config() {
        let network = NetworkConfig { connect: vec!["tcp/127.0.0.1:7447".into()], ..NetworkConfig::default() };
        let config = zenoh_config(&network).unwrap();
        assert_eq!(config.get_json("mode").unwrap(), "\"peer\"");
        assert!(config.get_json("connect/endpoints").unwrap().contains("tcp/127.0.0.1:7447"));
        assert_eq!(config.get_json("scouting/multicast/enabled").unwrap(), "false");
    }

    #[test]
    fn missing_files_are_named() {
        let auth = visor_types::profile::AuthConfig { user: "me".into(), password_file: "/nonexistent/pass".into(), users_file: None };
        let network = NetworkConfig { auth: Some(auth), ..NetworkConfig::default() };
        let error = zenoh_config(&network).unwrap_err().to_string();
        assert!(error.contains("/nonexistent/pass") && error.contains("password_file"), "{error}");
    }
}
