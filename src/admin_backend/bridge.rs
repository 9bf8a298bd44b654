//! [`ShellBridge`]: the admin server's view of the running shell. It reads the thread-safe
//! parts itself and asks the frame loop for the rest over a bounded channel, waiting (on the
//! server's blocking pool) at most [`REPLY_TIMEOUT`] for the answer.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crossbeam_channel::{Sender, TrySendError};
use visor_admin::{
    BackendError, BusMonitor, BusSnapshot, FramePreview, LogEntry, LogSource, ModuleAction, ModuleControl, ModuleView, SubscriptionView,
    TopicView,
};
use visor_runtime::bus::{Bus, Overflow};
use visor_types::clock::SharedClock;

use super::cpu::{ThreadTimes, kernel_name};
use super::frames::FrameSlot;
use super::peers::PeerWatch;
use super::shell_log::ShellLog;
use super::tap::BusTap;
use super::views::ModuleRow;

/// Requests waiting for the frame loop at most; past that the panel hears "busy".
pub(super) const QUEUED_REQUESTS: usize = 64;
/// How long a request waits for the frame loop (a frame is ~16 ms; start-up can be longer).
const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// What only the frame loop can answer; each carries the channel for its reply.
pub(crate) enum Request {
    Modules(Sender<Vec<ModuleRow>>),
    AppLogs(Sender<Vec<LogEntry>>),
    Act { module: String, action: ModuleAction, reply: Sender<Result<(), BackendError>> },
}

pub(crate) struct ShellBridge {
    requests: Sender<Request>,
    bus: Bus,
    tap: BusTap,
    peers: PeerWatch,
    clock: SharedClock,
    frames: Arc<FrameSlot>,
    shell_log: Option<ShellLog>,
}

impl ShellBridge {
    pub(super) fn new(
        requests: Sender<Request>,
        bus: Bus,
        clock: SharedClock,
        frames: Arc<FrameSlot>,
        shell_log: Option<ShellLog>,
    ) -> ShellBridge {
        let tap = BusTap::new(&bus);
        let peers = PeerWatch::new(&bus);
        ShellBridge { requests, bus, tap, peers, clock, frames, shell_log }
    }

    /// Sends a request to the frame loop and waits for its answer.
    fn ask<T>(&self, request: impl FnOnce(Sender<T>) -> Request) -> Result<T, BackendError> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        match self.requests.try_send(request(reply)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(BackendError::Unavailable("too many requests are waiting for the shell".into())),
            Err(TrySendError::Disconnected(_)) => return Err(BackendError::Unavailable("the shell has stopped".into())),
        }
        answer.recv_timeout(REPLY_TIMEOUT).map_err(|e| {
            BackendError::Unavailable(match e {
                crossbeam_channel::RecvTimeoutError::Timeout => format!("the shell's frame loop did not answer within {REPLY_TIMEOUT:?}"),
                crossbeam_channel::RecvTimeoutError::Disconnected => "the shell has stopped".into(),
            })
        })
    }
}

impl ModuleControl for ShellBridge {
    fn modules(&self) -> Result<Vec<ModuleView>, BackendError> {
        let rows = self.ask(Request::Modules)?;
        let times = ThreadTimes::read();
        // Modules whose thread names the kernel cuts to the same bytes cannot be told apart.
        let mut named: HashMap<&str, usize> = HashMap::new();
        for thread in rows.iter().filter_map(|r| r.thread.as_deref()) {
            *named.entry(kernel_name(thread)).or_default() += 1;
        }
        let cpu_ms = |thread: &str| (named[kernel_name(thread)] == 1).then(|| times.of(thread)).flatten().map(|d| d.as_secs_f64() * 1e3);
        Ok(rows.iter().map(|row| ModuleView { cpu_time_ms: row.thread.as_deref().and_then(cpu_ms), ..row.view.clone() }).collect())
    }

    fn act(&self, module: &str, action: ModuleAction) -> Result<(), BackendError> {
        let module = module.to_string();
        self.ask(|reply| Request::Act { module, action, reply })?
    }
}

impl BusMonitor for ShellBridge {
    fn bus(&self) -> Result<BusSnapshot, BackendError> {
        let last = self.tap.look();
        let stats = self.bus.stats();
        let now = self.clock.now_ns();
        let topics = stats
            .topics
            .into_iter()
            .map(|t| TopicView {
                topic: t.topic.to_string(),
                messages: t.messages,
                rate_per_s: None,
                last_sender: t.last_sender.map(|s| s.name.to_string()),
                last_age_ms: (t.messages > 0).then(|| now.saturating_sub(t.last_sent_ns) as f64 / 1e6),
                last_message: last.get(t.topic.as_str()).cloned(),
            })
            .collect();
        let subscriptions = stats
            .subscriptions
            .into_iter()
            .map(|s| SubscriptionView {
                subscriber: s.subscriber.name.to_string(),
                pattern: s.pattern.to_string(),
                policy: match s.policy {
                    Overflow::DropOldest => "drop-oldest",
                    Overflow::Reject => "reject",
                }
                .to_string(),
                queued: s.queued,
                dropped: s.dropped,
                rejected: s.rejected,
            })
            .collect();
        Ok(BusSnapshot { topics, subscriptions, untracked_messages: stats.untracked_messages, peers: self.peers.look() })
    }
}

impl FramePreview for ShellBridge {
    fn frame_png(&self) -> Result<Option<Vec<u8>>, BackendError> {
        self.frames.png()
    }
}

impl LogSource for ShellBridge {
    fn logs(&self, limit: usize) -> Result<Vec<LogEntry>, BackendError> {
        let mut lines = self.ask(Request::AppLogs)?;
        if let Some(shell) = &self.shell_log {
            lines.extend(shell.recent(limit));
        }
        lines.sort_by(|a, b| a.time_ms.total_cmp(&b.time_ms));
        let skip = lines.len().saturating_sub(limit);
        Ok(lines.split_off(skip))
    }
}
