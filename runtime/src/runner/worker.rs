//! The app thread's life: load the app, run its frame loop (`frame_loop`), and when the loop
//! ends, act on why — stop, restart with the module's bus state, upgrade to a new spec, or,
//! after a crash, wait out the [`Supervisor`]'s backoff and start again, until it gives up.
//! Every failure here is the app's alone: it is recorded as a [`Crash`] and shown in the
//! app's status, never raised in the shell.

use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{Receiver, RecvTimeoutError};
use triple_buffer::Input;
use visor_types::AppId;

use super::control::{Control, Exit};
use super::handle::RunContext;
use super::state::{AppStatus, CRASHES_KEPT, Crash, Shared, Slot, lock};
use super::supervisor::{Supervisor, Verdict};
use crate::app::{AppInstance, AppSpec};
use crate::error::AppError;
use crate::host::bus::GuestBus;
use crate::host::log::LogRing;

/// The app thread's own state: what it runs, what it was handed, and where commands arrive.
pub(super) struct Worker {
    pub(super) spec: AppSpec,
    pub(super) id: AppId,
    pub(super) context: RunContext,
    pub(super) shared: Arc<Shared>,
    pub(super) logs: Arc<LogRing>,
    pub(super) commands: Receiver<Control>,
}

impl Worker {
    /// The thread's body: loads the app, runs its frame loop, and after a crash asks the
    /// supervisor whether to start again. Returns once stopped or given up.
    pub(super) fn run(mut self, mut input: Input<Slot>) {
        let mut supervisor = Supervisor::new(self.context.restart.clone());
        let mut upgraded: Option<AppInstance> = None;
        let mut carried: Option<GuestBus> = None;
        loop {
            self.set_status(AppStatus::Starting);
            let started = Instant::now();
            let loaded = match upgraded.take() {
                Some(instance) => Ok(instance),
                None => self.load(carried.take().unwrap_or_else(|| GuestBus::new(self.context.bus.clone()))),
            };
            let exit = match loaded {
                Ok(instance) => {
                    self.set_status(AppStatus::Running);
                    tracing::info!(app = %self.spec.name, version = %self.spec.version, "started");
                    self.frame_loop(instance, &mut input)
                }
                Err(e) => Exit::Crashed(e),
            };
            match exit {
                Exit::Stopped => break,
                Exit::Restart(bus) => {
                    carried = Some(bus);
                    continue;
                }
                Exit::Upgrade(spec, bus) => {
                    upgraded = self.upgrade(*spec, bus);
                    continue;
                }
                Exit::Failed(why) => {
                    input.write(None);
                    tracing::error!(app = %self.spec.name, "{why}");
                    self.record_crash(why.clone());
                    self.set_status(AppStatus::Failed(why));
                    return;
                }
                Exit::Crashed(e) if e.is_permanent() => {
                    // Starting again would load the same component: say why once and stop.
                    input.write(None);
                    tracing::error!(app = %self.spec.name, "{e}");
                    self.record_crash(e.to_string());
                    self.set_status(AppStatus::Failed(e.to_string()));
                    return;
                }
                Exit::Crashed(e) => {
                    // A crashed app shows nothing: its last layer may be what broke it.
                    input.write(None);
                    tracing::error!(app = %self.spec.name, "{e}");
                    self.record_crash(e.to_string());
                    let (attempt, after) = match supervisor.crashed(started.elapsed(), &e.to_string()) {
                        Verdict::Restart { attempt, after } => (attempt, after),
                        Verdict::GiveUp(why) => {
                            tracing::error!(app = %self.spec.name, "{why}");
                            self.set_status(AppStatus::Failed(why));
                            return;
                        }
                    };
                    self.set_status(AppStatus::Restarting { attempt, after, reason: e.to_string() });
                    match self.commands.recv_timeout(after) {
                        Ok(Control::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                        _ => {}
                    }
                }
            }
        }
        input.write(None);
        self.set_status(AppStatus::Stopped);
    }

    fn load(&self, bus: GuestBus) -> Result<AppInstance, AppError> {
        let (engine, clock, memory) = (&self.context.engine, self.context.clock.clone(), self.shared.memory.clone());
        AppInstance::load_metered(engine, &self.spec, self.id, bus, self.logs.clone(), clock, memory)
    }

    /// Loads `spec` with the module's bus state (identity, subscriptions, queued messages).
    /// On failure it logs why and returns to the old spec, whose next start begins afresh.
    fn upgrade(&mut self, spec: AppSpec, bus: GuestBus) -> Option<AppInstance> {
        let old = std::mem::replace(&mut self.spec, spec);
        match self.load(bus) {
            Ok(instance) => {
                tracing::info!(app = %self.spec.name, from = %old.version, to = %self.spec.version, "upgraded");
                *lock(&self.shared.version) = self.spec.version.clone();
                Some(instance)
            }
            Err(e) => {
                let note = format!("upgrade to {} failed, staying on {}: {e}", self.spec.version, old.version);
                tracing::error!(app = %self.spec.name, "{note}");
                self.record_crash(AppError::Init { app: self.spec.name.clone(), message: note }.to_string());
                self.spec = old;
                None
            }
        }
    }

    fn record_crash(&self, reason: String) {
        let mut crashes = lock(&self.shared.crashes);
        if crashes.len() == CRASHES_KEPT {
            crashes.remove(0);
        }
        crashes.push(Crash { at_ns: self.context.clock.now_ns(), reason });
    }

    pub(super) fn set_status(&self, status: AppStatus) {
        *lock(&self.shared.status) = status;
    }
}
