//! `visor:app/bus`: the shared bus, as the generated bindings give it, except that polling
//! takes the messages in the packed form (`poll-packed`): one allocation in the app for the
//! whole batch instead of four calls out of the host per message.
//!
//! - [`poll`] returns owned [`Message`]s, the same values as the plain `poll` import (still
//!   there, in [`crate::bindings::visor::app::bus`]).
//! - [`poll_batch`] reads them where they lie: topics, senders and payloads are borrowed from
//!   the batch, so looking at a message allocates nothing. For apps that read many messages a
//!   frame, or pass them on.

pub use crate::bindings::visor::app::bus::{
    Error, Frame, Message, Outgoing, Overflow, Payload, publish, reply, request, subscribe, unsubscribe,
};
use crate::bindings::visor::app::bus::{poll_packed, polled_frame};
use visor_bus_wire::{Kind, Record, Records};

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
