//! Bus tests, one file per concern. Nothing here waits on the wall clock for a result: time
//! comes from a [`ManualClock`], and concurrency tests assert on counts and order.

mod budget;
mod capability;
mod delivery;
mod frames;
mod request;
mod routing_props;

use std::sync::Arc;

use visor_types::clock::ManualClock;

use super::{Bus, BusCapabilities, Endpoint, ModuleRef, Topic, TopicPattern};

fn topic(name: &str) -> Topic {
    Topic::new(name).unwrap()
}

fn pattern(text: &str) -> TopicPattern {
    TopicPattern::new(text).unwrap()
}

fn bus() -> (Bus, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::default());
    (Bus::new(clock.clone()), clock)
}

/// An endpoint with the given grants and no practical rate limit.
fn endpoint(bus: &Bus, id: u32, name: &str, publish: &[&str], subscribe: &[&str]) -> Endpoint {
    let caps = BusCapabilities {
        publish: publish.iter().map(|p| pattern(p)).collect(),
        subscribe: subscribe.iter().map(|p| pattern(p)).collect(),
        messages_per_second: u32::MAX,
        shell: false,
        serve: Vec::new(),
        call: Vec::new(),
    };
    bus.endpoint(ModuleRef::new(id, name), caps)
}

/// An endpoint that serves (answers requests on) `serve`, and subscribes there.
fn server(bus: &Bus, id: u32, name: &str, serve: &str) -> Endpoint {
    let caps = BusCapabilities {
        subscribe: vec![pattern(serve)],
        serve: vec![pattern(serve)],
        messages_per_second: u32::MAX,
        ..BusCapabilities::none()
    };
    bus.endpoint(ModuleRef::new(id, name), caps)
}
