//! `visor registry …`: logging in to OCI registries that do not serve anonymous users. The
//! logins live in the store ([`visor_oci::Logins`], readable by their owner only), and every
//! publish and install to that registry presents them.
//!
//! - `login HOST[:PORT] --username NAME`: the password (or token) is read from stdin, so it is
//!   neither in the shell's history nor in `ps`: `echo "$TOKEN" | visor registry login …`.
//! - `logout HOST[:PORT]`, `list`.

use std::io::BufRead;

use anyhow::{Context, bail};
use clap::Subcommand;
use visor_oci::{Credentials, Logins};
use visor_runtime::registry::Registry;

#[derive(Subcommand, Debug)]
pub enum RegistryCommand {
    /// Log in to a registry: the password or token is read from stdin.
    Login {
        /// The registry, HOST or HOST:PORT, as in oci://HOST:PORT/….
        host: String,
        #[arg(long, short)]
        username: String,
    },
    /// Forget the login for a registry.
    Logout { host: String },
    /// The registries you are logged in to.
    List,
}

pub fn run(registry: &Registry, command: &RegistryCommand) -> anyhow::Result<String> {
    let logins = Logins::in_store(registry.root());
    match command {
        RegistryCommand::Login { host, username } => {
            check_host(host)?;
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password).context("reading the password from stdin")?;
            let password = password.trim_end_matches(['\r', '\n']).to_string();
            if password.is_empty() {
                bail!("no password on stdin: pipe it in, e.g. `echo \"$TOKEN\" | visor registry login {host} --username {username}`");
            }
            logins.set(host, Credentials { username: username.clone(), password })?;
            Ok(format!("logged in to {host} as {username}; publishes and installs there present it\n"))
        }
        RegistryCommand::Logout { host } => match logins.remove(host)? {
            true => Ok(format!("logged out of {host}\n")),
            false => Ok(format!("not logged in to {host}\n")),
        },
        RegistryCommand::List => {
            let hosts = logins.hosts()?;
            if hosts.is_empty() {
                return Ok("not logged in to any registry (visor registry login HOST --username NAME)\n".into());
            }
            Ok(hosts.iter().map(|h| format!("{h}\n")).collect())
        }
    }
}

/// A registry is named as in a reference: `HOST` or `HOST:PORT`, no scheme, no path.
fn check_host(host: &str) -> anyhow::Result<()> {
    if host.contains("://") || host.contains('/') || host.is_empty() {
        bail!("'{host}' should be a registry's HOST or HOST:PORT, as in oci://HOST:PORT/REPOSITORY:TAG (no scheme, no path)");
    }
    Ok(())
}
