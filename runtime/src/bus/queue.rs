//! One subscription's bounded queue and what happens when it is full.
//!
//! The queue is a bounded crossbeam channel. Publishers only ever `try_send`, so a publish
//! never blocks however slow a subscriber is; a full queue either refuses the new message
//! ([`Overflow::Reject`]) or makes room by dropping its oldest ([`Overflow::DropOldest`]) —
//! the publisher holds a receiving end for exactly that, so no lock guards the queue.
//!
//! Each queued message is also charged to the subscriber's [`ByteBudget`] before it goes in;
//! when the budget is spent, the same policy applies: a drop-oldest queue evicts its own oldest
//! messages until the new one fits, a reject queue refuses. Whatever leaves the queue — read,
//! evicted, or dropped with the queue — gives its bytes back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crossbeam_channel::{Receiver, Sender, TrySendError};

use super::budget::ByteBudget;
use super::message::{Message, ModuleRef};
use super::topic::TopicPattern;

/// Largest queue a subscription may ask for. Queues are allocated up front, and a guest picks
/// the number, so it is bounded.
pub const MAX_QUEUE_CAPACITY: usize = 4096;

/// Attempts to make room in a drop-oldest queue that other publishers keep refilling, before
/// the new message itself is counted as dropped.
const MAKE_ROOM_TRIES: usize = 8;

/// What a full queue does with a new message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Overflow {
    /// Drop the oldest queued message to make room: for streams where only the newest matters
    /// (sensor readings, frames).
    DropOldest,
    /// Refuse the new message and tell the publisher: for commands, which must not vanish.
    Reject,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueOptions {
    /// Messages held before the overflow policy applies; 1 to [`MAX_QUEUE_CAPACITY`].
    pub capacity: usize,
    pub policy: Overflow,
}

impl QueueOptions {
    /// A stream where only recent values matter.
    pub fn latest(capacity: usize) -> QueueOptions {
        QueueOptions { capacity, policy: Overflow::DropOldest }
    }

    /// Commands: nothing is lost silently; a full queue is reported to the sender.
    pub fn commands(capacity: usize) -> QueueOptions {
        QueueOptions { capacity, policy: Overflow::Reject }
    }
}

/// What offering one message to one queue came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Offer {
    /// Queued; `dropped` older messages were dropped to make room.
    Queued { dropped: u64 },
    /// Refused by a full reject-policy queue.
    Rejected,
    /// A drop-oldest queue refilled faster than room could be made: the new message was dropped.
    Lost { dropped: u64 },
}

/// The publishing side of a subscription, shared by the routing table and the [`Subscription`].
///
/// [`Subscription`]: super::Subscription
pub(super) struct SubQueue {
    pub(super) id: u64,
    /// The endpoint that subscribed, for revoking on a narrower grant.
    pub(super) owner: u64,
    pub(super) subscriber: ModuleRef,
    pub(super) pattern: TopicPattern,
    pub(super) policy: Overflow,
    /// Whether the subscriber holds the shell capability, and so receives `shell/` topics.
    pub(super) sees_reserved: bool,
    tx: Sender<Message>,
    /// A receiving end for the publisher, to drop the oldest message of a full queue.
    evict: Receiver<Message>,
    /// The subscriber's budget, charged for every message while it waits here.
    pub(super) budget: Arc<ByteBudget>,
    pub(super) dropped: AtomicU64,
    pub(super) rejected: AtomicU64,
    /// Whether a message too large for the whole budget was reported (once per queue).
    warned_too_large: AtomicBool,
}

impl SubQueue {
    /// A queue and the receiving end its subscriber reads.
    pub(super) fn new(
        id: u64,
        owner: u64,
        subscriber: ModuleRef,
        pattern: TopicPattern,
        options: QueueOptions,
        sees_reserved: bool,
        budget: Arc<ByteBudget>,
    ) -> (SubQueue, Receiver<Message>) {
        let (tx, rx) = crossbeam_channel::bounded(options.capacity);
        let queue = SubQueue {
            id,
            owner,
            subscriber,
            pattern,
            policy: options.policy,
            sees_reserved,
            tx,
            evict: rx.clone(),
            budget,
            dropped: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            warned_too_large: AtomicBool::new(false),
        };
        (queue, rx)
    }

    pub(super) fn len(&self) -> usize {
        self.tx.len()
    }

    /// Queues `message` without ever blocking.
    pub(super) fn offer(&self, message: Message) -> Offer {
        let size = message.size;
        let mut dropped = 0;
        if !self.budget.try_charge(size) {
            match self.make_budget_room(size) {
                Some(evicted) => dropped += evicted,
                None if self.policy == Overflow::Reject => {
                    self.rejected.fetch_add(1, Ordering::Relaxed);
                    return Offer::Rejected;
                }
                None => return self.lose(dropped),
            }
        }
        // Charged from here on: every path that does not queue the message gives it back.
        let mut message = match self.tx.try_send(message) {
            Ok(()) => return self.queued(dropped),
            Err(TrySendError::Full(m)) => m,
            // Unreachable while `evict` is alive; treat as a refusal rather than panic.
            Err(TrySendError::Disconnected(_)) => {
                self.budget.release(size);
                return Offer::Rejected;
            }
        };
        if self.policy == Overflow::Reject {
            self.budget.release(size);
            self.rejected.fetch_add(1, Ordering::Relaxed);
            return Offer::Rejected;
        }
        for _ in 0..MAKE_ROOM_TRIES {
            // The subscriber may have read meanwhile; either way there is room to try again.
            if let Ok(old) = self.evict.try_recv() {
                self.budget.release(old.size);
                dropped += 1;
            }
            match self.tx.try_send(message) {
                Ok(()) => return self.queued(dropped),
                Err(TrySendError::Full(m)) => message = m,
                Err(TrySendError::Disconnected(_)) => break,
            }
        }
        self.budget.release(size);
        self.lose(dropped)
    }

    /// Charges `size` to a budget that refused it, by evicting this queue's oldest messages
    /// (drop-oldest queues only). `Some(evicted)` once charged; `None` when it cannot fit.
    fn make_budget_room(&self, size: u64) -> Option<u64> {
        if size > self.budget.limit() {
            if !self.warned_too_large.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    subscriber = %self.subscriber,
                    pattern = %self.pattern,
                    bytes = size,
                    budget = self.budget.limit(),
                    "a message larger than the subscriber's whole bus budget is dropped; its manifest can ask for more \
                     (limits.bus_queue_mib)"
                );
            }
            return None;
        }
        if self.policy == Overflow::Reject {
            return None;
        }
        let mut evicted = 0;
        while let Ok(old) = self.evict.try_recv() {
            self.budget.release(old.size);
            evicted += 1;
            if self.budget.try_charge(size) {
                // Counted by the caller, with the rest of this offer.
                return Some(evicted);
            }
        }
        // The rest of the budget is held by the module's other queues or frames.
        self.dropped.fetch_add(evicted, Ordering::Relaxed);
        None
    }

    fn queued(&self, dropped: u64) -> Offer {
        // Only when there is something to add: the subscriber reads this queue's fields on
        // every receive, and a write here would take the line from its core each time.
        if dropped > 0 {
            self.dropped.fetch_add(dropped, Ordering::Relaxed);
        }
        Offer::Queued { dropped }
    }

    /// The new message is dropped too (after `dropped` older ones).
    fn lose(&self, dropped: u64) -> Offer {
        self.dropped.fetch_add(dropped + 1, Ordering::Relaxed);
        Offer::Lost { dropped: dropped + 1 }
    }
}

impl Drop for SubQueue {
    /// The last handle on the queue is going: whatever it still holds leaves the budget.
    fn drop(&mut self) {
        while let Ok(old) = self.evict.try_recv() {
            self.budget.release(old.size);
        }
    }
}
