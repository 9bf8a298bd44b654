//! [`Ledger`]: one endpoint's grants, its message allowance and what it has published, behind
//! one lock, so a publish takes a single uncontended lock for its grant check, its allowance,
//! its stamp and its count together.
//!
//! The grant check is remembered per topic: a topic the current grants cleared for publishing
//! is not matched against the grant patterns again until the grants change (each change starts
//! a new generation). The same per-topic entry holds the topic's counts for a bus monitor.
//! Topic names come from guests, so the table is bounded: past [`MAX_TRACKED_TOPICS`] a
//! topic's messages are checked every time and only add to the untracked count.

use std::sync::{Arc, Mutex, MutexGuard};

use super::caps::BusCapabilities;
use super::hub::BusInner;
use super::message::ModuleRef;
use super::rate::RateLimiter;
use super::topic::{Topic, TopicMap};

/// Most distinct topics one endpoint's table tracks.
const MAX_TRACKED_TOPICS: usize = 1024;

/// What a module may do on the bus, and its allowance at that rate.
pub(super) struct Grants {
    pub(super) caps: Arc<BusCapabilities>,
    rate: RateLimiter,
}

/// One topic's counts, as a bus monitor reads them.
#[derive(Clone, Copy, Default)]
pub(super) struct Counts {
    pub(super) messages: u64,
    pub(super) last_sequence: u64,
    pub(super) last_sent_ns: u64,
}

/// When and where in the bus's order one cleared message was sent.
pub(super) struct Stamp {
    pub(super) sent_ns: u64,
    pub(super) sequence: u64,
}

/// Why a message was not cleared.
pub(super) enum Refusal {
    Denied,
    /// The payload is over the bus's limit.
    TooLarge,
    /// The allowance is spent; the rate it refills at.
    RateLimited(u32),
    /// A request the module could send only by calling whoever serves its topic, and nobody
    /// serves it (yet): nothing to answer, rather than a denial.
    Unserved,
}

pub(super) struct Ledger {
    pub(super) module: ModuleRef,
    state: Mutex<State>,
}

struct State {
    grants: Arc<Grants>,
    /// Counts up on every change of grants; an entry cleared under an older one is checked again.
    generation: u64,
    topics: TopicMap<Entry>,
    untracked: u64,
}

struct Entry {
    counts: Counts,
    /// The generation whose grants allowed publishing to this topic; 0 for none yet.
    cleared: u64,
}

impl Ledger {
    pub(super) fn new(module: ModuleRef, caps: BusCapabilities) -> Ledger {
        let state = State { grants: Arc::new(Grants::new(caps)), generation: 1, topics: TopicMap::default(), untracked: 0 };
        Ledger { module, state: Mutex::new(state) }
    }

    pub(super) fn grants(&self) -> Arc<Grants> {
        self.lock().grants.clone()
    }

    /// Replaces the grants; the allowance starts afresh at the new rate, and every topic is
    /// checked against the new grants when next published to.
    pub(super) fn set_grants(&self, caps: BusCapabilities) -> Arc<BusCapabilities> {
        let mut state = self.lock();
        state.grants = Arc::new(Grants::new(caps));
        state.generation += 1;
        state.grants.caps.clone()
    }

    /// Clears one message to `topic`, in this order: the grants must let the module publish
    /// there (or `otherwise` must allow it, for requests, or say why not), its payload must not
    /// be `too_large`, and the allowance must have a message left. The message is stamped with
    /// the bus clock and sequence and counted.
    pub(super) fn clear(
        &self,
        topic: &Topic,
        bus: &BusInner,
        too_large: bool,
        otherwise: impl FnOnce(&BusCapabilities) -> Result<(), Refusal>,
    ) -> Result<Stamp, Refusal> {
        let mut state = self.lock();
        let state = &mut *state;
        let generation = state.generation;
        let caps = &state.grants.caps;
        let cleared = match state.topics.get(topic) {
            Some(entry) if entry.cleared == generation => true,
            _ => caps.may_publish(topic),
        };
        if !cleared {
            otherwise(caps)?;
        }
        if too_large {
            return Err(Refusal::TooLarge);
        }
        let stamp = state.grants.stamp(bus)?;
        let cleared = if cleared { generation } else { 0 };
        let room = state.topics.len() < MAX_TRACKED_TOPICS;
        match state.topics.get_mut(topic) {
            Some(entry) => {
                entry.counts = Counts { messages: entry.counts.messages + 1, last_sequence: stamp.sequence, last_sent_ns: stamp.sent_ns };
                entry.cleared = entry.cleared.max(cleared);
            }
            None if room => {
                let counts = Counts { messages: 1, last_sequence: stamp.sequence, last_sent_ns: stamp.sent_ns };
                state.topics.insert(topic.clone(), Entry { counts, cleared });
            }
            None => state.untracked += 1,
        }
        Ok(stamp)
    }

    /// Takes one message from the allowance without a topic check or a count: a reply, which
    /// its caller has checked.
    pub(super) fn stamp(&self, bus: &BusInner, too_large: bool) -> Result<Stamp, Refusal> {
        if too_large {
            return Err(Refusal::TooLarge);
        }
        self.lock().grants.stamp(bus)
    }

    /// Each tracked topic with its counts, and the messages on untracked ones.
    pub(super) fn counts(&self, mut each: impl FnMut(&Topic, Counts)) -> u64 {
        let state = self.lock();
        for (topic, entry) in &state.topics {
            each(topic, entry.counts);
        }
        state.untracked
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Grants {
    fn new(caps: BusCapabilities) -> Grants {
        let rate = RateLimiter::new(caps.messages_per_second);
        Grants { caps: Arc::new(caps), rate }
    }

    fn stamp(&self, bus: &BusInner) -> Result<Stamp, Refusal> {
        let now = bus.now_ns();
        if !self.rate.try_acquire(now) {
            return Err(Refusal::RateLimited(self.rate.rate()));
        }
        Ok(Stamp { sent_ns: now, sequence: bus.next_sequence() })
    }
}
