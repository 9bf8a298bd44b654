//! Counters for a bus monitor: per topic, how many messages and who sent the last one; per
//! subscription, how full its queue is and what it lost.
//!
//! Each endpoint counts what it publishes in its own table, behind its own lock, so
//! publishers never touch a shared cache line for statistics; [`Bus::stats`] adds the tables
//! up. Topic names come from guests, so each table is bounded: past its limit an endpoint's
//! messages only add to [`BusStats::untracked_messages`].
//!
//! [`Bus::stats`]: super::Bus::stats

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::message::ModuleRef;
use super::queue::Overflow;
use super::topic::{Topic, TopicMap, TopicPattern};

/// Most distinct topics one endpoint's table tracks.
const MAX_TRACKED_TOPICS: usize = 1024;

/// A snapshot of the bus for a monitor.
#[derive(Clone, Debug, Default)]
pub struct BusStats {
    /// Sorted by topic.
    pub topics: Vec<TopicStats>,
    /// Sorted by subscriber id, then pattern.
    pub subscriptions: Vec<SubscriptionStats>,
    /// Messages on topics past an endpoint's tracked-topic limit.
    pub untracked_messages: u64,
}

#[derive(Clone, Debug)]
pub struct TopicStats {
    pub topic: Topic,
    /// Messages published (requests included) that passed the capability and rate checks.
    pub messages: u64,
    pub last_sender: Option<ModuleRef>,
    pub last_sent_ns: u64,
}

#[derive(Clone, Debug)]
pub struct SubscriptionStats {
    pub subscriber: ModuleRef,
    pub pattern: TopicPattern,
    pub policy: Overflow,
    /// Messages waiting to be read.
    pub queued: usize,
    pub dropped: u64,
    pub rejected: u64,
}

#[derive(Clone, Copy, Default)]
struct Counts {
    messages: u64,
    last_sequence: u64,
    last_sent_ns: u64,
}

/// What one endpoint has published.
pub(super) struct EndpointStats {
    module: ModuleRef,
    topics: Mutex<TopicMap<Counts>>,
    untracked: AtomicU64,
}

impl EndpointStats {
    pub(super) fn record(&self, topic: &Topic, sequence: u64, sent_ns: u64) {
        let mut topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
        let seen = Counts { messages: 1, last_sequence: sequence, last_sent_ns: sent_ns };
        if let Some(counts) = topics.get_mut(topic) {
            *counts = Counts { messages: counts.messages + 1, ..seen };
        } else if topics.len() < MAX_TRACKED_TOPICS {
            topics.insert(topic.clone(), seen);
        } else {
            self.untracked.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Every endpoint's table, kept after the endpoint is gone so the counts outlive a module.
#[derive(Default)]
pub(super) struct StatsTable {
    endpoints: Mutex<Vec<Arc<EndpointStats>>>,
}

impl StatsTable {
    pub(super) fn register(&self, module: ModuleRef) -> Arc<EndpointStats> {
        let stats = Arc::new(EndpointStats { module, topics: Mutex::default(), untracked: AtomicU64::new(0) });
        self.endpoints.lock().unwrap_or_else(|p| p.into_inner()).push(stats.clone());
        stats
    }

    /// Per-topic totals, sorted by topic, and the untracked count.
    pub(super) fn topics(&self) -> (Vec<TopicStats>, u64) {
        let endpoints = self.endpoints.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut totals: BTreeMap<Topic, (u64, Counts, Option<ModuleRef>)> = BTreeMap::new();
        let mut untracked = 0;
        for endpoint in &endpoints {
            untracked += endpoint.untracked.load(Ordering::Relaxed);
            let topics = endpoint.topics.lock().unwrap_or_else(|p| p.into_inner());
            for (topic, counts) in topics.iter() {
                let total = totals.entry(topic.clone()).or_default();
                total.0 += counts.messages;
                if total.2.is_none() || counts.last_sequence > total.1.last_sequence {
                    total.1 = *counts;
                    total.2 = Some(endpoint.module.clone());
                }
            }
        }
        let topics = totals
            .into_iter()
            .map(|(topic, (messages, last, sender))| TopicStats { topic, messages, last_sender: sender, last_sent_ns: last.last_sent_ns })
            .collect();
        (topics, untracked)
    }
}
