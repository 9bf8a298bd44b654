//! [`Subscription`]: the receiving end of one pattern's queue. Dropping it unsubscribes.
//!
//! A receiver that finds its queue empty looks again for [`PATIENCE`], yielding its core
//! between looks, before it sleeps. Messages often come in runs (a reply, a burst of
//! readings): one that lands within that window costs its publisher no wake-up call (a futex
//! system call) and its receiver no trip through the scheduler, which on a shared or virtual
//! machine takes tens of microseconds. Yielding leaves the core to any thread that has work,
//! so the window only spends time nobody else wants.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::error::BusError;
use super::hub::BusInner;
use super::message::Message;
use super::queue::{Overflow, SubQueue};
use super::topic::TopicPattern;

/// How long an empty queue is looked at again before its receiver sleeps.
pub const PATIENCE: Duration = Duration::from_micros(20);

pub struct Subscription {
    bus: Arc<BusInner>,
    queue: Arc<SubQueue>,
    rx: Receiver<Message>,
    /// The owning endpoint's subscription count, given back on drop.
    count: Arc<AtomicUsize>,
}

impl Subscription {
    pub(super) fn new(bus: Arc<BusInner>, queue: Arc<SubQueue>, rx: Receiver<Message>, count: Arc<AtomicUsize>) -> Subscription {
        Subscription { bus, queue, rx, count }
    }

    pub fn pattern(&self) -> &TopicPattern {
        &self.queue.pattern
    }

    pub fn policy(&self) -> Overflow {
        self.queue.policy
    }

    /// The oldest queued message, waiting up to `timeout` for one.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Message, BusError> {
        if let Ok(message) = self.rx.try_recv() {
            return Ok(self.taken(message));
        }
        let started = Instant::now();
        loop {
            std::thread::yield_now();
            if let Ok(message) = self.rx.try_recv() {
                return Ok(self.taken(message));
            }
            if started.elapsed() >= PATIENCE.min(timeout) {
                break;
            }
        }
        let left = timeout.saturating_sub(started.elapsed());
        let message = self.rx.recv_timeout(left).map_err(|e| match e {
            RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected => {
                BusError::RecvTimeout { pattern: self.queue.pattern.to_string(), after: timeout }
            }
        })?;
        Ok(self.taken(message))
    }

    /// The oldest queued message, if any.
    pub fn try_recv(&self) -> Option<Message> {
        self.rx.try_recv().ok().map(|m| self.taken(m))
    }

    /// Every message queued now, oldest first, without waiting.
    pub fn drain(&self) -> impl Iterator<Item = Message> + '_ {
        self.rx.try_iter().map(|m| self.taken(m))
    }

    /// A message leaves the queue: its bytes leave the subscriber's budget.
    fn taken(&self, message: Message) -> Message {
        self.queue.budget.release(message.size);
        message
    }

    /// Messages this subscription lost to its drop-oldest policy.
    pub fn dropped(&self) -> u64 {
        self.queue.dropped.load(Ordering::Relaxed)
    }

    /// Messages its full reject-policy queue refused.
    pub fn rejected(&self) -> u64 {
        self.queue.rejected.load(Ordering::Relaxed)
    }

    /// Messages waiting to be read.
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.bus.remove_route(self.queue.id);
        self.count.fetch_sub(1, Ordering::AcqRel);
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("subscriber", &self.queue.subscriber)
            .field("pattern", &self.queue.pattern)
            .field("policy", &self.queue.policy)
            .field("queued", &self.rx.len())
            .finish()
    }
}
