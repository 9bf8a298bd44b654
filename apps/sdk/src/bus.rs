//! `visor:app/bus`: the shared bus, as the generated bindings give it, except that polling
//! takes the messages in the packed form (`poll-packed`): one allocation in the app for the
//! whole batch instead of four calls out of the host per message.
//!
//! - [`poll`] returns owned [`Message`]s, the same values as the plain `poll` import (still
//!   there, in [`crate::bindings::visor::app::bus`]).
//! - [`poll_batch`] reads them where they lie: topics, senders and payloads are borrowed from
//!   the batch, so looking at a message allocates nothing. For apps that read many messages a
//!   frame, or pass them on.
//! - [`publish_ref`] and [`reply_ref`] send an [`OutgoingRef`], which borrows its bytes: a
//!   message from a batch, or any buffer the app keeps, goes out without a copy of its own.
//!   [`publish`] and [`reply`] take the owned [`Outgoing`], as generated.

pub use crate::bindings::visor::app::bus::{
    Error, Frame, Message, Outgoing, Overflow, Payload, publish, reply, request, subscribe, unsubscribe,
};
use crate::bindings::visor::app::bus::{poll_packed, polled_frame};
use crate::borrowed::visor::app::bus as borrowed;
use visor_bus_wire::{Kind, Record, Records};

/// What a module may publish, borrowed from wherever the app holds it.
#[derive(Clone, Copy, Debug)]
pub enum OutgoingRef<'a> {
    Empty,
    Bytes(&'a [u8]),
    Text(&'a str),
}

impl<'a> From<&'a Outgoing> for OutgoingRef<'a> {
    fn from(payload: &'a Outgoing) -> OutgoingRef<'a> {
        match payload {
            Outgoing::Empty => OutgoingRef::Empty,
            Outgoing::Bytes(b) => OutgoingRef::Bytes(b),
            Outgoing::Text(t) => OutgoingRef::Text(t),
        }
    }
}

impl<'a> OutgoingRef<'a> {
    fn lower(self) -> borrowed::Outgoing<'a> {
        match self {
            OutgoingRef::Empty => borrowed::Outgoing::Empty,
            OutgoingRef::Bytes(b) => borrowed::Outgoing::Bytes(b),
            OutgoingRef::Text(t) => borrowed::Outgoing::Text(t),
        }
    }
}

/// The same error, from the borrowing bindings.
impl From<borrowed::Error> for Error {
    fn from(e: borrowed::Error) -> Error {
        match e {
            borrowed::Error::Denied(m) => Error::Denied(m),
            borrowed::Error::RateLimited(m) => Error::RateLimited(m),
            borrowed::Error::QueueFull(m) => Error::QueueFull(m),
            borrowed::Error::Timeout(m) => Error::Timeout(m),
            borrowed::Error::Invalid(m) => Error::Invalid(m),
        }
    }
}

/// [`publish`] with a borrowed payload: returns how many subscribers the message reached.
pub fn publish_ref(topic: &str, payload: OutgoingRef<'_>) -> Result<u32, Error> {
    borrowed::publish(topic, payload.lower()).map_err(Error::from)
}

/// [`reply`] with a borrowed payload.
pub fn reply_ref(reply_id: u64, payload: OutgoingRef<'_>) -> Result<(), Error> {
    borrowed::reply(reply_id, payload.lower()).map_err(Error::from)
}

/// Takes up to `max` waiting messages from all of this app's subscriptions, oldest first,
/// without blocking.
pub fn poll(max: u32) -> Vec<Message> {
    poll_batch(max).iter().filter_map(|m| m.to_message()).collect()
}

/// Takes up to `max` waiting messages, oldest first, without blocking, and without copying
/// them out of the batch they came in.
pub fn poll_batch(max: u32) -> Batch {
    Batch { packed: poll_packed(max) }
}

/// The messages of one [`poll_batch`].
pub struct Batch {
    packed: Vec<u8>,
}

impl Batch {
    /// The messages, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = MessageRef<'_>> {
        Records::new(&self.packed).map(MessageRef::new)
    }

    pub fn is_empty(&self) -> bool {
        self.packed.is_empty()
    }
}

/// One message of a [`Batch`], borrowed from it.
#[derive(Clone, Copy, Debug)]
pub struct MessageRef<'a> {
    pub topic: &'a str,
    /// The publishing module's name, stamped by the host.
    pub sender: &'a str,
    pub sequence: u64,
    pub sent_ns: u64,
    pub payload: PayloadRef<'a>,
    /// Present on requests: pass it to [`reply`].
    pub reply_id: Option<u64>,
}

/// A [`MessageRef`]'s payload.
#[derive(Clone, Copy, Debug)]
pub enum PayloadRef<'a> {
    Empty,
    Bytes(&'a [u8]),
    Text(&'a str),
    /// A shared frame, waiting to be taken.
    Frame(PolledFrame),
}

/// A frame that came in a batch: [`PolledFrame::take`] it before the next poll, or the host
/// drops it then.
#[derive(Clone, Copy, Debug)]
pub struct PolledFrame {
    slot: u32,
}

impl PolledFrame {
    /// The frame; `None` once taken.
    pub fn take(self) -> Option<Frame> {
        polled_frame(self.slot)
    }
}

impl<'a> MessageRef<'a> {
    fn new(record: Record<'a>) -> MessageRef<'a> {
        let payload = match (record.kind, record.frame_slot()) {
            (Kind::Empty, _) => PayloadRef::Empty,
            (Kind::Frame, Some(slot)) => PayloadRef::Frame(PolledFrame { slot }),
            // The host sends UTF-8; anything else (or a frame without its slot) stays bytes
            // rather than being trusted.
            (Kind::Text, _) => std::str::from_utf8(record.payload).map_or(PayloadRef::Bytes(record.payload), PayloadRef::Text),
            (Kind::Bytes | Kind::Frame, _) => PayloadRef::Bytes(record.payload),
        };
        MessageRef {
            topic: record.topic,
            sender: record.sender,
            sequence: record.sequence,
            sent_ns: record.sent_ns,
            payload,
            reply_id: record.reply_id,
        }
    }

    /// The payload as it would be published again, borrowed from the batch; `None` for a
    /// frame, which an app reads rather than forwards.
    pub fn outgoing(&self) -> Option<OutgoingRef<'a>> {
        match self.payload {
            PayloadRef::Empty => Some(OutgoingRef::Empty),
            PayloadRef::Bytes(b) => Some(OutgoingRef::Bytes(b)),
            PayloadRef::Text(t) => Some(OutgoingRef::Text(t)),
            PayloadRef::Frame(_) => None,
        }
    }

    /// The app's own copy, as [`poll`] returns it (taking its frame); `None` for a frame taken
    /// already.
    pub fn to_message(&self) -> Option<Message> {
        let payload = match self.payload {
            PayloadRef::Empty => Payload::Empty,
            PayloadRef::Bytes(b) => Payload::Bytes(b.to_vec()),
            PayloadRef::Text(t) => Payload::Text(t.to_owned()),
            PayloadRef::Frame(frame) => Payload::Frame(frame.take()?),
        };
        Some(Message {
            topic: self.topic.to_owned(),
            sender: self.sender.to_owned(),
            sequence: self.sequence,
            sent_ns: self.sent_ns,
            payload,
            reply_id: self.reply_id,
        })
    }
}
