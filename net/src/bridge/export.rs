//! Out: the exported topics, from this bus to `visor/DEVICE/TOPIC`. One thread per exported
//! pattern reads the bridge endpoint's subscription and puts each message through a publisher
//! per topic. A frame is encoded only when some peer's subscription matches its key.
//!
//! Two kinds of export, by the profile's `[network] keep`:
//! - streams (the default): a queue of the newest few messages; a slow link drops the oldest,
//!   and nobody listening drops them all, as a sensor stream should;
//! - kept topics: a command queue. While no peer listens (a cut link, a peer restarting) the
//!   thread holds the next message and waits, so the queue fills and then refuses new messages
//!   to their publishers (who are told, as with any full command queue); when a peer listens
//!   again, they go out in order, blocking rather than dropping on a congested link.

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

/// Messages a stream export holds while the link is busy.
const EXPORT_QUEUE: usize = 8;

/// Messages a kept export holds while nobody listens.
pub const KEEP_QUEUE: usize = 1024;

pub(super) fn start(shared: &Arc<Shared>, exports: &[TopicPattern], keep: &[TopicPattern]) -> Result<Vec<JoinHandle<()>>, NetError> {
    let kept: Vec<TopicPattern> = keep.iter().filter(|k| exports.iter().any(|e| e.covers(k))).cloned().collect();
    let mut threads = Vec::new();
    let streams = exports.iter().map(|p| (p, false));
    for (pattern, keeps) in streams.chain(kept.iter().map(|p| (p, true))) {
        let options = if keeps { QueueOptions::commands(KEEP_QUEUE) } else { QueueOptions::latest(EXPORT_QUEUE) };
        let subscription = shared
            .endpoint
            .subscribe(pattern.clone(), options)
            .map_err(|e| NetError::Bus { what: format!("exporting {pattern}"), message: e.to_string() })?;
        let (shared, kept) = (shared.clone(), kept.clone());
        threads.push(spawn("visor-net-export", move || {
            let mut publishers = HashMap::new();
            while !shared.stopped() {
                match subscription.recv_timeout(Duration::from_millis(100)) {
                    // A kept topic goes out through its own export only.
                    Ok(message) if !keeps && kept.iter().any(|k| k.matches(&message.topic)) => {}
                    Ok(message) => send(&shared, &mut publishers, &message, keeps),
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

fn send(shared: &Shared, publishers: &mut HashMap<Topic, zenoh::pubsub::Publisher<'static>>, message: &Message, keep: bool) {
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
    let listened = || publisher.matching_status().wait().is_ok_and(|s| s.matching());
    if keep {
        // Held until a peer listens; meanwhile the queue behind it fills.
        while !listened() {
            if shared.stopped() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    } else if matches!(message.payload, Payload::Frame(_)) && !listened() {
        // Encoding a frame costs milliseconds: only for somebody.
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
