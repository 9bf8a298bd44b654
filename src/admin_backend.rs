//! The shell's side of the admin panel (`visor run --admin`): the [`visor_admin`] server runs
//! on its own thread and reaches the running shell only through this module.
//!
//! The shell's frame loop owns the [`ModuleHost`](visor_runtime::modules::ModuleHost) and the
//! compositor on the main thread, and never waits for the panel. So the panel's backend
//! ([`bridge::ShellBridge`], which the server calls) splits what it needs in two:
//! - what is shared and thread-safe it reads itself: bus statistics, a bus tap for the last
//!   message per topic, per-thread CPU time from `/proc`, the shell's log ring, the PNG of the
//!   newest frame the loop handed over;
//! - what lives on the main thread (the module list, lifecycle actions, the apps' log rings)
//!   it asks for over a bounded channel, and [`AdminLink::serve`] answers between two frames
//!   with `try_recv` — never blocking. The server thread waits for the answer, not the loop.
//!
//! The composited frame is read back from the GPU only while someone watches the preview, at
//! most ten times a second, and encoded to PNG on the server's side.
//!
//! Each app's memory in use comes from the runtime (`AppRunner::memory_bytes`, kept by its
//! store's limiter). What the runtime does not tell yet, and would be better told by it: CPU
//! time per module (read here from `/proc` by thread name, see `cpu`), and the last
//! message per topic (read here by a tap subscribed to `#`, see `tap`; a summary kept beside
//! the bus's counts would not be a subscriber).
//!
//! Layout:
//! - `bridge`: [`bridge::ShellBridge`], the `AdminBackend` implementation.
//! - `views`: module rows and app log lines, built on the main thread.
//! - `frames`: the hand-over slot for preview frames and their PNG.
//! - `tap`: the bus monitor's tap (last message per topic, summarized).
//! - `peers`: the other shells on the network, from `net/peers`.
//! - `cpu`: CPU time of module threads.
//! - `shell_log`: [`ShellLog`], a `tracing` layer that keeps the shell's recent lines.

mod bridge;
mod cpu;
mod frames;
mod peers;
mod shell_log;
mod tap;
mod views;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use crossbeam_channel::Receiver;
use image::RgbaImage;
use visor_admin::{AdminConfig, AdminServer, BackendError, ModuleAction};

pub use shell_log::{ShellLog, ShellLogLayer};

use crate::shell::Shell;
use bridge::{Request, ShellBridge};
use frames::FrameSlot;

/// Requests answered per frame at most, so a burst cannot stretch one frame.
const REQUESTS_PER_FRAME: usize = 16;

/// What `--admin` asks for.
#[derive(Clone, Debug)]
pub struct AdminOptions {
    pub addr: SocketAddr,
    /// The shell's own log lines (the binary installs its layer); `None` shows app logs only.
    pub shell_log: Option<ShellLog>,
}

/// The frame loop's half of the admin panel: answers the server between frames and hands it
/// preview frames. Dropping it stops the server.
pub struct AdminLink {
    requests: Option<Receiver<Request>>,
    frames: Arc<FrameSlot>,
    /// Restarts asked for at the panel, per module name (the supervisor counts crashes).
    restarts: HashMap<String, u32>,
    server: Option<AdminServer>,
    /// Where scripts find the token; removed when the panel goes.
    token_file: Option<PathBuf>,
}

/// Writes the admin token where only this user can read it
/// (`$XDG_RUNTIME_DIR/visor/admin-PORT.token`, mode 0600), for scripts; `None` without a
/// runtime folder or when it cannot be written (the panel still works from the browser).
fn write_token_file(port: u16, token: &str) -> Option<PathBuf> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let dir = PathBuf::from(std::env::var_os("XDG_RUNTIME_DIR")?).join("visor");
    let written = std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir).and_then(|()| {
        let path = dir.join(format!("admin-{port}.token"));
        let _ = std::fs::remove_file(&path);
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
        file.write_all(token.as_bytes())?;
        Ok(path)
    });
    written.inspect_err(|e| tracing::warn!("cannot write the admin token file in {}: {e}", dir.display())).ok()
}

impl AdminLink {
    /// Starts the server for `shell` and logs the page's URL, token included.
    pub fn start(options: &AdminOptions, shell: &Shell) -> anyhow::Result<AdminLink> {
        let (requests, answered) = crossbeam_channel::bounded(bridge::QUEUED_REQUESTS);
        let frames = Arc::new(FrameSlot::default());
        let backend =
            ShellBridge::new(requests, shell.modules.bus().clone(), shell.clock.clone(), frames.clone(), options.shell_log.clone());
        let config = AdminConfig { addr: options.addr, token: None };
        let server = AdminServer::start(config, Arc::new(backend)).context("starting the admin panel")?;
        // The terminal shows the one-time login once; the panel's own log view need not.
        if let Some(log) = &options.shell_log {
            log.hide(server.token().as_str());
            log.hide(server.login_code().as_str());
        }
        let token_file = write_token_file(server.addr().port(), server.token().as_str());
        match &token_file {
            Some(path) => tracing::info!(
                "admin panel at {} (a one-time login: it sets a cookie; scripts send 'Authorization: Bearer' with the token in {})",
                server.url(),
                path.display()
            ),
            None => tracing::info!("admin panel at {} (a one-time login: it sets a cookie)", server.url()),
        }
        Ok(AdminLink { requests: Some(answered), frames, restarts: HashMap::new(), server: Some(server), token_file })
    }

    pub fn url(&self) -> Option<String> {
        self.server.as_ref().map(AdminServer::url)
    }

    /// Answers what the panel asked since the last frame. Never waits for a request; a stop
    /// or remove waits for that module's current frame, as the shell's own stop does.
    pub fn serve(&mut self, shell: &mut Shell) {
        let Some(requests) = &self.requests else { return };
        let pending: Vec<Request> = requests.try_iter().take(REQUESTS_PER_FRAME).collect();
        for request in pending {
            // A reply nobody waits for any more (the request timed out) is dropped.
            match request {
                Request::Modules(reply) => {
                    let mut rows = views::module_rows(&shell.modules, &self.restarts);
                    for row in &mut rows {
                        row.view.upgrade_to = shell.upgrade_available(&row.view.name);
                    }
                    let _ = reply.send(rows);
                }
                Request::AppLogs(reply) => {
                    let _ = reply.send(views::app_logs(&shell.modules, shell.clock.as_ref()));
                }
                Request::Act { module, action, reply } => {
                    let _ = reply.send(self.act(shell, &module, action));
                }
            }
        }
    }

    fn act(&mut self, shell: &mut Shell, name: &str, action: ModuleAction) -> Result<(), BackendError> {
        // `NAME@VERSION` names a version to upgrade to.
        let module = name.split_once('@').map_or(name, |(module, _)| module);
        let id = shell.modules.find(module).ok_or_else(|| BackendError::UnknownModule(module.to_string()))?;
        let modules = &mut shell.modules;
        let done = match action {
            ModuleAction::Start => modules.start(id).map_err(|e| e.to_string()),
            ModuleAction::Stop => modules.stop(id).map_err(|e| e.to_string()),
            ModuleAction::Restart => {
                *self.restarts.entry(name.to_string()).or_default() += 1;
                modules.restart(id).map_err(|e| e.to_string())
            }
            ModuleAction::Remove => {
                self.restarts.remove(name);
                modules.unload(id).map(drop).map_err(|e| e.to_string())
            }
            // To the newest version in the store, which the shell holds.
            ModuleAction::Upgrade => shell.upgrade_module(name).map(drop).map_err(|e| format!("{e:#}")),
        };
        done.map_err(|e| BackendError::Failed(format!("cannot {action} '{name}': {e}")))
    }

    /// Whether the preview wants a new frame now; the loop reads one back only then.
    pub fn wants_frame(&self) -> bool {
        self.frames.wanted()
    }

    /// Hands over composited frame `frame` for the preview.
    pub fn offer_frame(&self, frame: u64, image: RgbaImage) {
        self.frames.offer(frame, image);
    }
}

impl Drop for AdminLink {
    fn drop(&mut self) {
        // Requests still waiting fail at once ("the shell has stopped") rather than timing
        // out, so the server's shutdown is quick.
        self.requests = None;
        self.server = None;
        if let Some(path) = &self.token_file {
            let _ = std::fs::remove_file(path);
        }
    }
}
