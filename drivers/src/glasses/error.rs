//! [`GlassesError`]: what finding, reading or replaying glasses can fail with, each message
//! naming the pair or file and what would fix it.
//!
//! None of these is fatal to the shell: the reading thread logs it once, holds the head still
//! and looks for the glasses again.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum GlassesError {
    #[error(
        "no supported glasses found (XREAL/Nreal Air or Light, Rokid Air or Max, Mad Gaze Glow, Grawoow G530); plug them in by USB-C; \
         if they are plugged in, this user may not open them: install ar-drivers' udev rules (README, \"Glasses\") and replug"
    )]
    NotFound,
    #[error(
        "this visor was built without the glasses driver (cargo feature `glasses`, Linux only, needs libudev-dev and libusb-1.0-0-dev); \
         rebuild with it, or replay a recorded stream (pose.replay)"
    )]
    NotBuilt,
    /// The pair stopped answering: unplugged, or a USB error.
    #[error("{name} stopped answering ({message}); unplugged? replug it: the driver keeps looking")]
    Lost { name: String, message: String },
    #[error("{name} could not be opened: {message}")]
    Open { name: String, message: String },
    #[error("{name} refused display mode {mode}: {message}")]
    Mode { name: String, mode: String, message: String },
    #[error("cannot read IMU stream {}: {source}", path.display())]
    StreamRead { path: PathBuf, source: std::io::Error },
    #[error(
        "IMU stream {origin} line {line}: {message}; a stream is one header line then one event a line (drivers/src/glasses/stream.rs)"
    )]
    StreamInvalid { origin: String, line: usize, message: String },
    #[error("cannot write IMU stream {}: {source}", path.display())]
    StreamWrite { path: PathBuf, source: std::io::Error },
}
