//! `FakeDevice`: a scripted camera for tests, streaming the real recorded desk clip
//! (`assets/camera/desk`) as MJPEG — the files' own JPEG bytes — or as YUYV converted from them.
//!
//! The test holds a [`FakeControl`] and moves the device through the states a real camera goes
//! through (absent, busy, present, unplugged mid-stream); the fake answers `open` and
//! `read_frame` from that state, with the same `CameraError`s the V4L2 device gives.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::convert::rgba_to_yuyv;
use super::{CaptureDevice, CaptureMode, CaptureRequest, Encoding};
use crate::camera::CameraError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Absent,
    Busy,
    Present,
}

#[derive(Debug)]
struct FakeState {
    presence: Presence,
    /// Set by [`FakeControl::unplug`]: the next read of an open stream fails.
    pull_cable: bool,
    opens: u32,
}

/// The test's handle on a [`FakeDevice`].
#[derive(Clone)]
pub struct FakeControl(Arc<Mutex<FakeState>>);

impl FakeControl {
    pub fn set(&self, presence: Presence) {
        lock(&self.0).presence = presence;
    }

    /// Pulls the cable mid-stream: the next read fails as unplugged, and the next open finds
    /// the device `then`.
    pub fn unplug(&self, then: Presence) {
        let mut state = lock(&self.0);
        state.pull_cable = true;
        state.presence = then;
    }

    /// Successful and failed opens so far.
    pub fn opens(&self) -> u32 {
        lock(&self.0).opens
    }
}

pub struct FakeDevice {
    state: Arc<Mutex<FakeState>>,
    /// One encoded frame per clip frame, in the device's encoding.
    frames: Vec<Vec<u8>>,
    mode: CaptureMode,
    period: Duration,
    next: usize,
    open: bool,
}

/// The desk clip's frame files, in playback order.
pub fn desk_files() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets/camera/desk");
    (0..8).map(|i| folder.join(format!("frame_{i:03}.jpg"))).collect()
}

impl FakeDevice {
    /// A 320x240 camera streaming the desk clip at `fps`, absent until the test says otherwise.
    pub fn desk(encoding: Encoding, fps: u32) -> (FakeDevice, FakeControl) {
        let frames = desk_files()
            .iter()
            .map(|path| match encoding {
                Encoding::Mjpeg => std::fs::read(path).unwrap(),
                Encoding::Yuyv => rgba_to_yuyv(image::open(path).unwrap().into_rgba8().as_raw()),
            })
            .collect();
        let state = Arc::new(Mutex::new(FakeState { presence: Presence::Absent, pull_cable: false, opens: 0 }));
        let device = FakeDevice {
            state: state.clone(),
            frames,
            mode: CaptureMode { width: 320, height: 240, fps, encoding },
            period: Duration::from_secs(1) / fps,
            next: 0,
            open: false,
        };
        (device, FakeControl(state))
    }
}

impl CaptureDevice for FakeDevice {
    fn open(&mut self, request: &CaptureRequest) -> Result<CaptureMode, CameraError> {
        let mut state = lock(&self.state);
        state.opens += 1;
        let device = request.device_path();
        match state.presence {
            Presence::Absent => Err(CameraError::Absent { device, present: Vec::new() }),
            Presence::Busy => Err(CameraError::Busy { device, detail: "Device or resource busy (os error 16)".into() }),
            Presence::Present => {
                state.pull_cable = false;
                self.open = true;
                Ok(self.mode)
            }
        }
    }

    fn read_frame(&mut self, timeout: Duration) -> Result<Cow<'_, [u8]>, CameraError> {
        let unplugged = std::mem::take(&mut lock(&self.state).pull_cable);
        if !self.open || unplugged {
            self.open = false;
            return Err(CameraError::Unplugged { device: "/dev/video7".into(), detail: "No such device (os error 19)".into() });
        }
        // Paced like a camera, so a test's capture thread does not spin.
        std::thread::sleep(self.period.min(timeout));
        let frame = &self.frames[self.next % self.frames.len()];
        self.next += 1;
        Ok(Cow::Borrowed(frame))
    }

    fn mode(&self) -> Option<CaptureMode> {
        self.open.then_some(self.mode)
    }

    fn close(&mut self) {
        self.open = false;
    }

    fn describe(&self) -> String {
        "Fake Desk Camera (/dev/video7)".into()
    }
}

fn lock(state: &Mutex<FakeState>) -> MutexGuard<'_, FakeState> {
    state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
