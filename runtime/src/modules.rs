//! The module host: every module the shell knows — wasm apps and native drivers and libraries
//! alike — under one lifecycle: load, start, stop, restart, upgrade, unload.
//!
//! Loading a module reads its manifest against the user's policy: the module gets what it
//! asked for *and* was granted, the rest is denied (and said once, in the log). Starting it
//! gives it a bus endpoint with its identity and grants — the same endpoint across restarts
//! and upgrades, so other modules see one continuous sender — and a supervised thread.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use thiserror::Error;
use visor_types::clock::SharedClock;
use visor_types::{AppId, InputEvent};

use crate::app::{AppSpec, Precompiled};
use crate::bus::{Bus, BusCapabilities, ByteBudget, Endpoint, ModuleRef, Overflow, QueueOptions, Subscription, TopicPattern};
use crate::engine::AppEngine;
use crate::manifest::{Dependency, Device, Entry, Manifest, ModuleKind, Version, VersionReq};
use crate::native::{NativeFactory, NativeRunner};
use crate::policy::{Grant, Policy};
use crate::registry::{InstalledModule, Registry};
use crate::runner::{AppRunner, AppStatus, Crash, FrameFeed, RestartPolicy, RunContext};

#[derive(Debug, Error)]
pub enum ModuleError {
    #[error("no module with id {0} is loaded")]
    Unknown(u32),
    #[error("a module named '{0}' is already loaded; unload it or upgrade it instead")]
    Duplicate(String),
    #[error("module '{module}' names native driver '{native}', which this shell does not have; known: {known}")]
    NoSuchNative { module: String, native: String, known: String },
    #[error("module '{module}' cannot be upgraded to '{other}': an upgrade keeps the module's name")]
    Rename { module: String, other: String },
    #[error("module '{module}' is a {have} and cannot become a {want} by upgrade")]
    KindChange { module: String, have: &'static str, want: &'static str },
}

/// A module's id for the life of the shell (it stays across restarts and upgrades).
pub type ModuleId = u32;

enum Runner {
    App(AppRunner),
    Native(NativeRunner),
}

struct Module {
    manifest: Manifest,
    /// The app's environment (WASI `environ`), set by whoever launches it.
    env: Vec<(String, String)>,
    /// Its component, already compiled (from the registry's cache).
    precompiled: Option<Precompiled>,
    /// Where its component is, when not at `dir` + the manifest's entry (an installed blob).
    component_path: Option<PathBuf>,
    dir: PathBuf,
    grant: Grant,
    endpoint: Endpoint,
    runner: Option<Runner>,
}

/// What the shell shows about one module.
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleInfo {
    pub id: ModuleId,
    pub name: String,
    pub version: Version,
    pub kind: ModuleKind,
    pub status: AppStatus,
    pub crashes: Vec<Crash>,
    pub denied: Vec<String>,
}

pub struct ModuleHost {
    bus: Bus,
    /// The shell's own endpoint, which watches trigger topics for modules not yet started.
    watcher: Endpoint,
    /// Per waiting module, its trigger subscriptions.
    triggers: Vec<(ModuleId, Vec<Subscription>)>,
    engine: AppEngine,
    feed: FrameFeed,
    clock: SharedClock,
    policy: Policy,
    restart: RestartPolicy,
    natives: HashMap<String, NativeFactory>,
    modules: BTreeMap<ModuleId, Module>,
    next_id: ModuleId,
    fps: f32,
    /// Where each module's own data folder lives (`<root>/<name>/`), which its folder grants
    /// open inside; `None` until the shell sets one, and then no folder is granted.
    data_root: Option<PathBuf>,
}

impl ModuleHost {
    pub fn new(bus: Bus, engine: AppEngine, feed: FrameFeed, clock: SharedClock, policy: Policy, fps: f32) -> ModuleHost {
        let everything = BusCapabilities {
            publish: Vec::new(),
            subscribe: vec![TopicPattern::from_str("#").expect("'#' is a pattern")],
            messages_per_second: 0,
            // The watcher only wakes modules; it sees reserved topics so one may trigger on them.
            shell: true,
            serve: Vec::new(),
            call: Vec::new(),
        };
        let watcher = bus.endpoint(ModuleRef::new(0, "visor-shell"), everything);
        ModuleHost {
            watcher,
            triggers: Vec::new(),
            bus,
            engine,
            feed,
            clock,
            policy,
            restart: RestartPolicy::default(),
            natives: HashMap::new(),
            modules: BTreeMap::new(),
            next_id: 1,
            fps,
            data_root: None,
        }
    }

    /// Sets the folder under which each module gets its own data folder, for the folders
    /// its manifest asks for. Keep it apart from the store's installed modules: a module's
    /// folder grants must never reach its own (or another's) installed files.
    pub fn set_data_root(&mut self, root: PathBuf) {
        self.data_root = Some(root);
    }

    /// Module `name`'s own data folder, if the shell keeps module data.
    pub fn data_folder(&self, name: &str) -> Option<PathBuf> {
        if self.data_root.is_none() {
            tracing::warn!(module = name, "no module data folder is set: its folder grants are not opened");
        }
        self.data_root.as_ref().map(|root| root.join(name))
    }

    /// The engine apps are compiled for (compile with it for the registry's cache to serve).
    pub fn engine(&self) -> &AppEngine {
        &self.engine
    }

    pub fn bus(&self) -> &Bus {
        &self.bus
    }

    /// The user's policy, for grants made while the shell runs (consent, development launches).
    pub fn policy_mut(&mut self) -> &mut Policy {
        &mut self.policy
    }

    pub fn set_restart_policy(&mut self, policy: RestartPolicy) {
        self.restart = policy;
    }

    /// Makes native driver `name` available to manifests with `entry = { native = "name" }`.
    pub fn register_native(&mut self, name: &str, factory: NativeFactory) {
        self.natives.insert(name.to_string(), factory);
    }

    /// Loads a module (without starting it): checks its grants under the policy. `dir` is the
    /// folder its manifest's relative paths start from.
    pub fn load(&mut self, manifest: Manifest, dir: &Path) -> Result<ModuleId, ModuleError> {
        if self.modules.values().any(|m| m.manifest.name == manifest.name) {
            return Err(ModuleError::Duplicate(manifest.name));
        }
        if let Entry::Native(native) = &manifest.entry
            && !self.natives.contains_key(native)
        {
            let mut known: Vec<_> = self.natives.keys().cloned().collect();
            known.sort();
            return Err(ModuleError::NoSuchNative { module: manifest.name, native: native.clone(), known: known.join(", ") });
        }
        let grant = self.policy.grant(&manifest);
        for denial in &grant.denied {
            tracing::warn!(module = %manifest.name, "denied by policy: {denial}");
        }
        let id = self.next_id;
        self.next_id += 1;
        let endpoint = self.bus.endpoint(ModuleRef::new(id, manifest.name.as_str()), bus_capabilities(&grant, &manifest));
        endpoint.budget().set_limit(manifest.limits.bus_queue_bytes());
        if !manifest.triggers.topics.is_empty() {
            let latest = QueueOptions { capacity: 1, policy: Overflow::DropOldest };
            let watches =
                manifest.triggers.topics.iter().filter_map(|pattern| self.watcher.subscribe(pattern.clone(), latest).ok()).collect();
            self.triggers.push((id, watches));
        }
        self.modules.insert(
            id,
            Module {
                manifest,
                env: Vec::new(),
                precompiled: None,
                component_path: None,
                dir: dir.to_path_buf(),
                grant,
                endpoint,
                runner: None,
            },
        );
        Ok(id)
    }

    /// Sets the environment a loaded app starts with (its settings).
    pub fn set_env(&mut self, id: ModuleId, env: Vec<(String, String)>) -> Result<(), ModuleError> {
        self.module(id)?.env = env;
        Ok(())
    }

    /// Loads a module from the registry: its component is the installed blob, compiled through
    /// the registry's cache (so a second start skips compilation).
    pub fn load_installed(&mut self, registry: &Registry, module: &InstalledModule) -> Result<ModuleId, ModuleError> {
        let id = self.load(module.manifest.clone(), &module.dir)?;
        if let Some(component) = &module.component {
            self.module(id)?.component_path = Some(component.path.clone());
            match registry.load_component(self.engine.engine(), module) {
                Ok((compiled, outcome)) => {
                    tracing::debug!(module = %module.id(), ?outcome, "compiled code ready");
                    self.set_component(id, compiled)?;
                }
                // Starting will compile it again and report the failure as the app's own.
                Err(e) => tracing::warn!(module = %module.id(), "{e}"),
            }
        }
        Ok(id)
    }

    /// Hands over the app's compiled component, so starting it skips compilation.
    pub fn set_component(&mut self, id: ModuleId, component: wasmtime::component::Component) -> Result<(), ModuleError> {
        self.module(id)?.precompiled = Some(Precompiled::new(component));
        Ok(())
    }

    /// Starts every loaded module whose manifest says to start at boot.
    pub fn boot(&mut self) -> Result<(), ModuleError> {
        let ids: Vec<_> = self.modules.iter().filter(|(_, m)| m.manifest.triggers.boot).map(|(id, _)| *id).collect();
        for id in ids {
            self.start(id)?;
        }
        Ok(())
    }

    fn module(&mut self, id: ModuleId) -> Result<&mut Module, ModuleError> {
        self.modules.get_mut(&id).ok_or(ModuleError::Unknown(id))
    }

    fn app_spec(&self, module: &Module) -> Option<AppSpec> {
        let Entry::Component(path) = &module.manifest.entry else { return None };
        let path = module.component_path.clone().unwrap_or_else(|| module.dir.join(path));
        let mut spec = AppSpec::new(module.manifest.name.clone(), path, self.fps);
        spec.version = module.manifest.version.clone();
        spec.limits = module.manifest.limits.app_limits();
        spec.env = module.env.clone();
        spec.precompiled = module.precompiled.clone();
        spec.network = module.grant.effective.network.clone();
        spec.dirs = match self.data_folder(&module.manifest.name) {
            Some(data) => module.grant.effective.dirs.iter().map(|d| (data.join(&d.host), d.clone())).collect(),
            None => Vec::new(),
        };
        Some(spec)
    }

    /// Starts the loaded modules whose trigger topics have seen a message since the last call;
    /// returns their ids. The shell calls this once per frame.
    pub fn poll_triggers(&mut self) -> Vec<ModuleId> {
        let fired: Vec<ModuleId> =
            self.triggers.iter().filter(|(_, watches)| watches.iter().any(|w| w.try_recv().is_some())).map(|(id, _)| *id).collect();
        for id in &fired {
            tracing::info!(module = id, "a trigger topic fired");
            if let Err(e) = self.start(*id) {
                tracing::error!(module = id, "cannot start on its trigger: {e}");
            }
        }
        fired
    }

    /// Starts a loaded module (a no-op if it runs), after the loaded modules it depends on: a
    /// face-tags app starting brings up the vision library it names. A dependency that is not
    /// loaded is only a warning — modules bind late, and it may be installed and started later.
    pub fn start(&mut self, id: ModuleId) -> Result<(), ModuleError> {
        self.start_with_dependencies(id, &mut Vec::new())
    }

    fn start_with_dependencies(&mut self, id: ModuleId, starting: &mut Vec<ModuleId>) -> Result<(), ModuleError> {
        let module = self.modules.get(&id).ok_or(ModuleError::Unknown(id))?;
        if module.runner.is_some() || starting.contains(&id) {
            return Ok(());
        }
        starting.push(id);
        let wanted: Vec<(String, VersionReq)> = module
            .manifest
            .depends
            .iter()
            .filter_map(|d| match d {
                Dependency::Module { name, version } => Some((name.clone(), version.clone())),
                Dependency::Interface { .. } => None,
            })
            .collect();
        for (name, version) in wanted {
            let found = self.modules.iter().find(|(_, m)| m.manifest.name == name && version.matches(&m.manifest.version));
            match found.map(|(dep, _)| *dep) {
                Some(dep) => self.start_with_dependencies(dep, starting)?,
                None => tracing::warn!(module = id, dependency = %name, %version, "dependency is not loaded; starting without it"),
            }
        }
        let module = self.modules.get(&id).ok_or(ModuleError::Unknown(id))?;
        let runner = match &module.manifest.entry {
            Entry::Component(_) => {
                let spec = self.app_spec(module).expect("a component entry");
                let context = RunContext {
                    engine: self.engine.clone(),
                    feed: self.feed.clone(),
                    clock: self.clock.clone(),
                    bus: Some(module.endpoint.clone()),
                    restart: self.restart.clone(),
                };
                Runner::App(AppRunner::spawn(spec, AppId(id), context))
            }
            Entry::Native(native) => {
                let factory = self.natives[native].clone();
                let endpoint = module.endpoint.clone();
                Runner::Native(NativeRunner::spawn(module.manifest.clone(), factory, endpoint, self.clock.clone(), self.restart.clone()))
            }
        };
        tracing::info!(module = %module.manifest.id(), "starting");
        self.module(id)?.runner = Some(runner);
        self.triggers.retain(|(waiting, _)| *waiting != id);
        Ok(())
    }

    /// Stops a module; it stays loaded and can be started again.
    pub fn stop(&mut self, id: ModuleId) -> Result<(), ModuleError> {
        let module = self.module(id)?;
        match module.runner.take() {
            Some(Runner::App(mut r)) => r.stop(),
            Some(Runner::Native(mut r)) => r.stop(),
            None => {}
        }
        Ok(())
    }

    pub fn restart(&mut self, id: ModuleId) -> Result<(), ModuleError> {
        match &self.module(id)?.runner {
            Some(Runner::App(r)) => r.restart(),
            _ => {
                self.stop(id)?;
                self.start(id)?;
            }
        }
        Ok(())
    }

    /// Stops and forgets a module.
    pub fn unload(&mut self, id: ModuleId) -> Result<Manifest, ModuleError> {
        self.stop(id)?;
        self.triggers.retain(|(waiting, _)| *waiting != id);
        Ok(self.modules.remove(&id).ok_or(ModuleError::Unknown(id))?.manifest)
    }

    /// Replaces a module's version in place: same id, same bus identity; a running app swaps
    /// between two frames and keeps its subscriptions.
    pub fn upgrade(&mut self, id: ModuleId, manifest: Manifest, dir: &Path) -> Result<(), ModuleError> {
        self.upgrade_to(id, manifest, dir, None)
    }

    /// [`ModuleHost::upgrade`] with the component at `path` already compiled (`code`): the swap
    /// only instantiates. `visor dev` compiles each build on its own thread, and reloads a
    /// Python app's sources on the code it already has.
    pub fn upgrade_compiled(
        &mut self,
        id: ModuleId,
        manifest: Manifest,
        dir: &Path,
        code: Precompiled,
        path: PathBuf,
    ) -> Result<(), ModuleError> {
        self.upgrade_to(id, manifest, dir, Some((code, path)))
    }

    /// [`ModuleHost::upgrade`] to a version in the store, with its compiled code from the
    /// store's cache (compiled at install), so the swap only instantiates.
    pub fn upgrade_installed(&mut self, id: ModuleId, registry: &Registry, module: &InstalledModule) -> Result<(), ModuleError> {
        let compiled = match &module.component {
            Some(component) => match registry.load_component(self.engine.engine(), module) {
                Ok((compiled, _)) => Some((Precompiled::new(compiled), component.path.clone())),
                // The swap compiles it again and reports a failure as the app's own.
                Err(e) => {
                    tracing::warn!(module = %module.id(), "{e}");
                    None
                }
            },
            None => None,
        };
        self.upgrade_to(id, module.manifest.clone(), &module.dir, compiled)
    }

    fn upgrade_to(
        &mut self,
        id: ModuleId,
        manifest: Manifest,
        dir: &Path,
        compiled: Option<(Precompiled, PathBuf)>,
    ) -> Result<(), ModuleError> {
        let module = self.module(id)?;
        if module.manifest.name != manifest.name {
            return Err(ModuleError::Rename { module: module.manifest.name.clone(), other: manifest.name });
        }
        if module.manifest.kind != manifest.kind {
            let (have, want) = (module.manifest.kind.name(), manifest.kind.name());
            return Err(ModuleError::KindChange { module: manifest.name, have, want });
        }
        let grant = self.policy.grant(&manifest);
        let module = self.module(id)?;
        module.endpoint.set_capabilities(bus_capabilities(&grant, &manifest));
        module.endpoint.budget().set_limit(manifest.limits.bus_queue_bytes());
        module.manifest = manifest;
        module.dir = dir.to_path_buf();
        (module.precompiled, module.component_path) = compiled.map_or((None, None), |(code, path)| (Some(code), Some(path)));
        module.grant = grant;
        let running_app = matches!(module.runner, Some(Runner::App(_)));
        if running_app {
            let module = &self.modules[&id];
            let spec = self.app_spec(module).expect("apps have a component entry");
            if let Some(Runner::App(runner)) = &module.runner {
                runner.upgrade(spec);
            }
        } else if self.modules[&id].runner.is_some() {
            self.restart(id)?;
        }
        Ok(())
    }

    pub fn find(&self, name: &str) -> Option<ModuleId> {
        self.modules.iter().find(|(_, m)| m.manifest.name == name).map(|(id, _)| *id)
    }

    pub fn info(&self, id: ModuleId) -> Option<ModuleInfo> {
        let m = self.modules.get(&id)?;
        let (status, crashes) = match &m.runner {
            Some(Runner::App(r)) => (r.status(), r.crashes()),
            Some(Runner::Native(r)) => (r.status(), r.crashes()),
            None => (AppStatus::Stopped, Vec::new()),
        };
        let version = match &m.runner {
            Some(Runner::App(r)) => r.version(),
            _ => m.manifest.version.clone(),
        };
        Some(ModuleInfo {
            id,
            name: m.manifest.name.clone(),
            version,
            kind: m.manifest.kind,
            status,
            crashes,
            denied: m.grant.denied.clone(),
        })
    }

    /// The running apps granted the shell capability (the launcher): the shell's own UI, which
    /// the compositor draws over every other app.
    pub fn trusted_apps(&self) -> Vec<AppId> {
        let trusted = self.modules.iter().filter(|(_, m)| m.grant.effective.shell);
        trusted
            .filter_map(|(_, m)| match &m.runner {
                Some(Runner::App(app)) => Some(app.id()),
                _ => None,
            })
            .collect()
    }

    /// What module `id`'s bus queues and held frames keep in memory, against its limit.
    pub fn bus_budget(&self, id: ModuleId) -> Option<&std::sync::Arc<ByteBudget>> {
        self.modules.get(&id).map(|m| m.endpoint.budget())
    }

    /// The manifest module `id` runs under (its limits and entry, for monitors).
    pub fn manifest(&self, id: ModuleId) -> Option<&Manifest> {
        self.modules.get(&id).map(|m| &m.manifest)
    }

    pub fn list(&self) -> Vec<ModuleInfo> {
        self.modules.keys().filter_map(|id| self.info(*id)).collect()
    }

    /// The running app of module `id`, if it is one.
    pub fn app(&self, id: ModuleId) -> Option<&AppRunner> {
        match &self.modules.get(&id)?.runner {
            Some(Runner::App(r)) => Some(r),
            _ => None,
        }
    }

    /// Running apps allowed to show a layer (granted the `display-layer` device), for the
    /// compositor.
    pub fn display_apps(&mut self) -> impl Iterator<Item = &mut AppRunner> {
        self.modules.values_mut().filter_map(|m| match &mut m.runner {
            Some(Runner::App(r)) if m.grant.effective.devices.contains(&Device::DisplayLayer) => Some(r),
            _ => None,
        })
    }

    /// Hands `event` to the displayed app `app` if its grant includes the `input` device;
    /// returns whether it was delivered. An app without the grant never sees input, and the
    /// event goes to nobody else either: it was aimed at that app.
    pub fn send_input(&self, app: AppId, event: InputEvent) -> bool {
        let target = self.modules.values().find_map(|m| match &m.runner {
            Some(Runner::App(r)) if r.id() == app => Some((r, &m.grant.effective.devices)),
            _ => None,
        });
        match target {
            Some((runner, devices)) if devices.contains(&Device::Input) => {
                runner.send_input(event);
                true
            }
            _ => false,
        }
    }

    /// Stops every module.
    pub fn shutdown(&mut self) {
        let ids: Vec<_> = self.modules.keys().copied().collect();
        for id in ids {
            let _ = self.stop(id);
        }
    }
}

impl Drop for ModuleHost {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// What a module may do on the bus: what the policy granted, at the rate its manifest asks.
pub fn bus_capabilities(grant: &Grant, manifest: &Manifest) -> BusCapabilities {
    BusCapabilities {
        publish: grant.effective.publish.clone(),
        subscribe: grant.effective.subscribe.clone(),
        messages_per_second: manifest.limits.bus_messages_per_second,
        shell: grant.effective.shell,
        serve: grant.serve.clone(),
        call: grant.effective.call.clone(),
    }
}
