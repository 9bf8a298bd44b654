//! [`BusCapabilities`]: what one module may do on the bus, already narrowed to what both its
//! manifest asks for and the user's policy grants. The bus only checks them.

use super::topic::{Topic, TopicPattern};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BusCapabilities {
    /// Topics the module may publish to, or send requests to.
    pub publish: Vec<TopicPattern>,
    /// Patterns the module may subscribe with: a subscription is allowed when one of these
    /// covers every topic it could match.
    pub subscribe: Vec<TopicPattern>,
    /// Messages (publishes, requests and replies together) per second, with a burst of one
    /// second's worth; 0 allows none.
    pub messages_per_second: u32,
}

impl BusCapabilities {
    /// Nothing at all: the default for a module whose manifest asks for no bus access.
    pub fn none() -> BusCapabilities {
        BusCapabilities::default()
    }

    pub fn may_publish(&self, topic: &Topic) -> bool {
        self.publish.iter().any(|grant| grant.matches(topic))
    }

    pub fn may_subscribe(&self, pattern: &TopicPattern) -> bool {
        self.subscribe.iter().any(|grant| grant.covers(pattern))
    }
}
