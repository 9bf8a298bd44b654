//! The routing table: which subscription queues a topic's messages go to.
//!
//! Exact-name subscriptions sit in a hash map keyed by topic, so the common case costs one
//! lookup however many subscriptions exist; wildcard patterns are kept in a list and matched
//! one by one. The table is immutable: subscribing or unsubscribing builds a new one and swaps
//! it in (see `hub`), so publishers read it without taking any lock.

use std::sync::Arc;

use super::queue::SubQueue;
use super::topic::{Topic, TopicMap};

#[derive(Clone, Default)]
pub(super) struct Routes {
    exact: TopicMap<Vec<Arc<SubQueue>>>,
    wildcard: Vec<Arc<SubQueue>>,
}

impl Routes {
    pub(super) fn with(&self, queue: Arc<SubQueue>) -> Routes {
        let mut next = self.clone();
        match queue.pattern.as_topic() {
            Some(topic) => next.exact.entry(topic).or_default().push(queue),
            None => next.wildcard.push(queue),
        }
        next
    }

    /// The table without the queues `remove` picks.
    pub(super) fn without(&self, remove: impl Fn(&SubQueue) -> bool) -> Routes {
        let mut next = self.clone();
        next.exact.retain(|_, queues| {
            queues.retain(|q| !remove(q));
            !queues.is_empty()
        });
        next.wildcard.retain(|q| !remove(q));
        next
    }

    /// Every queue whose pattern matches `topic`, each once.
    pub(super) fn matching<'a>(&'a self, topic: &'a Topic) -> impl Iterator<Item = &'a Arc<SubQueue>> + 'a {
        let exact = self.exact.get(topic).map(Vec::as_slice).unwrap_or_default();
        exact.iter().chain(self.wildcard.iter().filter(move |q| q.pattern.matches(topic)))
    }

    pub(super) fn all(&self) -> impl Iterator<Item = &Arc<SubQueue>> {
        self.exact.values().flatten().chain(self.wildcard.iter())
    }
}
