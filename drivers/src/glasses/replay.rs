//! [`ReplayFinder`]: a recorded (or synthesized) [`ImuStream`] as a pair of glasses, behind the
//! same [`GlassesFinder`]/[`GlassesDevice`] traits as the live driver — the stand-in for hardware
//! this machine lacks.
//!
//! Events come out at their recorded pace on the injected clock ([`Pacing::RealTime`]: each is
//! held until as long after the replay opened as it arrived after the recording began), or as
//! fast as they are asked for ([`Pacing::Unpaced`]). At the end the stream starts again with its
//! device clock running on, as a pair that never stops would. The [`Plug`] is the test's hand on
//! the cable: unplugged, reads fail as a yanked pair's do and finding fails until it is back; it
//! also holds the pair's display mode, which survives a replug as a real pair's does.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use visor_types::clock::SharedClock;

use super::stream::{ImuStream, StreamEvent};
use super::{DisplayMode, GlassesDevice, GlassesError, GlassesEvent, GlassesFinder, GlassesInfo};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pacing {
    /// At the recorded pace on the clock (which must be running).
    RealTime,
    /// As fast as read.
    Unpaced,
}

#[derive(Default)]
struct PlugState {
    unplugged: AtomicBool,
    opens: AtomicU32,
    mode: Mutex<Option<DisplayMode>>,
    modes_set: Mutex<Vec<DisplayMode>>,
}

/// The replayed pair's cable and display: shared between a test and the replay.
#[derive(Clone, Default)]
pub struct Plug {
    state: Arc<PlugState>,
}

impl Plug {
    pub fn unplug(&self) {
        self.state.unplugged.store(true, Ordering::SeqCst);
    }

    pub fn plug_in(&self) {
        self.state.unplugged.store(false, Ordering::SeqCst);
    }

    fn is_unplugged(&self) -> bool {
        self.state.unplugged.load(Ordering::SeqCst)
    }

    /// How often the pair has been found.
    pub fn opens(&self) -> u32 {
        self.state.opens.load(Ordering::SeqCst)
    }

    /// The display mode the pair is in now (`None` before it was first found).
    pub fn display_mode(&self) -> Option<DisplayMode> {
        *self.state.mode.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every mode set on the pair, in order.
    pub fn modes_set(&self) -> Vec<DisplayMode> {
        self.state.modes_set.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

pub struct ReplayFinder {
    stream: Arc<ImuStream>,
    origin: String,
    clock: SharedClock,
    pacing: Pacing,
    plug: Plug,
}

impl ReplayFinder {
    /// `origin` names the stream in logs (its path, or what synthesized it).
    pub fn new(stream: ImuStream, origin: impl Into<String>, clock: SharedClock, pacing: Pacing) -> ReplayFinder {
        ReplayFinder { stream: Arc::new(stream), origin: origin.into(), clock, pacing, plug: Plug::default() }
    }

    pub fn plug(&self) -> Plug {
        self.plug.clone()
    }
}

impl GlassesFinder for ReplayFinder {
    fn find(&mut self) -> Result<Box<dyn GlassesDevice>, GlassesError> {
        if self.plug.is_unplugged() {
            return Err(GlassesError::NotFound);
        }
        self.plug.state.opens.fetch_add(1, Ordering::SeqCst);
        {
            let mut mode = self.plug.state.mode.lock().unwrap_or_else(|p| p.into_inner());
            if mode.is_none() {
                *mode = Some(self.stream.header.display_mode);
            }
        }
        let imu_times: Vec<u64> =
            self.stream.events.iter().filter_map(|e| if let StreamEvent::Imu { t_us, .. } = e { Some(*t_us) } else { None }).collect();
        let (first, last) = (imu_times.first().copied().unwrap_or(0), imu_times.last().copied().unwrap_or(0));
        let period_us = (last - first) / (imu_times.len().max(2) as u64 - 1);
        Ok(Box::new(ReplayGlasses {
            info: self.stream.header.info(),
            stream: self.stream.clone(),
            clock: self.clock.clone(),
            pacing: self.pacing,
            plug: self.plug.clone(),
            next: 0,
            opened_ns: self.clock.now_ns(),
            device_loop_us: (last - first) + period_us.max(1),
            host_loop_us: self.stream.duration_us() + period_us.max(1),
            loops: 0,
        }))
    }

    fn describe(&self) -> String {
        let kind = if self.stream.header.synthesized.is_some() { "synthesized" } else { "recorded" };
        format!("glasses replay of {} ({kind} {})", self.origin, self.stream.header.name)
    }
}

struct ReplayGlasses {
    info: GlassesInfo,
    stream: Arc<ImuStream>,
    clock: SharedClock,
    pacing: Pacing,
    plug: Plug,
    next: usize,
    opened_ns: u64,
    device_loop_us: u64,
    host_loop_us: u64,
    loops: u64,
}

impl ReplayGlasses {
    fn unplugged(&self) -> GlassesError {
        GlassesError::Lost { name: self.info.name.clone(), message: "unplugged".into() }
    }
}

impl GlassesDevice for ReplayGlasses {
    fn info(&self) -> &GlassesInfo {
        &self.info
    }

    fn read_event(&mut self) -> Result<GlassesEvent, GlassesError> {
        if self.next == self.stream.events.len() {
            self.next = 0;
            self.loops += 1;
        }
        let event = self.stream.events[self.next];
        if self.pacing == Pacing::RealTime {
            let first = self.stream.events[0].host_us();
            let due = self.opened_ns + (event.host_us() - first + self.loops * self.host_loop_us) * 1000;
            loop {
                if self.plug.is_unplugged() {
                    return Err(self.unplugged());
                }
                let now = self.clock.now_ns();
                if now >= due {
                    break;
                }
                // Short naps, so an unplug is noticed as quickly as a real pair's is.
                std::thread::sleep(Duration::from_nanos((due - now).min(5_000_000)));
            }
        }
        if self.plug.is_unplugged() {
            return Err(self.unplugged());
        }
        self.next += 1;
        Ok(event.event(self.loops * self.device_loop_us))
    }

    fn display_mode(&mut self) -> Result<DisplayMode, GlassesError> {
        if self.plug.is_unplugged() {
            return Err(self.unplugged());
        }
        Ok(self.plug.display_mode().unwrap_or(self.stream.header.display_mode))
    }

    fn set_display_mode(&mut self, mode: DisplayMode) -> Result<(), GlassesError> {
        if self.plug.is_unplugged() {
            return Err(self.unplugged());
        }
        *self.plug.state.mode.lock().unwrap_or_else(|p| p.into_inner()) = Some(mode);
        self.plug.state.modes_set.lock().unwrap_or_else(|p| p.into_inner()).push(mode);
        Ok(())
    }
}
