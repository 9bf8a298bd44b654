//! [`LiveCamera`]: a [`CameraSource`] over any [`CaptureDevice`], which keeps serving frames
//! whatever the camera does.
//!
//! A capture thread reads the device into a latest-frame slot (see `link`); `frame_at` takes
//! whatever is there without waiting. While the device is absent, busy or unplugged, frames
//! come from a fallback source built from the profile, the thread retries every
//! [`LiveOptions::retry`], and the switch back is automatic. Each change of state is logged once
//! and queued as a [`CameraEvent`] for the owner (`take_events`).
//!
//! Frames handed out are renumbered: `sequence` counts up across switches between the camera
//! and the fallback, and asking again before anything new arrived returns the same frame (the
//! same `Arc`). Live timestamps are the capture time on the injected clock, the clock the
//! caller's `now_ns` comes from.
//!
//! Layout:
//! - `link`: the capture thread and the state it shares with the owner.
//! - `tests`: the whole life cycle over a scripted fake replaying the desk clip.

mod link;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use visor_types::clock::SharedClock;
use visor_types::profile::LensConfig;
use visor_types::{CameraFrame, CameraIntrinsics};

use self::link::{Link, Status, Worker};
use super::capture::{CaptureDevice, CaptureRequest};
use super::{CameraError, CameraSource};

/// A change in a live camera's state, for the owner to react to (a toast, a bus message).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CameraEvent {
    /// The camera delivered its first frame.
    Connected { describe: String },
    /// The camera could not be opened (absent, busy, …): before it ever worked, or a reopen
    /// failing in a new way.
    Unavailable { reason: String },
    /// A working camera stopped delivering frames.
    Lost { reason: String },
    /// The camera works again after being unavailable or lost.
    Reconnected { describe: String },
}

impl fmt::Display for CameraEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CameraEvent::Connected { describe } => write!(f, "camera connected: {describe}"),
            CameraEvent::Unavailable { reason } => write!(f, "camera unavailable, showing the fallback: {reason}"),
            CameraEvent::Lost { reason } => write!(f, "camera lost, showing the fallback: {reason}"),
            CameraEvent::Reconnected { describe } => write!(f, "camera back: {describe}"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveOptions {
    /// How long to wait before opening the device again after a failure.
    pub retry: Duration,
    /// How long a read may wait for a frame before the stream counts as lost.
    pub read_timeout: Duration,
}

impl LiveOptions {
    pub fn with_retry(retry: Duration) -> LiveOptions {
        LiveOptions { retry, read_timeout: Duration::from_secs(2) }
    }
}

/// Where the last frame handed out came from, to tell a repeat from a new frame.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Live,
    Fallback,
}

pub struct LiveCamera {
    link: Arc<Link>,
    thread: Option<JoinHandle<()>>,
    fallback: Box<dyn CameraSource>,
    request: CaptureRequest,
    read_timeout: Duration,
    /// The last frame handed out: its origin, its sequence there, and the renumbered frame.
    last: Option<(Origin, u64, CameraFrame)>,
    /// Intrinsics of the last frame handed out (`None`: it came from the fallback).
    serving: Option<CameraIntrinsics>,
}

impl LiveCamera {
    /// Starts the capture thread, which makes its device with `make_device` and opens it with
    /// `request`; frames come from `fallback` until the device delivers.
    pub fn start(
        make_device: impl FnOnce() -> Box<dyn CaptureDevice> + Send + 'static,
        request: CaptureRequest,
        lens: LensConfig,
        fallback: Box<dyn CameraSource>,
        clock: SharedClock,
        options: LiveOptions,
    ) -> LiveCamera {
        let link = Arc::new(Link::default());
        let worker = Worker { request: request.clone(), lens, clock, options, link: link.clone() };
        let thread = std::thread::Builder::new()
            .name(format!("camera {}", request.device_path()))
            .spawn(move || worker.run(make_device()))
            .map_err(|e| tracing::error!("cannot start the camera thread, serving the fallback only: {e}"))
            .ok();
        LiveCamera { link, thread, fallback, request, read_timeout: options.read_timeout, last: None, serving: None }
    }

    /// Waits up to `timeout` for the first open: `Ok` once the camera delivers, else why not.
    pub fn wait_for_device(&self, timeout: Duration) -> Result<(), String> {
        match &self.link.wait_settled(timeout).status {
            Status::Live { .. } => Ok(()),
            Status::Down { reason, .. } => Err(reason.clone()),
            Status::Opening => Err(format!("camera {} did not open within {timeout:?}", self.request.device_path())),
        }
    }

    /// True while frames come from the camera rather than the fallback.
    pub fn is_live(&self) -> bool {
        matches!(self.link.lock().status, Status::Live { .. })
    }

    /// Hands out `frame` renumbered, or the previous frame again if nothing changed.
    fn renumber(&mut self, origin: Origin, frame: CameraFrame) -> CameraFrame {
        let inner = frame.sequence;
        if let Some((was, seen, out)) = &self.last
            && (*was, *seen) == (origin, inner)
        {
            return out.clone();
        }
        let sequence = self.last.as_ref().map_or(0, |(_, _, out)| out.sequence + 1);
        let out = CameraFrame { sequence, ..frame };
        self.last = Some((origin, inner, out.clone()));
        out
    }
}

impl CameraSource for LiveCamera {
    fn describe(&self) -> String {
        format!("live {} {} (fallback: {})", self.request.device_path(), self.request, self.fallback.describe())
    }

    fn frame_at(&mut self, now_ns: u64) -> Result<CameraFrame, CameraError> {
        let live = {
            let state = self.link.lock();
            match (&state.status, &state.latest) {
                (Status::Live { intrinsics, .. }, Some(frame)) => Some((frame.clone(), *intrinsics)),
                _ => None,
            }
        };
        match live {
            Some((frame, intrinsics)) => {
                self.serving = Some(intrinsics);
                Ok(self.renumber(Origin::Live, frame))
            }
            None => {
                let frame = self.fallback.frame_at(now_ns)?;
                self.serving = None;
                Ok(self.renumber(Origin::Fallback, frame))
            }
        }
    }

    /// The intrinsics of the stream the last frame came from: the camera's granted mode, or
    /// the fallback's.
    fn intrinsics(&self) -> CameraIntrinsics {
        self.serving.unwrap_or_else(|| self.fallback.intrinsics())
    }

    fn take_events(&mut self) -> Vec<CameraEvent> {
        std::mem::take(&mut self.link.lock().events)
    }
}

impl Drop for LiveCamera {
    /// Stops the capture thread. A read that cannot time out (a stalled V4L2 camera) may keep
    /// it a while; after a grace period it is left to finish on its own rather than hang the
    /// shell's shutdown.
    fn drop(&mut self) {
        self.link.stop();
        let Some(thread) = self.thread.take() else { return };
        let deadline = Instant::now() + self.read_timeout + Duration::from_millis(500);
        while !thread.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        if thread.is_finished() {
            let _ = thread.join();
        } else {
            tracing::warn!(device = %self.request.device_path(), "the camera thread is still in a read; leaving it to exit by itself");
        }
    }
}
