//! [`Endpoint`]: one module's handle on the bus. Every call checks the module's capabilities
//! first and its message allowance second, and every message it sends is stamped with its
//! [`ModuleRef`] — the only identity a module can speak with.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::RecvTimeoutError;

use super::budget::{ByteBudget, DEFAULT_BYTE_BUDGET};
use super::caps::BusCapabilities;
use super::error::{BusAction, BusError};
use super::hub::BusInner;
use super::ledger::{Ledger, Refusal, Stamp};
use super::message::{Message, ModuleRef, ReplyHandle};
use super::payload::Payload;
use super::queue::{MAX_QUEUE_CAPACITY, QueueOptions, SubQueue};
use super::subscription::Subscription;
use super::topic::{Topic, TopicPattern};

/// Most subscriptions one module may hold at once: each costs every publish a pattern check.
pub const MAX_SUBSCRIPTIONS_PER_MODULE: usize = 256;

/// Largest payload one message may carry (frames excepted: they are shared, never copied, and
/// their size is checked when they are made).
pub const MAX_PAYLOAD_BYTES: u64 = 1 << 20;

/// Distinct denials logged per module; a module probing many topics is not allowed to flood
/// the log (each denial still returns its error).
const DENIALS_LOGGED: usize = 64;

/// Where one published message went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PublishReport {
    /// Subscriptions that queued the message.
    pub delivered: u64,
    /// Messages lost to drop-oldest queues: older ones dropped to make room (or, rarely, this
    /// one, when a queue refilled faster than room could be made).
    pub dropped: u64,
    /// Reject-policy subscriptions whose full queue refused the message.
    pub rejected: u64,
}

/// One module's handle on the bus. Clones are the same endpoint: same identity, same
/// allowance, same grants (which [`set_capabilities`](Self::set_capabilities) changes for all).
#[derive(Clone)]
pub struct Endpoint {
    inner: Arc<EndpointInner>,
}

struct EndpointInner {
    bus: Arc<BusInner>,
    module: ModuleRef,
    /// Unique on the bus; marks the queues this endpoint owns.
    id: u64,
    /// Grants, allowance and counts: what every message this endpoint sends is cleared by.
    ledger: Arc<Ledger>,
    /// Shared with this endpoint's subscriptions, which count themselves out when dropped.
    subscriptions: Arc<AtomicUsize>,
    /// What this module's queues (and the frames its guest holds) may keep in memory.
    budget: Arc<ByteBudget>,
    rate_limited: AtomicU64,
    denials: Mutex<HashSet<(BusAction, String)>>,
}

impl Endpoint {
    pub(super) fn new(bus: Arc<BusInner>, module: ModuleRef, id: u64, ledger: Arc<Ledger>) -> Endpoint {
        Endpoint {
            inner: Arc::new(EndpointInner {
                bus,
                module,
                id,
                ledger,
                subscriptions: Arc::new(AtomicUsize::new(0)),
                budget: Arc::new(ByteBudget::new(DEFAULT_BYTE_BUDGET)),
                rate_limited: AtomicU64::new(0),
                denials: Mutex::new(HashSet::new()),
            }),
        }
    }

    pub fn module(&self) -> &ModuleRef {
        &self.inner.module
    }

    pub fn capabilities(&self) -> Arc<BusCapabilities> {
        self.inner.ledger.grants().caps.clone()
    }

    /// The bytes this module's queues hold, against its limit. Hosts charge what the module
    /// keeps after reading (a guest's frames) to the same budget.
    pub fn budget(&self) -> &Arc<ByteBudget> {
        &self.inner.budget
    }

    /// Replaces the module's grants (an upgrade with a new manifest, a policy change). Live
    /// subscriptions the new grants no longer cover are cut off: they keep what is queued and
    /// receive nothing more. The message allowance starts afresh at the new rate.
    pub fn set_capabilities(&self, caps: BusCapabilities) {
        let inner = &self.inner;
        let caps = inner.ledger.set_grants(caps);
        inner.bus.claim(inner.id, &inner.module, &caps.serve);
        let revoked = |q: &SubQueue| q.owner == inner.id && (!caps.may_subscribe(&q.pattern) || (q.sees_reserved && !caps.shell));
        for queue in inner.bus.queues_of(inner.id).iter().filter(|q| revoked(q)) {
            tracing::info!(module = %inner.module, pattern = %queue.pattern, "subscription revoked: no longer granted");
        }
        inner.bus.remove_routes(revoked);
    }

    /// Sends `payload` to every subscription matching `topic`. Never blocks: full queues drop
    /// or refuse per their policy, and the report says which.
    pub fn publish(&self, topic: &Topic, payload: Payload) -> Result<PublishReport, BusError> {
        let size = payload.byte_len();
        let stamp = self.clear(BusAction::Publish, topic, &payload, size, |_| Err(Refusal::Denied))?;
        let message = self.message(stamp, topic.clone(), payload, size, None);
        Ok(self.inner.bus.fan_out(topic, message).report)
    }

    /// Starts receiving messages whose topic matches `pattern`, until the [`Subscription`] is
    /// dropped.
    pub fn subscribe(&self, pattern: TopicPattern, options: QueueOptions) -> Result<Subscription, BusError> {
        let inner = &*self.inner;
        let caps = inner.ledger.grants().caps.clone();
        if !caps.may_subscribe(&pattern) {
            return Err(self.denied(BusAction::Subscribe, pattern.as_str()));
        }
        let module = || inner.module.name.to_string();
        if !(1..=MAX_QUEUE_CAPACITY).contains(&options.capacity) {
            return Err(BusError::QueueCapacity { module: module(), requested: options.capacity, max: MAX_QUEUE_CAPACITY });
        }
        let counted =
            inner.subscriptions.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < MAX_SUBSCRIPTIONS_PER_MODULE).then_some(n + 1));
        if counted.is_err() {
            return Err(BusError::TooManySubscriptions { module: module(), max: MAX_SUBSCRIPTIONS_PER_MODULE });
        }
        let id = inner.bus.next_subscription_id();
        let (queue, rx) = SubQueue::new(id, inner.id, inner.module.clone(), pattern, options, caps.shell, inner.budget.clone());
        let queue = Arc::new(queue);
        inner.bus.add_route(queue.clone());
        let subscription = Subscription::new(inner.bus.clone(), queue, rx, inner.subscriptions.clone());
        // The grants may have narrowed while the route went in; `set_capabilities` stores the
        // new grants before it revokes, so one of the two checks sees the other's change.
        if !inner.ledger.grants().caps.may_subscribe(subscription.pattern()) {
            return Err(self.denied(BusAction::Subscribe, subscription.pattern().as_str()));
        }
        Ok(subscription)
    }

    /// Publishes a request on `topic` and waits up to `timeout` for the first reply. Needs a
    /// publish grant for `topic`, or a `call` grant for the module that serves it; the reply
    /// comes back privately, so no subscribe grant.
    pub fn request(&self, topic: &Topic, payload: Payload, timeout: Duration) -> Result<Message, BusError> {
        let size = payload.byte_len();
        let stamp = self.clear(BusAction::Request, topic, &payload, size, |caps| self.call_clearance(caps, topic))?;
        // The only sender lives in the request; once every copy is gone, the wait ends.
        let (tx, rx) = crossbeam_channel::bounded(1);
        let handle = ReplyHandle::new(topic.clone(), self.inner.module.clone(), tx);
        let message = self.message(stamp, topic.clone(), payload, size, Some(handle));
        let fanout = self.inner.bus.fan_out(topic, message);
        let topic = topic.to_string();
        if fanout.report.delivered == 0 {
            return Err(match fanout.first_refused {
                Some(subscriber) => BusError::QueueFull { topic, subscriber: subscriber.name.to_string() },
                None => BusError::NoResponder { topic },
            });
        }
        rx.recv_timeout(timeout).map_err(|e| match e {
            RecvTimeoutError::Timeout => BusError::Timeout { topic, after: timeout },
            // Every copy of the request was dropped unread or evicted, unanswered.
            RecvTimeoutError::Disconnected => BusError::Unanswered { topic },
        })
    }

    /// Answers a request this module received. Only the first reply to a request is
    /// delivered, and only the module that serves the topic (exports it) may give it: a
    /// bystander subscribed to the same topic cannot answer in its place.
    pub fn reply(&self, to: &Message, payload: Payload) -> Result<(), BusError> {
        let Some(handle) = &to.reply_to else {
            return Err(BusError::NotARequest { topic: to.topic.to_string() });
        };
        if self.inner.bus.server_of(&to.topic).is_none_or(|(server, _)| server != self.inner.id) {
            return Err(self.denied(BusAction::Reply, to.topic.as_str()));
        }
        let size = payload.byte_len();
        let stamp = self
            .inner
            .ledger
            .stamp(&self.inner.bus, too_large(&payload, size))
            .map_err(|refusal| self.refused(BusAction::Reply, &to.topic, &payload, size, refusal))?;
        handle.deliver(self.message(stamp, to.topic.clone(), payload, size, None))
    }

    /// Clears one message carrying `payload` (`size` bytes, [`Payload::byte_len`]) to `topic`
    /// through the ledger: grants (or `otherwise`), size, allowance, stamp and count.
    fn clear(
        &self,
        action: BusAction,
        topic: &Topic,
        payload: &Payload,
        size: u64,
        otherwise: impl FnOnce(&BusCapabilities) -> Result<(), Refusal>,
    ) -> Result<Stamp, BusError> {
        let ledger = &self.inner.ledger;
        ledger
            .clear(topic, &self.inner.bus, too_large(payload, size), otherwise)
            .map_err(|refusal| self.refused(action, topic, payload, size, refusal))
    }

    fn refused(&self, action: BusAction, topic: &Topic, payload: &Payload, size: u64, refusal: Refusal) -> BusError {
        match refusal {
            Refusal::Denied => self.denied(action, topic.as_str()),
            Refusal::TooLarge => BusError::PayloadTooLarge {
                module: self.inner.module.name.to_string(),
                topic: topic.to_string(),
                kind: payload.kind(),
                size,
                max: MAX_PAYLOAD_BYTES,
            },
            Refusal::RateLimited(rate) => self.rate_limited(rate),
            Refusal::Unserved => BusError::NoResponder { topic: topic.to_string() },
        }
    }

    /// A cleared message with this endpoint's identity: the single place a sender is set.
    /// `size` is the payload's [`Payload::byte_len`], worked out once per publish: for JSON it
    /// means encoding the value.
    fn message(&self, stamp: Stamp, topic: Topic, payload: Payload, size: u64, reply_to: Option<ReplyHandle>) -> Message {
        Message { topic, sender: self.inner.module.clone(), payload, sequence: stamp.sequence, sent_ns: stamp.sent_ns, reply_to, size }
    }

    /// Whether a request to `topic` may go by a call grant: `topic` is served by a module this
    /// one may call. A module with call grants that asks where nobody serves yet (a peer's
    /// camera before the peer arrives) hears that nobody answers, not that it is denied; no
    /// request is delivered either way.
    fn call_clearance(&self, caps: &BusCapabilities, topic: &Topic) -> Result<(), Refusal> {
        if caps.call.is_empty() || (topic.is_reserved() && !caps.shell) {
            return Err(Refusal::Denied);
        }
        match self.inner.bus.server_of(topic) {
            Some((_, server)) if caps.may_call(&server.name) => Ok(()),
            Some(_) => Err(Refusal::Denied),
            None => Err(Refusal::Unserved),
        }
    }

    fn denied(&self, action: BusAction, topic: &str) -> BusError {
        let module = &self.inner.module;
        let error = BusError::Denied { module: module.name.to_string(), action, topic: topic.to_string() };
        let mut seen = self.inner.denials.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() < DENIALS_LOGGED && seen.insert((action, topic.to_string())) {
            tracing::warn!(module = %module, %action, topic, "{error}");
            if seen.len() == DENIALS_LOGGED {
                tracing::warn!(module = %module, "further bus denials of this module are not logged");
            }
        }
        error
    }

    fn rate_limited(&self, limit: u32) -> BusError {
        let count = self.inner.rate_limited.fetch_add(1, Ordering::Relaxed) + 1;
        let error = BusError::RateLimited { module: self.inner.module.name.to_string(), limit };
        // Logged at 1, 2, 4, 8 … so a flood shows up without flooding the log.
        if count.is_power_of_two() {
            tracing::warn!(module = %self.inner.module, refused = count, "{error}");
        }
        error
    }
}

/// Whether `payload`, of `size` bytes, is over [`MAX_PAYLOAD_BYTES`]; frames are shared, never
/// copied, so exempt.
fn too_large(payload: &Payload, size: u64) -> bool {
    size > MAX_PAYLOAD_BYTES && payload.as_frame().is_none()
}

impl Drop for EndpointInner {
    /// The module leaves the bus: it serves nothing any more.
    fn drop(&mut self) {
        self.bus.claim(self.id, &self.module, &[]);
    }
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("module", &self.inner.module)
            .field("caps", &self.inner.ledger.grants().caps)
            .field("subscriptions", &self.inner.subscriptions.load(Ordering::Relaxed))
            .finish()
    }
}
