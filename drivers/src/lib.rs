//! Visor's native drivers: the parts of the shell that talk to (real or recorded) hardware and
//! hand the rest of the system plain shared types.
//!
//! Today that is the camera. A driver produces [`visor_types::CameraFrame`]s whose pixels sit in
//! an `Arc<[u8]>`, so the bus, the vision library and the compositor share one buffer per frame
//! instead of copying it per subscriber. Sources are picked from a device profile's `[camera]`
//! section with [`camera::open`]; the binary wires them to everything else, so this crate knows
//! nothing of the runtime or the compositor.
//!
//! Time is injected: a source is asked for the frame at a monotonic `now_ns` and never reads a
//! clock or sleeps itself, which keeps playback deterministic under test.
//!
//! Layout:
//! - `camera/`: the [`CameraSource`] trait, [`CameraError`] and [`camera::open`].
//!   - `camera/timing.rs`: frame index from time and back, shared by every timed source.
//!   - `camera/synthetic.rs`: [`SyntheticCamera`], an animated test pattern.
//!   - `camera/replay.rs`: [`ReplayCamera`], a looping PNG/JPEG image sequence from a folder.

pub mod camera;

pub use camera::{CameraError, CameraSource, ReplayCamera, SyntheticCamera};
