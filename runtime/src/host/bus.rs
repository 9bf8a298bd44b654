//! `visor:app/bus`: a guest's view of the shared bus.
//!
//! The guest acts through its module's [`Endpoint`], which carries the module's identity and
//! its granted capabilities: the bus checks every publish, subscribe and request against them
//! and stamps the sender, so nothing here trusts the guest. Messages wait in the module's
//! subscriptions until the guest polls; frames reach the guest as `frame` resources that point
//! at the shared pixels, and only the region the guest reads is copied into its memory.
//!
//! A poll hands messages over as a `list<message>` (`poll`: four calls into the guest's
//! allocator per message, as the canonical ABI lowers it) or packed into one byte list
//! (`poll-packed`, laid out by `visor_bus_wire`: one allocation per poll). A packed frame
//! waits in a slot until the guest takes it with `polled-frame`; the next packed poll drops
//! what was not taken.
//!
//! Memory: queued messages are charged to the module's bus budget by the bus itself; a frame
//! the guest keeps after polling stays charged (at its full size) until the guest drops it or
//! the store ends. One poll hands over at most [`MAX_POLL_BYTES`] of payload, so a guest
//! with thousands of queued megabyte messages cannot make the host copy them all at once.

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

use visor_bus_wire as wire;
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
/// Payload bytes one poll hands over; the rest waits for the next poll (one message always
/// goes, whatever its size, so a poll makes progress).
const MAX_POLL_BYTES: u64 = 4 << 20;
/// Messages' room the poll list keeps between polls (see [`GuestBus::done_with`]).
const KEPT_WAITING: usize = 64;
/// Topics a guest published to lately that are kept parsed (see [`GuestBus::topic`]).
const RECENT_TOPICS: usize = 8;

/// The bus side of one module's host state.
pub struct GuestBus {
    endpoint: Option<Endpoint>,
    subscriptions: Vec<(u32, Subscription)>,
    next_subscription: u32,
    pending: HashMap<u64, Message>,
    next_reply: u64,
    frames_held: usize,
    /// Bytes of the frames the guest holds, charged to the endpoint's budget.
    frame_bytes: u64,
    /// The last few topics published to, newest last.
    recent_topics: Vec<Topic>,
    /// The frames the last packed poll handed over by slot, until the guest takes them.
    unclaimed: Vec<Option<Resource<FrameHandle>>>,
    /// The list each poll gathers messages in, kept between polls so a poll allocates none.
    waiting: Vec<Message>,
}

impl GuestBus {
    pub fn new(endpoint: Option<Endpoint>) -> GuestBus {
        GuestBus {
            endpoint,
            subscriptions: Vec::new(),
            next_subscription: 1,
            pending: HashMap::new(),
            next_reply: 1,
            frames_held: 0,
            frame_bytes: 0,
            recent_topics: Vec::with_capacity(RECENT_TOPICS),
            unclaimed: Vec::new(),
            waiting: Vec::new(),
        }
    }

    /// `name` as a topic. Most modules publish to a handful of topics, frame after frame:
    /// comparing the name with the few used last is cheaper than checking, copying and hashing
    /// it again. A name not among them is checked as any other.
    fn topic(&mut self, name: &str) -> Result<Topic, wit::Error> {
        if let Some(known) = self.recent_topics.iter().find(|t| t.as_str() == name) {
            return Ok(known.clone());
        }
        let topic = Topic::new(name).map_err(|e| wit::Error::Invalid(e.to_string()))?;
        if self.recent_topics.len() == RECENT_TOPICS {
            self.recent_topics.remove(0);
        }
        self.recent_topics.push(topic.clone());
        Ok(topic)
    }

    fn endpoint(&self) -> Result<&Endpoint, wit::Error> {
        self.endpoint.as_ref().ok_or_else(|| wit::Error::Denied("this module has no bus access".into()))
    }

    /// Charges a frame the guest is about to hold; false when its budget is spent.
    fn hold_frame(&mut self, bytes: u64) -> bool {
        let Some(endpoint) = &self.endpoint else { return false };
        if self.frames_held >= MAX_FRAMES_HELD || !endpoint.budget().try_charge(bytes) {
            return false;
        }
        self.frames_held += 1;
        self.frame_bytes += bytes;
        true
    }

    /// The instance that held this bus state has ended (a restart or an upgrade carries the
    /// rest on): its frame handles and the reply ids it was given went with it, so they are
    /// given back here rather than counted against the next instance.
    pub(crate) fn end_instance(&mut self) {
        if let Some(endpoint) = &self.endpoint {
            endpoint.budget().release(self.frame_bytes);
        }
        self.frames_held = 0;
        self.frame_bytes = 0;
        self.pending.clear();
        self.unclaimed.clear();
    }

    /// The messages waiting in this module's subscriptions, oldest first: up to `max` (at most
    /// 1024), and no more payload than [`MAX_POLL_BYTES`] beyond the first message. They are
    /// gathered in the list kept for that; give it back with [`Self::done_with`].
    fn take_waiting(&mut self, max: u32) -> Vec<Message> {
        let mut waiting = std::mem::take(&mut self.waiting);
        let mut bytes = 0;
        // Reusing the list measured 0.1 us off the round trip in `visor bench modules`.
        'subscriptions: for (_, subscription) in &self.subscriptions {
            while waiting.len() < max.min(1024) as usize {
                if bytes >= MAX_POLL_BYTES {
                    break 'subscriptions;
                }
                match subscription.try_recv() {
                    Some(m) => {
                        // Frames are handed over as handles, not bytes.
                        bytes += if m.payload.as_frame().is_some() { 0 } else { m.size() };
                        waiting.push(m);
                    }
                    None => break,
                }
            }
        }
        waiting.sort_by_key(|m| m.sequence);
        waiting
    }

    /// Keeps the emptied list of [`Self::take_waiting`] for the next poll, unless a large poll
    /// grew it: an idle module does not sit on room for a thousand messages.
    fn done_with(&mut self, mut waiting: Vec<Message>) {
        waiting.clear();
        waiting.shrink_to(KEPT_WAITING);
        self.waiting = waiting;
    }

    /// A reply id for `message` if it is a request and the module may hold another; the
    /// caller files the message under it in `pending` once handed over.
    fn reply_id(&mut self, message: &Message) -> Option<u64> {
        if message.reply_to.is_none() || self.pending.len() >= MAX_PENDING_REPLIES {
            return None;
        }
        let id = self.next_reply;
        self.next_reply += 1;
        Some(id)
    }

    fn release_frame(&mut self, bytes: u64) {
        self.frames_held = self.frames_held.saturating_sub(1);
        let bytes = bytes.min(self.frame_bytes);
        self.frame_bytes -= bytes;
        if let Some(endpoint) = &self.endpoint {
            endpoint.budget().release(bytes);
        }
    }
}

impl Drop for GuestBus {
    /// The store ends, and the frames its guest held with it.
    fn drop(&mut self) {
        if let Some(endpoint) = &self.endpoint {
            endpoint.budget().release(self.frame_bytes);
        }
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
    /// Puts the frame of `message` in the guest's resource table, charged to its budget;
    /// `None` (logged) when the guest holds as many frames as it may.
    fn hand_over_frame(&mut self, message: &Message, frame: &FrameHandle) -> Option<Resource<FrameHandle>> {
        let bytes = message.size();
        if !self.bus.hold_frame(bytes) {
            tracing::warn!(
                app = %self.app,
                held = self.bus.frames_held,
                "holds {MAX_FRAMES_HELD} frames already, or its bus memory budget is spent; a frame was dropped"
            );
            return None;
        }
        match self.table.push(frame.clone()) {
            Ok(handle) => Some(handle),
            Err(_) => {
                self.bus.release_frame(bytes);
                None
            }
        }
    }

    /// Turns a bus message into the guest's record, registering what the guest must hold.
    fn deliver(&mut self, message: Message) -> Option<wit::Message> {
        let payload = match &message.payload {
            Payload::Empty => wit::Payload::Empty,
            Payload::Bytes(b) => wit::Payload::Bytes(b.to_vec()),
            Payload::Text(t) => wit::Payload::Text(t.to_string()),
            Payload::Json(v) => wit::Payload::Text(v.to_string()),
            Payload::Frame(frame) => wit::Payload::Frame(self.hand_over_frame(&message, frame)?),
        };
        let reply_id = self.bus.reply_id(&message);
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

    /// Appends `message` to a packed poll (`visor_bus_wire`), registering what the guest must
    /// hold: a frame waits in its slot until the guest takes it.
    fn pack(&mut self, message: Message, out: &mut Vec<u8>) {
        let (json, slot);
        let (kind, payload): (wire::Kind, &[u8]) = match &message.payload {
            Payload::Empty => (wire::Kind::Empty, &[]),
            Payload::Bytes(b) => (wire::Kind::Bytes, b),
            Payload::Text(t) => (wire::Kind::Text, t.as_bytes()),
            Payload::Json(v) => {
                json = v.to_string();
                (wire::Kind::Text, json.as_bytes())
            }
            Payload::Frame(frame) => {
                let Some(handle) = self.hand_over_frame(&message, frame) else { return };
                slot = (self.bus.unclaimed.len() as u32).to_le_bytes();
                self.bus.unclaimed.push(Some(handle));
                (wire::Kind::Frame, &slot)
            }
        };
        let reply_id = self.bus.reply_id(&message);
        let record = wire::Record {
            topic: message.topic.as_str(),
            sender: &message.sender.name,
            sequence: message.sequence,
            sent_ns: message.sent_ns,
            reply_id,
            kind,
            payload,
        };
        // Payloads are capped far below what a record can hold; a frame's slot is 4 bytes.
        if wire::write(out, &record)
            && let Some(id) = reply_id
        {
            self.bus.pending.insert(id, message);
        }
    }

    /// Drops the frames the last packed poll handed over and the guest did not take, as if
    /// the guest had dropped them.
    fn drop_unclaimed(&mut self) {
        for handle in std::mem::take(&mut self.bus.unclaimed).into_iter().flatten() {
            // A handle only this host made and nobody took: deleting it cannot fail.
            let _ = HostFrame::drop(self, handle);
        }
    }
}

impl Host for HostState {
    fn publish(&mut self, name: String, payload: wit::Outgoing) -> Result<u32, wit::Error> {
        // Bus access first, as everywhere: a module without it learns that, not what is wrong
        // with its topic.
        self.bus.endpoint()?;
        let topic = self.bus.topic(&name)?;
        let report = self.bus.endpoint()?.publish(&topic, outgoing(payload)).map_err(error)?;
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
        let mut waiting = self.bus.take_waiting(max);
        let messages = waiting.drain(..).filter_map(|m| self.deliver(m)).collect();
        self.bus.done_with(waiting);
        messages
    }

    fn poll_packed(&mut self, max: u32) -> Vec<u8> {
        self.drop_unclaimed();
        let mut waiting = self.bus.take_waiting(max);
        // Sized up front (a frame packs as its 4-byte slot): growing the list record by record
        // measured slower in `visor bench modules`.
        let packed_len = |m: &Message| {
            let payload = if m.payload.as_frame().is_some() { 4 } else { m.size() as usize };
            wire::HEADER_BYTES + m.topic.as_str().len() + m.sender.name.len() + payload
        };
        let mut out = Vec::with_capacity(waiting.iter().map(packed_len).sum());
        for message in waiting.drain(..) {
            self.pack(message, &mut out);
        }
        self.bus.done_with(waiting);
        out
    }

    fn polled_frame(&mut self, slot: u32) -> Option<Resource<FrameHandle>> {
        self.bus.unclaimed.get_mut(slot as usize)?.take()
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
        let frame = self.table.delete(frame)?;
        self.bus.release_frame(frame.pixels().len() as u64);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::{Bus, BusCapabilities, ModuleRef};

    /// A restart carries the module's subscriptions on, not the frames and reply ids its
    /// ended instance held: the next instance starts with its whole budget.
    #[test]
    fn an_ended_instance_gives_back_its_frames() {
        let bus = Bus::new(visor_types::clock::MonotonicClock::shared());
        let endpoint = bus.endpoint(ModuleRef::new(1, "app"), BusCapabilities::none());
        let budget = endpoint.budget().clone();
        let mut guest = GuestBus::new(Some(endpoint));
        assert!(guest.hold_frame(1000) && guest.hold_frame(500));
        assert_eq!((guest.frames_held, budget.used()), (2, 1500));
        guest.release_frame(500);
        assert_eq!((guest.frames_held, budget.used()), (1, 1000));
        guest.end_instance();
        assert_eq!((guest.frames_held, budget.used()), (0, 0));
        assert!(guest.hold_frame(1000));
        drop(guest);
        assert_eq!(budget.used(), 0, "a store that ends gives back what its guest held");
    }
}
