//! The bus monitor's tap: the shell's own endpoint (`visor-admin`) subscribed to `#`, so the
//! panel can show the last message of each topic in a line. The bus's statistics count
//! messages but keep none, hence the tap.
//!
//! It runs only while the panel watches the bus (a `/api/bus` request within [`IDLE`]), on a
//! thread that reads each message as it comes, keeps a summary and drops it at once, so no
//! shared frame stays alive in its queue. While it runs it is a subscriber like any other:
//! it shows in the subscription table, and a request nobody else subscribes to ends as
//! "unanswered" rather than "no responder". A summary kept by the bus itself would avoid both
//! (see the `admin_backend` guide).

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use visor_runtime::bus::{Bus, BusCapabilities, Endpoint, Message, ModuleRef, Overflow, Payload, QueueOptions, Subscription, TopicPattern};

/// The tap stops this long after the panel last looked at the bus.
const IDLE: Duration = Duration::from_secs(10);
/// Topics summarized at most (topic names come from guests).
const MAX_TOPICS: usize = 4096;
/// The longest excerpt of a text or JSON payload.
const EXCERPT_CHARS: usize = 80;

pub(super) struct BusTap {
    endpoint: Endpoint,
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct Shared {
    watched_at: Mutex<Instant>,
    stop: AtomicBool,
    last: Mutex<HashMap<String, String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl BusTap {
    pub(super) fn new(bus: &Bus) -> BusTap {
        let everything = BusCapabilities {
            publish: Vec::new(),
            subscribe: vec![TopicPattern::from_str("#").expect("'#' is a pattern")],
            messages_per_second: 0,
            // The panel is the user's own console: it monitors the reserved topics too.
            shell: true,
            serve: Vec::new(),
            call: Vec::new(),
        };
        // One endpoint for the shell's life: the bus keeps every endpoint's statistics table.
        let endpoint = bus.endpoint(ModuleRef::new(0, "visor-admin"), everything);
        endpoint.budget().set_limit(crate::shell::SHELL_BUS_BUDGET);
        let shared = Shared { watched_at: Mutex::new(Instant::now()), stop: AtomicBool::new(false), last: Mutex::default() };
        BusTap { endpoint, shared: Arc::new(shared), thread: Mutex::new(None) }
    }

    /// The last message per topic, summarized; starts the tap if it is not running (so the
    /// first look after a quiet spell sees only what came since).
    pub(super) fn look(&self) -> HashMap<String, String> {
        *lock(&self.shared.watched_at) = Instant::now();
        let mut thread = lock(&self.thread);
        if thread.as_ref().is_none_or(|t| t.is_finished()) {
            // Subscribed here, so this look's statistics already show the tap.
            let options = QueueOptions { capacity: 256, policy: Overflow::DropOldest };
            let started = self
                .endpoint
                .subscribe(TopicPattern::from_str("#").expect("'#' is a pattern"), options)
                .map_err(|e| e.to_string())
                .and_then(|subscription| {
                    let shared = self.shared.clone();
                    std::thread::Builder::new()
                        .name("visor-admin-tap".into())
                        .spawn(move || listen(&subscription, &shared))
                        .map_err(|e| e.to_string())
                });
            match started {
                Ok(handle) => *thread = Some(handle),
                Err(e) => tracing::warn!("cannot start the bus monitor's tap: {e}"),
            }
        }
        drop(thread);
        lock(&self.shared.last).clone()
    }
}

impl Drop for BusTap {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = lock(&self.thread).take() {
            let _ = thread.join();
        }
    }
}

fn listen(subscription: &Subscription, shared: &Shared) {
    while !shared.stop.load(Ordering::Relaxed) && lock(&shared.watched_at).elapsed() < IDLE {
        let Ok(first) = subscription.recv_timeout(Duration::from_millis(200)) else { continue };
        let mut last = lock(&shared.last);
        for message in std::iter::once(first).chain(subscription.drain()) {
            let topic = message.topic.as_str();
            if last.len() < MAX_TOPICS || last.contains_key(topic) {
                last.insert(topic.to_string(), summarize(&message));
            }
        }
    }
}

/// One line: the payload's kind and size or an excerpt.
pub(super) fn summarize(message: &Message) -> String {
    let body = match &message.payload {
        Payload::Empty => "empty".to_string(),
        Payload::Bytes(bytes) => format!("bytes, {} B", bytes.len()),
        Payload::Text(text) => format!("text {:?}", excerpt(text)),
        Payload::Json(value) => format!("json {}", excerpt(&value.to_string())),
        Payload::Frame(frame) => format!("frame {}x{} {:?} #{}", frame.width(), frame.height(), frame.format(), frame.sequence()),
    };
    if message.reply_to.is_some() { format!("request: {body}") } else { body }
}

fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}
