//! `visor module …`: installing, listing, inspecting, granting and removing modules in the local
//! registry, publishing to and installing from OCI registries, and starting what is installed.
//!
//! Installing a folder never grants anything: a module's capabilities stay denied until the
//! user runs `visor module grant NAME`, which writes exactly what its manifest asks for into
//! the policy file (`policy.toml` in the store). Installing from a registry asks first and
//! writes only what the user grants. `visor run` starts the installed modules whose manifests
//! say `triggers.boot`, with their dependencies first, except those whose publisher's key has
//! been revoked since.
//!
//! Layout: this file (local commands, listing, booting); `remote` (publish and install over
//! OCI, with signatures and the audit state); `consent` (asking what a download may do);
//! `running` (upgrading a module in a running shell, in place).

mod consent;
mod remote;
mod running;

pub use consent::ConsentMode;
pub use consent::{asks, grant_named, limits_text};
pub use remote::{
    Fetched, InstallArgs, InstallTimings, PublishArgs, RemoteInstall, audit_text, fetch, finish, install_remote, is_revoked, publish,
};
pub use running::{upgrade_cmd, upgrade_running};

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use visor_oci::{Keyring, ModuleRef};
use visor_runtime::AppStatus;
use visor_runtime::manifest::{Capabilities, DirMode, NetworkTarget, Version, VersionReq};
use visor_runtime::modules::ModuleHost;
use visor_runtime::policy::{Policy, grant_section};
use visor_runtime::registry::{InstalledModule, Registry};

/// The store (`--store`, else `$VISOR_HOME`, else `~/.local/share/visor`).
pub fn open_store(store: Option<&Path>) -> anyhow::Result<Registry> {
    let root = match store {
        Some(root) => root.to_path_buf(),
        None => Registry::default_root()?,
    };
    Ok(Registry::open(&root)?)
}

pub fn policy_path(registry: &Registry) -> PathBuf {
    registry.root().join("policy.toml")
}

pub fn load_policy(registry: &Registry) -> anyhow::Result<Policy> {
    Ok(Policy::load(&policy_path(registry))?)
}

/// Replaces the store's `policy.toml` with `bytes` durably: written to a temporary file beside
/// it, flushed to disk, renamed over it, and the folder flushed, so a crash or a full disk
/// leaves the old policy or the new one, never a torn one that would grant or deny wrongly.
pub fn write_policy(registry: &Registry, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write as _;
    let path = policy_path(registry);
    let temp = path.with_extension(format!("toml.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(e) = written.and_then(|()| std::fs::rename(&temp, &path)) {
        let _ = std::fs::remove_file(&temp);
        return Err(e).with_context(|| format!("replacing {}", path.display()));
    }
    // The rename is durable once the folder's entry is on disk too.
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir).and_then(|d| d.sync_all()).with_context(|| format!("flushing {}", dir.display()))?;
    }
    Ok(())
}

/// `NAME` or `NAME@VERSION`.
pub fn parse_target(text: &str) -> anyhow::Result<(String, Option<Version>)> {
    match text.split_once('@') {
        None => Ok((text.to_string(), None)),
        Some((name, version)) => {
            let version = Version::parse(version).with_context(|| format!("'{version}' in '{text}' is not a semver version"))?;
            Ok((name.to_string(), Some(version)))
        }
    }
}

fn describe_caps(c: &Capabilities) -> Vec<String> {
    let mut lines = Vec::new();
    let list = |items: Vec<String>| items.join(", ");
    if !c.publish.is_empty() {
        lines.push(format!("publish: {}", list(c.publish.iter().map(|p| p.to_string()).collect())));
    }
    if !c.subscribe.is_empty() {
        lines.push(format!("subscribe: {}", list(c.subscribe.iter().map(|p| p.to_string()).collect())));
    }
    if !c.call.is_empty() {
        lines.push(format!("call: {}", c.call.join(", ")));
    }
    if !c.devices.is_empty() {
        lines.push(format!("devices: {}", list(c.devices.iter().map(|d| d.name().to_string()).collect())));
    }
    if !c.network.is_empty() {
        lines.push(format!("network: {}", list(c.network.iter().map(network_text).collect())));
    }
    for d in &c.dirs {
        let mode = if d.mode == DirMode::ReadWrite { "read-write" } else { "read-only" };
        lines.push(format!("folder: {} as {} ({mode})", d.host.display(), d.guest));
    }
    if c.shell {
        lines.push("the shell capability (manage other modules)".into());
    }
    lines
}

fn network_text(n: &NetworkTarget) -> String {
    match n {
        NetworkTarget::Host(h) => h.clone(),
        NetworkTarget::Net(net) => net.to_string(),
    }
}

/// `visor module install TARGET`: a folder, or an `oci://` reference.
pub fn install_cmd(registry: &Registry, args: &InstallArgs) -> anyhow::Result<String> {
    if ModuleRef::is_reference(&args.target) {
        return remote::install(registry, args);
    }
    if args.yes || args.grant.is_some() || args.allow_unknown_publisher || args.insecure {
        tracing::warn!(
            "--yes, --grant, --allow-unknown-publisher and --insecure apply to oci:// installs; a folder install grants nothing"
        );
    }
    install(registry, Path::new(&args.target))
}

/// Refuses the name of a module built into the shell, or of its launcher: an installed module
/// with one would be granted, or started, as the shell's own.
pub fn check_reserved(name: &str) -> anyhow::Result<()> {
    if crate::builtin::BUILTIN.contains(&name) || name == crate::run::LAUNCHER {
        bail!("'{name}' is the name of a module built into the shell; give your module another name in its visor.toml");
    }
    Ok(())
}

pub fn install(registry: &Registry, path: &Path) -> anyhow::Result<String> {
    let manifest_path = path.join(visor_runtime::manifest::MANIFEST_FILE);
    if let Ok(text) = std::fs::read_to_string(&manifest_path)
        && let Ok(manifest) = visor_runtime::manifest::Manifest::parse(&text, &manifest_path.display().to_string())
    {
        check_reserved(&manifest.name)?;
    }
    let module = registry.install(path)?;
    // Compile now: a broken component shows up at install time, and the first start is cached.
    let engine = visor_runtime::AppEngine::new().map_err(|e| anyhow::anyhow!("starting wasmtime: {e:#}"))?;
    if module.component.is_some() {
        let step = crate::progress::step(format!("compiling {}", module.id()));
        registry.load_component(engine.engine(), &module)?;
        step.done();
    }
    let mut out = format!("installed {}\n", module.id());
    let asks = describe_caps(&module.manifest.capabilities);
    if !asks.is_empty() {
        writeln!(out, "it asks for (denied until you grant it: visor module grant {}):", module.name())?;
        for line in asks {
            writeln!(out, "  {line}")?;
        }
    }
    Ok(out)
}

pub fn list(registry: &Registry) -> anyhow::Result<String> {
    let modules = registry.list()?;
    if modules.is_empty() {
        return Ok("no modules installed (visor module install PATH)\n".into());
    }
    let keyring = Keyring::in_store(registry.root());
    let mut out = String::new();
    for m in modules {
        let boot = if m.manifest.triggers.boot { "  [boot]" } else { "" };
        // Folder installs (the common local case) say nothing; signed ones say who signed.
        let audit = if m.audit.is_local() { String::new() } else { format!("  {}", audit_text(&keyring, &m.audit)) };
        writeln!(out, "{:<24} {:<10} {:?}{boot}{audit}", m.name(), m.version().to_string(), m.manifest.kind)?;
    }
    Ok(out)
}

pub fn info(registry: &Registry, target: &str) -> anyhow::Result<String> {
    let (name, version) = parse_target(target)?;
    let m: InstalledModule = registry
        .get(&name, version.as_ref())?
        .with_context(|| format!("module '{target}' is not installed (visor module list shows what is)"))?;
    let policy = load_policy(registry)?;
    let grant = policy.grant(&m.manifest);
    let mut out = String::new();
    writeln!(out, "{} ({:?})", m.id(), m.manifest.kind)?;
    if !m.manifest.description.is_empty() {
        writeln!(out, "  {}", m.manifest.description)?;
    }
    let versions: Vec<String> = registry.versions(&name)?.iter().map(|v| v.version().to_string()).collect();
    writeln!(out, "  versions installed: {}", versions.join(", "))?;
    writeln!(out, "  manifest sha256: {}", m.manifest_sha256)?;
    if let Some(c) = &m.component {
        writeln!(out, "  component: {} sha256 {}", c.file_name.display(), c.sha256)?;
    }
    writeln!(out, "  installed from: {}", m.source.display())?;
    writeln!(out, "  audit: {}", audit_text(&Keyring::in_store(registry.root()), &m.audit))?;
    for dep in &m.manifest.depends {
        writeln!(out, "  depends on: {dep:?}")?;
    }
    writeln!(out, "  granted: {}", describe_caps(&grant.effective).join("; "))?;
    if !grant.denied.is_empty() {
        writeln!(out, "  denied: {}", grant.denied.join("; "))?;
    }
    Ok(out)
}

pub fn remove(registry: &Registry, target: &str) -> anyhow::Result<String> {
    let (name, version) = parse_target(target)?;
    let removed = registry.remove(&name, version.as_ref())?;
    let versions: Vec<String> = removed.iter().map(|v| v.to_string()).collect();
    Ok(format!("removed {name} {}\n", versions.join(", ")))
}

/// Appends a `[modules.NAME]` section granting what the module's manifest asks for.
pub fn grant(registry: &Registry, name: &str) -> anyhow::Result<String> {
    let m = registry.get(name, None)?.with_context(|| format!("module '{name}' is not installed"))?;
    let section = format!("\n{}", grant_section(name, &m.manifest.capabilities));
    let path = policy_path(registry);
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut policy = Policy::parse(&text, &path.display().to_string())?;
    if policy.modules.contains_key(name) {
        anyhow::bail!("{} already has a [modules.{name}] section; edit it there", path.display());
    }
    text.push_str(&section);
    policy = Policy::parse(&text, &path.display().to_string())?;
    write_policy(registry, text.as_bytes())?;
    Ok(format!("granted {name}: {}\n", describe_caps(&policy.grant(&m.manifest).effective).join("; ")))
}

/// Loads the newest version of every installed module that has a trigger topic, so the shell
/// starts it on the topic's first message, and starts the newest version of each module whose
/// manifest says `boot`, dependencies first. Returns how many modules started.
///
/// Boot survives what it finds: a store that cannot be listed, a module that fails to load or
/// start, or one signed by a revoked key is logged (`warn`, which the admin panel's log shows)
/// and skipped, and the shell starts with the rest.
pub fn boot(registry: &Registry, host: &mut ModuleHost) -> usize {
    let installed = match registry.list() {
        Ok(installed) => newest_of_each(installed),
        Err(e) => {
            tracing::error!(store = %registry.root().display(), "not booting installed modules: the store cannot be read: {e}");
            return 0;
        }
    };
    for module in installed.iter().filter(|m| !m.manifest.triggers.topics.is_empty() && !m.manifest.triggers.boot) {
        if host.find(module.name()).is_some() {
            continue;
        }
        if remote::is_revoked(registry, module) {
            tracing::warn!(module = %module.id(), "not loading: its publisher's key has been revoked (visor keys list)");
            continue;
        }
        if let Err(e) = host.load_installed(registry, module) {
            tracing::warn!(module = %module.id(), "skipped at boot: it could not be loaded: {e:#}");
        }
    }
    let mut started = 0;
    for root in installed.iter().filter(|m| m.manifest.triggers.boot) {
        match start_installed(registry, host, root) {
            Ok(count) => started += count,
            Err(e) => tracing::warn!(module = %root.id(), "skipped at boot: {e:#}"),
        }
    }
    started
}

/// The newest version of each module in `installed`, in name order.
pub fn newest_of_each(installed: Vec<InstalledModule>) -> Vec<InstalledModule> {
    let mut newest: std::collections::BTreeMap<String, InstalledModule> = std::collections::BTreeMap::new();
    for module in installed {
        match newest.get(module.name()) {
            Some(kept) if kept.version() >= module.version() => {}
            _ => {
                newest.insert(module.name().to_owned(), module);
            }
        }
    }
    newest.into_values().collect()
}

/// A module that depends on (or is) one signed by a revoked key.
#[derive(Debug, thiserror::Error)]
#[error("the publisher's key of {0} has been revoked (visor keys list)")]
pub struct Revoked(pub String);

/// Loads and starts the installed module `root` and what it depends on, dependencies first,
/// skipping those already running; returns how many started. Refused (with [`Revoked`]) when
/// any of them is signed by a key revoked since.
pub fn start_installed(registry: &Registry, host: &mut ModuleHost, root: &InstalledModule) -> anyhow::Result<usize> {
    let order = registry.resolve(root.name(), Some(&VersionReq::parse(&format!("={}", root.version()))?))?;
    if let Some(revoked) = order.iter().find(|m| remote::is_revoked(registry, m)) {
        return Err(Revoked(revoked.id()).into());
    }
    let mut started = 0;
    for module in order {
        let id = match host.find(module.name()) {
            Some(id) if host.info(id).is_some_and(|i| !matches!(i.status, AppStatus::Stopped | AppStatus::Failed(_))) => continue,
            // Loaded and waiting for a trigger, or stopped: start it as it is.
            Some(id) => id,
            None => host.load_installed(registry, &module)?,
        };
        host.start(id)?;
        started += 1;
    }
    Ok(started)
}
