//! Restarts and their limits: [`RestartPolicy`] (how long to wait, when to give up) and the
//! [`Supervisor`] that applies it to one module's crashes. Pure bookkeeping over crash times,
//! shared by app threads and native drivers (`crate::native`).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// When the supervisor restarts a crashed app, and when it gives up.
#[derive(Clone, Debug, PartialEq)]
pub struct RestartPolicy {
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Give up after this many crashes within `window`.
    pub max_crashes: u32,
    pub window: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            max_crashes: 5,
            window: Duration::from_secs(60),
        }
    }
}

impl RestartPolicy {
    /// Never restart: the first failure is final.
    pub fn never() -> RestartPolicy {
        RestartPolicy { max_crashes: 1, ..Default::default() }
    }
}

/// What the supervisor decides after a crash.
pub(crate) enum Verdict {
    /// Start again after this backoff; `attempt` counts the crashes within the window.
    Restart { attempt: u32, after: Duration },
    /// Too many crashes within the window: the message says so.
    GiveUp(String),
}

/// The crash bookkeeping of one supervised module (an app or a native driver): recent crash
/// times within the window and the backoff, which doubles per crash up to its cap and starts
/// over after a run as long as the window.
pub(crate) struct Supervisor {
    policy: RestartPolicy,
    recent: VecDeque<Instant>,
    backoff: Duration,
}

impl Supervisor {
    pub(crate) fn new(policy: RestartPolicy) -> Supervisor {
        let backoff = policy.initial_backoff;
        Supervisor { policy, recent: VecDeque::new(), backoff }
    }

    /// Records a crash after a run of `ran_for`.
    pub(crate) fn crashed(&mut self, ran_for: Duration, reason: &str) -> Verdict {
        if ran_for >= self.policy.window {
            self.backoff = self.policy.initial_backoff;
        }
        let now = Instant::now();
        self.recent.push_back(now);
        while self.recent.front().is_some_and(|t| now.duration_since(*t) > self.policy.window) {
            self.recent.pop_front();
        }
        let count = self.recent.len() as u32;
        if count >= self.policy.max_crashes {
            return Verdict::GiveUp(format!("gave up after {count} crash(es) within {:?}; the last: {reason}", self.policy.window));
        }
        let after = self.backoff;
        self.backoff = (self.backoff * 2).min(self.policy.max_backoff);
        Verdict::Restart { attempt: count, after }
    }
}
