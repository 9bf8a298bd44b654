//! Modules from the internet: `visor module publish DIR oci://…` and
//! `visor module install oci://…`, over the `visor-oci` crate.
//!
//! An install goes pull → verify (digests, signature, keyring) → admit (the policy's rule for
//! unknown publishers) → consent → [`Registry::install_from`] → compile, and only then writes
//! what the user granted into the policy. Timing of each step is logged (`install timing`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use visor_oci::{KeyState, Keyring, ModuleRef, Package, PublicKey, Signature};
use visor_runtime::AppEngine;
use visor_runtime::manifest::Capabilities;
use visor_runtime::policy::set_module_grant;
use visor_runtime::registry::{Audit, CacheOutcome, InstalledModule, Origin, Registry, Verified};

use super::consent::{self, ConsentMode};
use super::{describe_caps, load_policy, policy_path, write_policy};

/// `visor module install` arguments.
#[derive(clap::Args, Debug)]
pub struct InstallArgs {
    /// A module folder (visor.toml and its component), or oci://HOST[:PORT]/REPOSITORY:TAG.
    pub target: String,
    /// Registry installs: grant everything the module asks for, without asking.
    #[arg(long)]
    pub yes: bool,
    /// Registry installs: grant these without asking: all, none, or KIND:WHAT,... as listed.
    #[arg(long, value_name = "all|none|CAP,...")]
    pub grant: Option<String>,
    /// Install even if it is signed by a key you have not trusted (this install only).
    #[arg(long)]
    pub allow_unknown_publisher: bool,
    /// Speak plain HTTP to a registry that is not on a loopback address.
    #[arg(long)]
    pub insecure: bool,
    /// Registry installs: let this package replace an installed module of the same name from
    /// another publisher (refused otherwise: grants follow the name).
    #[arg(long)]
    pub replace_publisher: bool,
}

/// `visor module publish` arguments.
#[derive(clap::Args, Debug)]
pub struct PublishArgs {
    /// The module folder: visor.toml and the component it names.
    pub dir: PathBuf,
    /// Where to: oci://HOST[:PORT]/REPOSITORY:TAG.
    pub reference: String,
    /// Your key to sign with (visor keys new NAME); default: your only key.
    #[arg(long)]
    pub key: Option<String>,
    /// Publish without a signature (it will not install where signatures are checked).
    #[arg(long, conflicts_with = "key")]
    pub unsigned: bool,
    /// Speak plain HTTP to a registry that is not on a loopback address.
    #[arg(long)]
    pub insecure: bool,
}

/// How long each step of an install took; consent (the user's thinking) is not counted.
#[derive(Clone, Copy, Debug, Default)]
pub struct InstallTimings {
    pub pull: Duration,
    pub verify: Duration,
    pub install: Duration,
    pub compile: Duration,
    pub cache: Option<CacheOutcome>,
}

impl InstallTimings {
    pub fn total(&self) -> Duration {
        self.pull + self.verify + self.install + self.compile
    }
}

/// A module installed from a registry.
#[derive(Debug)]
pub struct RemoteInstall {
    pub module: InstalledModule,
    pub granted: Capabilities,
    pub timings: InstallTimings,
}

/// A module pulled and verified, admitted by the policy's rules for publishers, waiting for
/// the user's consent; dropping it deletes the download.
pub struct Fetched {
    pub pulled: visor_oci::Pulled,
    pub audit: Audit,
    /// The reference, as the user gave it.
    pub source: String,
    admitted: Duration,
}

impl Fetched {
    pub fn manifest(&self) -> &visor_runtime::manifest::Manifest {
        &self.pulled.package.manifest
    }
}

/// Pulls `reference` and checks it: digests, signature, keyring, the policy's rule for unknown
/// publishers, and who owns its name ([`check_name_owner`]). Nothing is installed yet.
pub fn fetch(
    registry: &Registry,
    reference: &ModuleRef,
    allow_unknown_publisher: bool,
    replace_publisher: bool,
) -> anyhow::Result<Fetched> {
    let keyring = Keyring::in_store(registry.root());
    let policy = load_policy(registry)?;
    let source = reference.to_string();
    let mut step = crate::progress::step(format!("pulling and verifying {source}"));
    let pulled = visor_oci::pull(&logged_in(registry, reference)?, &keyring).map_err(login_hint)?;
    let started = Instant::now();
    step.set(format!("checking {source} against the keyring and the policy"));
    let audit =
        visor_oci::admit(&source, &pulled.package, &pulled.publisher, policy.install, allow_unknown_publisher, &policy_path(registry))?;
    check_name_owner(registry, &pulled.package.manifest.name, &audit, replace_publisher)?;
    step.done();
    Ok(Fetched { pulled, audit, source, admitted: started.elapsed() })
}

/// Installs and compiles a fetched module, then writes what the user `granted` into the policy.
pub fn finish(registry: &Registry, engine: &AppEngine, fetched: Fetched, granted: Capabilities) -> anyhow::Result<RemoteInstall> {
    let Fetched { pulled, audit, source, admitted } = fetched;
    let manifest = &pulled.package.manifest;
    let existed = registry.get(&manifest.name, Some(&manifest.version))?.is_some();
    let started = Instant::now();
    // The registry installs only the bytes checked at the pull: the folder cannot change between.
    let (manifest_sha256, component_sha256) = pulled.package.digests();
    let verified = Some(Verified { manifest_sha256, component_sha256: Some(component_sha256) });
    let module = registry.install_from(pulled.dir.path(), &Origin { source: Some(source), audit, verified })?;
    let install = started.elapsed();
    let started = Instant::now();
    let step = crate::progress::step(format!("compiling {}", module.id()));
    let cache = match registry.load_component(engine.engine(), &module) {
        Ok((_, cache)) => {
            step.done();
            cache
        }
        Err(e) => {
            if !existed {
                let _ = registry.remove(module.name(), Some(module.version()));
            }
            return Err(e).context(format!("{} was not installed: its component does not compile", module.id()));
        }
    };
    let compile = started.elapsed();
    write_grant(registry, module.name(), &granted)?;
    let timings =
        InstallTimings { pull: pulled.timings.pull, verify: pulled.timings.verify + admitted, install, compile, cache: Some(cache) };
    let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1e3);
    tracing::info!(
        module = %module.id(),
        pull_ms = %ms(timings.pull),
        verify_ms = %ms(timings.verify),
        install_ms = %ms(timings.install),
        compile_ms = %ms(timings.compile),
        cache = ?cache,
        bytes = pulled.bytes,
        "install timing"
    );
    Ok(RemoteInstall { module, granted, timings })
}

/// Pulls, checks, asks, installs and compiles `reference`, then writes the grants.
pub fn install_remote(
    registry: &Registry,
    engine: &AppEngine,
    reference: &ModuleRef,
    allow_unknown_publisher: bool,
    replace_publisher: bool,
    consent_mode: &ConsentMode,
) -> anyhow::Result<RemoteInstall> {
    let fetched = fetch(registry, reference, allow_unknown_publisher, replace_publisher)?;
    let granted = consent::decide(fetched.manifest(), &fetched.source, consent_mode)?;
    finish(registry, engine, fetched, granted)
}

/// `visor module install oci://…`: the install and its summary.
pub fn install(registry: &Registry, args: &InstallArgs) -> anyhow::Result<String> {
    let reference = ModuleRef::parse(&args.target)?.with_insecure(args.insecure);
    let consent_mode = ConsentMode::from_flags(args.yes, args.grant.as_deref())?;
    let engine = AppEngine::new().map_err(|e| anyhow::anyhow!("starting wasmtime: {e:#}"))?;
    let done = install_remote(registry, &engine, &reference, args.allow_unknown_publisher, args.replace_publisher, &consent_mode)?;
    let keyring = Keyring::in_store(registry.root());
    let grant = load_policy(registry)?.grant(&done.module.manifest);
    let mut out = format!("installed {} from {reference}\n", done.module.id());
    out += &format!("  publisher: {}\n", audit_text(&keyring, &done.module.audit));
    let granted = describe_caps(&done.granted);
    out += &format!("  granted: {}\n", if granted.is_empty() { "nothing".into() } else { granted.join("; ") });
    if !grant.denied.is_empty() {
        out += &format!("  denied: {} (change with visor module grant or the policy)\n", grant.denied.join("; "));
    }
    Ok(out)
}

/// Grants follow a module's name, so a name is held by whoever installed it first: a package
/// whose name is a built-in's (`camera`, `launcher`, …) is refused outright, and one signed by
/// another publisher than the installed module of that name (or signed where that one came from
/// a folder) is refused unless `replace_publisher` — it would inherit that module's grants and
/// its place at boot.
pub fn check_name_owner(registry: &Registry, name: &str, audit: &Audit, replace_publisher: bool) -> anyhow::Result<()> {
    super::check_reserved(name)?;
    let Some(installed) = registry.get(name, None)? else { return Ok(()) };
    if installed.audit.key() == audit.key() {
        return Ok(());
    }
    if replace_publisher {
        tracing::warn!(module = name, was = %installed.audit, now = %audit, "replacing an installed module with another publisher's (--replace-publisher)");
        return Ok(());
    }
    bail!(
        "'{name}' is installed already, from {}; this package comes from {}. It would take over that \
         module's grants, so it is refused: remove the installed one first (visor module remove {name}), \
         or pass --replace-publisher if you mean to switch publishers",
        installed.audit,
        audit
    )
}

/// `visor module publish DIR oci://…`.
pub fn publish(registry: &Registry, args: &PublishArgs) -> anyhow::Result<String> {
    let reference = ModuleRef::parse(&args.reference)?.with_insecure(args.insecure);
    let package = Package::from_dir(&args.dir)?;
    let keyring = Keyring::in_store(registry.root());
    let signed = if args.unsigned {
        tracing::warn!(module = %package.manifest.id(), "publishing unsigned: it will be refused wherever signatures are checked");
        None
    } else {
        let (name, key) = keyring.signing_key(args.key.as_deref())?;
        Some((Signature::sign(&package.statement(), &key, &name), name))
    };
    let reference = logged_in(registry, &reference)?;
    let published = visor_oci::publish(&package, signed.as_ref().map(|(s, _)| s), &reference).map_err(login_hint)?;
    let mut out = format!("published {} to {reference}", package.manifest.id());
    if let Some(digest) = &published.digest {
        out += &format!(" ({digest})");
    }
    match &signed {
        Some((signature, name)) => {
            let public = keyring.dir().join("own").join(format!("{name}.pub"));
            out += &format!(
                "\n  signed by {name} (ed25519 {})\n  others install it once they trust your key: visor keys trust {} --name {name}\n",
                &signature.key[..16],
                public.display()
            );
        }
        None => out += "\n  unsigned\n",
    }
    Ok(out)
}

/// `reference`, presenting the store's login for its registry if there is one.
fn logged_in(registry: &Registry, reference: &ModuleRef) -> anyhow::Result<ModuleRef> {
    let login = visor_oci::Logins::in_store(registry.root()).get(&reference.registry)?;
    Ok(reference.clone().with_auth(login))
}

/// A registry's refusal, with how to log in when it wants a login.
fn login_hint(error: visor_oci::OciError) -> anyhow::Error {
    let text = error.to_string().to_ascii_lowercase();
    if ["unauthorized", "not authorized", " 401", "denied"].iter().any(|w| text.contains(w)) {
        return anyhow::Error::new(error)
            .context("the registry wants a login: visor registry login HOST[:PORT] --username NAME (the password on stdin)");
    }
    error.into()
}

/// The audit state of an installed module as it stands now: a key revoked after the install
/// shows as revoked.
pub fn audit_text(keyring: &Keyring, audit: &Audit) -> String {
    let entry = audit.key().and_then(|k| PublicKey::from_hex(k).ok()).and_then(|k| keyring.lookup(&k).ok().flatten());
    match (audit, entry) {
        (Audit::Local, _) => audit.to_string(),
        (_, Some(e)) if e.state == KeyState::Revoked => {
            format!("REVOKED: signed by '{}' (ed25519 {}), a key you have since revoked", e.name, e.key.fingerprint())
        }
        (Audit::UnknownPublisher { .. }, Some(e)) => {
            format!("trusted publisher {} (ed25519 {}; trusted after the install)", e.name, e.key.fingerprint())
        }
        _ => audit.to_string(),
    }
}

/// Whether the module's publisher key has been revoked since it was installed.
pub fn is_revoked(registry: &Registry, module: &InstalledModule) -> bool {
    let Some(key) = module.audit.key().and_then(|k| PublicKey::from_hex(k).ok()) else { return false };
    Keyring::in_store(registry.root()).revoked(&key).ok().flatten().is_some()
}

/// Sets the module's `[modules.NAME]` section of the policy to exactly `granted`.
fn write_grant(registry: &Registry, name: &str, granted: &Capabilities) -> anyhow::Result<()> {
    let path = policy_path(registry);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let new = set_module_grant(&text, &path.display().to_string(), name, granted)?;
    write_policy(registry, new.as_bytes())
}
