//! Visor's native drivers: the parts of the shell that talk to (real or recorded) hardware and
//! hand the rest of the system plain shared types.
//!
//! Three drivers today: the camera, the head pose and the glasses. A camera produces
//! [`visor_types::CameraFrame`]s whose pixels sit in an `Arc<[u8]>`, so the bus, the vision
//! library and the compositor share one buffer per frame instead of copying it per subscriber,
//! plus the [`visor_types::CameraIntrinsics`] they were seen through. Sources are picked from a device profile's `[camera]` section with
//! [`camera::open`]; the binary wires them to everything else, so this crate knows nothing of
//! the runtime or the compositor.
//!
//! A head-pose source ([`PoseSource`]) answers, without blocking, where the head was last
//! measured and where it will be at a frame's display time; [`pose::open`] builds the one a
//! profile's `[pose]` section names — the simulator window's controls, a recorded track, an
//! IMU through Linux IIO, or a pair of glasses; the last two hold the head still while the
//! device is away.
//!
//! Time is injected: a source is asked for the frame at a monotonic `now_ns` and never blocks;
//! a live camera stamps frames on the same injected clock, so recorded and replayed timing
//! agree and playback is deterministic under test.
//!
//! Features: `v4l` (default) builds the live V4L2 camera on nokhwa; without it a live profile
//! serves its fallback and says why. `glasses` (default; Linux) builds the USB glasses driver
//! on `ar-drivers` (hidapi, libusb, serial ports); without it glasses profiles still load,
//! replay recorded streams, and say why live glasses are not found.
//!
//! Layout:
//! - `camera/`: the [`CameraSource`] trait, [`CameraError`] and [`camera::open`].
//!   - `synthetic.rs`, `replay.rs`: [`SyntheticCamera`], [`ReplayCamera`] (sessions and folders).
//!   - `capture/`: the [`CaptureDevice`] trait, MJPEG/YUYV conversion, the nokhwa device.
//!   - `live/`: [`LiveCamera`] — a capture thread, a fallback, reconnects, [`CameraEvent`]s.
//! - `pose/`: the [`PoseSource`] trait, [`PoseError`] and [`pose::open`].
//!   - `sim.rs`, `track.rs`: [`SimulatorPose`] with its [`SimControls`], [`TrackPose`].
//!   - `imu/`: the [`ImuDevice`] trait, [`IioImu`] (sysfs), [`ImuPose`] (thread, filter, retries).
//! - `glasses/`: tethered AR glasses — [`glasses::GlassesDevice`] and its finders (USB through
//!   `ar-drivers`, [`glasses::ReplayFinder`] over recorded or synthesized `*.imu.jsonl`
//!   streams), [`glasses::GlassesPose`], [`glasses::GlassesFeed`] (keys, worn, light).
//! - `session/`: recorded sessions — [`Session`], [`PoseTrack`], [`SessionWriter`],
//!   [`session::record()`].

pub mod camera;
pub mod glasses;
pub mod pose;
pub mod session;

pub use camera::{
    CameraError, CameraEvent, CameraSource, CaptureDevice, Companions, LiveCamera, LiveOptions, ReplayCamera, SyntheticCamera,
};
pub use pose::{
    IioImu, ImuDevice, ImuOptions, ImuPose, ImuSample, Move, OpenedPose, PoseError, PoseSource, SimControls, SimulatorPose, TrackPose,
};
pub use session::{FrameFileFormat, Pose, PoseTrack, Session, SessionError, SessionWriter, StereoGeometry};
