//! `visor keys …`: the signing keys you publish with and the publishers whose modules you
//! install. The keyring lives in the store (`keys/`, see [`visor_oci::Keyring`]); every
//! command returns its output as text for `main` to print.
//!
//! - `new NAME`: an ed25519 key pair of your own (trusted by you, used by `module publish`).
//! - `list`: your keys, trusted publishers and revoked keys.
//! - `trust FILE|PUBKEY [--name NAME]`: install modules signed by this key.
//! - `revoke NAME|PUBKEY`: refuse modules signed by it from now on, including installed ones
//!   at start.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use clap::Subcommand;
use visor_oci::{KeyState, Keyring, PublicKey};
use visor_runtime::registry::Registry;

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Make an ed25519 signing key of your own.
    New { name: String },
    /// List your keys, trusted publishers and revoked keys.
    List,
    /// Trust a publisher's key: a .pub file from `visor keys new`, or its 64 hex digits.
    Trust {
        key: String,
        /// What to call the publisher (default: the name in the .pub file).
        #[arg(long)]
        name: Option<String>,
    },
    /// Revoke a key (by name or public key): modules it signed are refused from now on.
    Revoke {
        target: String,
        /// The name to record a key under that the keyring does not know yet.
        #[arg(long)]
        name: Option<String>,
    },
}

pub fn run(registry: &Registry, command: &KeysCommand) -> anyhow::Result<String> {
    let keyring = Keyring::in_store(registry.root());
    match command {
        KeysCommand::New { name } => new(&keyring, name),
        KeysCommand::List => list(&keyring),
        KeysCommand::Trust { key, name } => trust(&keyring, key, name.as_deref()),
        KeysCommand::Revoke { target, name } => revoke(&keyring, target, name.as_deref()),
    }
}

fn new(keyring: &Keyring, name: &str) -> anyhow::Result<String> {
    let entry = keyring.create(name)?;
    let private = keyring.dir().join("own").join(format!("{name}.key"));
    Ok(format!(
        "created key {name} (ed25519 {})\n  private: {} (owner-only; keep it secret)\n  public:  {}\n\
         give the public file to whoever installs your modules: visor keys trust {name}.pub\n",
        entry.key.to_hex(),
        private.display(),
        entry.path.display()
    ))
}

fn list(keyring: &Keyring) -> anyhow::Result<String> {
    let entries = keyring.entries()?;
    if entries.is_empty() {
        return Ok(format!("no keys in {} (visor keys new NAME, visor keys trust FILE)\n", keyring.dir().display()));
    }
    let mut out = String::new();
    for e in entries {
        let state = match e.state {
            KeyState::Own => "own (signs; trusted)",
            KeyState::Trusted => "trusted publisher",
            KeyState::Revoked => "REVOKED",
        };
        writeln!(out, "{:<24} ed25519 {}  {state}", e.name, e.key.fingerprint())?;
    }
    Ok(out)
}

fn trust(keyring: &Keyring, key: &str, name: Option<&str>) -> anyhow::Result<String> {
    let path = Path::new(key);
    let text = if path.is_file() {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    } else {
        key.to_string()
    };
    let (public, named) =
        PublicKey::parse_line(&text).map_err(|problem| visor_oci::OciError::BadPublicKey { text: key.to_string(), problem })?;
    let Some(name) = name.map(str::to_string).or(named) else {
        bail!("say what to call this publisher: visor keys trust {key} --name NAME");
    };
    if let Some(revoked) = keyring.revoked(&public)? {
        tracing::warn!(key = %revoked.name, "this key is revoked; revoked wins, so its modules stay refused");
    }
    let entry = keyring.trust(public, &name)?;
    Ok(format!("trusted {} (ed25519 {}): modules it signs now install\n", entry.name, public.to_hex()))
}

fn revoke(keyring: &Keyring, target: &str, name: Option<&str>) -> anyhow::Result<String> {
    let revoked = keyring.revoke(target, name)?;
    let mut out = String::new();
    for e in revoked {
        writeln!(out, "revoked {} (ed25519 {}): modules it signed are refused from now on", e.name, e.key.fingerprint())?;
    }
    Ok(out)
}
