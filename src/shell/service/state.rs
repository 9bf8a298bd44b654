//! What the service tells its clients: the running apps (tabs), the installed modules, and
//! the consent request for a download, in the [`visor_shell_api`] shapes.

use visor_oci::Keyring;
use visor_runtime::AppStatus;
use visor_runtime::manifest::ModuleKind as ManifestKind;
use visor_runtime::registry::Registry;
use visor_shell_api::{ConsentRequest, InstalledModule, ModuleKind, ModuleState, RunningApp};

use crate::module_cmd::{self, Fetched};
use crate::shell::Shell;

/// The installed modules as last read from the store (reading it is disk work: done on
/// changes and once a second, not every frame).
pub struct InstalledList(Vec<InstalledModule>);

impl InstalledList {
    pub fn read(registry: &Registry) -> InstalledList {
        let keyring = Keyring::in_store(registry.root());
        match registry.list() {
            // The newest of each: the one the launcher opens, or offers as an upgrade.
            Ok(modules) => InstalledList(
                module_cmd::newest_of_each(modules)
                    .into_iter()
                    .map(|m| InstalledModule {
                        name: m.name().to_string(),
                        version: m.version().clone(),
                        kind: module_kind(m.manifest.kind),
                        publisher: module_cmd::audit_text(&keyring, &m.audit),
                        running: false,
                        upgrade_from: None,
                    })
                    .collect(),
            ),
            Err(e) => {
                tracing::warn!("listing the installed modules: {e}");
                InstalledList(Vec::new())
            }
        }
    }

    /// The list, each marked running or not as the shell stands now, and offering an upgrade
    /// where an older version runs.
    pub fn with_running(&self, shell: &Shell) -> Vec<InstalledModule> {
        let running = |name: &str| shell.modules.find(name).and_then(|id| shell.modules.info(id)).filter(|i| is_running(&i.status));
        self.0
            .iter()
            .map(|m| {
                let info = running(&m.name);
                let upgrade_from = info.as_ref().map(|i| i.version.clone()).filter(|v| *v < m.version);
                InstalledModule { running: info.is_some(), upgrade_from, ..m.clone() }
            })
            .collect()
    }
}

/// The running apps, in start order, with the focused one marked.
pub fn running_apps(shell: &mut Shell) -> Vec<RunningApp> {
    let focused = shell.focused();
    shell
        .modules
        .list()
        .into_iter()
        .filter(|m| m.kind == ManifestKind::App && m.status != AppStatus::Stopped)
        .map(|m| RunningApp {
            focused: focused.as_deref() == Some(m.name.as_str()),
            state: module_state(&m.status),
            name: m.name,
            version: m.version,
        })
        .collect()
}

pub fn consent_request(id: u64, fetched: &Fetched, registry: &Registry) -> ConsentRequest {
    let manifest = fetched.manifest();
    ConsentRequest {
        id,
        module: manifest.name.clone(),
        version: manifest.version.clone(),
        source: fetched.source.clone(),
        publisher: module_cmd::audit_text(&Keyring::in_store(registry.root()), &fetched.audit),
        asks: module_cmd::asks(&manifest.capabilities),
        limits: module_cmd::limits_text(&manifest.limits),
    }
}

fn is_running(status: &AppStatus) -> bool {
    matches!(status, AppStatus::Starting | AppStatus::Running | AppStatus::Paused | AppStatus::Restarting { .. })
}

/// A supervisor's status as the shell's clients see it.
fn module_state(status: &AppStatus) -> ModuleState {
    match status {
        AppStatus::Starting => ModuleState::Starting,
        AppStatus::Running => ModuleState::Running,
        AppStatus::Paused => ModuleState::Paused,
        AppStatus::Restarting { attempt, .. } => ModuleState::Restarting { attempt: *attempt },
        AppStatus::Stopped => ModuleState::Stopped,
        AppStatus::Failed(why) => ModuleState::Failed { reason: why.clone() },
    }
}

/// A manifest's kind as the shell's clients (the launcher, the admin panel) see it.
pub fn module_kind(kind: ManifestKind) -> ModuleKind {
    match kind {
        ManifestKind::App => ModuleKind::App,
        ManifestKind::Library => ModuleKind::Library,
        ManifestKind::Driver => ModuleKind::Driver,
    }
}
