//! `visor module …`: installing, listing, inspecting, granting and removing modules in the local
//! registry, and starting what is installed.
//!
//! Installing never grants anything: a module's capabilities stay denied until the user runs
//! `visor module grant NAME`, which writes exactly what its manifest asks for into the policy
//! file (`policy.toml` in the store). `visor run` starts the installed modules whose manifests
//! say `triggers.boot`, with their dependencies first.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use visor_runtime::manifest::{Capabilities, DirMode, NetworkTarget, Version};
use visor_runtime::modules::ModuleHost;
use visor_runtime::policy::Policy;
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

pub fn install(registry: &Registry, path: &Path) -> anyhow::Result<String> {
    let module = registry.install(path)?;
    // Compile now: a broken component shows up at install time, and the first start is cached.
    let engine = visor_runtime::AppEngine::new().map_err(|e| anyhow::anyhow!("starting wasmtime: {e:#}"))?;
    if module.component.is_some() {
        registry.load_component(engine.engine(), &module)?;
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
    let mut out = String::new();
    for m in modules {
        let boot = if m.manifest.triggers.boot { "  [boot]" } else { "" };
        writeln!(out, "{:<24} {:<10} {:?}{boot}", m.name(), m.version().to_string(), m.manifest.kind)?;
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
    let c = &m.manifest.capabilities;
    let quoted = |items: Vec<String>| items.iter().map(|i| format!("{i:?}")).collect::<Vec<_>>().join(", ");
    let mut section = format!("\n[modules.{name}]\n");
    writeln!(section, "publish = [{}]", quoted(c.publish.iter().map(|p| p.to_string()).collect()))?;
    writeln!(section, "subscribe = [{}]", quoted(c.subscribe.iter().map(|p| p.to_string()).collect()))?;
    writeln!(section, "call = [{}]", quoted(c.call.clone()))?;
    writeln!(section, "devices = [{}]", quoted(c.devices.iter().map(|d| d.name().to_string()).collect()))?;
    writeln!(section, "network = [{}]", quoted(c.network.iter().map(network_text).collect()))?;
    let dirs: Vec<String> = c
        .dirs
        .iter()
        .map(|d| {
            let mode = if d.mode == DirMode::ReadWrite { "rw" } else { "ro" };
            format!("{{ host = {:?}, guest = {:?}, mode = {mode:?} }}", d.host.display().to_string(), d.guest)
        })
        .collect();
    writeln!(section, "dirs = [{}]", dirs.join(", "))?;
    writeln!(section, "shell = {}", c.shell)?;
    let path = policy_path(registry);
    let mut text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut policy = Policy::parse(&text, &path.display().to_string())?;
    if policy.modules.contains_key(name) {
        anyhow::bail!("{} already has a [modules.{name}] section; edit it there", path.display());
    }
    text.push_str(&section);
    policy = Policy::parse(&text, &path.display().to_string())?;
    std::fs::write(&path, &text).with_context(|| format!("writing {}", path.display()))?;
    Ok(format!("granted {name}: {}\n", describe_caps(&policy.grant(&m.manifest).effective).join("; ")))
}

/// Loads the newest version of every installed module that has a trigger topic, so the shell
/// starts it on the topic's first message, and starts the modules whose manifests say `boot`,
/// dependencies first. Returns how many modules started.
pub fn boot(registry: &Registry, host: &mut ModuleHost) -> anyhow::Result<usize> {
    let mut started = 0;
    for listed in registry.list()? {
        let triggered = !listed.manifest.triggers.topics.is_empty() && !listed.manifest.triggers.boot;
        if triggered && host.find(listed.name()).is_none() {
            let newest = registry.get(listed.name(), None)?.unwrap_or(listed);
            host.load_installed(registry, &newest)?;
        }
    }
    for root in registry.list()?.into_iter().filter(|m| m.manifest.triggers.boot) {
        for module in registry.resolve(root.name(), None)? {
            if host.find(module.name()).is_some() {
                continue;
            }
            let id = host.load_installed(registry, &module)?;
            host.start(id)?;
            started += 1;
        }
    }
    Ok(started)
}
