//! Bytes charged to the receiving module: what its queues and frames may hold.

use std::sync::Arc;

use super::{bus, endpoint, pattern, topic};
use crate::bus::{BusError, FrameHandle, MAX_PAYLOAD_BYTES, Payload, PixelFormat, QueueOptions};

const KIB: u64 = 1024;

fn kib(n: usize) -> Payload {
    Payload::bytes(vec![7u8; n * 1024])
}

#[test]
fn queued_bytes_are_charged_to_the_receiver_and_given_back_when_read() {
    let (bus, _) = bus();
    let sender = endpoint(&bus, 1, "sender", &["data/#"], &[]);
    let receiver = endpoint(&bus, 2, "receiver", &[], &["data/#"]);
    receiver.budget().set_limit(64 * KIB);
    let sub = receiver.subscribe(pattern("data/#"), QueueOptions::latest(4096)).unwrap();
    for _ in 0..10 {
        sender.publish(&topic("data/x"), kib(4)).unwrap();
    }
    assert_eq!((receiver.budget().used(), sender.budget().used()), (40 * KIB, 0), "the receiver pays, not the sender");
    sub.try_recv().unwrap();
    assert_eq!(receiver.budget().used(), 36 * KIB);
    assert_eq!(sub.drain().count(), 9);
    assert_eq!(receiver.budget().used(), 0);
}

#[test]
fn a_spent_budget_drops_the_oldest_of_a_stream_and_refuses_commands() {
    let (bus, _) = bus();
    let sender = endpoint(&bus, 1, "sender", &["data/#"], &[]);
    let hoarder = endpoint(&bus, 2, "hoarder", &[], &["data/#"]);
    hoarder.budget().set_limit(64 * KIB);
    let stream = hoarder.subscribe(pattern("data/stream"), QueueOptions::latest(4096)).unwrap();
    for _ in 0..100 {
        sender.publish(&topic("data/stream"), kib(16)).unwrap();
    }
    // The queue has room for 4096 messages, but the budget for 4 of these.
    assert_eq!(stream.len(), 4);
    assert_eq!(stream.dropped(), 96);
    assert_eq!(hoarder.budget().used(), 64 * KIB);

    let commands = hoarder.subscribe(pattern("data/cmd"), QueueOptions::commands(4096)).unwrap();
    let report = sender.publish(&topic("data/cmd"), kib(1)).unwrap();
    assert_eq!((report.delivered, report.rejected), (0, 1), "nothing to evict for a command queue");
    assert_eq!(commands.rejected(), 1);
    // A message larger than the whole budget never evicts the queue for nothing.
    hoarder.budget().set_limit(8 * KIB);
    let report = sender.publish(&topic("data/stream"), kib(16)).unwrap();
    assert_eq!(report.delivered, 0);
    assert_eq!(stream.len(), 4, "what was queued stays");
}

#[test]
fn every_queue_holding_a_frame_pays_for_it_until_it_is_read_or_dropped() {
    let (bus, _) = bus();
    let camera = endpoint(&bus, 1, "camera", &["camera/frames"], &[]);
    let app = endpoint(&bus, 2, "app", &[], &["camera/#"]);
    let (a, b) = (
        app.subscribe(pattern("camera/frames"), QueueOptions::latest(64)).unwrap(),
        app.subscribe(pattern("camera/#"), QueueOptions::latest(64)).unwrap(),
    );
    let pixels: Arc<[u8]> = vec![0u8; 64 * 48 * 4].into();
    let frame = FrameHandle::new(64, 48, 256, PixelFormat::Rgba8, pixels, 0, 0).unwrap();
    camera.publish(&topic("camera/frames"), Payload::Frame(frame)).unwrap();
    assert_eq!(app.budget().used(), 2 * 64 * 48 * 4);
    a.try_recv().unwrap();
    assert_eq!(app.budget().used(), 64 * 48 * 4);
    drop(b);
    assert_eq!(app.budget().used(), 0, "an unread queue that goes gives its bytes back");
}

#[test]
fn payloads_are_capped() {
    let (bus, _) = bus();
    let sender = endpoint(&bus, 1, "sender", &["data/#"], &[]);
    let error = sender.publish(&topic("data/big"), Payload::bytes(vec![0u8; MAX_PAYLOAD_BYTES as usize + 1])).unwrap_err();
    assert!(matches!(error, BusError::PayloadTooLarge { kind: "bytes", .. }), "{error}");
    assert!(error.to_string().contains("at most 1048576 bytes"), "{error}");
    assert!(sender.publish(&topic("data/big"), Payload::bytes(vec![0u8; MAX_PAYLOAD_BYTES as usize])).is_ok());
}
