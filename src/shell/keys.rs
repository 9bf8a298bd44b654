//! The glasses' own keys, bound in the shell: the `glasses` driver module publishes each press
//! on `glasses/keys`; the profile's `[pose] keys` names the key that opens (or closes) the
//! launcher and the key that recentres the view ([`GlassesKeys`], first and second key by
//! default). Every press still reaches the apps subscribed to `glasses/keys`; the shell only
//! acts on the two it binds.

use std::str::FromStr;

use visor_runtime::bus::{Endpoint, QueueOptions, Subscription, TopicPattern};
use visor_types::profile::GlassesKeys;

use crate::builtin::glasses::KEYS;

/// What a bound key asks of the shell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAction {
    ToggleLauncher,
    Recentre,
}

pub struct KeyWatch {
    news: Subscription,
    bindings: GlassesKeys,
}

impl KeyWatch {
    /// Watches `glasses/keys` through `endpoint` (which must be granted to subscribe to it).
    pub fn new(endpoint: &Endpoint, bindings: GlassesKeys) -> anyhow::Result<KeyWatch> {
        let news = endpoint.subscribe(TopicPattern::from_str(KEYS)?, QueueOptions::latest(16))?;
        Ok(KeyWatch { news, bindings })
    }

    /// The actions of the bound keys pressed since the last call, in order.
    pub fn take(&mut self) -> Vec<KeyAction> {
        let pressed = self.news.drain().filter_map(|m| m.payload.decode::<serde_json::Value>().ok()?.get("key")?.as_u64());
        pressed.filter_map(|key| action(&self.bindings, key)).collect()
    }
}

fn action(bindings: &GlassesKeys, key: u64) -> Option<KeyAction> {
    let is = |bound: Option<u8>| bound.is_some_and(|b| u64::from(b) == key);
    if is(bindings.launcher) {
        Some(KeyAction::ToggleLauncher)
    } else if is(bindings.recentre) {
        Some(KeyAction::Recentre)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_their_bindings_and_others_to_nothing() {
        let bindings = GlassesKeys::default();
        assert_eq!(action(&bindings, 0), Some(KeyAction::ToggleLauncher));
        assert_eq!(action(&bindings, 1), Some(KeyAction::Recentre));
        assert_eq!(action(&bindings, 2), None);
        let unbound = GlassesKeys { launcher: None, recentre: Some(3) };
        assert_eq!(action(&unbound, 0), None);
        assert_eq!(action(&unbound, 3), Some(KeyAction::Recentre));
    }
}
