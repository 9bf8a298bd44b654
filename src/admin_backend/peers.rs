//! The panel's view of the network: the shell's own endpoint (`visor-admin-peers`) subscribed
//! to `net/peers`, where the network bridge says who arrived, who left and how far away each
//! is. Read (and summed up per device) when the panel asks for the bus, so it needs no thread;
//! its small queue keeps the newest statuses if nobody looks for a while.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Mutex;

use visor_admin::PeerView;
use visor_net::{PEERS_TOPIC, PeerStatus};
use visor_runtime::bus::{Bus, BusCapabilities, ModuleRef, QueueOptions, Subscription, TopicPattern};

pub(super) struct PeerWatch {
    statuses: Option<Subscription>,
    peers: Mutex<BTreeMap<String, PeerView>>,
}

impl PeerWatch {
    pub(super) fn new(bus: &Bus) -> PeerWatch {
        let pattern = TopicPattern::from_str(PEERS_TOPIC).expect("a valid pattern");
        let caps = BusCapabilities { subscribe: vec![pattern.clone()], ..BusCapabilities::none() };
        let endpoint = bus.endpoint(ModuleRef::new(0, "visor-admin-peers"), caps);
        let statuses = match endpoint.subscribe(pattern, QueueOptions::latest(256)) {
            Ok(subscription) => Some(subscription),
            Err(e) => {
                tracing::warn!("the admin panel will not show peers: {e}");
                None
            }
        };
        PeerWatch { statuses, peers: Mutex::default() }
    }

    /// Every peer heard of, present or gone, by device.
    pub(super) fn look(&self) -> Vec<PeerView> {
        let mut peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        for message in self.statuses.iter().flat_map(|s| s.drain()) {
            let Ok(status) = message.payload.decode::<PeerStatus>() else { continue };
            let view = peers.entry(status.device.clone()).or_insert_with(|| PeerView {
                device: status.device.clone(),
                present: false,
                modules: Vec::new(),
                latency_ms: None,
            });
            view.present = status.present;
            if status.present {
                view.modules = status.modules;
                view.latency_ms = status.latency_ms.or(view.latency_ms);
            } else {
                view.latency_ms = None;
            }
        }
        peers.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use visor_runtime::bus::{Payload, Topic};
    use visor_types::clock::MonotonicClock;

    use super::*;

    #[test]
    fn peers_are_summed_up_per_device() {
        let bus = Bus::new(MonotonicClock::shared());
        let watch = PeerWatch::new(&bus);
        let caps = BusCapabilities {
            publish: vec![TopicPattern::from_str("net/#").unwrap()],
            messages_per_second: 100,
            ..BusCapabilities::none()
        };
        let net = bus.endpoint(ModuleRef::new(1, "net"), caps);
        let say = |device: &str, present: bool, latency_ms: Option<f64>| {
            let modules = if present { vec!["vision".to_string()] } else { Vec::new() };
            let status = PeerStatus { device: device.into(), present, modules, latency_ms };
            net.publish(&Topic::new(PEERS_TOPIC).unwrap(), Payload::json(&status).unwrap()).unwrap();
        };
        say("edge", true, Some(0.8));
        say("phone", true, None);
        say("phone", false, None);
        say("edge", true, None);
        let views = watch.look();
        assert_eq!(views.len(), 2);
        assert_eq!((views[0].device.as_str(), views[0].present, views[0].latency_ms), ("edge", true, Some(0.8)));
        assert_eq!(views[0].modules, vec!["vision".to_string()]);
        assert_eq!((views[1].device.as_str(), views[1].present), ("phone", false));
    }
}
