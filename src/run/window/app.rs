//! The winit side: [`Simulator`] implements [`ApplicationHandler`], opens the
//! [`Session`] when the event loop first resumes (winit wants windows made there), hands it
//! every window event, and ends the loop on Esc, a closed window, `--exit-after-frames`, a
//! failure or the stop signal. The session's error, if any, becomes the command's error after
//! the loop has ended and the apps have been stopped.

use std::sync::atomic::Ordering;
use std::time::Instant;

use anyhow::Context;
use winit::application::ApplicationHandler;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::window::WindowId;

use visor_types::DeviceProfile;

use super::super::RunOptions;
use super::overlay::REFRESH;
use super::session::{Flow, Session};

pub struct Simulator {
    options: RunOptions,
    /// The profile, until the session takes it.
    profile: Option<DeviceProfile>,
    session: Option<Session>,
    error: Option<anyhow::Error>,
}

impl Simulator {
    pub fn run(options: RunOptions, profile: DeviceProfile) -> anyhow::Result<()> {
        let event_loop = EventLoop::new().context("connecting to the display (DISPLAY) for the simulator window")?;
        let mut simulator = Simulator { options, profile: Some(profile), session: None, error: None };
        let looped = event_loop.run_app(&mut simulator).context("the simulator window's event loop");
        if let Some(session) = simulator.session.take() {
            session.close();
        }
        match simulator.error {
            Some(e) => Err(e),
            None => looped,
        }
    }

    fn fail(&mut self, event_loop: &ActiveEventLoop, error: anyhow::Error) {
        self.error.get_or_insert(error);
        event_loop.exit();
    }
}

impl ApplicationHandler for Simulator {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        let Some(profile) = self.profile.take() else { return };
        match Session::open(event_loop, &self.options, profile) {
            Ok(session) => {
                session.window().request_redraw();
                self.session = Some(session);
            }
            Err(e) => self.fail(event_loop, e),
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _window: WindowId, event: WindowEvent) {
        let Some(session) = &mut self.session else { return };
        match session.handle(event) {
            Flow::Continue => {}
            Flow::Exit => event_loop.exit(),
            Flow::Fail(e) => self.fail(event_loop, e),
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        if self.options.stop.load(Ordering::Relaxed) {
            tracing::info!("stop signal: closing the simulator window");
            event_loop.exit();
            return;
        }
        // Redraw requests keep the loop busy while frames flow; this wake-up notices the stop
        // signal while the window is minimized.
        event_loop.set_control_flow(ControlFlow::WaitUntil(Instant::now() + REFRESH));
    }
}
