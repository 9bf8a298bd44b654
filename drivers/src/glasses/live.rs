//! Glasses over USB through `ar-drivers` (feature `glasses`, Linux): [`UsbFinder`] asks
//! `any_glasses()` for whichever supported pair is plugged in and wraps it as a
//! [`GlassesDevice`].
//!
//! `ar-drivers` already speaks Visor's axes (x right, y up, z back; gyroscope right-handed,
//! rad/s; accelerometer m/s² reading +9.81 up at rest; timestamps in device µs), so events pass
//! through with only the vector type changed. The IMU-to-display rotation is the centre of the
//! driver's two per-eye ones (they differ only by each eye's small outward divergence). Opening
//! a pair the user may not access fails inside `any_glasses` as "not found", which is why that
//! error names the udev rules.

use std::ops::Index;
use std::sync::atomic::{AtomicBool, Ordering};

use glam::{Quat, Vec3};

use super::{DisplayMode, GlassesDevice, GlassesError, GlassesEvent, GlassesFinder, GlassesInfo, GlassesModel};

/// The interpupillary distance handed to the driver's geometry; only the eyes' offsets (not
/// used here) depend on it.
const IPD_M: f32 = 0.064;

/// Set once libusb has failed to start in this process.
static NO_USB: AtomicBool = AtomicBool::new(false);

pub struct UsbFinder;

impl GlassesFinder for UsbFinder {
    fn find(&mut self) -> Result<Box<dyn GlassesDevice>, GlassesError> {
        // rusb panics, rather than returning an error, when libusb cannot start at all (a
        // container or machine without USB: no /sys/bus/usb), and every later call panics again
        // on its poisoned global context. That is "no glasses here", not a reason for the shell
        // to fall over: say so once and stop asking.
        if NO_USB.load(Ordering::Relaxed) {
            return Err(GlassesError::NotFound);
        }
        let found = std::panic::catch_unwind(ar_drivers::any_glasses).map_err(|_| {
            NO_USB.store(true, Ordering::Relaxed);
            tracing::warn!("USB is not available on this machine (libusb could not start); glasses connect over USB");
            GlassesError::NotFound
        })?;
        let mut glasses = found.map_err(|e| match e {
            ar_drivers::Error::NotFound => GlassesError::NotFound,
            e => GlassesError::Open { name: "glasses".into(), message: describe(&e) },
        })?;
        let name = glasses.name().to_string();
        let serial = glasses.serial().map_err(|e| GlassesError::Open { name: name.clone(), message: describe(&e) })?;
        let left = quat(&glasses.imu_to_display_matrix(ar_drivers::Side::Left, IPD_M).rotation.coords);
        let right = quat(&glasses.imu_to_display_matrix(ar_drivers::Side::Right, IPD_M).rotation.coords);
        let info = GlassesInfo {
            model: GlassesModel::from_driver_name(&name),
            name,
            serial: serial.trim().to_string(),
            display_delay_us: glasses.display_delay(),
            imu_to_display: left.slerp(right, 0.5).normalize(),
        };
        Ok(Box::new(UsbGlasses { glasses, info }))
    }

    fn describe(&self) -> String {
        "glasses (USB)".into()
    }
}

struct UsbGlasses {
    glasses: Box<dyn ar_drivers::ARGlasses>,
    info: GlassesInfo,
}

impl UsbGlasses {
    fn lost(&self, e: &ar_drivers::Error) -> GlassesError {
        GlassesError::Lost { name: self.info.name.clone(), message: describe(e) }
    }
}

impl GlassesDevice for UsbGlasses {
    fn info(&self) -> &GlassesInfo {
        &self.info
    }

    fn read_event(&mut self) -> Result<GlassesEvent, GlassesError> {
        use ar_drivers::GlassesEvent as E;
        Ok(match self.glasses.read_event().map_err(|e| self.lost(&e))? {
            E::AccGyro { accelerometer, gyroscope, timestamp } => {
                GlassesEvent::Imu { device_us: timestamp, gyro: vec3(&gyroscope), accel: vec3(&accelerometer) }
            }
            E::Magnetometer { magnetometer, timestamp } => GlassesEvent::Magnetometer { device_us: timestamp, field: vec3(&magnetometer) },
            E::KeyPress(key) => GlassesEvent::Key(key),
            E::ProximityNear => GlassesEvent::Worn(true),
            E::ProximityFar => GlassesEvent::Worn(false),
            E::AmbientLight(level) => GlassesEvent::AmbientLight(level),
            E::VSync => GlassesEvent::VSync,
        })
    }

    fn display_mode(&mut self) -> Result<DisplayMode, GlassesError> {
        use ar_drivers::DisplayMode as M;
        Ok(match self.glasses.get_display_mode().map_err(|e| self.lost(&e))? {
            M::SameOnBoth => DisplayMode::SameOnBoth,
            M::Stereo => DisplayMode::Stereo,
            M::HalfSBS => DisplayMode::HalfSbs,
            M::HighRefreshRate => DisplayMode::HighRefreshRate,
            M::HighRefreshRateSBS => DisplayMode::HighRefreshRateSbs,
        })
    }

    fn set_display_mode(&mut self, mode: DisplayMode) -> Result<(), GlassesError> {
        use ar_drivers::DisplayMode as M;
        let theirs = match mode {
            DisplayMode::SameOnBoth => M::SameOnBoth,
            DisplayMode::Stereo => M::Stereo,
            DisplayMode::HalfSbs => M::HalfSBS,
            DisplayMode::HighRefreshRate => M::HighRefreshRate,
            DisplayMode::HighRefreshRateSbs => M::HighRefreshRateSBS,
        };
        self.glasses.set_display_mode(theirs).map_err(|e| GlassesError::Mode {
            name: self.info.name.clone(),
            mode: mode.to_string(),
            message: describe(&e),
        })
    }
}

/// `ar-drivers`' errors print only their kind; the cause is in `source`.
fn describe(e: &ar_drivers::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// A vector of `ar-drivers`' (nalgebra's, indexed x, y, z) as glam's, without naming
/// nalgebra: this crate takes no dependency on it.
fn vec3<V: Index<usize, Output = f32>>(v: &V) -> Vec3 {
    Vec3::new(v[0], v[1], v[2])
}

/// A quaternion's `coords` (i, j, k, w) as glam's.
fn quat<C: Index<usize, Output = f64>>(coords: &C) -> Quat {
    Quat::from_xyzw(coords[0] as f32, coords[1] as f32, coords[2] as f32, coords[3] as f32).normalize()
}
