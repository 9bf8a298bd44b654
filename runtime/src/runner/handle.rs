//! [`AppRunner`], the shell's side of an app thread: spawning it, and reading what it shares
//! (status, crashes, frames, memory, the newest submission) without ever waiting on a frame.
//! The commands the shell sends it are in `control`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, unbounded};
use semver::Version;
use triple_buffer::{Output, triple_buffer};
use visor_types::clock::SharedClock;
use visor_types::{AppId, InputEvent, LayerSubmission};

use super::control::Control;
use super::feed::FrameFeed;
use super::state::{AppStatus, Crash, Shared, Slot, lock, panic_text};
use super::supervisor::RestartPolicy;
use super::worker::Worker;
use crate::app::AppSpec;
use crate::bus::Endpoint;
use crate::engine::AppEngine;
use crate::host::limiter::MemoryGauge;
use crate::host::log::LogRing;
use crate::inbox::Inbox;

/// Everything an app thread needs besides its spec.
#[derive(Clone)]
pub struct RunContext {
    pub engine: AppEngine,
    pub feed: FrameFeed,
    pub clock: SharedClock,
    /// The module's bus endpoint (its identity and grants); `None` gives it no bus access.
    pub bus: Option<Endpoint>,
    pub restart: RestartPolicy,
}

/// An app on its own supervised thread; dropping it stops the thread.
pub struct AppRunner {
    id: AppId,
    name: String,
    shared: Arc<Shared>,
    logs: Arc<LogRing>,
    output: Output<Slot>,
    /// The command path to the thread (see `control`).
    pub(super) control: Sender<Control>,
    pub(super) thread: Option<JoinHandle<()>>,
}

impl AppRunner {
    /// Starts the app on a thread of its own; loading happens there too, so a slow compile
    /// holds up nobody.
    pub fn spawn(spec: AppSpec, id: AppId, context: RunContext) -> AppRunner {
        let (input, output) = triple_buffer(&None);
        let (control, commands) = unbounded();
        let shared = Arc::new(Shared {
            status: Mutex::new(AppStatus::Starting),
            crashes: Mutex::new(Vec::new()),
            frames: AtomicU64::new(0),
            last_frame_ns: AtomicU64::new(0),
            version: Mutex::new(spec.version.clone()),
            inbox: Inbox::default(),
            memory: MemoryGauge::new(),
        });
        let logs = Arc::new(LogRing::default());
        let name = spec.name.clone();
        let worker = Worker { spec, id, context, shared: shared.clone(), logs: logs.clone(), commands };
        let on_panic = shared.clone();
        let clock = worker.context.clock.clone();
        let thread = thread::Builder::new()
            .name(format!("app-{name}"))
            .spawn(move || {
                // Guest faults come back as traps; this catches a bug of ours on the app's
                // thread, so it fails this app alone and says why instead of dying silently.
                if let Err(panic) = catch_unwind(AssertUnwindSafe(|| worker.run(input))) {
                    let why = format!("the host panicked while running this app: {}", panic_text(panic.as_ref()));
                    tracing::error!("{why}");
                    lock(&on_panic.crashes).push(Crash { at_ns: clock.now_ns(), reason: why.clone() });
                    *lock(&on_panic.status) = AppStatus::Failed(why);
                }
            })
            .expect("spawning an app thread");
        AppRunner { id, name, shared, logs, output, control, thread: Some(thread) }
    }

    pub fn id(&self) -> AppId {
        self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The version running now (it changes with an upgrade).
    pub fn version(&self) -> Version {
        lock(&self.shared.version).clone()
    }

    pub fn status(&self) -> AppStatus {
        lock(&self.shared.status).clone()
    }

    /// The crashes the supervisor saw, oldest first.
    pub fn crashes(&self) -> Vec<Crash> {
        lock(&self.shared.crashes).clone()
    }

    /// The newest crash, if any: a look every frame costs one clone, not the list's.
    pub fn last_crash(&self) -> Option<Crash> {
        lock(&self.shared.crashes).last().cloned()
    }

    pub fn logs(&self) -> &LogRing {
        &self.logs
    }

    /// Frames the app has completed, over all its restarts.
    pub fn frames(&self) -> u64 {
        self.shared.frames.load(Ordering::Acquire)
    }

    /// Bytes of linear memory the app's current instance holds, over all its memories: what
    /// it started with and every growth since. 0 while no instance is alive (before the first
    /// start, between a crash and the restart, once stopped). Never blocks.
    pub fn memory_bytes(&self) -> u64 {
        self.shared.memory.memory_bytes()
    }

    /// How long the app's last `frame` call took.
    pub fn last_frame_time(&self) -> Duration {
        Duration::from_nanos(self.shared.last_frame_ns.load(Ordering::Relaxed))
    }

    /// The newest complete submission, or `None` before the first or once the app stopped.
    /// Never blocks.
    pub fn latest(&mut self) -> Option<Arc<LayerSubmission>> {
        self.output.read().clone()
    }

    /// Waits until the app has completed `frames` frames or stopped; for start-up and tests,
    /// never on the compositor's path. Returns whether the frames arrived.
    pub fn wait_for_frames(&self, frames: u64, timeout: Duration) -> bool {
        self.wait_until(timeout, |r| r.frames() >= frames)
    }

    /// Waits until `done` holds or the app has stopped for good; returns whether `done` held.
    pub fn wait_until(&self, timeout: Duration, done: impl Fn(&AppRunner) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if done(self) {
                return true;
            }
            if matches!(self.status(), AppStatus::Failed(_) | AppStatus::Stopped) {
                return done(self);
            }
            thread::sleep(Duration::from_millis(2));
        }
        false
    }

    /// Hands the app an input event with its next frame. Never blocks; a full inbox drops
    /// its oldest pointer move (or oldest event) and says so in the log.
    pub fn send_input(&self, event: InputEvent) {
        if self.shared.inbox.push(event) {
            tracing::debug!(app = %self.name, "input inbox full; dropped the oldest event");
        }
    }
}

impl Drop for AppRunner {
    fn drop(&mut self) {
        self.stop();
    }
}
