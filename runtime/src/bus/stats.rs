//! Counters for a bus monitor: per topic, how many messages and who sent the last one; per
//! subscription, how full its queue is and what it lost.
//!
//! Each endpoint counts what it publishes in its own [`Ledger`], behind the lock its publish
//! takes anyway, so publishers never touch a shared cache line for statistics; [`Bus::stats`]
//! adds the ledgers up. Topic names come from guests, so each ledger is bounded: past its limit
//! an endpoint's messages only add to [`BusStats::untracked_messages`].
//!
//! [`Bus::stats`]: super::Bus::stats
//! [`Ledger`]: super::ledger::Ledger

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::ledger::{Counts, Ledger};
use super::message::ModuleRef;
use super::queue::Overflow;
use super::topic::{Topic, TopicPattern};

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

/// Every endpoint's table, kept after the endpoint is gone so the counts outlive a module.
#[derive(Default)]
pub(super) struct StatsTable {
    endpoints: Mutex<Vec<Arc<Ledger>>>,
}

impl StatsTable {
    /// Keeps `ledger`'s counts for the monitor, for as long as the bus lives.
    pub(super) fn register(&self, ledger: Arc<Ledger>) {
        self.endpoints.lock().unwrap_or_else(|p| p.into_inner()).push(ledger);
    }

    /// Per-topic totals, sorted by topic, and the untracked count.
    pub(super) fn topics(&self) -> (Vec<TopicStats>, u64) {
        let endpoints = self.endpoints.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut totals: BTreeMap<Topic, (u64, Counts, Option<ModuleRef>)> = BTreeMap::new();
        let mut untracked = 0;
        for endpoint in &endpoints {
            untracked += endpoint.counts(|topic, counts| {
                let total = totals.entry(topic.clone()).or_default();
                total.0 += counts.messages;
                if total.2.is_none() || counts.last_sequence > total.1.last_sequence {
                    total.1 = counts;
                    total.2 = Some(endpoint.module.clone());
                }
            });
        }
        let topics = totals
            .into_iter()
            .map(|(topic, (messages, last, sender))| TopicStats { topic, messages, last_sender: sender, last_sent_ns: last.last_sent_ns })
            .collect();
        (topics, untracked)
    }
}
