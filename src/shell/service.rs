//! The shell's side of the `shell/` topics ([`visor_shell_api`]): what the launcher app — or
//! any module granted the shell capability — uses to install, start, focus and stop modules.
//!
//! The bus already refuses `shell/` topics to every module without the capability, so every
//! command that arrives here comes from a module the user trusted with it.
//!
//! Served between two frames by [`Shell::step`](super::Shell::step), never blocking it: reading
//! commands and publishing the state is cheap, and the slow parts of an install (pulling,
//! verifying, compiling) run on a worker thread ([`jobs`]). An install from a reference goes
//! fetch (worker) → consent (the state carries the request; the client answers) → finish
//! (worker: install, compile, write the grants) → load and start (here), then focus.

mod jobs;
mod state;

pub use state::module_kind;

use std::str::FromStr;
use std::time::{Duration, Instant};

use visor_oci::ModuleRef;
use visor_runtime::bus::{BusCapabilities, Endpoint, ModuleRef as Sender, Overflow, QueueOptions, Subscription, Topic, TopicPattern};
use visor_runtime::registry::Registry;
use visor_shell_api::{self as api, Answer, ConsentRequest, Notice, ShellState};

use super::Shell;
use crate::module_cmd;
use jobs::{Job, JobResult};

/// The state goes out at least this often, for clients that subscribed late.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// Commands read per frame at most.
const COMMANDS_PER_FRAME: usize = 16;

pub struct ShellService {
    registry: Registry,
    endpoint: Endpoint,
    commands: Subscription,
    state_topic: Topic,
    job: Option<Job>,
    /// The download waiting for the user's answer, and the request the state shows for it.
    pending: Option<(module_cmd::Fetched, ConsentRequest)>,
    next_request: u64,
    busy: Option<String>,
    notice: Option<Notice>,
    installed: state::InstalledList,
    published: ShellState,
    published_at: Option<Instant>,
}

impl ShellService {
    /// Serves the `shell/` topics of `bus`, installing into `registry`.
    pub fn new(bus: &visor_runtime::bus::Bus, registry: Registry) -> anyhow::Result<ShellService> {
        let caps = BusCapabilities {
            publish: vec![TopicPattern::from_str(api::STATE)?],
            subscribe: vec![TopicPattern::from_str(api::COMMANDS)?],
            // Unlimited: the state is the shell's own output, bounded by the frame rate.
            messages_per_second: u32::MAX,
            shell: true,
            serve: Vec::new(),
            call: Vec::new(),
        };
        let endpoint = bus.endpoint(Sender::new(0, "visor-shell"), caps);
        let commands =
            endpoint.subscribe(TopicPattern::from_str(api::COMMANDS)?, QueueOptions { capacity: 64, policy: Overflow::Reject })?;
        let installed = state::InstalledList::read(&registry);
        Ok(ShellService {
            registry,
            endpoint,
            commands,
            state_topic: Topic::new(api::STATE)?,
            job: None,
            pending: None,
            next_request: 1,
            busy: None,
            notice: None,
            installed,
            published: ShellState::default(),
            published_at: None,
        })
    }

    /// The store it installs into.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Whether a consent request waits for the user's answer (the compositor lights the
    /// trusted marker meanwhile).
    pub fn consent_pending(&self) -> bool {
        self.pending.is_some()
    }

    /// Handles waiting commands and finished jobs, then publishes the state if it changed.
    pub fn serve(&mut self, shell: &mut Shell) {
        let waiting: Vec<_> = self.commands.drain().take(COMMANDS_PER_FRAME).collect();
        for message in waiting {
            let text = message.payload.as_text().unwrap_or_default().trim().to_string();
            tracing::debug!(from = %message.sender, topic = %message.topic, %text, "shell command");
            match message.topic.as_str() {
                api::OPEN => self.open(shell, &text),
                api::ANSWER => self.answer(shell, &text),
                api::FOCUS => self.focus(shell, &text),
                api::STOP => self.stop(shell, &text),
                api::UPGRADE => match module_cmd::upgrade_running(&self.registry, &mut shell.modules, &text) {
                    Ok(done) => self.say(true, done),
                    Err(e) => self.say(false, format!("{e:#}")),
                },
                other => self.say(false, format!("'{other}' is not a shell command")),
            }
        }
        if let Some(result) = self.job.as_ref().and_then(Job::try_result) {
            self.job = None;
            self.busy = None;
            self.finished(shell, result);
        }
        self.publish(shell);
    }

    fn open(&mut self, shell: &mut Shell, text: &str) {
        if ModuleRef::is_reference(text) {
            return self.fetch(text);
        }
        let installed = match self.registry.get(text, None) {
            Ok(Some(module)) => module,
            Ok(None) => {
                return self.say(
                    false,
                    format!("'{text}' is not installed; type oci://HOST/REPOSITORY:TAG or https://HOST/REPOSITORY:TAG to fetch a module"),
                );
            }
            Err(e) => return self.say(false, e.to_string()),
        };
        match module_cmd::start_installed(&self.registry, &mut shell.modules, &installed) {
            Ok(_) => {
                let focused = shell.focus_app(installed.name());
                self.say(true, format!("{} {}", installed.id(), if focused { "is in front" } else { "is running" }));
            }
            Err(e) => self.say(false, format!("{} did not start: {e:#}", installed.id())),
        }
    }

    fn fetch(&mut self, text: &str) {
        if let Some(busy) = &self.busy {
            return self.say(false, format!("busy {busy}; try again when it is done"));
        }
        if self.pending.is_some() {
            return self.say(false, "answer the open install request first".into());
        }
        match ModuleRef::parse(text) {
            Ok(reference) => {
                self.busy = Some(format!("fetching {reference}"));
                self.job = Some(Job::fetch(self.registry.clone(), reference));
            }
            Err(e) => self.say(false, e.to_string()),
        }
    }

    fn answer(&mut self, shell: &Shell, text: &str) {
        let answer: Answer = match serde_json::from_str(text) {
            Ok(answer) => answer,
            Err(e) => return self.say(false, format!("an answer should be JSON {{\"id\":…,\"install\":…,\"grant\":[…]}}: {e}")),
        };
        let Some((fetched, request)) = self.pending.take_if(|(_, r)| r.id == answer.id) else {
            return self.say(false, format!("install request {} is no longer waiting for an answer", answer.id));
        };
        if !answer.install {
            return self.say(true, format!("{}@{} was not installed", request.module, request.version));
        }
        match module_cmd::grant_named(&fetched.manifest().capabilities, &answer.grant) {
            Ok(granted) => {
                self.busy = Some(format!("installing {}@{}", request.module, request.version));
                self.job = Some(Job::finish(self.registry.clone(), shell.modules.engine().clone(), fetched, granted));
            }
            Err(problem) => {
                self.pending = Some((fetched, request));
                self.say(false, problem);
            }
        }
    }

    fn finished(&mut self, shell: &mut Shell, result: JobResult) {
        match result {
            JobResult::Failed(problem) => self.say(false, problem),
            JobResult::Fetched(fetched) => {
                let request = state::consent_request(self.next_request, &fetched, &self.registry);
                self.next_request += 1;
                self.pending = Some((*fetched, request));
            }
            JobResult::Installed(done) => {
                self.installed = state::InstalledList::read(&self.registry);
                let module = done.module;
                shell.modules.policy_mut().modules.insert(module.name().to_string(), done.granted.clone());
                if let Some(id) = shell.modules.find(module.name()) {
                    let _ = shell.modules.stop(id);
                    let _ = shell.modules.unload(id);
                }
                match module_cmd::start_installed(&self.registry, &mut shell.modules, &module) {
                    Ok(_) => {
                        shell.focus_app(module.name());
                        let ms = done.timings.total().as_secs_f64() * 1e3;
                        self.say(true, format!("installed and started {} in {ms:.0} ms", module.id()));
                    }
                    Err(e) => self.say(false, format!("{} was installed but did not start: {e:#}", module.id())),
                }
            }
        }
    }

    fn focus(&mut self, shell: &mut Shell, name: &str) {
        if !shell.focus_app(name) {
            self.say(false, format!("'{name}' is not a running app that shows a layer"));
        }
    }

    fn stop(&mut self, shell: &mut Shell, name: &str) {
        let Some(id) = shell.modules.find(name) else {
            return self.say(false, format!("'{name}' is not loaded"));
        };
        match shell.modules.stop(id) {
            Ok(()) => self.say(true, format!("stopped {name}")),
            Err(e) => self.say(false, e.to_string()),
        }
    }

    fn say(&mut self, ok: bool, text: String) {
        if ok {
            tracing::info!("{text}");
        } else {
            tracing::warn!("{text}");
        }
        self.notice = Some(Notice { ok, text });
    }

    fn publish(&mut self, shell: &mut Shell) {
        if self.published_at.is_some_and(|at| at.elapsed() >= HEARTBEAT) {
            self.installed = state::InstalledList::read(&self.registry);
        }
        let mut now = ShellState {
            serial: self.published.serial,
            apps: state::running_apps(shell),
            installed: self.installed.with_running(shell),
            busy: self.busy.clone(),
            consent: self.pending.as_ref().map(|(_, r)| r.clone()),
            notice: self.notice.clone(),
        };
        let changed = now != self.published;
        if !changed && self.published_at.is_some_and(|at| at.elapsed() < HEARTBEAT) {
            return;
        }
        if changed {
            now.serial += 1;
        }
        let json = serde_json::to_string(&now).expect("the shell state serializes");
        if let Err(e) = self.endpoint.publish(&self.state_topic, visor_runtime::bus::Payload::text(json)) {
            tracing::warn!("publishing the shell state: {e}");
        }
        self.published = now;
        self.published_at = Some(Instant::now());
    }
}
