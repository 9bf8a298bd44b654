//! [`ShellLog`]: a `tracing` layer that keeps the shell's recent log lines for the panel.
//!
//! The binary adds [`ShellLog::layer`] to its subscriber, behind the same filter as the
//! terminal output, so the panel shows what the terminal shows. Guest apps' lines are left out
//! here: the apps' own log rings hold them (with the levels the filter would hide).

use std::collections::VecDeque;
use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use visor_admin::LogEntry;
use visor_runtime::GUEST_LOG_TARGET;

use super::views::unix_ms;

/// Lines kept.
const LINES: usize = 1000;

#[derive(Clone, Debug, Default)]
pub struct ShellLog {
    lines: Arc<Mutex<VecDeque<LogEntry>>>,
    /// Text never kept as is (the admin token, which the start-up line shows the terminal).
    hidden: Arc<Mutex<Vec<String>>>,
}

impl ShellLog {
    pub fn new() -> ShellLog {
        ShellLog::default()
    }

    pub fn layer(&self) -> ShellLogLayer {
        ShellLogLayer { log: self.clone() }
    }

    /// Keeps `secret` out of the lines from now on (it is replaced by `…`).
    pub fn hide(&self, secret: &str) {
        if !secret.is_empty() {
            self.hidden.lock().unwrap_or_else(|p| p.into_inner()).push(secret.to_string());
        }
    }

    /// The newest `limit` lines, oldest first.
    pub fn recent(&self, limit: usize) -> Vec<LogEntry> {
        let lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        lines.iter().skip(lines.len().saturating_sub(limit)).cloned().collect()
    }

    fn push(&self, mut line: LogEntry) {
        for secret in self.hidden.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            if line.message.contains(secret.as_str()) {
                line.message = line.message.replace(secret.as_str(), "…");
            }
        }
        let mut lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        if lines.len() == LINES {
            lines.pop_front();
        }
        lines.push_back(line);
    }
}

pub struct ShellLogLayer {
    log: ShellLog,
}

impl<S: Subscriber> Layer<S> for ShellLogLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        // Guest apps' lines are kept by their own rings (`views::app_logs`).
        if meta.target() == GUEST_LOG_TARGET {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        self.log.push(LogEntry {
            time_ms: unix_ms(SystemTime::now()),
            level: meta.level().as_str().to_ascii_lowercase(),
            source: fields.module.unwrap_or_else(|| "shell".to_string()),
            message: fields.text,
        });
    }
}

/// The message, then the other fields as `name=value`; a `module` or `app` field names the
/// line's source.
#[derive(Default)]
struct Fields {
    text: String,
    module: Option<String>,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record(field, &format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record(field, value);
    }
}

impl Fields {
    fn record(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => {
                let rest = std::mem::take(&mut self.text);
                self.text = if rest.is_empty() { value.to_string() } else { format!("{value} {rest}") };
            }
            "module" | "app" if self.module.is_none() => self.module = Some(value.to_string()),
            name => {
                let sep = if self.text.is_empty() { "" } else { " " };
                let _ = write!(self.text, "{sep}{name}={value}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn lines_keep_their_message_fields_and_module() {
        let log = ShellLog::new();
        let subscriber = tracing_subscriber::registry().with(log.layer());
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(module = "cube", attempt = 2, "starting");
            tracing::warn!("plain");
            tracing::info!(target: GUEST_LOG_TARGET, app = "cube", "a guest's line, kept by its ring");
        });
        let lines = log.recent(10);
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].source.as_str(), lines[0].message.as_str(), lines[0].level.as_str()), ("cube", "starting attempt=2", "info"));
        assert_eq!((lines[1].source.as_str(), lines[1].message.as_str(), lines[1].level.as_str()), ("shell", "plain", "warn"));
        assert_eq!(log.recent(1)[0].message, "plain");

        log.hide("s3cret");
        tracing::subscriber::with_default(tracing_subscriber::registry().with(log.layer()), || {
            tracing::info!("open http://x/?token=s3cret");
        });
        assert_eq!(log.recent(1)[0].message, "open http://x/?token=…");
    }
}
