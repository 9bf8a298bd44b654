//! Out: the exported topics, from this bus to `visor/DEVICE/TOPIC`. One thread per exported
//! pattern reads the bridge endpoint's subscription (the newest few messages; a slow link
//! drops the oldest, as a sensor stream should) and puts each message through a publisher per
//! topic. A frame is encoded only when some peer's subscription matches its key.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::JoinHandle;
use std::time::Duration;

use visor_runtime::bus::{BusError, Message, Payload, QueueOptions, Topic, TopicPattern};
use zenoh::Wait;
use zenoh::qos::CongestionControl;

use super::{Shared, spawn};
use crate::wire::{self, Stamp};
use crate::{NetError, keys};

/// Messages an export holds while the link is busy.
const EXPORT_QUEUE: usize = 8;

pub(super) fn start(shared: &Arc<Shared>, exports: &[TopicPattern]) -> Result<Vec<JoinHandle<()>>, NetError> {
    let mut threads = Vec::new();
    for pattern in exports {
        let subscription = shared
            .endpoint
            .subscribe(pattern.clone(), QueueOptions::latest(EXPORT_QUEUE))
            .map_err(|e| NetError::Bus { what: format!("exporting {pattern}"), message: e.to_string() })?;
        let shared = shared.clone();
        threads.push(spawn("visor-net-export", move || {
            let mut publishers = HashMap::new();
            while !shared.stopped() {
                match subscription.recv_timeout(Duration::from_millis(100)) {
                    Ok(message) => send(&shared, &mut publishers, &message),
                    Err(BusError::RecvTimeout { .. }) => {}
                    Err(e) => {
                        tracing::warn!("export of {} ended: {e}", subscription.pattern());
                        return;
                    }
                }
            }
        }));
    }
    Ok(threads)
}

fn send(shared: &Shared, publishers: &mut HashMap<Topic, zenoh::pubsub::Publisher<'static>>, message: &Message) {
    // What came from the network stays off it: no echo, no loops between devices.
    if message.sender.name.contains('@') {
        return;
    }
    let topic = &message.topic;
    if !publishers.contains_key(topic) {
        let publisher =
            shared.session.declare_publisher(keys::data(&shared.device, topic)).congestion_control(CongestionControl::Drop).wait();
        match publisher {
            Ok(publisher) => {
                publishers.insert(topic.clone(), publisher);
            }
            Err(e) => {
                tracing::warn!(%topic, "cannot publish on the network: {e}");
                return;
            }
        }
    }
    let publisher = &publishers[topic];
    // Encoding a frame costs milliseconds: only for somebody.
    if matches!(message.payload, Payload::Frame(_)) && !publisher.matching_status().wait().is_ok_and(|s| s.matching()) {
        return;
    }
    let stamp =
        Stamp { module: Some(message.sender.name.to_string()), sequence: message.sequence, sent_ns: message.sent_ns, ..Stamp::default() };
    let encoded = match wire::encode(&message.payload, stamp, shared.frame_encoding(topic), shared.network.jpeg_quality) {
        Ok(encoded) => encoded,
        Err(e) => {
            tracing::warn!(%topic, "not sent: {e}");
            return;
        }
    };
    match publisher.put(encoded.bytes).encoding(encoded.encoding).attachment(encoded.stamp.to_bytes()).wait() {
        Ok(()) => {
            shared.counters.sent.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => tracing::debug!(%topic, "put: {e}"),
    }
}
