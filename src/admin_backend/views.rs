//! What the frame loop answers the panel with, built on the main thread from the
//! [`ModuleHost`]: one row per module and the apps' recent log lines. Both are copies, cheap
//! next to a frame (a few hundred short strings at most).

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use visor_admin::{LogEntry, ModuleState, ModuleView};
use visor_runtime::AppStatus;
use visor_runtime::manifest::Entry;
use visor_runtime::modules::{ModuleHost, ModuleInfo};
use visor_types::clock::Clock;

use crate::shell::module_kind;

/// A module's view, plus the name of its thread (for its CPU time, read off the main thread).
pub(crate) struct ModuleRow {
    pub(crate) view: ModuleView,
    pub(crate) thread: Option<String>,
}

pub(super) fn module_rows(host: &ModuleHost, panel_restarts: &HashMap<String, u32>) -> Vec<ModuleRow> {
    host.list().into_iter().map(|info| row(host, info, panel_restarts)).collect()
}

fn row(host: &ModuleHost, info: ModuleInfo, panel_restarts: &HashMap<String, u32>) -> ModuleRow {
    let (state, state_detail) = match &info.status {
        AppStatus::Starting => (ModuleState::Starting, None),
        AppStatus::Running => (ModuleState::Running, None),
        AppStatus::Paused => (ModuleState::Paused, None),
        AppStatus::Restarting { attempt, after, reason } => {
            (ModuleState::Restarting, Some(format!("attempt {attempt} in {after:?} after: {reason}")))
        }
        AppStatus::Stopped => (ModuleState::Stopped, None),
        AppStatus::Failed(why) => (ModuleState::Failed, Some(why.clone())),
    };
    let failed = matches!(state, ModuleState::Failed);
    // Every crash but the one the supervisor gave up on was followed by a restart.
    let crash_restarts = info.crashes.len().saturating_sub(usize::from(failed)) as u32;
    let last_error = match &info.status {
        AppStatus::Failed(why) => Some(why.clone()),
        _ => info.crashes.last().map(|c| c.reason.clone()),
    };
    let manifest = host.manifest(info.id);
    let is_app = manifest.is_some_and(|m| matches!(m.entry, Entry::Component(_)));
    let memory_limit_bytes = manifest.filter(|_| is_app).map(|m| u64::from(m.limits.memory_mib) << 20);
    // The runtime names each module's thread after it; a stopped module has none.
    let running = !matches!(state, ModuleState::Stopped | ModuleState::Failed);
    let thread = running.then(|| format!("{}-{}", if is_app { "app" } else { "native" }, info.name));
    let app = host.app(info.id);
    let view = ModuleView {
        id: info.id,
        name: info.name.clone(),
        version: info.version,
        kind: module_kind(info.kind),
        state,
        state_detail,
        // The live instance's linear memory, kept by its store's limiter; none once stopped.
        memory_bytes: app.filter(|_| running).map(|a| a.memory_bytes()),
        memory_limit_bytes,
        bus_bytes: host.bus_budget(info.id).map(|b| b.used()),
        bus_limit_bytes: host.bus_budget(info.id).map(|b| b.limit()),
        cpu_time_ms: None,
        frames: app.map(|a| a.frames()),
        last_frame_ms: app.map(|a| a.last_frame_time().as_secs_f64() * 1e3),
        restarts: crash_restarts + panel_restarts.get(&info.name).copied().unwrap_or(0),
        last_error,
        denied: info.denied,
        // Filled in by the caller, which has the store.
        upgrade_to: None,
    };
    ModuleRow { view, thread }
}

/// The running apps' kept log lines, stamped with wall-clock time.
pub(super) fn app_logs(host: &ModuleHost, clock: &dyn Clock) -> Vec<LogEntry> {
    let now_ms = unix_ms(SystemTime::now());
    let now_ns = clock.now_ns();
    let mut lines = Vec::new();
    for info in host.list() {
        let Some(app) = host.app(info.id) else { continue };
        lines.extend(app.logs().lines().into_iter().map(|line| LogEntry {
            time_ms: now_ms - now_ns.saturating_sub(line.time_ns) as f64 / 1e6,
            level: line.level.to_string(),
            source: info.name.clone(),
            message: line.message,
        }));
    }
    lines
}

pub(super) fn unix_ms(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64() * 1e3).unwrap_or(0.0)
}
