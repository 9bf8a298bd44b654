//! `visor:app/log`: an app's log lines go to `tracing` (target [`GUEST_LOG_TARGET`], tagged
//! with the app) and to a bounded ring the shell can show. A flood is cut: past a per-second
//! allowance lines are counted, not kept, and the count is reported when the next second begins.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::HostState;
use super::bindings::visor::app::log::{Host, Level};

/// The `tracing` target of every line a guest logs, so that subscribers can tell apps' lines
/// from the shell's own (`RUST_LOG=visor::guest=warn`; the admin panel keeps them apart).
pub const GUEST_LOG_TARGET: &str = "visor::guest";

/// Lines kept per app.
const RING_LINES: usize = 256;
/// Longest line kept; longer ones are cut, with a mark.
const MAX_LINE_BYTES: usize = 2048;
/// Lines per second an app may log before the rest are dropped.
const LINES_PER_SECOND: u32 = 200;

#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    pub time_ns: u64,
    pub level: &'static str,
    pub message: String,
}

#[derive(Debug, Default)]
pub struct LogRing {
    inner: Mutex<RingInner>,
}

#[derive(Debug, Default)]
struct RingInner {
    lines: VecDeque<LogLine>,
    second: u64,
    in_second: u32,
    dropped: u64,
}

impl LogRing {
    /// Records a line unless the app is over its allowance; returns whether it was kept.
    pub fn push(&self, time_ns: u64, level: &'static str, message: &str) -> bool {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let second = time_ns / 1_000_000_000;
        if second != inner.second {
            if inner.dropped > 0 {
                let note = format!("({} log lines dropped: over {LINES_PER_SECOND}/s)", inner.dropped);
                inner.keep(LogLine { time_ns, level: "warn", message: note });
            }
            inner.second = second;
            inner.in_second = 0;
            inner.dropped = 0;
        }
        if inner.in_second >= LINES_PER_SECOND {
            inner.dropped += 1;
            return false;
        }
        inner.in_second += 1;
        let mut message = message.to_string();
        if message.len() > MAX_LINE_BYTES {
            let mut cut = MAX_LINE_BYTES;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
            message.push_str(" …(cut)");
        }
        inner.keep(LogLine { time_ns, level, message });
        true
    }

    /// A copy of the lines kept, oldest first.
    pub fn lines(&self) -> Vec<LogLine> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).lines.iter().cloned().collect()
    }

    /// The oldest kept line logged after `time_ns`, copied alone (a reader that follows the log
    /// line by line, every frame, copies nothing else).
    pub fn next_after(&self, time_ns: u64) -> Option<LogLine> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.lines.iter().find(|line| line.time_ns > time_ns).cloned()
    }

    /// Whether any kept line contains `needle`.
    pub fn contains(&self, needle: &str) -> bool {
        self.lines().iter().any(|l| l.message.contains(needle))
    }
}

impl RingInner {
    fn keep(&mut self, line: LogLine) {
        if self.lines.len() == RING_LINES {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }
}

impl Host for HostState {
    fn write(&mut self, level: Level, message: String) {
        let now = self.clock.now_ns();
        let name = match level {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        if !self.logs.push(now, name, &message) {
            return;
        }
        let app = self.app.as_str();
        match level {
            Level::Trace => tracing::trace!(target: GUEST_LOG_TARGET, app, "{message}"),
            Level::Debug => tracing::debug!(target: GUEST_LOG_TARGET, app, "{message}"),
            Level::Info => tracing::info!(target: GUEST_LOG_TARGET, app, "{message}"),
            Level::Warn => tracing::warn!(target: GUEST_LOG_TARGET, app, "{message}"),
            Level::Error => tracing::error!(target: GUEST_LOG_TARGET, app, "{message}"),
        }
    }
}
