//! `visor:app/bus`: the shared bus, as the generated bindings give it, except that [`poll`]
//! takes its messages in the packed form (`poll-packed`): one allocation in the app for the
//! whole batch instead of four calls out of the host per message. What it returns is the same
//! list of [`Message`]s the plain `poll` import returns (still there, in
//! [`crate::bindings::visor::app::bus`]).

pub use crate::bindings::visor::app::bus::{
    Error, Frame, Message, Outgoing, Overflow, Payload, publish, reply, request, subscribe, unsubscribe,
};
use crate::bindings::visor::app::bus::{poll_packed, polled_frame};
use visor_bus_wire::{Kind, Records};

/// Takes up to `max` waiting messages from all of this app's subscriptions, oldest first,
/// without blocking.
pub fn poll(max: u32) -> Vec<Message> {
    let packed = poll_packed(max);
    Records::new(&packed).filter_map(message).collect()
}

/// The app's own copy of one packed record; `None` for a frame that could not be taken.
fn message(record: visor_bus_wire::Record<'_>) -> Option<Message> {
    let payload = match record.kind {
        Kind::Empty => Payload::Empty,
        Kind::Bytes => Payload::Bytes(record.payload.to_vec()),
        // The host sends UTF-8; anything else would be shown with replacement characters
        // rather than trusted.
        Kind::Text => Payload::Text(String::from_utf8_lossy(record.payload).into_owned()),
        Kind::Frame => Payload::Frame(polled_frame(record.frame_slot()?)?),
    };
    Some(Message {
        topic: record.topic.to_owned(),
        sender: record.sender.to_owned(),
        sequence: record.sequence,
        sent_ns: record.sent_ns,
        payload,
        reply_id: record.reply_id,
    })
}
