//! One instance's frames: paced at the app's rate from the newest [`FrameFeed`] template,
//! each submission written to the triple buffer, commands read between frames (and while
//! sleeping until the next one), paused without calling the app. A late frame skips the
//! missed ones rather than bursting to catch up.
//!
//! [`FrameFeed`]: super::FrameFeed

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::RecvTimeoutError;
use triple_buffer::Input;

use super::control::{Control, Exit};
use super::state::{AppStatus, Slot};
use super::worker::Worker;
use crate::app::AppInstance;

impl Worker {
    /// Runs `instance` until a command or a crash ends it, and says which.
    pub(super) fn frame_loop(&self, mut instance: AppInstance, input: &mut Input<Slot>) -> Exit {
        let period = Duration::from_secs_f32(1.0 / self.spec.fps.max(0.1));
        let mut next = Instant::now();
        let mut paused = false;
        // A command that arrived while sleeping between frames, handled at the top of the loop.
        let mut pending: Option<Control> = None;
        loop {
            let command = pending.take().or_else(|| if paused { self.commands.recv().ok() } else { self.commands.try_recv().ok() });
            match command {
                Some(Control::Stop) => return Exit::Stopped,
                Some(Control::Fail(why)) => return Exit::Failed(why),
                Some(Control::Restart) => return Exit::Restart(instance.into_bus()),
                Some(Control::Upgrade(spec)) => return Exit::Upgrade(spec, instance.into_bus()),
                Some(Control::Pause) => {
                    paused = true;
                    self.set_status(AppStatus::Paused);
                    continue;
                }
                Some(Control::Resume) => {
                    paused = false;
                    next = Instant::now();
                    self.set_status(AppStatus::Running);
                }
                None if paused => return Exit::Stopped,
                None => {}
            }
            if paused {
                continue;
            }
            let info = self.context.feed.latest();
            let submission = match instance.frame(&info, self.shared.inbox.take()) {
                Ok(s) => s,
                Err(e) => return Exit::Crashed(e),
            };
            self.shared.last_frame_ns.store(submission.cpu_time.as_nanos() as u64, Ordering::Relaxed);
            input.write(Some(Arc::new(submission)));
            self.shared.frames.fetch_add(1, Ordering::AcqRel);
            next += period;
            let now = Instant::now();
            if next > now {
                // Sleep until the next frame, waking early for a command.
                match self.commands.recv_timeout(next - now) {
                    Ok(command) => pending = Some(command),
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return Exit::Stopped,
                }
            } else {
                // Behind: skip the missed frames rather than bursting to catch up.
                next = now;
            }
        }
    }
}
