//! `visor:app/bus`: a guest's view of the shared bus.
//!
//! The guest acts through its module's [`Endpoint`], which carries the module's identity and
//! its granted capabilities: the bus checks every publish, subscribe and request against them
//! and stamps the sender, so nothing here trusts the guest. Messages wait in the module's
//! subscriptions until the guest polls; frames reach the guest as `frame` resources that point
//! at the shared pixels, and only the region the guest reads is copied into its memory.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use wasmtime::component::Resource;

use super::HostState;
use super::bindings::visor::app::bus::{self as wit, Host, HostFrame};
use crate::bus::{BusError, Endpoint, FrameHandle, Message, Overflow, Payload, QueueOptions, Subscription, Topic, TopicPattern};

/// Longest a guest's request may wait for its reply.
const MAX_REQUEST_WAIT: Duration = Duration::from_millis(500);
/// Most subscriptions one module may hold.
const MAX_SUBSCRIPTIONS: usize = 64;
/// Most messages one subscription may queue.
const MAX_QUEUE: u32 = 4096;
/// Most frames a guest may hold at once; further frames are dropped from what it polls.
const MAX_FRAMES_HELD: usize = 32;
/// Requests received and not yet answered that the module may hold.
const MAX_PENDING_REPLIES: usize = 256;

/// The bus side of one module's host state.
pub struct GuestBus {
    endpoint: Option<Endpoint>,
    subscriptions: Vec<(u32, Subscription)>,
    next_subscription: u32,
    pending: HashMap<u64, Message>,
    next_reply: u64,
    frames_held: usize,
}

impl GuestBus {
    pub fn new(endpoint: Option<Endpoint>) -> GuestBus {
        GuestBus { endpoint, subscriptions: Vec::new(), next_subscription: 1, pending: HashMap::new(), next_reply: 1, frames_held: 0 }
    }

    fn endpoint(&self) -> Result<&Endpoint, wit::Error> {
        self.endpoint.as_ref().ok_or_else(|| wit::Error::Denied("this module has no bus access".into()))
    }
}

fn error(e: BusError) -> wit::Error {
    let text = e.to_string();
    match e {
        BusError::Denied { .. } => wit::Error::Denied(text),
        BusError::RateLimited { .. } => wit::Error::RateLimited(text),
        BusError::QueueFull { .. } => wit::Error::QueueFull(text),
        BusError::Timeout { .. } | BusError::NoResponder { .. } | BusError::Unanswered { .. } | BusError::RecvTimeout { .. } => {
            wit::Error::Timeout(text)
        }
        _ => wit::Error::Invalid(text),
    }
}

fn topic(name: &str) -> Result<Topic, wit::Error> {
    Topic::new(name).map_err(|e| wit::Error::Invalid(e.to_string()))
}

fn outgoing(payload: wit::Outgoing) -> Payload {
    match payload {
        wit::Outgoing::Empty => Payload::Empty,
        wit::Outgoing::Bytes(b) => Payload::bytes(b),
        wit::Outgoing::Text(t) => Payload::text(t),
    }
}

impl HostState {
    /// Turns a bus message into the guest's record, registering what the guest must hold.
    fn deliver(&mut self, message: Message) -> Option<wit::Message> {
        let payload = match &message.payload {
            Payload::Empty => wit::Payload::Empty,
            Payload::Bytes(b) => wit::Payload::Bytes(b.to_vec()),
            Payload::Text(t) => wit::Payload::Text(t.to_string()),
            Payload::Json(v) => wit::Payload::Text(v.to_string()),
            Payload::Frame(frame) => {
                if self.bus.frames_held >= MAX_FRAMES_HELD {
                    tracing::warn!(app = %self.app, "holds {MAX_FRAMES_HELD} frames already; a frame was dropped");
                    return None;
                }
                let handle = self.table.push(frame.clone()).ok()?;
                self.bus.frames_held += 1;
                wit::Payload::Frame(handle)
            }
        };
        let reply_id = if message.reply_to.is_some() && self.bus.pending.len() < MAX_PENDING_REPLIES {
            let id = self.bus.next_reply;
            self.bus.next_reply += 1;
            Some(id)
        } else {
            None
        };
        let record = wit::Message {
            topic: message.topic.as_str().to_string(),
            sender: message.sender.name.to_string(),
            sequence: message.sequence,
            sent_ns: message.sent_ns,
            payload,
            reply_id,
        };
        if let Some(id) = reply_id {
            self.bus.pending.insert(id, message);
        }
        Some(record)
    }
}

impl Host for HostState {
    fn publish(&mut self, name: String, payload: wit::Outgoing) -> Result<u32, wit::Error> {
        let endpoint = self.bus.endpoint()?;
        let report = endpoint.publish(&topic(&name)?, outgoing(payload)).map_err(error)?;
        Ok(report.delivered as u32)
    }

    fn subscribe(&mut self, pattern: String, capacity: u32, overflow: wit::Overflow) -> Result<u32, wit::Error> {
        if self.bus.subscriptions.len() >= MAX_SUBSCRIPTIONS {
            return Err(wit::Error::Invalid(format!("a module may hold at most {MAX_SUBSCRIPTIONS} subscriptions")));
        }
        let pattern = TopicPattern::from_str(&pattern).map_err(|e| wit::Error::Invalid(e.to_string()))?;
        // After an upgrade the new version's `init` subscribes again to what it inherited:
        // hand back the existing subscription, with what queued during the swap.
        if let Some((id, _)) = self.bus.subscriptions.iter().find(|(_, s)| s.pattern() == &pattern) {
            return Ok(*id);
        }
        let policy = match overflow {
            wit::Overflow::DropOldest => Overflow::DropOldest,
            wit::Overflow::Reject => Overflow::Reject,
        };
        let options = QueueOptions { capacity: capacity.clamp(1, MAX_QUEUE) as usize, policy };
        let subscription = self.bus.endpoint()?.subscribe(pattern, options).map_err(error)?;
        let id = self.bus.next_subscription;
        self.bus.next_subscription += 1;
        self.bus.subscriptions.push((id, subscription));
        Ok(id)
    }

    fn unsubscribe(&mut self, id: u32) {
        self.bus.subscriptions.retain(|(s, _)| *s != id);
    }

    fn poll(&mut self, max: u32) -> Vec<wit::Message> {
        let mut waiting = Vec::new();
        for (_, subscription) in &self.bus.subscriptions {
            while waiting.len() < max.min(1024) as usize {
                match subscription.try_recv() {
                    Some(m) => waiting.push(m),
                    None => break,
                }
            }
        }
        waiting.sort_by_key(|m| m.sequence);
        waiting.into_iter().filter_map(|m| self.deliver(m)).collect()
    }

    fn request(&mut self, name: String, payload: wit::Outgoing, timeout_ms: u32) -> Result<wit::Message, wit::Error> {
        let wait = Duration::from_millis(u64::from(timeout_ms)).min(MAX_REQUEST_WAIT);
        let reply = self.bus.endpoint()?.request(&topic(&name)?, outgoing(payload), wait).map_err(error)?;
        self.deliver(reply).ok_or_else(|| wit::Error::Invalid("the reply could not be handed over".into()))
    }

    fn reply(&mut self, reply_id: u64, payload: wit::Outgoing) -> Result<(), wit::Error> {
        let Some(request) = self.bus.pending.remove(&reply_id) else {
            return Err(wit::Error::Invalid(format!("no request with reply id {reply_id} is waiting for this module")));
        };
        self.bus.endpoint()?.reply(&request, outgoing(payload)).map_err(error)
    }
}

impl HostFrame for HostState {
    fn width(&mut self, frame: Resource<FrameHandle>) -> u32 {
        self.table.get(&frame).map(|f| f.width()).unwrap_or(0)
    }

    fn height(&mut self, frame: Resource<FrameHandle>) -> u32 {
        self.table.get(&frame).map(|f| f.height()).unwrap_or(0)
    }

    fn timestamp_ns(&mut self, frame: Resource<FrameHandle>) -> u64 {
        self.table.get(&frame).map(|f| f.timestamp_ns()).unwrap_or(0)
    }

    fn sequence(&mut self, frame: Resource<FrameHandle>) -> u64 {
        self.table.get(&frame).map(|f| f.sequence()).unwrap_or(0)
    }

    fn read(&mut self, frame: Resource<FrameHandle>, x: u32, y: u32, width: u32, height: u32) -> Result<Vec<u8>, wit::Error> {
        let frame = self.table.get(&frame).map_err(|e| wit::Error::Invalid(e.to_string()))?;
        frame.read_region(x, y, width, height).map_err(error)
    }

    fn drop(&mut self, frame: Resource<FrameHandle>) -> wasmtime::Result<()> {
        self.table.delete(frame)?;
        self.bus.frames_held = self.bus.frames_held.saturating_sub(1);
        Ok(())
    }
}
