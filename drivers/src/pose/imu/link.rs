//! The IMU reading thread and the state it shares with [`ImuPose`](super::ImuPose): the newest
//! filter estimate and the device's status.
//!
//! The thread owns the device and the filter. Each tick it reads one sample, updates the
//! filter and swaps the estimate into the shared slot (at the configured rate, or as fast as a
//! device that waits for its own samples delivers them); on a failure it records the new status
//! (logged only when the failure changes, so a retry that fails the same way stays quiet),
//! stops the estimate extrapolating, sleeps the retry interval and reads again, until told to
//! stop. The lock is held only to swap values, never across a device read.

use std::mem::Discriminant;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::filter::{AttitudeFilter, Estimate};
use super::{ImuDevice, ImuOptions};
use crate::pose::PoseError;

pub(super) enum Status {
    /// The first read has not finished yet.
    Opening,
    /// Readings are arriving.
    Live,
    /// The last read failed; `kind` tells one failure from another.
    Down { kind: Discriminant<PoseError>, reason: String },
}

pub(super) struct State {
    pub stop: bool,
    pub status: Status,
    /// The filter's newest output; `None` until the first reading.
    pub estimate: Option<Estimate>,
    /// Changes of status logged so far (for tests: one per change, not per retry).
    pub changes: u32,
    ever_live: bool,
}

#[derive(Default)]
pub(super) struct Link {
    state: Mutex<State>,
    /// Wakes a sleep on stop, and waiters on a status change.
    changed: Condvar,
}

impl Default for State {
    fn default() -> Self {
        State { stop: false, status: Status::Opening, estimate: None, changes: 0, ever_live: false }
    }
}

impl Link {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // Every write is one assignment, so a poisoned lock still holds consistent values.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn stop(&self) {
        self.lock().stop = true;
        self.changed.notify_all();
    }

    /// Sleeps up to `wait`; true if told to stop meanwhile.
    fn sleep(&self, wait: Duration) -> bool {
        let guard = self.lock();
        let (guard, _) = self.changed.wait_timeout_while(guard, wait, |s| !s.stop).unwrap_or_else(|p| p.into_inner());
        guard.stop
    }

    /// Waits up to `timeout` for the first read to succeed or fail.
    pub fn wait_settled(&self, timeout: Duration) -> MutexGuard<'_, State> {
        let guard = self.lock();
        let settling = |s: &mut State| matches!(s.status, Status::Opening) && !s.stop;
        self.changed.wait_timeout_while(guard, timeout, settling).unwrap_or_else(|p| p.into_inner()).0
    }

    fn publish(&self, estimate: Option<Estimate>, name: &str) {
        let mut state = self.lock();
        if !matches!(state.status, Status::Live) {
            if state.ever_live {
                tracing::info!(imu = name, "{name} is back; head tracking resumes");
            } else {
                tracing::info!(imu = name, "{name} delivers; head tracking on");
            }
            state.status = Status::Live;
            state.ever_live = true;
            state.changes += 1;
            self.changed.notify_all();
        }
        if estimate.is_some() {
            state.estimate = estimate;
        }
    }

    fn down(&self, error: &PoseError, name: &str) {
        let kind = std::mem::discriminant(error);
        let mut state = self.lock();
        // Hold the head where it was: no extrapolating a turn nobody is measuring.
        if let Some(estimate) = &mut state.estimate {
            estimate.angular_velocity = glam::Vec3::ZERO;
        }
        if matches!(state.status, Status::Down { kind: was, .. } if was == kind) {
            return;
        }
        let reason = error.to_string();
        if matches!(state.status, Status::Live) {
            tracing::error!(imu = name, "{name} lost, the head holds still until it is back (retrying): {reason}");
        } else {
            tracing::error!(imu = name, "{name} unavailable, the head holds still (retrying): {reason}");
        }
        state.status = Status::Down { kind, reason };
        state.changes += 1;
        self.changed.notify_all();
    }
}

/// Everything the reading thread owns, but the device it is handed.
pub(super) struct Worker {
    pub name: String,
    pub options: ImuOptions,
    pub link: Arc<Link>,
}

impl Worker {
    pub fn run(self, mut device: Box<dyn ImuDevice>) {
        let period = Duration::from_secs_f64(1.0 / f64::from(self.options.rate_hz));
        let mut filter = AttitudeFilter::default();
        let mut next = Instant::now();
        loop {
            match device.read() {
                Ok(sample) => {
                    filter.update(&sample);
                    self.link.publish(filter.estimate(), &self.name);
                    if device.paces_itself() {
                        // Its read waited for the sample: read again at once.
                        if self.link.lock().stop {
                            return;
                        }
                        continue;
                    }
                }
                Err(error) => {
                    filter.interrupt();
                    self.link.down(&error, &self.name);
                    if self.link.sleep(self.options.retry) {
                        return;
                    }
                    next = Instant::now();
                    continue;
                }
            }
            // A steady rate; after falling behind (a slow read), start afresh rather than burst.
            next += period;
            let now = Instant::now();
            if next < now {
                next = now;
            }
            if self.link.sleep(next - now) {
                return;
            }
        }
    }
}
