//! [`Message`], the [`ModuleRef`] that names its sender, and the [`ReplyHandle`] a request
//! carries back to its requester.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{Sender, TrySendError};

use super::error::BusError;
use super::payload::Payload;
use super::topic::Topic;

/// A module as the bus knows it. The host makes one per loaded module and binds it to that
/// module's [`Endpoint`](super::Endpoint); modules never name themselves.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ModuleRef {
    pub id: u32,
    pub name: Arc<str>,
}

impl ModuleRef {
    pub fn new(id: u32, name: impl Into<Arc<str>>) -> ModuleRef {
        ModuleRef { id, name: name.into() }
    }
}

impl fmt::Display for ModuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl fmt::Debug for ModuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.name, self.id)
    }
}

/// One message as a subscriber receives it. Cloning shares the payload.
#[derive(Clone, Debug)]
pub struct Message {
    pub topic: Topic,
    /// Stamped by the bus from the publishing endpoint; a payload cannot change it.
    pub sender: ModuleRef,
    pub payload: Payload,
    /// Counts up across the whole bus, so a monitor can order messages from different topics.
    pub sequence: u64,
    /// Bus clock at publish time.
    pub sent_ns: u64,
    /// Present on requests: answer with [`Endpoint::reply`](super::Endpoint::reply).
    pub reply_to: Option<ReplyHandle>,
    /// What the payload holds in memory ([`Payload::byte_len`]), worked out once at publish
    /// and charged to every receiver that queues it.
    pub(super) size: u64,
}

impl Message {
    /// Bytes this message is charged at in a receiver's budget.
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn is_request(&self) -> bool {
        self.reply_to.is_some()
    }
}

/// Where the reply to one request goes. Only the first reply is delivered.
#[derive(Clone)]
pub struct ReplyHandle(Arc<ReplySlot>);

struct ReplySlot {
    topic: Topic,
    requester: ModuleRef,
    answered: AtomicBool,
    tx: Sender<Message>,
}

impl ReplyHandle {
    pub(super) fn new(topic: Topic, requester: ModuleRef, tx: Sender<Message>) -> ReplyHandle {
        ReplyHandle(Arc::new(ReplySlot { topic, requester, answered: AtomicBool::new(false), tx }))
    }

    pub fn requester(&self) -> &ModuleRef {
        &self.0.requester
    }

    pub fn topic(&self) -> &Topic {
        &self.0.topic
    }

    /// Hands `reply` to the waiting requester, once.
    pub(super) fn deliver(&self, reply: Message) -> Result<(), BusError> {
        let slot = &self.0;
        if slot.answered.swap(true, Ordering::AcqRel) {
            return Err(BusError::AlreadyAnswered { topic: slot.topic.to_string() });
        }
        match slot.tx.try_send(reply) {
            Ok(()) => Ok(()),
            // The slot holds one message and `answered` lets only one through, so "full" cannot
            // happen; either way the requester will not read it.
            Err(TrySendError::Disconnected(_) | TrySendError::Full(_)) => {
                Err(BusError::RequesterGone { topic: slot.topic.to_string(), requester: slot.requester.name.to_string() })
            }
        }
    }
}

impl fmt::Debug for ReplyHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyHandle")
            .field("topic", &self.0.topic)
            .field("requester", &self.0.requester)
            .field("answered", &self.0.answered.load(Ordering::Relaxed))
            .finish()
    }
}
