//! `visor run` with a window: the desktop simulator. It shows what the glasses show — both eyes
//! side by side or one eye, the camera behind the apps on passthrough profiles, black on
//! optical see-through ones — with an overlay of frame timings, and turns the mouse and
//! keyboard into head motion, pointing and typing for the apps.
//!
//! Data flow: winit delivers window events to [`app::Simulator`], which owns one
//! [`session::Session`] (window, surface, shell, present pass). Each vsync-paced redraw steps
//! the shell for a frame due one refresh period from now — the compositor renders into its
//! output texture — and the present pass draws that texture into the window. Screenshots
//! (F2, `--screenshot-at`) read the output frame back, so they hold what the glasses show,
//! without the overlay or the window's bars. With an output chosen (`--output NAME` or the
//! profile's `display.output`), the window goes borderless full screen on that monitor: a
//! tethered pair of glasses shows up as one, and this is how Visor drives it.
//!
//! Layout:
//! - `app`: the winit [`winit::application::ApplicationHandler`]: start-up, events, exit.
//! - `session`: the running simulator: frame loop, surface upkeep, screenshots, and (in
//!   `session::events`) keys and the mouse.
//! - `present`: the GPU pass that letterboxes the output frame and blends the overlay.
//! - `view`: stereo or mono, letterboxing, and window pixels back to frame pixels.
//! - `overlay`: timing figures and the CPU text rasterizer for the overlay.
//! - `input`: which key does what.
//! - `outputs`: the monitors (`visor outputs`), and finding the one an output name means.

mod app;
mod input;
mod outputs;
mod overlay;
mod present;
mod session;
mod view;

pub use outputs::{Output, list_outputs};

use std::path::PathBuf;

use super::RunOptions;

/// What only a window has (the rest of a run's options are [`RunOptions`]).
#[derive(Debug, Clone, Default)]
pub struct WindowOptions {
    /// Close after this many frames (for tests and scripted captures).
    pub exit_after_frames: Option<u64>,
    /// Write a screenshot of this frame, as F2 does.
    pub screenshot_at: Option<u64>,
    /// Where screenshots go.
    pub screenshot_dir: PathBuf,
    /// Write each presented frame's motion-to-photon (ms per line) here on close.
    pub motion_log: Option<PathBuf>,
    /// Full screen on the monitor of this name (`visor outputs` lists them); `None` takes the
    /// profile's `display.output`, and with neither the window is a desktop window.
    pub output: Option<String>,
}

/// Opens the simulator window and runs until it is closed, Esc is pressed, `stop` is set or
/// `exit_after_frames` have been shown. The apps are stopped before it returns.
pub fn run(options: RunOptions) -> anyhow::Result<()> {
    let super::Display::Window(window) = &options.display else {
        anyhow::bail!("the window was handed a headless display");
    };
    if let (Some(at), Some(frames)) = (window.screenshot_at, window.exit_after_frames) {
        anyhow::ensure!(at < frames, "--screenshot-at {at} would never be reached with --exit-after-frames {frames}");
    }
    check_display()?;
    // Fail on a bad profile before a window flashes up.
    let profile = super::resolve_profile(&options.data, &options.profile, options.pose_track.as_deref())?;
    app::Simulator::run(options, profile)
}

/// Says what to do when there is no display to open a window on, rather than winit's terse
/// error after the apps have started.
pub fn check_display() -> anyhow::Result<()> {
    let set = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    if set("DISPLAY") {
        return Ok(());
    }
    if set("WAYLAND_DISPLAY") {
        anyhow::bail!(
            "WAYLAND_DISPLAY is set but DISPLAY is not: the simulator window needs X11 (XWayland \
             on a Wayland desktop). Enable XWayland, or run `visor run --headless`"
        );
    }
    anyhow::bail!(
        "no display to open the simulator window on: neither DISPLAY nor WAYLAND_DISPLAY is set. \
         Run `visor run --headless --out DIR` to write frames instead, or give it a virtual \
         display: `xvfb-run -s '-screen 0 1280x720x24' visor run ...`"
    );
}
