//! An app on its own thread, at its own rate, handing layers to the compositor without locks,
//! and supervised: a crash restarts it with exponential backoff, until it crashes too often.
//!
//! The binary publishes each display frame's [`FrameInfo`] into the [`FrameFeed`]; when the
//! app's next frame is due its thread takes the newest one, runs `frame`, and writes the
//! submission into a triple buffer. The compositor reads the newest complete submission with
//! [`AppRunner::latest`] and never waits: a slow app shows its last layer, a paused app its
//! frozen one, a stopped or crashed app none.
//!
//! The shell steers the thread through a control channel (stop, pause, resume, restart,
//! upgrade); the thread reads it between frames, so a command never interrupts a `frame` call.
//!
//! What the shell reads back (status, crashes, frame counts and times, the memory gauge) is
//! shared state the thread updates; reading it never waits on a frame.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, unbounded};
use triple_buffer::{Input, Output, triple_buffer};
use visor_types::clock::SharedClock;
use visor_types::{AppId, FrameInfo, InputEvent, LayerSubmission};

use crate::app::{AppInstance, AppSpec};
use crate::bus::Endpoint;
use crate::engine::AppEngine;
use crate::error::AppError;
use crate::host::bus::GuestBus;
use crate::host::limiter::MemoryGauge;
use crate::host::log::LogRing;
use crate::inbox::Inbox;

/// The newest frame template, shared by the binary (writer) and every app thread (readers).
#[derive(Clone)]
pub struct FrameFeed(Arc<ArcSwap<FrameInfo>>);

impl FrameFeed {
    pub fn new(first: FrameInfo) -> FrameFeed {
        FrameFeed(Arc::new(ArcSwap::from_pointee(first)))
    }

    pub fn publish(&self, info: FrameInfo) {
        self.0.store(Arc::new(info));
    }

    pub fn latest(&self) -> Arc<FrameInfo> {
        self.0.load_full()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum AppStatus {
    /// Compiling and running `init`.
    Starting,
    Running,
    /// Not called any more until resumed; its last layer stays.
    Paused,
    /// Crashed; it starts again after the backoff.
    Restarting { attempt: u32, after: Duration, reason: String },
    /// Stopped by the shell.
    Stopped,
    /// Crashed too often: the supervisor gave up. The message says why.
    Failed(String),
}

/// When the supervisor restarts a crashed app, and when it gives up.
#[derive(Clone, Debug, PartialEq)]
pub struct RestartPolicy {
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Give up after this many crashes within `window`.
    pub max_crashes: u32,
    pub window: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            max_crashes: 5,
            window: Duration::from_secs(60),
        }
    }
}

impl RestartPolicy {
    /// Never restart: the first failure is final.
    pub fn never() -> RestartPolicy {
        RestartPolicy { max_crashes: 1, ..Default::default() }
    }
}

/// What the supervisor decides after a crash.
pub(crate) enum Verdict {
    /// Start again after this backoff; `attempt` counts the crashes within the window.
    Restart { attempt: u32, after: Duration },
    /// Too many crashes within the window: the message says so.
    GiveUp(String),
}

/// The crash bookkeeping of one supervised module (an app or a native driver): recent crash
/// times within the window and the backoff, which doubles per crash up to its cap and starts
/// over after a run as long as the window.
pub(crate) struct Supervisor {
    policy: RestartPolicy,
    recent: VecDeque<Instant>,
    backoff: Duration,
}

impl Supervisor {
    pub(crate) fn new(policy: RestartPolicy) -> Supervisor {
        let backoff = policy.initial_backoff;
        Supervisor { policy, recent: VecDeque::new(), backoff }
    }

    /// Records a crash after a run of `ran_for`.
    pub(crate) fn crashed(&mut self, ran_for: Duration, reason: &str) -> Verdict {
        if ran_for >= self.policy.window {
            self.backoff = self.policy.initial_backoff;
        }
        let now = Instant::now();
        self.recent.push_back(now);
        while self.recent.front().is_some_and(|t| now.duration_since(*t) > self.policy.window) {
            self.recent.pop_front();
        }
        let count = self.recent.len() as u32;
        if count >= self.policy.max_crashes {
            return Verdict::GiveUp(format!(
                "gave up after {count} crash(es) within {:?}; the last: {reason}",
                self.policy.window
            ));
        }
        let after = self.backoff;
        self.backoff = (self.backoff * 2).min(self.policy.max_backoff);
        Verdict::Restart { attempt: count, after }
    }
}

/// One crash, as the supervisor recorded it.
#[derive(Clone, Debug, PartialEq)]
pub struct Crash {
    pub at_ns: u64,
    pub reason: String,
}

enum Control {
    Stop,
    Pause,
    Resume,
    Restart,
    Upgrade(Box<AppSpec>),
}

/// Why a frame loop ended.
enum Exit {
    Stopped,
    /// Asked to restart: the module's bus state carries over, as for an upgrade.
    Restart(GuestBus),
    Upgrade(Box<AppSpec>, GuestBus),
    Crashed(AppError),
}

/// What the app thread shares with the shell.
struct Shared {
    status: Mutex<AppStatus>,
    crashes: Mutex<Vec<Crash>>,
    frames: AtomicU64,
    /// The last `frame` call's duration in nanoseconds.
    last_frame_ns: AtomicU64,
    version: Mutex<String>,
    /// Input routed to the app, taken with its next frame.
    inbox: Inbox,
    /// Handed to every instance's store: it always shows the live instance's memory.
    memory: MemoryGauge,
}

type Slot = Option<Arc<LayerSubmission>>;

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

pub struct AppRunner {
    id: AppId,
    name: String,
    shared: Arc<Shared>,
    logs: Arc<LogRing>,
    output: Output<Slot>,
    control: Sender<Control>,
    thread: Option<JoinHandle<()>>,
}

/// Most crash records kept per app.
const CRASHES_KEPT: usize = 32;

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
        let thread = thread::Builder::new()
            .name(format!("app-{name}"))
            .spawn(move || worker.run(input))
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
    pub fn version(&self) -> String {
        lock(&self.shared.version).clone()
    }

    pub fn status(&self) -> AppStatus {
        lock(&self.shared.status).clone()
    }

    /// The crashes the supervisor saw, oldest first.
    pub fn crashes(&self) -> Vec<Crash> {
        lock(&self.shared.crashes).clone()
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

    pub fn pause(&self) {
        let _ = self.control.send(Control::Pause);
    }

    pub fn resume(&self) {
        let _ = self.control.send(Control::Resume);
    }

    /// Starts the app afresh: a new instance, with the module's bus identity and subscriptions.
    pub fn restart(&self) {
        let _ = self.control.send(Control::Restart);
    }

    /// Swaps in a new version between two frames, handing it the module's bus identity and
    /// subscriptions. If the new version fails to start, the old one comes back.
    pub fn upgrade(&self, spec: AppSpec) {
        let _ = self.control.send(Control::Upgrade(Box::new(spec)));
    }

    /// Asks the app to stop after its current frame and waits for its thread.
    pub fn stop(&mut self) {
        let _ = self.control.send(Control::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for AppRunner {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

struct Worker {
    spec: AppSpec,
    id: AppId,
    context: RunContext,
    shared: Arc<Shared>,
    logs: Arc<LogRing>,
    commands: Receiver<Control>,
}

impl Worker {
    fn run(mut self, mut input: Input<Slot>) {
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
                Exit::Crashed(e) => {
                    // A crashed app shows nothing: its last layer may be what broke it.
                    input.write(None);
                    tracing::error!(app = %self.spec.name, "{e}");
                    self.record_crash(&e);
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
                self.record_crash(&AppError::Init { app: self.spec.name.clone(), message: note });
                self.spec = old;
                None
            }
        }
    }

    fn frame_loop(&self, mut instance: AppInstance, input: &mut Input<Slot>) -> Exit {
        let period = Duration::from_secs_f32(1.0 / self.spec.fps.max(0.1));
        let mut next = Instant::now();
        let mut paused = false;
        // A command that arrived while sleeping between frames, handled at the top of the loop.
        let mut pending: Option<Control> = None;
        loop {
            let command = pending.take().or_else(|| {
                if paused { self.commands.recv().ok() } else { self.commands.try_recv().ok() }
            });
            match command {
                Some(Control::Stop) => return Exit::Stopped,
                Some(Control::Restart) => return Exit::Restart(instance.into_bus()),
                Some(Control::Upgrade(spec)) => return Exit::Upgrade(spec, instance.into_bus()),
                Some(Control::Pause) => {
                    paused = true;
                    self.set_status(AppStatus::Paused);
                    continue;
                }
                Some(Control::Resume) => {
                    paused = false;
                    next = Instant::now();
                    self.set_status(AppStatus::Running);
                }
                None if paused => return Exit::Stopped,
                None => {}
            }
            if paused {
                continue;
            }
            let info = self.context.feed.latest();
            let submission = match instance.frame(&info, self.shared.inbox.take()) {
                Ok(s) => s,
                Err(e) => return Exit::Crashed(e),
            };
            self.shared.last_frame_ns.store(submission.cpu_time.as_nanos() as u64, Ordering::Relaxed);
            input.write(Some(Arc::new(submission)));
            self.shared.frames.fetch_add(1, Ordering::AcqRel);
            next += period;
            let now = Instant::now();
            if next > now {
                // Sleep until the next frame, waking early for a command.
                match self.commands.recv_timeout(next - now) {
                    Ok(command) => pending = Some(command),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return Exit::Stopped,
                }
            } else {
                // Behind: skip the missed frames rather than bursting to catch up.
                next = now;
            }
        }
    }

    fn record_crash(&self, e: &AppError) {
        let mut crashes = lock(&self.shared.crashes);
        if crashes.len() == CRASHES_KEPT {
            crashes.remove(0);
        }
        crashes.push(Crash { at_ns: self.context.clock.now_ns(), reason: e.to_string() });
    }

    fn set_status(&self, status: AppStatus) {
        *lock(&self.shared.status) = status;
    }
}
