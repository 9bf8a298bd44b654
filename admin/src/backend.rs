//! What the admin panel asks of the shell, as four small capability traits, and the views it
//! gets back — plain data that serializes as the JSON API's bodies.
//!
//! Every method may block for a short while (the shell answers between two frames); the server
//! calls them from its blocking pool. Anything the shell cannot answer is a [`BackendError`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use visor_shell_api::{ModuleKind, Version};

use crate::error::BackendError;

/// The modules: what they are and how they do, and the lifecycle buttons.
pub trait ModuleControl: Send + Sync + 'static {
    fn modules(&self) -> Result<Vec<ModuleView>, BackendError>;
    fn act(&self, module: &str, action: ModuleAction) -> Result<(), BackendError>;
}

/// The bus: topics with their cumulative counts, subscriptions with their queues.
pub trait BusMonitor: Send + Sync + 'static {
    fn bus(&self) -> Result<BusSnapshot, BackendError>;
}

/// The newest composited frame, as PNG bytes (`None` before the first one).
pub trait FramePreview: Send + Sync + 'static {
    fn frame_png(&self) -> Result<Option<Vec<u8>>, BackendError>;
}

/// Recent log lines, oldest first, at most `limit`.
pub trait LogSource: Send + Sync + 'static {
    fn logs(&self, limit: usize) -> Result<Vec<LogEntry>, BackendError>;
}

/// Everything the admin server needs; implemented for every type with the four capabilities.
pub trait AdminBackend: ModuleControl + BusMonitor + FramePreview + LogSource {}

impl<T: ModuleControl + BusMonitor + FramePreview + LogSource> AdminBackend for T {}

/// One module as the panel shows it. Figures the shell cannot measure are `None`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModuleView {
    pub id: u32,
    pub name: String,
    pub version: Version,
    pub kind: ModuleKind,
    pub state: ModuleState,
    /// Why it is failed or restarting.
    pub state_detail: Option<String>,
    /// Linear memory in use (wasm apps).
    pub memory_bytes: Option<u64>,
    /// The most linear memory its manifest allows (wasm apps).
    pub memory_limit_bytes: Option<u64>,
    /// Bytes its bus queues and held frames keep in the shell's memory, and the most they may.
    #[serde(default)]
    pub bus_bytes: Option<u64>,
    #[serde(default)]
    pub bus_limit_bytes: Option<u64>,
    /// CPU time its thread has used since it was started.
    pub cpu_time_ms: Option<f64>,
    /// Frames completed (apps).
    pub frames: Option<u64>,
    /// How long its last `frame` call took (apps).
    pub last_frame_ms: Option<f64>,
    /// Restarts: the supervisor's after crashes plus those asked for here.
    pub restarts: u32,
    pub last_error: Option<String>,
    /// What its manifest asked for and the policy did not grant.
    pub denied: Vec<String>,
    /// A newer version in the store, which the `upgrade` action moves it to in place.
    #[serde(default)]
    pub upgrade_to: Option<Version>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleState {
    Starting,
    Running,
    Paused,
    Restarting,
    Stopped,
    Failed,
}

/// A lifecycle button. `Remove` unloads the module from the running shell (it stays installed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModuleAction {
    Start,
    Stop,
    Restart,
    Remove,
    /// To the newest installed version, in place (same bus identity, subscriptions kept).
    Upgrade,
}

impl ModuleAction {
    pub const ALL: [ModuleAction; 5] =
        [ModuleAction::Start, ModuleAction::Stop, ModuleAction::Restart, ModuleAction::Remove, ModuleAction::Upgrade];

    pub fn as_str(self) -> &'static str {
        match self {
            ModuleAction::Start => "start",
            ModuleAction::Stop => "stop",
            ModuleAction::Restart => "restart",
            ModuleAction::Remove => "remove",
            ModuleAction::Upgrade => "upgrade",
        }
    }
}

impl fmt::Display for ModuleAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ModuleAction {
    type Err = BackendError;

    fn from_str(text: &str) -> Result<ModuleAction, BackendError> {
        ModuleAction::ALL
            .into_iter()
            .find(|a| a.as_str() == text)
            .ok_or_else(|| BackendError::BadRequest(format!("no module action '{text}'; use one of start, stop, restart, remove, upgrade")))
    }
}

/// The bus at one moment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BusSnapshot {
    /// Sorted by topic.
    pub topics: Vec<TopicView>,
    pub subscriptions: Vec<SubscriptionView>,
    /// Messages on topics past a publisher's tracked-topic limit.
    pub untracked_messages: u64,
    /// Other shells on the network, as the bus heard of them (`net/peers`).
    #[serde(default)]
    pub peers: Vec<PeerView>,
}

/// Another shell on the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeerView {
    pub device: String,
    pub present: bool,
    pub modules: Vec<String>,
    /// Round trip of the last time it was asked what it runs.
    pub latency_ms: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicView {
    pub topic: String,
    /// Messages since the shell started.
    pub messages: u64,
    /// Messages per second lately; the server fills it in (`None` until it has two samples).
    pub rate_per_s: Option<f64>,
    pub last_sender: Option<String>,
    /// How long ago the last message was sent.
    pub last_age_ms: Option<f64>,
    /// The last message in a line: its kind and a short excerpt (`None` if not seen).
    pub last_message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionView {
    pub subscriber: String,
    pub pattern: String,
    /// `drop-oldest` or `reject`.
    pub policy: String,
    pub queued: usize,
    pub dropped: u64,
    pub rejected: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Wall-clock time, milliseconds since the Unix epoch.
    pub time_ms: f64,
    pub level: String,
    /// `shell`, or the module that logged it.
    pub source: String,
    pub message: String,
}
