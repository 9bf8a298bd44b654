//! The running simulator: the window and its surface, the shell, the present pass and the
//! state of the view and the input. [`Session::open`] starts everything (the window stays
//! hidden until every app has drawn); [`Session::handle`] takes each window event and says
//! whether to go on.
//!
//! Layout: this file holds start-up, the frame loop, the surface and the overlay; `events`
//! turns keys and the mouse into shell calls and head motion.
//!
//! One redraw is one frame: step the shell for a frame due one refresh period from now, take
//! a screenshot if one is due, refresh the overlay if its time has come, and present. Redraws
//! are requested back to back and paced by the surface's vsync (FIFO), so the shell runs at
//! the monitor's rate and no faster.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use visor_compositor::Gpu;
use visor_drivers::pose::SimControls;
use visor_runtime::AppStatus;
use visor_types::DeviceProfile;
use visor_types::profile::PoseConfig;
use winit::dpi::PhysicalSize;
use winit::event::{ElementState, WindowEvent};
use winit::event_loop::ActiveEventLoop;
use winit::window::{Fullscreen, Window};

use super::super::{Display, RunOptions, Running};
use super::input;
use super::overlay::{AppLine, OverlayText, Timing, TimingSummary};
use super::present::{Placement, PresentPass};
use super::view::{Rect, View};

mod events;

/// How long a notice (a screenshot's path, a pause) stays in the overlay.
const NOTICE_FOR: Duration = Duration::from_secs(4);
/// Where the overlay sits, in window pixels from the top left (before HiDPI scaling).
const OVERLAY_MARGIN: f32 = 8.0;

/// What the event loop should do after an event.
pub enum Flow {
    Continue,
    Exit,
    Fail(anyhow::Error),
}

pub struct Session {
    // Fields drop in order: the shell (and with it every app) goes first.
    running: Running,
    controls: Option<SimControls>,
    present: PresentPass,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    /// The format the present pass renders in: the surface's, with sRGB encoding.
    view_format: wgpu::TextureFormat,
    window: Arc<Window>,
    view: View,
    /// The display's refresh period: how far ahead of now a frame is due.
    refresh: Duration,
    frame: u64,
    exit_after_frames: Option<u64>,
    screenshot_at: Option<u64>,
    screenshot_dir: PathBuf,
    overlay_on: bool,
    timing: Timing,
    last_summary: TimingSummary,
    /// Each displayed app's last `frame` time, from the last step.
    app_times: Vec<(String, Duration)>,
    notice: Option<(String, Instant)>,
    cursor: Option<(f32, f32)>,
    /// The right button is down: mouse motion turns the head.
    looking: bool,
    /// Ctrl, Shift, Alt as they stand.
    modifiers: winit::keyboard::ModifiersState,
    /// The left button went down on the frame: motion and release go to the apps.
    pointing: bool,
    /// Zero-sized: nothing to present until it is restored.
    minimized: bool,
    /// The window changed size: reconfigure the surface before the next frame. Deferred, so a
    /// burst of resize events costs one reconfiguration.
    resized: bool,
    /// Hidden by the window system (where it says so): nothing to present.
    occluded: bool,
    /// `--motion-log`: where to write, and each presented frame's motion-to-photon in ms.
    motion: Option<(PathBuf, Vec<f64>)>,
}

impl Session {
    /// Opens the window, the GPU on its surface and the shell; starts the apps and waits for
    /// their first frames; then shows the window.
    pub fn open(event_loop: &ActiveEventLoop, options: &RunOptions, profile: DeviceProfile) -> anyhow::Result<Session> {
        let Display::Window(window_options) = &options.display else {
            anyhow::bail!("the simulator window was handed a headless display");
        };
        let (frame_width, frame_height) = (profile.display.eye_width * profile.display.eyes, profile.display.eye_height);
        let output = window_options.output.as_deref().or(profile.display.output.as_deref());
        let mut fullscreen = output.map(|name| super::outputs::find_output(event_loop, name)).transpose()?;
        // Live glasses and no output named: their own monitor, found by its size.
        if output.is_none() && matches!(profile.pose, PoseConfig::Glasses { replay: None, .. }) {
            let d = &profile.display;
            fullscreen = super::outputs::glasses_output(event_loop, d.eyes, d.eye_width, d.eye_height);
        }
        let size = initial_size(event_loop, frame_width, frame_height);
        let mut attributes = Window::default_attributes()
            .with_title(format!("Visor — {}", profile.name))
            .with_inner_size(size)
            .with_min_inner_size(PhysicalSize::new(160, 120))
            .with_visible(false);
        if let Some(monitor) = fullscreen {
            tracing::info!(output = monitor.name().unwrap_or_default(), "full screen on the chosen output");
            attributes = attributes.with_fullscreen(Some(Fullscreen::Borderless(Some(monitor))));
        }
        let window = Arc::new(event_loop.create_window(attributes).context("opening the simulator window")?);

        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env());
        let surface = instance.create_surface(window.clone()).context("making a GPU surface for the window")?;
        let gpu = Gpu::for_surface(instance, &surface)?;
        let (config, view_format) = surface_config(&surface, &gpu.adapter, window.inner_size())?;
        surface.configure(&gpu.device, &config);

        let running = super::super::start(options, profile, gpu)?;
        let shell = &running.shell;
        let controls = shell.sim_controls();
        if controls.is_none() {
            tracing::info!("this profile's head pose does not come from the simulator: mouse-look and WASD do nothing");
        }

        let display = &shell.profile.display;
        let view = View { eye_width: display.eye_width, eye_height: display.eye_height, eyes: display.eyes, stereo: true };
        let refresh = refresh_period(&window, display.refresh_hz);
        let gpu = shell.compositor.gpu();
        let present = PresentPass::new(&gpu.device, shell.compositor.output(), view_format);
        window.set_visible(true);
        let now = Instant::now();
        Ok(Session {
            controls,
            present,
            surface,
            config,
            view_format,
            window,
            view,
            refresh,
            frame: 0,
            exit_after_frames: window_options.exit_after_frames,
            screenshot_at: window_options.screenshot_at,
            screenshot_dir: window_options.screenshot_dir.clone(),
            overlay_on: true,
            timing: Timing::new(now),
            last_summary: TimingSummary { fps: 0.0, compositor_ms: 0.0, compositor_max_ms: 0.0 },
            app_times: Vec::new(),
            notice: None,
            cursor: None,
            looking: false,
            modifiers: Default::default(),
            pointing: false,
            minimized: false,
            resized: false,
            occluded: false,
            motion: window_options.motion_log.clone().map(|path| (path, Vec::new())),
            running,
        })
    }

    pub fn window(&self) -> &Window {
        &self.window
    }

    /// Stops the apps and closes the window (the caller drops the session afterwards).
    pub fn close(mut self) {
        tracing::info!(frames = self.frame, "closing the simulator: stopping the apps");
        if let Some((path, samples)) = self.motion.take() {
            let text: String = samples.iter().map(|ms| format!("{ms:.3}\n")).collect();
            if let Err(e) = std::fs::write(&path, text) {
                tracing::error!("writing the motion log {}: {e}", path.display());
            }
        }
        self.window.set_visible(false);
        self.running.finish();
        tracing::info!("simulator closed");
    }

    pub fn handle(&mut self, event: WindowEvent) -> Flow {
        match event {
            WindowEvent::RedrawRequested => return self.redraw(),
            // Destroyed: something other than us closed the window (no window manager asked).
            WindowEvent::CloseRequested | WindowEvent::Destroyed => return Flow::Exit,
            WindowEvent::Resized(size) => self.resize(size),
            WindowEvent::Occluded(hidden) => {
                self.occluded = hidden;
                self.window.request_redraw();
            }
            WindowEvent::Focused(false) => self.release_all(),
            WindowEvent::ModifiersChanged(modifiers) => self.modifiers = modifiers.state(),
            WindowEvent::KeyboardInput { event, is_synthetic: false, .. } => return self.key(&event),
            WindowEvent::CursorMoved { position, .. } => self.cursor_moved(position),
            WindowEvent::CursorLeft { .. } => self.cursor = None,
            WindowEvent::MouseInput { state, button, .. } => self.mouse_button(button, state == ElementState::Pressed),
            _ => {}
        }
        Flow::Continue
    }

    fn redraw(&mut self) -> Flow {
        if self.minimized || self.occluded {
            return Flow::Continue;
        }
        let display_time_ns = self.running.shell.display_time(self.refresh);
        self.running.tick_network();
        let report = self.running.shell.step(self.frame, display_time_ns);
        self.timing.frame(report.stats.ms);
        self.app_times = report.apps.iter().map(|(name, time, _)| (name.clone(), *time)).collect();
        if let Err(e) = self.serve_admin() {
            tracing::warn!("admin panel preview: {e:#}");
        }
        if let Some(said) = self.running.dev.as_mut().and_then(|dev| dev.poll(&mut self.running.shell)) {
            self.say(said);
        } else if let Some(line) = self.running.dev.as_mut().and_then(|dev| dev.guest_line(&self.running.shell)) {
            // Already in the log (the guest's own target): only shown.
            self.notice = Some((line, Instant::now()));
            self.redraw_overlay();
        }
        if self.screenshot_at == Some(self.frame)
            && let Err(e) = self.screenshot(self.frame)
        {
            return Flow::Fail(e);
        }
        self.refresh_overlay();
        self.present_frame();
        if let Some((_, samples)) = &mut self.motion {
            samples.push(self.running.shell.clock.now_ns().saturating_sub(report.pose_measured_ns) as f64 / 1e6);
        }
        self.frame += 1;
        if self.exit_after_frames.is_some_and(|n| self.frame >= n) {
            tracing::info!(frames = self.frame, "--exit-after-frames reached");
            return Flow::Exit;
        }
        self.window.request_redraw();
        Flow::Continue
    }

    fn serve_admin(&mut self) -> anyhow::Result<()> {
        let Running { admin, shell, .. } = &mut self.running;
        let Some(admin) = admin else { return Ok(()) };
        admin.serve(shell);
        if admin.wants_frame() {
            admin.offer_frame(self.frame, shell.compositor.read_frame()?);
        }
        Ok(())
    }

    /// Draws the output frame into the window and presents it. A surface that cannot give a
    /// texture this time skips the frame; one that changed is reconfigured for the next.
    fn present_frame(&mut self) {
        if std::mem::take(&mut self.resized) {
            self.reconfigure(false);
        }
        let (texture, stale) = match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(t) => (t, false),
            // Still presentable; reconfigured once presented (not while it is held).
            wgpu::CurrentSurfaceTexture::Suboptimal(t) => (t, true),
            wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                tracing::debug!("surface outdated or lost: reconfiguring");
                self.reconfigure(true);
                return;
            }
            other @ (wgpu::CurrentSurfaceTexture::Occluded
            | wgpu::CurrentSurfaceTexture::Timeout
            | wgpu::CurrentSurfaceTexture::Validation) => {
                tracing::debug!(?other, "no surface texture this frame");
                // No vsync to wait on this time: wait a refresh period ourselves, so the shell
                // does not spin while nothing can be shown.
                std::thread::sleep(self.refresh);
                return;
            }
        };
        let placement = self.placement();
        {
            let target = texture.texture.create_view(&wgpu::TextureViewDescriptor { format: Some(self.view_format), ..Default::default() });
            let gpu = self.running.shell.compositor.gpu();
            let mut encoder = gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("present") });
            self.present.encode(&gpu.queue, &mut encoder, &target, &placement);
            gpu.queue.submit([encoder.finish()]);
            gpu.queue.present(texture);
        }
        if stale {
            self.reconfigure(false);
        }
    }

    fn placement(&self) -> Placement {
        let frame = self.view.letterbox(self.config.width, self.config.height);
        let overlay = self.overlay_on.then(|| {
            let scale = self.window.scale_factor().round().max(1.0) as f32;
            let (w, h) = self.present.overlay_size();
            let margin = OVERLAY_MARGIN * scale;
            Rect { x: margin, y: margin, width: w as f32 * scale, height: h as f32 * scale }
        });
        Placement { frame, source_uv: self.view.source_uv(), overlay }
    }

    /// Recomputes the overlay's text when its period is up, and on the first frame.
    fn refresh_overlay(&mut self) {
        let now = Instant::now();
        if let Some(summary) = self.timing.take(now) {
            self.last_summary = summary;
        } else if self.frame != 0 {
            return;
        }
        if self.notice.as_ref().is_some_and(|(_, since)| now.duration_since(*since) > NOTICE_FOR) {
            self.notice = None;
        }
        self.redraw_overlay();
    }

    fn redraw_overlay(&mut self) {
        if !self.overlay_on {
            return;
        }
        let focused = self.running.shell.focused();
        let paused: Vec<String> =
            self.running.shell.modules.list().into_iter().filter(|m| m.status == AppStatus::Paused).map(|m| m.name).collect();
        let apps = self
            .app_times
            .iter()
            .map(|(name, time)| AppLine {
                name: name.clone(),
                frame_ms: time.as_secs_f64() * 1e3,
                paused: paused.contains(name),
                focused: focused.as_ref() == Some(name),
            })
            .collect();
        let d = &self.running.shell.profile.display;
        let adapter = self.running.shell.compositor.gpu().adapter.get_info().name;
        let text = OverlayText {
            title: format!(
                "{}  {:?}  {}  {}x{} per eye  {}",
                self.running.shell.profile.name,
                d.kind,
                if self.view.stereo { "stereo" } else { "left eye" },
                d.eye_width,
                d.eye_height,
                // "llvmpipe (LLVM 15.0.6, 256 bits)": the name is enough.
                adapter.split(" (").next().unwrap_or_default(),
            ),
            timing: self.last_summary,
            apps,
            notice: self.notice.as_ref().map(|(n, _)| n.clone()),
            network: self.running.offload.as_ref().map(|o| o.line()),
            help: &input::HELP,
        };
        let gpu = self.running.shell.compositor.gpu();
        self.present.set_overlay(&gpu.device, &gpu.queue, &text.rasterize());
    }

    fn say(&mut self, notice: String) {
        tracing::info!("{notice}");
        self.notice = Some((notice, Instant::now()));
        self.redraw_overlay();
    }

    /// Writes the last composited frame (number `frame`) — what the glasses show — as a PNG.
    fn screenshot(&mut self, frame: u64) -> anyhow::Result<PathBuf> {
        let image = self.running.shell.compositor.read_frame()?;
        let dir = &self.screenshot_dir;
        std::fs::create_dir_all(dir).with_context(|| format!("creating the screenshot folder {}", dir.display()))?;
        let path = dir.join(format!("visor-{frame:06}.png"));
        image.save(&path).with_context(|| format!("writing screenshot {}", path.display()))?;
        self.say(format!("screenshot: {}", path.display()));
        Ok(path)
    }

    fn resize(&mut self, size: PhysicalSize<u32>) {
        self.minimized = size.width == 0 || size.height == 0;
        if self.minimized {
            // Keep the old configuration; present nothing until the window comes back.
            return;
        }
        self.resized = true;
        self.window.request_redraw();
    }

    /// Fits the surface to the window. Unless `always` (the surface says it is out of date),
    /// only when the size changed: X11 reports one resize more than once, and each
    /// reconfiguration recreates the swapchain and waits for the GPU.
    fn reconfigure(&mut self, always: bool) {
        let size = self.window.inner_size();
        let same = (size.width, size.height) == (self.config.width, self.config.height);
        if size.width == 0 || size.height == 0 || (same && !always) {
            return;
        }
        self.config.width = size.width;
        self.config.height = size.height;
        tracing::debug!(width = size.width, height = size.height, mode = ?self.config.present_mode, "configuring the surface");
        self.surface.configure(&self.running.shell.compositor.gpu().device, &self.config);
    }
}

/// The frame's own size, shrunk to fit 90% of the monitor when it is larger.
fn initial_size(event_loop: &ActiveEventLoop, width: u32, height: u32) -> PhysicalSize<u32> {
    let Some(monitor) = event_loop.primary_monitor().or_else(|| event_loop.available_monitors().next()) else {
        return PhysicalSize::new(width, height);
    };
    let screen = monitor.size();
    let fit = (0.9 * screen.width as f32 / width as f32).min(0.9 * screen.height as f32 / height as f32).min(1.0);
    if fit <= 0.0 {
        return PhysicalSize::new(width, height);
    }
    PhysicalSize::new(((width as f32 * fit) as u32).max(160), ((height as f32 * fit) as u32).max(120))
}

/// The window's monitor's refresh period, else the profile's.
fn refresh_period(window: &Window, profile_hz: f32) -> Duration {
    let monitor_hz = window.current_monitor().and_then(|m| m.refresh_rate_millihertz()).map(|mhz| mhz as f32 / 1000.0);
    let hz = monitor_hz.filter(|hz| (1.0..=1000.0).contains(hz)).unwrap_or(profile_hz);
    Duration::from_secs_f64(1.0 / f64::from(hz.max(1.0)))
}

/// A vsync-paced (FIFO) configuration rendering through an sRGB view of the surface, so the
/// output frame's linear values are encoded for the monitor whatever the surface's own format.
fn surface_config(
    surface: &wgpu::Surface<'_>,
    adapter: &wgpu::Adapter,
    size: PhysicalSize<u32>,
) -> anyhow::Result<(wgpu::SurfaceConfiguration, wgpu::TextureFormat)> {
    let mut config = surface
        .get_default_config(adapter, size.width.max(1), size.height.max(1))
        .context("the GPU adapter cannot present to this window")?;
    let formats = surface.get_capabilities(adapter).formats;
    config.format = formats.iter().copied().find(|f| f.is_srgb()).unwrap_or(config.format);
    let view_format = config.format.add_srgb_suffix();
    if view_format != config.format {
        config.view_formats = vec![view_format];
    }
    config.present_mode = wgpu::PresentMode::AutoVsync;
    config.desired_maximum_frame_latency = 2;
    Ok((config, view_format))
}
