//! The command path: what the shell asks of an app thread ([`Control`], sent by the
//! [`AppRunner`] methods here) and why the thread's frame loop hands control back ([`Exit`]).
//! Commands queue on an unbounded channel and are read between frames, so none interrupts a
//! `frame` call; sending never blocks and never fails the shell (a thread that has ended just
//! leaves them unread).

use super::handle::AppRunner;
use crate::app::AppSpec;
use crate::error::AppError;
use crate::host::bus::GuestBus;

/// A command from the shell, read by the thread between frames.
pub(super) enum Control {
    Stop,
    Pause,
    Resume,
    Restart,
    Upgrade(Box<AppSpec>),
    /// Stop for good, failed for the reason given (the shell caught it misbehaving outside
    /// its own thread: on the GPU, say). No restart follows.
    Fail(String),
}

/// Why a frame loop ended.
pub(super) enum Exit {
    Stopped,
    /// Asked to restart: the module's bus state carries over, as for an upgrade.
    Restart(GuestBus),
    Upgrade(Box<AppSpec>, GuestBus),
    Crashed(AppError),
    Failed(String),
}

impl AppRunner {
    pub fn pause(&self) {
        let _ = self.control.send(Control::Pause);
    }

    pub fn resume(&self) {
        let _ = self.control.send(Control::Resume);
    }

    /// Starts the app afresh: a new instance, with the module's bus identity and subscriptions.
    pub fn restart(&self) {
        let _ = self.control.send(Control::Restart);
    }

    /// Swaps in a new version between two frames, handing it the module's bus identity and
    /// subscriptions. If the new version fails to start, the old one comes back.
    pub fn upgrade(&self, spec: AppSpec) {
        let _ = self.control.send(Control::Upgrade(Box::new(spec)));
    }

    /// Stops the app after its current frame, as failed for `reason`: shown in its status and
    /// crash list, and not restarted. For misbehaviour the shell sees outside the app's own
    /// thread (its layer hogging the GPU).
    pub fn fail(&self, reason: String) {
        let _ = self.control.send(Control::Fail(reason));
    }

    /// Asks the app to stop after its current frame and waits for its thread.
    pub fn stop(&mut self) {
        let _ = self.control.send(Control::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
