//! An app on its own thread, at its own rate, handing layers to the compositor without locks.
//!
//! The binary publishes each display frame's [`FrameInfo`] into the [`FrameFeed`]; when the
//! app's next frame is due its thread takes the newest one, runs `frame`, and writes the
//! submission into a triple buffer. The compositor reads the newest complete submission with
//! [`AppRunner::latest`] and never waits: a slow app shows its last layer, a stopped app none.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use triple_buffer::{Input, Output, triple_buffer};
use visor_types::clock::SharedClock;
use visor_types::{AppId, FrameInfo, LayerSubmission};

use crate::app::{AppInstance, AppSpec};
use crate::engine::AppEngine;
use crate::error::AppError;
use crate::host::log::LogRing;

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
    /// Stopped by the shell.
    Stopped,
    /// Stopped by its own failure: the message says why.
    Failed(String),
}

/// What the app thread shares with the shell.
struct Shared {
    status: Mutex<AppStatus>,
    stop: AtomicBool,
    frames: AtomicU64,
    /// The last `frame` call's duration in nanoseconds.
    last_frame_ns: AtomicU64,
}

type Slot = Option<Arc<LayerSubmission>>;

pub struct AppRunner {
    id: AppId,
    name: String,
    shared: Arc<Shared>,
    logs: Arc<LogRing>,
    output: Output<Slot>,
    thread: Option<JoinHandle<()>>,
}

impl AppRunner {
    /// Starts the app on a thread of its own; loading happens there too, so a slow compile
    /// holds up nobody.
    pub fn spawn(engine: &AppEngine, spec: AppSpec, id: AppId, feed: FrameFeed, clock: SharedClock) -> AppRunner {
        let (input, output) = triple_buffer(&None);
        let shared = Arc::new(Shared {
            status: Mutex::new(AppStatus::Starting),
            stop: AtomicBool::new(false),
            frames: AtomicU64::new(0),
            last_frame_ns: AtomicU64::new(0),
        });
        let logs = Arc::new(LogRing::default());
        let name = spec.name.clone();
        let worker = Worker { engine: engine.clone(), spec, id, feed, clock, shared: shared.clone(), logs: logs.clone() };
        let thread = thread::Builder::new()
            .name(format!("app-{name}"))
            .spawn(move || worker.run(input))
            .expect("spawning an app thread");
        AppRunner { id, name, shared, logs, output, thread: Some(thread) }
    }

    pub fn id(&self) -> AppId {
        self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn status(&self) -> AppStatus {
        self.shared.status.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn logs(&self) -> &LogRing {
        &self.logs
    }

    /// Frames the app has completed.
    pub fn frames(&self) -> u64 {
        self.shared.frames.load(Ordering::Acquire)
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
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.frames() >= frames {
                return true;
            }
            if matches!(self.status(), AppStatus::Failed(_) | AppStatus::Stopped) {
                return false;
            }
            thread::sleep(Duration::from_millis(2));
        }
        false
    }

    /// Asks the app to stop after its current frame and waits for its thread.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
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

struct Worker {
    engine: AppEngine,
    spec: AppSpec,
    id: AppId,
    feed: FrameFeed,
    clock: SharedClock,
    shared: Arc<Shared>,
    logs: Arc<LogRing>,
}

impl Worker {
    fn run(self, mut input: Input<Slot>) {
        let name = self.spec.name.clone();
        let outcome = self.load().and_then(|instance| {
            self.set_status(AppStatus::Running);
            tracing::info!(app = %name, "started");
            self.frame_loop(instance, &mut input)
        });
        // Either way the layer goes: a stopped or failed app shows nothing.
        input.write(None);
        match outcome {
            Ok(()) => self.set_status(AppStatus::Stopped),
            Err(e) => {
                tracing::error!(app = %name, "{e}");
                self.set_status(AppStatus::Failed(e.to_string()));
            }
        }
    }

    fn load(&self) -> Result<AppInstance, AppError> {
        AppInstance::load(&self.engine, &self.spec, self.id, self.logs.clone(), self.clock.clone())
    }

    fn frame_loop(&self, mut instance: AppInstance, input: &mut Input<Slot>) -> Result<(), AppError> {
        let period = Duration::from_secs_f32(1.0 / self.spec.fps.max(0.1));
        let mut next = Instant::now();
        while !self.shared.stop.load(Ordering::Acquire) {
            let info = self.feed.latest();
            let submission = instance.frame(&info)?;
            self.shared.last_frame_ns.store(submission.cpu_time.as_nanos() as u64, Ordering::Relaxed);
            input.write(Some(Arc::new(submission)));
            self.shared.frames.fetch_add(1, Ordering::AcqRel);
            next += period;
            let now = Instant::now();
            if next > now {
                thread::sleep(next - now);
            } else {
                // Behind: skip the missed frames rather than bursting to catch up.
                next = now;
            }
        }
        Ok(())
    }

    fn set_status(&self, status: AppStatus) {
        *self.shared.status.lock().unwrap_or_else(|p| p.into_inner()) = status;
    }
}
