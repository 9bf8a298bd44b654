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
//! without the overlay or the window's bars.
//!
//! Layout:
//! - `app`: the winit [`winit::application::ApplicationHandler`]: start-up, events, exit.
//! - `session`: the running simulator: frame loop, surface upkeep, screenshots, and (in
//!   `session::events`) keys and the mouse.
//! - `present`: the GPU pass that letterboxes the output frame and blends the overlay.
//! - `view`: stereo or mono, letterboxing, and window pixels back to frame pixels.
//! - `overlay`: timing figures and the CPU text rasterizer for the overlay.
//! - `input`: which key does what.

mod app;
mod input;
mod overlay;
mod present;
mod session;
mod view;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::Context;
use visor::admin_backend::AdminOptions;
use visor_types::DeviceProfile;

pub struct WindowOptions {
    /// A profile name in `device-profiles/`, or the path of a profile file (`*.toml`).
    pub profile: String,
    /// Components to run; empty boots the installed modules, else the sample apps.
    pub apps: Vec<PathBuf>,
    /// The module store to boot from (`None`: the default store).
    pub store: Option<PathBuf>,
    /// How long to wait for every app's first frame before showing the window.
    pub startup_timeout: Duration,
    pub admin: Option<AdminOptions>,
    /// Set (by Ctrl-C or SIGTERM) to close the window after the current frame.
    pub stop: Arc<AtomicBool>,
    /// Close after this many frames (for tests and scripted captures).
    pub exit_after_frames: Option<u64>,
    /// Write a screenshot of this frame, as F2 does.
    pub screenshot_at: Option<u64>,
    /// Where screenshots go.
    pub screenshot_dir: PathBuf,
    /// Play this recorded pose track instead of the profile's pose source.
    pub pose_track: Option<PathBuf>,
    /// Start the launcher app.
    pub launcher: bool,
    /// Write each presented frame's motion-to-photon (ms per line) here on close.
    pub motion_log: Option<PathBuf>,
}

/// Opens the simulator window and runs until it is closed, Esc is pressed, `stop` is set or
/// `exit_after_frames` have been shown. The apps are stopped before it returns.
pub fn run(repo: &Path, options: WindowOptions) -> anyhow::Result<()> {
    if let (Some(at), Some(frames)) = (options.screenshot_at, options.exit_after_frames) {
        anyhow::ensure!(at < frames, "--screenshot-at {at} would never be reached with --exit-after-frames {frames}");
    }
    check_display()?;
    // Fail on a bad profile before a window flashes up.
    resolve_profile(repo, &options.profile)?;
    app::Simulator::run(repo, options)
}

/// A profile by name (`device-profiles/NAME.toml`) or by path (anything ending in `.toml`).
pub fn resolve_profile(repo: &Path, profile: &str) -> anyhow::Result<DeviceProfile> {
    if profile.ends_with(".toml") {
        return DeviceProfile::load(Path::new(profile)).with_context(|| format!("loading profile {profile}"));
    }
    Ok(DeviceProfile::find(profile, &visor::shell::profiles_dir(repo))?)
}

/// Says what to do when there is no display to open a window on, rather than winit's terse
/// error after the apps have started.
fn check_display() -> anyhow::Result<()> {
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
