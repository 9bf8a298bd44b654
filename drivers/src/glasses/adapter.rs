//! [`GlassesImu`]: a pair of glasses as an [`ImuDevice`], so [`ImuPose`](crate::pose::ImuPose)'s
//! reading thread, its still-head fallback and its retries serve glasses as they serve any IMU.
//!
//! A read finds the pair if none is open (switching it to side-by-side, see `display`), then
//! reads events until an IMU sample comes: that one is stamped with its device time mapped onto
//! the shell's clock ([`ClockMap`]) and returned; keys, proximity, light and v-sync go to the
//! [`GlassesFeed`] on the way. Any error closes the pair (putting its display mode back when it
//! still answers) and is returned, so the thread logs it once and looks again later. Dropping
//! the adapter — the thread ending with the shell — closes the pair the same way.

use std::path::PathBuf;
use std::sync::Arc;

use visor_types::clock::SharedClock;

use super::{ClockMap, DisplayMode, GlassesDevice, GlassesError, GlassesEvent, GlassesFeed, GlassesFinder, GlassesModel, ModeKeeper};
use crate::pose::{ImuDevice, ImuSample, PoseError};

#[derive(Clone, Debug)]
pub struct GlassesOptions {
    /// Switch the pair to side-by-side 3D while open, and back when closed.
    pub side_by_side: bool,
    /// Where the mode to go back to is kept across a crash (`None`: nowhere).
    pub state_dir: Option<PathBuf>,
    /// The model the profile describes: another is used, with a warning naming its profile.
    pub expect_model: Option<GlassesModel>,
}

impl Default for GlassesOptions {
    fn default() -> Self {
        GlassesOptions { side_by_side: true, state_dir: super::default_state_dir(), expect_model: None }
    }
}

struct Open {
    device: Box<dyn GlassesDevice>,
    map: ClockMap,
    /// The mode to put back on close.
    restore: Option<DisplayMode>,
}

pub struct GlassesImu {
    finder: Box<dyn GlassesFinder>,
    open: Option<Open>,
    feed: Arc<GlassesFeed>,
    clock: SharedClock,
    keeper: ModeKeeper,
    options: GlassesOptions,
    name: String,
}

impl GlassesImu {
    /// Nothing is opened until the first read.
    pub fn new(finder: Box<dyn GlassesFinder>, feed: Arc<GlassesFeed>, clock: SharedClock, options: GlassesOptions) -> GlassesImu {
        let name = finder.describe();
        GlassesImu { finder, open: None, feed, clock, keeper: ModeKeeper::new(options.state_dir.clone()), options, name }
    }

    fn open(&mut self) -> Result<(), GlassesError> {
        let mut device = self.finder.find()?;
        let info = device.info().clone();
        let (restore, mode) = if self.options.side_by_side {
            match self.keeper.begin(&mut *device) {
                Ok(restore) => (restore, Some(DisplayMode::Stereo)),
                Err(e) => {
                    tracing::warn!(glasses = %info.name, "cannot switch {} to side-by-side 3D ({e}); both eyes will see both halves", info.name);
                    (None, device.display_mode().ok())
                }
            }
        } else {
            (None, device.display_mode().ok())
        };
        match (info.model, self.options.expect_model) {
            (None, _) => {
                tracing::warn!(glasses = %info.name, "{} is a model Visor has no profile for; using the driver's IMU geometry", info.name)
            }
            (Some(found), Some(expected)) if found != expected => tracing::warn!(
                glasses = %info.name,
                "the profile describes {} but {} is connected: the display and field of view will be wrong; run with --profile {}",
                expected.driver_name(),
                info.name,
                found.slug()
            ),
            _ => {}
        }
        let shown = mode.map_or_else(|| "unknown".to_string(), |m| m.to_string());
        tracing::info!(glasses = %info.name, serial = %info.serial, "{} connected, display in {shown}", info.name);
        self.feed.connected(&info, mode, self.clock.now_ns());
        self.open = Some(Open { device, map: ClockMap::default(), restore });
        Ok(())
    }

    /// Puts the display mode back (when the pair still answers) and lets the pair go.
    fn close(&mut self) {
        let Some(mut open) = self.open.take() else { return };
        if let Some(restore) = open.restore
            && let Err(e) = self.keeper.end(&mut *open.device, restore)
        {
            let name = &open.device.info().name;
            tracing::warn!(glasses = %name, "cannot put {name} back in {restore} ({e}); it is put back the next time Visor opens it");
        }
    }

    fn failed(&mut self, error: GlassesError) -> PoseError {
        self.close();
        self.feed.lost(&error.to_string(), self.clock.now_ns());
        PoseError::Glasses(error)
    }
}

impl ImuDevice for GlassesImu {
    fn read(&mut self) -> Result<ImuSample, PoseError> {
        if self.open.is_none()
            && let Err(e) = self.open()
        {
            return Err(self.failed(e));
        }
        loop {
            let Some(open) = self.open.as_mut() else { return Err(self.failed(GlassesError::NotFound)) };
            let event = match open.device.read_event() {
                Ok(event) => event,
                Err(e) => return Err(self.failed(e)),
            };
            let arrival = self.clock.now_ns();
            match event {
                GlassesEvent::Imu { device_us, gyro, accel } => {
                    let timestamp_ns = open.map.map(device_us, arrival);
                    self.feed.imu(timestamp_ns);
                    return Ok(ImuSample { timestamp_ns, gyro, accel });
                }
                // Not fused: the 3-DoF filter has no heading reference (see pose::imu::filter).
                GlassesEvent::Magnetometer { .. } => {}
                GlassesEvent::Key(key) => self.feed.key(key, arrival),
                GlassesEvent::Worn(worn) => self.feed.worn(worn, arrival),
                GlassesEvent::AmbientLight(level) => self.feed.light(level, arrival),
                GlassesEvent::VSync => self.feed.vsync(arrival),
            }
        }
    }

    fn describe(&self) -> String {
        self.name.clone()
    }

    fn paces_itself(&self) -> bool {
        true
    }
}

impl Drop for GlassesImu {
    fn drop(&mut self) {
        self.close();
    }
}
