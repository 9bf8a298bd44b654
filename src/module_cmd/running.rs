//! Changing a module in a running shell: `upgrade_running` moves a loaded module to another
//! installed version in place (the launcher's UPGRADE, the admin panel's button and
//! `visor module upgrade` all end there), and `upgrade_cmd` is the command line's way in — a
//! request to the running shell's admin API, with the token the shell leaves for scripts in
//! `$XDG_RUNTIME_DIR/visor/admin-PORT.token`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use visor_runtime::modules::ModuleHost;
use visor_runtime::registry::Registry;

use super::{Revoked, parse_target, remote};

/// Moves the loaded module `target` names (`NAME` or `NAME@VERSION`) to that installed version
/// — the newest installed when none is named — in place, through the runtime's upgrade: the
/// same module and bus identity, subscriptions kept, and a version that fails to start leaves
/// the old one running (its crash list says why). Returns what was done.
pub fn upgrade_running(registry: &Registry, host: &mut ModuleHost, target: &str) -> anyhow::Result<String> {
    let (name, version) = parse_target(target)?;
    let id = host.find(&name).with_context(|| format!("'{name}' is not running here: start it first (the launcher, or visor run)"))?;
    let running = host.info(id).map(|info| info.version).context("the module went away")?;
    let installed = registry.get(&name, version.as_ref())?.with_context(|| match &version {
        Some(v) => format!("{name}@{v} is not installed (visor module install …; `visor module info {name}` lists what is)"),
        None => format!("'{name}' is not installed in this store (visor module install …)"),
    })?;
    if *installed.version() == running {
        bail!("{name} already runs {running}, the {} installed version", if version.is_some() { "named" } else { "newest" });
    }
    if remote::is_revoked(registry, &installed) {
        return Err(Revoked(installed.id()).into());
    }
    host.upgrade_installed(id, registry, &installed)?;
    Ok(format!("upgrading {name} from {running} to {} in place", installed.version()))
}

/// `visor module upgrade TARGET [--admin ADDR]`: asks the running shell (its admin panel at
/// `admin`, else the one shell on this machine that left a token) to upgrade `target` in place.
pub fn upgrade_cmd(target: &str, admin: Option<SocketAddr>) -> anyhow::Result<String> {
    parse_target(target)?;
    let (addr, token) = find_admin(admin)?;
    let url = format!("http://{addr}/api/modules/{}/upgrade", urlencode(target));
    let response = ureq::post(&url)
        .header("Authorization", &format!("Bearer {token}"))
        .config()
        .http_status_as_error(false)
        .build()
        .send_empty()
        .with_context(|| format!("asking the shell at {addr} (is `visor run --admin` still running?)"))?;
    let status = response.status();
    let body = response.into_body().read_to_string().unwrap_or_default();
    if !status.is_success() {
        // The API answers errors as {"error": "..."}.
        let said = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or(body);
        bail!("the shell at {addr} refused ({status}): {said}");
    }
    Ok(format!("asked the shell at {addr} to upgrade {target}; `visor run`'s log and the admin panel show when it runs\n"))
}

/// The admin panel's address and token: `admin` with its token file, else the only token file
/// a running shell left.
fn find_admin(admin: Option<SocketAddr>) -> anyhow::Result<(SocketAddr, String)> {
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .context("XDG_RUNTIME_DIR is not set, so the running shell's admin token cannot be found")?;
    let dir = runtime.join("visor");
    let token_file = |port: u16| dir.join(format!("admin-{port}.token"));
    let (addr, file) = match admin {
        Some(addr) => (addr, token_file(addr.port())),
        None => {
            let mut found: Vec<(u16, PathBuf)> = std::fs::read_dir(&dir)
                .into_iter()
                .flatten()
                .flatten()
                .filter_map(|entry| {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let port = name.strip_prefix("admin-")?.strip_suffix(".token")?.parse().ok()?;
                    Some((port, entry.path()))
                })
                .collect();
            match found.len() {
                0 => bail!("no running shell with an admin panel: start one with `visor run --admin`, then ask again"),
                1 => {
                    let (port, file) = found.remove(0);
                    (SocketAddr::from(([127, 0, 0, 1], port)), file)
                }
                _ => {
                    let ports: Vec<String> = found.iter().map(|(port, _)| port.to_string()).collect();
                    bail!("several shells run admin panels (ports {}): name one with --admin 127.0.0.1:PORT", ports.join(", "))
                }
            }
        }
    };
    let token = std::fs::read_to_string(&file)
        .with_context(|| format!("reading {} (the token a shell started with `--admin {addr}` leaves)", file.display()))?;
    Ok((addr, token.trim().to_owned()))
}

/// `text` as one URL path segment.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
