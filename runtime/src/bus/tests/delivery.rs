use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use super::{bus, endpoint, pattern, topic};
use crate::bus::{ModuleRef, Overflow, Payload, PublishReport, QueueOptions};

fn numbers(sub: &crate::bus::Subscription) -> Vec<u64> {
    sub.drain().map(|m| m.payload.decode::<u64>().unwrap()).collect()
}

#[test]
fn drop_oldest_keeps_the_newest_messages_and_counts_the_rest() {
    let (bus, _) = bus();
    let sensor = endpoint(&bus, 1, "imu", &["imu/#"], &[]);
    let app = endpoint(&bus, 2, "app", &[], &["imu/#"]);
    let sub = app.subscribe(pattern("imu/accel"), QueueOptions::latest(4)).unwrap();
    let t = topic("imu/accel");
    let reports: Vec<PublishReport> = (0..10u64).map(|i| sensor.publish(&t, Payload::json(&i).unwrap()).unwrap()).collect();
    assert_eq!(reports[0], PublishReport { delivered: 1, dropped: 0, rejected: 0 });
    assert_eq!(reports[9], PublishReport { delivered: 1, dropped: 1, rejected: 0 });
    assert_eq!(numbers(&sub), [6, 7, 8, 9]);
    assert_eq!(sub.dropped(), 6);
    assert_eq!(sub.rejected(), 0);
}

#[test]
fn reject_refuses_new_messages_and_tells_the_publisher() {
    let (bus, _) = bus();
    let ui = endpoint(&bus, 1, "ui", &["cmd/#"], &[]);
    let player = endpoint(&bus, 2, "player", &[], &["cmd/#"]);
    let commands = player.subscribe(pattern("cmd/play"), QueueOptions::commands(3)).unwrap();
    let watcher = player.subscribe(pattern("cmd/#"), QueueOptions::latest(16)).unwrap();
    let t = topic("cmd/play");
    let reports: Vec<PublishReport> = (0..5u64).map(|i| ui.publish(&t, Payload::json(&i).unwrap()).unwrap()).collect();
    assert_eq!(reports[2], PublishReport { delivered: 2, dropped: 0, rejected: 0 });
    assert_eq!(reports[3], PublishReport { delivered: 1, dropped: 0, rejected: 1 });
    assert_eq!(numbers(&commands), [0, 1, 2], "the oldest commands are kept, in order");
    assert_eq!(commands.rejected(), 2);
    assert_eq!(numbers(&watcher), [0, 1, 2, 3, 4], "another subscriber is unaffected");
    // Room again: the next command goes through.
    assert_eq!(ui.publish(&t, Payload::Empty).unwrap().rejected, 0);
}

#[test]
fn dropping_a_subscription_unsubscribes() {
    let (bus, _) = bus();
    let ep = endpoint(&bus, 1, "m", &["#"], &["#"]);
    let sub = ep.subscribe(pattern("a/+"), QueueOptions::latest(4)).unwrap();
    assert_eq!(ep.publish(&topic("a/b"), Payload::Empty).unwrap().delivered, 1);
    assert_eq!(bus.stats().subscriptions.len(), 1);
    drop(sub);
    assert_eq!(ep.publish(&topic("a/b"), Payload::Empty).unwrap().delivered, 0);
    assert!(bus.stats().subscriptions.is_empty());
}

#[test]
fn stats_count_messages_per_topic_with_the_last_sender() {
    let (bus, clock) = bus();
    let a = endpoint(&bus, 1, "a", &["#"], &["#"]);
    let b = endpoint(&bus, 2, "b", &["#"], &[]);
    let _sub = a.subscribe(pattern("x/#"), QueueOptions::commands(1)).unwrap();
    a.publish(&topic("x/1"), Payload::Empty).unwrap();
    clock.set_ns(99);
    b.publish(&topic("x/1"), Payload::Empty).unwrap();
    a.publish(&topic("y"), Payload::Empty).unwrap();
    let stats = bus.stats();
    let names: Vec<_> = stats.topics.iter().map(|t| (t.topic.as_str(), t.messages)).collect();
    assert_eq!(names, [("x/1", 2), ("y", 1)]);
    assert_eq!(stats.topics[0].last_sender, Some(ModuleRef::new(2, "b")));
    assert_eq!(stats.topics[0].last_sent_ns, 99);
    let sub = &stats.subscriptions[0];
    assert_eq!((sub.pattern.as_str(), sub.policy, sub.queued, sub.rejected), ("x/#", Overflow::Reject, 1, 1));
}

/// A module publishing as fast as it can into a queue nobody reads neither blocks nor costs a
/// second publisher's subscriber a single message or its order.
#[test]
fn a_flood_does_not_disturb_other_publishers() {
    let (bus, _) = bus();
    let flooder = endpoint(&bus, 1, "flooder", &["flood/#"], &[]);
    let sink = endpoint(&bus, 2, "sink", &[], &["flood/#"]);
    let calm = endpoint(&bus, 3, "calm", &["calm/#"], &[]);
    let reader = endpoint(&bus, 4, "reader", &[], &["calm/#"]);
    let _full = sink.subscribe(pattern("flood/x"), QueueOptions::commands(8)).unwrap();
    let _lossy = sink.subscribe(pattern("flood/#"), QueueOptions::latest(8)).unwrap();
    let steady = reader.subscribe(pattern("calm/y"), QueueOptions::commands(256)).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let flooded = Arc::new(AtomicU64::new(0));
    let flood = {
        let (stop, flooded) = (stop.clone(), flooded.clone());
        thread::spawn(move || {
            let t = topic("flood/x");
            let mut rejected = 0;
            while !stop.load(Ordering::Relaxed) || flooded.load(Ordering::Relaxed) < 10_000 {
                rejected += flooder.publish(&t, Payload::Empty).unwrap().rejected;
                flooded.fetch_add(1, Ordering::Relaxed);
            }
            rejected
        })
    };
    let t = topic("calm/y");
    for i in 0..200u64 {
        let report = calm.publish(&t, Payload::json(&i).unwrap()).unwrap();
        assert_eq!(report, PublishReport { delivered: 1, dropped: 0, rejected: 0 });
    }
    stop.store(true, Ordering::Relaxed);
    let rejected = flood.join().unwrap();
    let received: Vec<u64> = (0..200).map(|_| steady.recv_timeout(Duration::from_secs(5)).unwrap().payload.decode().unwrap()).collect();
    assert_eq!(received, (0..200).collect::<Vec<_>>());
    assert_eq!((steady.dropped(), steady.rejected()), (0, 0));
    let flooded = flooded.load(Ordering::Relaxed);
    assert!(flooded >= 10_000);
    assert_eq!(rejected, flooded - 8, "all but the first 8 flood messages were refused, none blocked");
}
