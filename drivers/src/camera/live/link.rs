//! The capture thread and the state it shares with [`LiveCamera`](super::LiveCamera): the
//! newest frame, the link's status, and the events not yet taken.
//!
//! The thread opens the device, reads frames (the read blocks), converts each to RGBA8 and
//! swaps it into the slot; on any failure it closes the device, records the new status, sleeps
//! the retry interval and opens again, until told to stop. The lock is held only to swap
//! values, never across a device call, so `frame_at` on the owner's side never waits on the
//! camera.

use std::mem::Discriminant;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use visor_types::clock::SharedClock;
use visor_types::profile::LensConfig;
use visor_types::{CameraFrame, CameraIntrinsics};

use super::{CameraEvent, LiveOptions};
use crate::camera::CameraError;
use crate::camera::capture::{CaptureDevice, CaptureMode, CaptureRequest, convert};

pub(super) enum Status {
    /// The first open has not finished yet.
    Opening,
    /// Frames are arriving, seen through `intrinsics`.
    Live { intrinsics: CameraIntrinsics },
    /// The last open or read failed; `kind` tells one failure from another, so a retry that
    /// fails the same way stays quiet.
    Down { kind: Discriminant<CameraError>, reason: String },
}

pub(super) struct State {
    pub stop: bool,
    pub status: Status,
    /// The newest live frame; cleared when the link goes down.
    pub latest: Option<CameraFrame>,
    pub events: Vec<CameraEvent>,
    ever_live: bool,
}

#[derive(Default)]
pub(super) struct Link {
    state: Mutex<State>,
    /// Wakes a retry sleep on stop, and waiters on a status change.
    changed: Condvar,
}

impl Default for State {
    fn default() -> Self {
        State { stop: false, status: Status::Opening, latest: None, events: Vec::new(), ever_live: false }
    }
}

impl Link {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the slot half-written (every write is one assignment).
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn stop(&self) {
        self.lock().stop = true;
        self.changed.notify_all();
    }

    fn stopped(&self) -> bool {
        self.lock().stop
    }

    /// Sleeps up to `wait`; true if told to stop meanwhile.
    fn sleep(&self, wait: Duration) -> bool {
        let guard = self.lock();
        let (guard, _) = self.changed.wait_timeout_while(guard, wait, |s| !s.stop).unwrap_or_else(|p| p.into_inner());
        guard.stop
    }

    /// Waits up to `timeout` for the first open to succeed or fail.
    pub fn wait_settled(&self, timeout: Duration) -> MutexGuard<'_, State> {
        let guard = self.lock();
        let settling = |s: &mut State| matches!(s.status, Status::Opening) && !s.stop;
        self.changed.wait_timeout_while(guard, timeout, settling).unwrap_or_else(|p| p.into_inner()).0
    }

    fn publish(&self, frame: CameraFrame, describe: &str, intrinsics: CameraIntrinsics) {
        let mut state = self.lock();
        if !matches!(state.status, Status::Live { .. }) {
            let event = if state.ever_live {
                CameraEvent::Reconnected { describe: describe.to_string() }
            } else {
                CameraEvent::Connected { describe: describe.to_string() }
            };
            tracing::info!(camera = describe, "{event}");
            state.events.push(event);
            state.ever_live = true;
            self.changed.notify_all();
        }
        // Every frame: an MJPEG camera may change size mid-stream, and its intrinsics with it.
        state.status = Status::Live { intrinsics };
        state.latest = Some(frame);
    }

    fn down(&self, error: &CameraError) {
        let kind = std::mem::discriminant(error);
        let mut state = self.lock();
        if matches!(state.status, Status::Down { kind: was, .. } if was == kind) {
            return;
        }
        let reason = error.to_string();
        let event = match state.status {
            Status::Live { .. } => CameraEvent::Lost { reason: reason.clone() },
            _ => CameraEvent::Unavailable { reason: reason.clone() },
        };
        tracing::error!("{event}");
        state.events.push(event);
        state.status = Status::Down { kind, reason };
        state.latest = None;
        self.changed.notify_all();
    }
}

/// Everything the capture thread owns, but the device it makes there.
pub(super) struct Worker {
    pub request: CaptureRequest,
    pub lens: LensConfig,
    pub clock: SharedClock,
    pub options: LiveOptions,
    pub link: std::sync::Arc<Link>,
}

impl Worker {
    pub fn run(self, mut device: Box<dyn CaptureDevice>) {
        let mut sequence = 0;
        while !self.link.stopped() {
            let failure = match device.open(&self.request) {
                Ok(mode) => self.stream(device.as_mut(), mode, &mut sequence).err(),
                Err(e) => Some(e),
            };
            device.close();
            if let Some(error) = failure {
                self.link.down(&error);
            }
            if self.link.sleep(self.options.retry) {
                break;
            }
        }
    }

    /// Reads frames until stopped (`Ok`) or the stream fails (`Err`).
    fn stream(&self, device: &mut dyn CaptureDevice, mode: CaptureMode, sequence: &mut u64) -> Result<(), CameraError> {
        let nominal = (self.request.width, self.request.height);
        let describe = format!("{} {mode}", device.describe());
        let mut decode_warned = false;
        while !self.link.stopped() {
            let raw = device.read_frame(self.options.read_timeout)?;
            let captured_ns = self.clock.now_ns();
            match convert::to_rgba(mode, &raw) {
                Ok(rgba) => {
                    let intrinsics = self.lens.intrinsics(nominal, (rgba.width, rgba.height));
                    let frame = CameraFrame {
                        width: rgba.width,
                        height: rgba.height,
                        pixels: rgba.pixels.into(),
                        timestamp_ns: captured_ns,
                        sequence: *sequence,
                    };
                    *sequence += 1;
                    self.link.publish(frame, &describe, intrinsics);
                }
                // Webcams send the odd truncated JPEG; skipping it keeps the stream.
                Err(e) if !decode_warned => {
                    tracing::warn!(camera = %describe, "skipping a frame that did not decode (further ones skipped quietly): {e}");
                    decode_warned = true;
                }
                Err(e) => tracing::debug!(camera = %describe, "skipping a frame: {e}"),
            }
        }
        Ok(())
    }
}
