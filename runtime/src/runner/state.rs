//! What the app thread and the shell share: the app's [`AppStatus`], the [`Crash`]es the
//! supervisor recorded, frame counts and times, the running version, the input inbox and the
//! memory gauge. The thread writes, the shell reads; no read waits on a frame.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use semver::Version;
use visor_types::LayerSubmission;

use crate::host::limiter::MemoryGauge;
use crate::inbox::Inbox;

/// Where an app is in its life, as the shell shows it.
#[derive(Clone, Debug, PartialEq)]
pub enum AppStatus {
    /// Compiling and running `init`.
    Starting,
    Running,
    /// Not called any more until resumed; its last layer stays.
    Paused,
    /// Crashed; it starts again after the backoff.
    Restarting {
        attempt: u32,
        after: Duration,
        reason: String,
    },
    /// Stopped by the shell.
    Stopped,
    /// Crashed too often: the supervisor gave up. The message says why.
    Failed(String),
}

/// One crash, as the supervisor recorded it.
#[derive(Clone, Debug, PartialEq)]
pub struct Crash {
    pub at_ns: u64,
    pub reason: String,
}

/// What the app thread shares with the shell.
pub(super) struct Shared {
    pub(super) status: Mutex<AppStatus>,
    pub(super) crashes: Mutex<Vec<Crash>>,
    pub(super) frames: AtomicU64,
    /// The last `frame` call's duration in nanoseconds.
    pub(super) last_frame_ns: AtomicU64,
    pub(super) version: Mutex<Version>,
    /// Input routed to the app, taken with its next frame.
    pub(super) inbox: Inbox,
    /// Handed to every instance's store: it always shows the live instance's memory.
    pub(super) memory: MemoryGauge,
}

/// One side of the triple buffer: the newest submission, or none.
pub(super) type Slot = Option<Arc<LayerSubmission>>;

/// Most crash records kept per app.
pub(super) const CRASHES_KEPT: usize = 32;

/// Locks shared state, whether or not a thread panicked while holding it: every value kept
/// here stays valid between writes.
/// What a caught panic said, for a crash record.
pub(crate) fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
