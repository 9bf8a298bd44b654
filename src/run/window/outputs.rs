//! The monitors a window can go full screen on: `visor outputs` lists them, and `--output NAME`
//! (or a profile's `display.output`) picks one. Tethered glasses (XREAL, Rokid, …) show up as a
//! monitor of their own, so picking their output is how Visor drives them.
//!
//! With a glasses profile and no output named, [`glasses_output`] looks for the glasses'
//! monitor by its size: the pair's side-by-side mode (both eyes across), else — the only
//! monitor besides the primary at one eye's size — the pair before it switched.
//!
//! winit only enumerates monitors from inside a running event loop, so [`list_outputs`] starts
//! one, reads the list when it resumes and ends it at once.

use std::fmt;

use anyhow::Context;
use winit::application::ApplicationHandler;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, EventLoop};
use winit::monitor::MonitorHandle;
use winit::window::WindowId;

/// One monitor, as `visor outputs` prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub x: i32,
    pub y: i32,
    pub refresh_hz: Option<f32>,
    pub primary: bool,
}

impl Output {
    fn of(monitor: &MonitorHandle, primary: Option<&MonitorHandle>) -> Output {
        let (size, position) = (monitor.size(), monitor.position());
        Output {
            name: monitor.name().unwrap_or_else(|| "(unnamed)".to_owned()),
            width: size.width,
            height: size.height,
            x: position.x,
            y: position.y,
            refresh_hz: monitor.refresh_rate_millihertz().map(|mhz| mhz as f32 / 1000.0),
            primary: primary == Some(monitor),
        }
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\t{}x{} at {},{}", self.name, self.width, self.height, self.x, self.y)?;
        if let Some(hz) = self.refresh_hz {
            write!(f, "\t{hz:.2} Hz")?;
        }
        if self.primary {
            f.write_str("\tprimary")?;
        }
        Ok(())
    }
}

/// The monitors of the display the window would open on.
pub fn list_outputs() -> anyhow::Result<Vec<Output>> {
    super::check_display()?;
    let event_loop = EventLoop::new().context("connecting to the display (DISPLAY) to list its monitors")?;
    let mut lister = Lister(None);
    event_loop.run_app(&mut lister).context("listing the monitors")?;
    lister.0.context("the display's event loop ended before listing its monitors")
}

/// The monitor named `name`, or an error that lists the ones there are.
pub fn find_output(event_loop: &ActiveEventLoop, name: &str) -> anyhow::Result<MonitorHandle> {
    let monitors: Vec<MonitorHandle> = event_loop.available_monitors().collect();
    if let Some(found) = monitors.iter().find(|m| m.name().as_deref() == Some(name)) {
        return Ok(found.clone());
    }
    let names: Vec<String> = monitors.iter().filter_map(MonitorHandle::name).collect();
    anyhow::bail!(
        "no output named '{name}' (from --output or the profile's display.output); the outputs are: {} \
         (`visor outputs` lists them with their sizes)",
        if names.is_empty() { "none".to_owned() } else { names.join(", ") }
    )
}

/// The monitor a pair of glasses of `eye_width`x`eye_height` an eye (`eyes` of them) most
/// likely is, among the event loop's: its name, or `None` (with a warning) when no monitor or
/// more than one fits.
pub fn glasses_output(event_loop: &ActiveEventLoop, eyes: u32, eye_width: u32, eye_height: u32) -> Option<MonitorHandle> {
    let primary = event_loop.primary_monitor();
    let monitors: Vec<MonitorHandle> = event_loop.available_monitors().collect();
    let outputs: Vec<Output> = monitors.iter().map(|m| Output::of(m, primary.as_ref())).collect();
    match pick_glasses(&outputs, eyes, eye_width, eye_height) {
        Ok(i) => Some(monitors[i].clone()),
        Err(why) => {
            tracing::warn!("{why}; opening a desktop window (name the glasses' monitor with --output NAME; `visor outputs` lists them)");
            None
        }
    }
}

/// The index of the glasses' monitor among `outputs`, or why none can be told apart.
fn pick_glasses(outputs: &[Output], eyes: u32, eye_width: u32, eye_height: u32) -> Result<usize, String> {
    let sized = |w: u32, h: u32| outputs.iter().enumerate().filter(move |(_, o)| (o.width, o.height) == (w, h)).map(|(i, _)| i);
    let across: Vec<usize> = sized(eye_width * eyes, eye_height).collect();
    if let [only] = across[..] {
        return Ok(only);
    }
    if across.len() > 1 {
        return Err(format!("{} monitors are {}x{}, the glasses' side-by-side size", across.len(), eye_width * eyes, eye_height));
    }
    let one_eye: Vec<usize> = sized(eye_width, eye_height).filter(|&i| !outputs[i].primary).collect();
    match one_eye[..] {
        [only] => Ok(only),
        [] => Err(format!("no monitor is {}x{} or {eye_width}x{eye_height}, the glasses' sizes", eye_width * eyes, eye_height)),
        _ => Err(format!("{} monitors besides the primary are {eye_width}x{eye_height}, one eye of the glasses", one_eye.len())),
    }
}

struct Lister(Option<Vec<Output>>);

impl ApplicationHandler for Lister {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        let primary = event_loop.primary_monitor();
        self.0 = Some(event_loop.available_monitors().map(|m| Output::of(&m, primary.as_ref())).collect());
        event_loop.exit();
    }

    fn window_event(&mut self, _: &ActiveEventLoop, _: WindowId, _: WindowEvent) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(name: &str, width: u32, height: u32, primary: bool) -> Output {
        Output { name: name.into(), width, height, x: 0, y: 0, refresh_hz: Some(60.0), primary }
    }

    #[test]
    fn the_glasses_are_the_monitor_of_their_size() {
        let laptop = output("eDP-1", 1920, 1080, true);
        // Side by side already (a pair left in 3D, or switched before the window opened).
        assert_eq!(pick_glasses(&[laptop.clone(), output("DP-1", 3840, 1080, false)], 2, 1920, 1080), Ok(1));
        // Still in its own 2D mode: the one monitor besides the primary at one eye's size.
        assert_eq!(pick_glasses(&[laptop.clone(), output("DP-1", 1920, 1080, false)], 2, 1920, 1080), Ok(1));
        // A laptop alone, or two external 1080p monitors: no guess.
        assert!(pick_glasses(std::slice::from_ref(&laptop), 2, 1920, 1080).is_err());
        let two = [laptop, output("DP-1", 1920, 1080, false), output("HDMI-1", 1920, 1080, false)];
        assert!(pick_glasses(&two, 2, 1920, 1080).unwrap_err().contains("2 monitors"));
    }
}
