//! [`BusCapabilities`]: what one module may do on the bus, already narrowed to what both its
//! manifest asks for and the user's policy grants. The bus only checks them.
//!
//! Topics under `shell/` are reserved for the shell and the modules granted the privileged
//! shell capability (the launcher): nobody else may publish there, and their subscriptions —
//! even `#` — never see those messages, whatever their patterns grant.
//!
//! Requests are answered only by the module that serves their topic (the one whose exported
//! topics match, claimed on the bus when its endpoint is made), so a bystander subscribed to
//! the same topic cannot answer first. A module may send a request where it may publish, or
//! where a module it may `call` serves. A call grant names a module wherever it runs: `camera`
//! is this device's camera, or a peer's (`camera@glasses`, on this bus only if the user's
//! policy let it in).

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
    /// The shell capability: may use the reserved `shell/` topics.
    pub shell: bool,
    /// Topics it answers requests on (its exports, as the policy allows them).
    pub serve: Vec<TopicPattern>,
    /// Modules whose served topics it may send requests to, without a publish grant.
    pub call: Vec<String>,
}

impl BusCapabilities {
    /// Nothing at all: the default for a module whose manifest asks for no bus access.
    pub fn none() -> BusCapabilities {
        BusCapabilities::default()
    }

    pub fn may_publish(&self, topic: &Topic) -> bool {
        (self.shell || !topic.is_reserved()) && self.publish.iter().any(|grant| grant.matches(topic))
    }

    /// Whether a request may go to what the module named `server` serves: a call grant for it
    /// by its name, which for a module on another device is `NAME@DEVICE`.
    pub fn may_call(&self, server: &str) -> bool {
        let module = server.split_once('@').map_or(server, |(module, _device)| module);
        self.call.iter().any(|name| name == module)
    }

    pub fn may_subscribe(&self, pattern: &TopicPattern) -> bool {
        self.subscribe.iter().any(|grant| grant.covers(pattern))
    }
}
