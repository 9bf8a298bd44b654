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
    vsyncs: VsyncFit,
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
        state.vsyncs = VsyncFit::default();
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
        state.vsyncs = VsyncFit::default();
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
        state.vsyncs.add(at_ns);
        state.status.vsync_period_ms = state.vsyncs.fitted.map(|v| v.period_ns as f32 * 1e-6);
    }

    /// When the glasses' display refreshes, from its v-sync events; `None` before two or
    /// after a loss.
    pub fn vsync_phase(&self) -> Option<VsyncPhase> {
        self.lock().vsyncs.fitted
    }
}

/// The v-sync events the refresh is fitted to: about two seconds of a 60 Hz display.
const VSYNC_FIT: usize = 120;
/// The longest period taken from two v-sync events: a display refreshing under 20 times a
/// second is not one.
const MAX_VSYNC_PERIOD_NS: u64 = 50_000_000;

/// The recent v-sync events, each numbered by its refresh (a lost event leaves a gap in the
/// numbers), and the straight line through them by least squares: its slope is the period, and
/// its value at the newest number an edge. USB delivers each event a millisecond or so late and
/// unevenly; the fit averages that jitter out where smoothing each gap would not.
#[derive(Default)]
struct VsyncFit {
    /// (refresh number, arrival ns).
    events: VecDeque<(u64, u64)>,
    fitted: Option<VsyncPhase>,
}

impl VsyncFit {
    fn add(&mut self, at_ns: u64) {
        let Some(&(k, last)) = self.events.back() else {
            self.events.push_back((0, at_ns));
            return;
        };
        let gap = at_ns.saturating_sub(last);
        let period = self.fitted.map_or(gap, |f| f.period_ns);
        let refreshes = if period == 0 { 0 } else { (gap as f64 / period as f64).round() as u64 };
        if refreshes == 0 {
            return; // Twice for one refresh.
        }
        if gap > MAX_VSYNC_PERIOD_NS * refreshes.min(8) || refreshes > 8 {
            // Too slow to be a display, or a long silence: start over.
            *self = VsyncFit::default();
            self.events.push_back((0, at_ns));
            return;
        }
        self.events.push_back((k + refreshes, at_ns));
        while self.events.len() > VSYNC_FIT {
            self.events.pop_front();
        }
        self.fitted = self.fit(at_ns);
    }

    fn fit(&self, seen_ns: u64) -> Option<VsyncPhase> {
        let &(k0, t0) = self.events.front()?;
        let &(k_last, _) = self.events.back()?;
        let n = self.events.len() as f64;
        let points = || self.events.iter().map(|&(k, t)| ((k - k0) as f64, t.saturating_sub(t0) as f64));
        let (mean_x, mean_y) = points().fold((0.0, 0.0), |(x, y), (px, py)| (x + px / n, y + py / n));
        let (sxy, sxx) = points().fold((0.0, 0.0), |(sxy, sxx), (x, y)| (sxy + (x - mean_x) * (y - mean_y), sxx + (x - mean_x).powi(2)));
        if sxx <= 0.0 {
            return None;
        }
        let period = sxy / sxx;
        let edge = t0 as f64 + mean_y + period * ((k_last - k0) as f64 - mean_x);
        (period >= 1.0).then(|| VsyncPhase { edge_ns: edge.max(0.0) as u64, period_ns: period as u64, seen_ns })
    }
}

/// The glasses' display refresh as the shell's clock sees it: one refresh edge and the period.
/// Edges are fitted to v-sync events' arrival times, so they run late by the USB transport's
/// mean delay (about a millisecond), which no event tells apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VsyncPhase {
    pub edge_ns: u64,
    pub period_ns: u64,
    /// When the last v-sync event arrived: a phase not refreshed for a while is stale.
    pub seen_ns: u64,
}

impl VsyncPhase {
    /// The first refresh edge at or after `t_ns`.
    pub fn next_edge(&self, t_ns: u64) -> u64 {
        if t_ns <= self.edge_ns {
            self.edge_ns - (self.edge_ns - t_ns) / self.period_ns * self.period_ns
        } else {
            self.edge_ns + (t_ns - self.edge_ns).div_ceil(self.period_ns) * self.period_ns
        }
    }

    /// Whether v-sync events still came within `max_age_ns` of `now_ns`.
    pub fn fresh(&self, now_ns: u64, max_age_ns: u64) -> bool {
        now_ns.saturating_sub(self.seen_ns) <= max_age_ns
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refresh_phase_follows_jittered_vsync_events() {
        let feed = GlassesFeed::default();
        assert_eq!(feed.vsync_phase(), None);
        // 72 Hz, each event 1 to 1.9 ms late, one lost on the way.
        let period = 13_888_889u64;
        for i in 0..200u64 {
            if i == 100 {
                continue;
            }
            feed.vsync(5_000_000_000 + i * period + 1_000_000 + (i * 7919 % 10) * 100_000);
        }
        let v = feed.vsync_phase().unwrap();
        assert!((v.period_ns as i64 - period as i64).abs() < 100_000, "{v:?}");
        // The phase sits within the transport delay of a true edge.
        let edge = v.next_edge(6_000_000_000);
        let off = (edge - 5_000_000_000) % period;
        assert!((1_000_000..=2_000_000).contains(&off), "{off} ns after a true edge");
        assert!((feed.status().vsync_period_ms.unwrap() - 13.889).abs() < 0.1);
    }

    #[test]
    fn next_edge_is_the_first_at_or_after() {
        let v = VsyncPhase { edge_ns: 1000, period_ns: 100, seen_ns: 1000 };
        assert_eq!(v.next_edge(1000), 1000);
        assert_eq!(v.next_edge(1001), 1100);
        assert_eq!(v.next_edge(950), 1000);
        assert_eq!(v.next_edge(900), 900);
        assert_eq!(v.next_edge(899), 900);
        assert!(v.fresh(1400, 500) && !v.fresh(1600, 500));
    }
}
