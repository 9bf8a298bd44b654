//! Native modules: drivers and libraries written in Rust (a camera, a pose tracker, vision
//! inference) that join the bus under the same manifest, policy and lifecycle as wasm apps.
//!
//! A native module is a [`NativeModule`] made by a factory registered under the name its
//! manifest's `entry = { native = "..." }` gives. It runs on a thread of its own, talks only
//! through its [`NativeContext`] (its bus endpoint carries its identity and grants, exactly as
//! a guest's does), and is supervised like an app: an error or a panic is a crash, restarted
//! with backoff until it crashes too often.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use thiserror::Error;
use visor_types::clock::SharedClock;

use crate::bus::Endpoint;
use crate::manifest::Manifest;
use crate::runner::{AppStatus, Crash, RestartPolicy, Supervisor, Verdict};

#[derive(Debug, Error, Clone, PartialEq)]
#[error("native module '{module}': {message}")]
pub struct NativeError {
    pub module: String,
    pub message: String,
}

impl NativeError {
    pub fn new(module: &str, message: impl Into<String>) -> NativeError {
        NativeError { module: module.to_string(), message: message.into() }
    }
}

/// What a native module sees of the shell.
pub struct NativeContext {
    pub name: String,
    pub endpoint: Endpoint,
    pub clock: SharedClock,
    stop: Arc<AtomicBool>,
}

impl NativeContext {
    /// Whether the shell asked the module to stop; check it at least every few milliseconds.
    pub fn should_stop(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Sleeps up to `duration`, waking early to stop; returns false when the module should stop.
    pub fn sleep(&self, duration: Duration) -> bool {
        let deadline = Instant::now() + duration;
        while !self.should_stop() {
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            thread::sleep((deadline - now).min(Duration::from_millis(5)));
        }
        false
    }
}

pub trait NativeModule: Send {
    /// Runs until [`NativeContext::should_stop`]; returning an error is a crash.
    fn run(&mut self, ctx: &NativeContext) -> Result<(), NativeError>;
}

/// Makes a module from its manifest (where its settings live).
pub type NativeFactory = Arc<dyn Fn(&Manifest) -> Result<Box<dyn NativeModule>, NativeError> + Send + Sync>;

struct Shared {
    status: Mutex<AppStatus>,
    crashes: Mutex<Vec<Crash>>,
}

/// A native module on its own supervised thread.
pub struct NativeRunner {
    name: String,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl NativeRunner {
    pub fn spawn(
        manifest: Manifest,
        factory: NativeFactory,
        endpoint: Endpoint,
        clock: SharedClock,
        policy: RestartPolicy,
    ) -> NativeRunner {
        let name = manifest.name.clone();
        let shared = Arc::new(Shared { status: Mutex::new(AppStatus::Starting), crashes: Mutex::new(Vec::new()) });
        let stop = Arc::new(AtomicBool::new(false));
        let ctx = NativeContext { name: name.clone(), endpoint, clock, stop: stop.clone() };
        let worker_shared = shared.clone();
        let thread = thread::Builder::new()
            .name(format!("native-{name}"))
            .spawn(move || supervise(&manifest, &factory, &ctx, &worker_shared, &policy))
            .expect("spawning a native module thread");
        NativeRunner { name, shared, stop, thread: Some(thread) }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn status(&self) -> AppStatus {
        self.shared.status.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn crashes(&self) -> Vec<Crash> {
        self.shared.crashes.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for NativeRunner {
    fn drop(&mut self) {
        self.stop();
    }
}

fn set(shared: &Shared, status: AppStatus) {
    *shared.status.lock().unwrap_or_else(|p| p.into_inner()) = status;
}

fn supervise(manifest: &Manifest, factory: &NativeFactory, ctx: &NativeContext, shared: &Shared, policy: &RestartPolicy) {
    let mut supervisor = Supervisor::new(policy.clone());
    while !ctx.should_stop() {
        set(shared, AppStatus::Running);
        let started = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| factory(manifest).and_then(|mut m| m.run(ctx))));
        let reason = match outcome {
            Ok(Ok(())) => break,
            Ok(Err(e)) => e.to_string(),
            Err(panic) => format!("native module '{}' panicked: {}", ctx.name, crate::runner::panic_text(panic.as_ref())),
        };
        tracing::error!(module = %ctx.name, "{reason}");
        {
            let mut crashes = shared.crashes.lock().unwrap_or_else(|p| p.into_inner());
            crashes.push(Crash { at_ns: ctx.clock.now_ns(), reason: reason.clone() });
        }
        match supervisor.crashed(started.elapsed(), &reason) {
            Verdict::GiveUp(why) => {
                set(shared, AppStatus::Failed(why));
                return;
            }
            Verdict::Restart { attempt, after } => {
                set(shared, AppStatus::Restarting { attempt, after, reason });
                if !ctx.sleep(after) {
                    break;
                }
            }
        }
    }
    set(shared, AppStatus::Stopped);
}
