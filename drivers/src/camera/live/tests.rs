//! [`LiveCamera`] over a scripted [`FakeDevice`] streaming the recorded desk clip: the fallback
//! while the camera is away, one event per change of state, the switch back, and the frame
//! contract (`sequence` counts up, a repeat is the same `Arc`, capture times on the clock).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use visor_types::clock::{ManualClock, MonotonicClock, SharedClock};
use visor_types::profile::{LensConfig, PixelFormat};
use visor_types::{CameraFrame, CameraIntrinsics};

use super::*;
use crate::camera::SyntheticCamera;
use crate::camera::capture::Encoding;
use crate::camera::capture::fake::{FakeControl, FakeDevice, Presence, desk_files};

const WAIT: Duration = Duration::from_secs(10);

fn request(format: PixelFormat) -> CaptureRequest {
    CaptureRequest { device: 7, width: 320, height: 240, fps: 30.0, format }
}

fn start(encoding: Encoding, presence: Presence, clock: SharedClock) -> (LiveCamera, FakeControl) {
    let (device, control) = FakeDevice::desk(encoding, 200);
    control.set(presence);
    let lens = LensConfig { intrinsics: None, hfov_deg: Some(90.0) };
    let fallback = Box::new(SyntheticCamera::new(64, 48, 30.0).unwrap().with_lens(&lens));
    let options = LiveOptions { retry: Duration::from_millis(5), read_timeout: Duration::from_secs(1) };
    let camera = LiveCamera::start(move || Box::new(device), request(PixelFormat::Any), lens, fallback, clock, options);
    (camera, control)
}

/// Drives a camera as a frame loop would, keeping every frame and event it saw.
struct Observer {
    camera: LiveCamera,
    clock: SharedClock,
    frames: Vec<CameraFrame>,
    pending: VecDeque<CameraEvent>,
}

impl Observer {
    fn poll(&mut self) {
        self.frames.push(self.camera.frame_at(self.clock.now_ns()).unwrap());
        self.pending.extend(self.camera.take_events());
        std::thread::sleep(Duration::from_millis(1));
    }

    /// The next event, polling until it comes.
    fn next_event(&mut self) -> CameraEvent {
        let deadline = Instant::now() + WAIT;
        while self.pending.is_empty() {
            assert!(Instant::now() < deadline, "no camera event within {WAIT:?}");
            self.poll();
        }
        self.pending.pop_front().unwrap()
    }

    /// Polls for a while, checking that nothing changes state meanwhile.
    fn quiet(&mut self, how_long: Duration) {
        let until = Instant::now() + how_long;
        while Instant::now() < until {
            self.poll();
            assert_eq!(self.pending, [], "no state change expected");
        }
    }

    fn last(&self) -> &CameraFrame {
        self.frames.last().unwrap()
    }
}

fn desk_pixels() -> Vec<Vec<u8>> {
    desk_files().iter().map(|p| image::open(p).unwrap().into_rgba8().into_raw()).collect()
}

/// Which desk frame these pixels are (MJPEG frames decode exactly as the files do).
fn desk_index(frame: &CameraFrame, desk: &[Vec<u8>]) -> usize {
    assert_eq!((frame.width, frame.height), (320, 240));
    desk.iter().position(|d| d[..] == frame.pixels[..]).expect("a live frame is a recorded desk frame")
}

#[test]
fn absent_then_plugged_in_then_unplugged_then_busy_then_back() {
    let clock = MonotonicClock::shared();
    let (camera, control) = start(Encoding::Mjpeg, Presence::Absent, clock.clone());
    let mut o = Observer { camera, clock: clock.clone(), frames: Vec::new(), pending: VecDeque::new() };
    let desk = desk_pixels();

    let event = o.next_event();
    assert!(matches!(&event, CameraEvent::Unavailable { reason } if reason.contains("no camera at /dev/video7")), "{event:?}");
    o.quiet(Duration::from_millis(40));
    assert!(control.opens() >= 3, "it keeps retrying every 5 ms: {} opens", control.opens());
    assert_eq!((o.last().width, o.last().height), (64, 48), "the synthetic fallback stands in");
    assert_eq!(o.camera.intrinsics(), CameraIntrinsics::from_hfov(64, 48, 90.0));

    control.set(Presence::Present);
    let event = o.next_event();
    assert!(matches!(&event, CameraEvent::Connected { describe } if describe.contains("Fake Desk Camera")), "{event:?}");
    assert!(event.to_string().contains("320x240 mjpeg @ 200 fps"), "{event}");
    let before_live = o.frames.len();
    o.quiet(Duration::from_millis(60));
    let live = &o.frames[before_live..];
    assert!(live.iter().all(|f| f.width == 320), "once connected, every frame is live");
    assert_eq!(o.camera.intrinsics().fx, 160.0, "the profile's 90 degrees across the granted 320 pixels");
    // The clip streams in order: each new frame is the next desk frame, captured later.
    for pair in live.windows(2).filter(|p| p[0].sequence != p[1].sequence) {
        assert_eq!((desk_index(&pair[0], &desk) + 1) % 8, desk_index(&pair[1], &desk));
        assert!(pair[0].timestamp_ns < pair[1].timestamp_ns && pair[1].timestamp_ns <= clock.now_ns());
    }

    control.unplug(Presence::Busy);
    let event = o.next_event();
    assert!(matches!(&event, CameraEvent::Lost { reason } if reason.contains("stopped delivering frames")), "{event:?}");
    let event = o.next_event();
    assert!(matches!(&event, CameraEvent::Unavailable { reason } if reason.contains("is busy")), "{event:?}");
    o.quiet(Duration::from_millis(30));
    assert_eq!(o.last().width, 64, "back on the fallback while busy");

    control.set(Presence::Present);
    let event = o.next_event();
    assert!(matches!(&event, CameraEvent::Reconnected { .. }), "{event:?}");
    o.quiet(Duration::from_millis(20));
    desk_index(o.last(), &desk);

    // Across every switch: sequence counts up by one per new frame, and a repeat is the same Arc.
    let mut repeats = 0;
    for pair in o.frames.windows(2) {
        if pair[0].sequence == pair[1].sequence {
            assert!(Arc::ptr_eq(&pair[0].pixels, &pair[1].pixels));
            repeats += 1;
        } else {
            assert_eq!(pair[1].sequence, pair[0].sequence + 1);
        }
    }
    assert!(repeats > 0, "polling faster than the camera sees repeats");
}

#[test]
fn yuyv_frames_are_stamped_on_the_injected_clock() {
    let manual = Arc::new(ManualClock::default());
    manual.set_ns(5_000_000_000);
    let clock: SharedClock = manual.clone();
    let (mut camera, _control) = start(Encoding::Yuyv, Presence::Present, clock);
    camera.wait_for_device(WAIT).unwrap();
    assert!(camera.is_live());
    let frame = camera.frame_at(5_000_000_000).unwrap();
    assert_eq!((frame.width, frame.height, frame.timestamp_ns), (320, 240, 5_000_000_000));
    let desk = desk_pixels();
    let error = |d: &Vec<u8>| d.iter().zip(frame.pixels.iter()).map(|(a, b)| u64::from(a.abs_diff(*b))).sum::<u64>();
    let best = desk.iter().map(error).min().unwrap() as f64 / frame.pixels.len() as f64;
    assert!(best < 3.0, "a YUYV frame is a desk frame up to chroma subsampling: mean error {best}");
    assert_eq!(camera.take_events().len(), 1, "just Connected");

    let started = Instant::now();
    drop(camera);
    assert!(started.elapsed() < Duration::from_millis(500), "dropping stops the capture thread promptly");
}
