//! [`GlassesFeed`]: what the glasses' reading thread tells the rest of the shell besides the
//! head pose — which pair is connected and how, and the news (keys, worn or taken off, light,
//! connects and losses) in order.
//!
//! The reading thread writes; the `glasses` bus module and `visor devices` read. News sits in a
//! bounded log numbered from 1, so any number of readers each keep their own place
//! ([`GlassesFeed::since`]) and one that falls far behind loses the oldest news, not the newest.
//! The lock is only ever held to copy a few values.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use glam::Quat;
use serde::Serialize;

use super::{DisplayMode, GlassesInfo, GlassesModel};

/// News kept for readers that fall behind.
const LOG: usize = 256;

/// One piece of news, stamped on the shell's clock when it arrived.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum GlassesNews {
    Key { key: u8, at_ns: u64 },
    Worn { worn: bool, at_ns: u64 },
    Light { level: u16, at_ns: u64 },
    Connected { name: String, serial: String, at_ns: u64 },
    Lost { reason: String, at_ns: u64 },
}

/// The glasses as they are now (published on `glasses/status`, listed by `visor devices`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct GlassesStatus {
    pub connected: bool,
    pub model: Option<GlassesModel>,
    pub name: Option<String>,
    pub serial: Option<String>,
    pub display_mode: Option<DisplayMode>,
    /// IMU samples a second, measured over the last second.
    pub imu_rate_hz: f32,
    /// From the proximity sensor; `None` until it has said.
    pub worn: Option<bool>,
    pub ambient_light: Option<u16>,
    /// The display's frame period from its v-sync events, where the model reports them.
    pub vsync_period_ms: Option<f32>,
    /// Why there is no pair, while there is none.
    pub problem: Option<String>,
}

#[derive(Default)]
struct State {
    status: GlassesStatus,
    info: Option<GlassesInfo>,
    next: u64,
    log: VecDeque<(u64, GlassesNews)>,
    rate_window: Option<(u64, u32)>,
    last_vsync_ns: Option<u64>,
    /// The last pair's IMU-to-display rotation and display delay (ns): kept after it is lost,
    /// so the head holds where it was.
    geometry: Option<(Quat, u64)>,
    /// Yaw to take off the head pose (set by a recentre).
    centre: Quat,
    recentre: bool,
}

#[derive(Default)]
pub struct GlassesFeed {
    state: Mutex<State>,
}

impl GlassesFeed {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every write is a few assignments, so a poisoned lock still holds usable values.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn status(&self) -> GlassesStatus {
        self.lock().status.clone()
    }

    /// The connected pair, if any.
    pub fn info(&self) -> Option<GlassesInfo> {
        self.lock().info.clone()
    }

    /// News numbered after `seen` (0: all that is kept), and the number to pass next time.
    pub fn since(&self, seen: u64) -> (Vec<GlassesNews>, u64) {
        let state = self.lock();
        let news = state.log.iter().filter(|(n, _)| *n > seen).map(|(_, news)| news.clone()).collect();
        (news, state.next)
    }

    /// The number of the newest news: a reader starting now passes this to [`Self::since`].
    pub fn newest(&self) -> u64 {
        self.lock().next
    }

    /// The IMU-to-display rotation and the display delay (ns) of the pair (identity and 0
    /// before any).
    pub fn geometry(&self) -> (Quat, u64) {
        self.lock().geometry.unwrap_or((Quat::IDENTITY, 0))
    }

    /// Asks the pose to take the current heading as straight ahead.
    pub fn request_recentre(&self) {
        self.lock().recentre = true;
    }

    /// The yaw taken off the head pose, updated to `heading` first when a recentre is asked.
    pub(super) fn centre(&self, heading: impl FnOnce() -> Quat) -> Quat {
        let mut state = self.lock();
        if state.recentre {
            state.recentre = false;
            state.centre = heading();
        }
        state.centre
    }

    pub(super) fn connected(&self, info: &GlassesInfo, mode: Option<DisplayMode>, at_ns: u64) {
        let mut state = self.lock();
        state.status = GlassesStatus {
            connected: true,
            model: info.model,
            name: Some(info.name.clone()),
            serial: Some(info.serial.clone()),
            display_mode: mode,
            ..GlassesStatus::default()
        };
        state.info = Some(info.clone());
        state.geometry = Some((info.imu_to_display, info.display_delay_us.saturating_mul(1000)));
        state.rate_window = None;
        state.last_vsync_ns = None;
        push(&mut state, GlassesNews::Connected { name: info.name.clone(), serial: info.serial.clone(), at_ns });
    }

    /// The pair is gone (or was never found): `reason` says why.
    pub(super) fn lost(&self, reason: &str, at_ns: u64) {
        let mut state = self.lock();
        let was_connected = state.status.connected;
        if !was_connected && state.status.problem.as_deref() == Some(reason) {
            return;
        }
        state.status = GlassesStatus { problem: Some(reason.to_string()), ..GlassesStatus::default() };
        state.info = None;
        if was_connected {
            push(&mut state, GlassesNews::Lost { reason: reason.to_string(), at_ns });
        }
    }

    /// An IMU sample arrived: keeps the measured rate.
    pub(super) fn imu(&self, at_ns: u64) {
        let mut state = self.lock();
        let (start, count) = state.rate_window.get_or_insert((at_ns, 0));
        *count += 1;
        let span = at_ns.saturating_sub(*start);
        if span >= 1_000_000_000 {
            let rate = *count as f64 / (span as f64 * 1e-9);
            state.status.imu_rate_hz = rate as f32;
            state.rate_window = Some((at_ns, 0));
        }
    }

    pub(super) fn key(&self, key: u8, at_ns: u64) {
        push(&mut self.lock(), GlassesNews::Key { key, at_ns });
    }

    pub(super) fn worn(&self, worn: bool, at_ns: u64) {
        let mut state = self.lock();
        state.status.worn = Some(worn);
        push(&mut state, GlassesNews::Worn { worn, at_ns });
    }

    pub(super) fn light(&self, level: u16, at_ns: u64) {
        let mut state = self.lock();
        state.status.ambient_light = Some(level);
        push(&mut state, GlassesNews::Light { level, at_ns });
    }

    pub(super) fn vsync(&self, at_ns: u64) {
        let mut state = self.lock();
        if let Some(last) = state.last_vsync_ns.replace(at_ns) {
            let period_ms = at_ns.saturating_sub(last) as f32 * 1e-6;
            // Smoothed: v-sync events arrive over USB with a millisecond of jitter.
            let smoothed = state.status.vsync_period_ms.map_or(period_ms, |p| p + (period_ms - p) * 0.1);
            state.status.vsync_period_ms = Some(smoothed);
        }
    }
}

fn push(state: &mut State, news: GlassesNews) {
    state.next += 1;
    let n = state.next;
    state.log.push_back((n, news));
    while state.log.len() > LOG {
        state.log.pop_front();
    }
}
