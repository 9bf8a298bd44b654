//! The monitors a window can go full screen on: `visor outputs` lists them, and `--output NAME`
//! (or a profile's `display.output`) picks one. Tethered glasses (XREAL, Rokid, …) show up as a
//! monitor of their own, so picking their output is how Visor drives them.
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

struct Lister(Option<Vec<Output>>);

impl ApplicationHandler for Lister {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        let primary = event_loop.primary_monitor();
        self.0 = Some(event_loop.available_monitors().map(|m| Output::of(&m, primary.as_ref())).collect());
        event_loop.exit();
    }

    fn window_event(&mut self, _: &ActiveEventLoop, _: WindowId, _: WindowEvent) {}
}
