use std::time::Duration;

use super::{bus, endpoint, pattern, topic};
use crate::bus::{
    BusAction, BusCapabilities, BusError, MAX_QUEUE_CAPACITY, MAX_SUBSCRIPTIONS_PER_MODULE, ModuleRef, Payload, QueueOptions,
};

#[test]
fn publish_without_a_grant_is_denied_with_a_clear_message() {
    let (bus, _) = bus();
    let cube = endpoint(&bus, 1, "cube", &["cube/#"], &[]);
    let error = cube.publish(&topic("camera/frames"), Payload::Empty).unwrap_err();
    assert_eq!(error, BusError::Denied { module: "cube".into(), action: BusAction::Publish, topic: "camera/frames".into() });
    assert_eq!(
        error.to_string(),
        "module 'cube' may not publish to 'camera/frames': its manifest or the user's policy does not \
         grant it"
    );
    assert!(cube.publish(&topic("cube/state"), Payload::Empty).is_ok());
}

#[test]
fn subscribing_beyond_the_grant_is_denied() {
    let (bus, _) = bus();
    let app = endpoint(&bus, 1, "app", &[], &["vision/faces", "camera/+/frames"]);
    assert!(app.subscribe(pattern("vision/faces"), QueueOptions::latest(4)).is_ok());
    assert!(app.subscribe(pattern("camera/left/frames"), QueueOptions::latest(4)).is_ok());
    for asked in ["vision/#", "camera/#", "+/faces", "pose/head"] {
        let error = app.subscribe(pattern(asked), QueueOptions::latest(4)).unwrap_err();
        assert!(matches!(&error, BusError::Denied { action: BusAction::Subscribe, topic, .. } if topic == asked), "{asked}: {error}");
    }
}

#[test]
fn requests_need_a_publish_grant() {
    let (bus, _) = bus();
    let app = endpoint(&bus, 1, "app", &["ui/#"], &["#"]);
    let error = app.request(&topic("vision/detect"), Payload::Empty, Duration::from_millis(1)).unwrap_err();
    assert!(matches!(error, BusError::Denied { action: BusAction::Request, .. }), "{error}");
    assert!(error.to_string().contains("may not send requests to 'vision/detect'"));
}

#[test]
fn an_endpoint_without_capabilities_can_do_nothing() {
    let (bus, _) = bus();
    let nobody = bus.endpoint(ModuleRef::new(9, "nobody"), BusCapabilities::none());
    assert!(nobody.publish(&topic("a"), Payload::Empty).is_err());
    assert!(nobody.subscribe(pattern("a"), QueueOptions::latest(1)).is_err());
}

#[test]
fn the_sender_is_the_endpoint_whatever_the_payload_claims() {
    let (bus, clock) = bus();
    let listener = endpoint(&bus, 1, "listener", &[], &["#"]);
    let sub = listener.subscribe(pattern("#"), QueueOptions::latest(8)).unwrap();
    let cube = endpoint(&bus, 7, "cube", &["#"], &[]);
    clock.set_ns(42);
    let forged = serde_json::json!({ "sender": "camera-driver", "id": 0 });
    cube.publish(&topic("camera/frames"), Payload::json(&forged).unwrap()).unwrap();
    let message = sub.try_recv().unwrap();
    assert_eq!(message.sender, ModuleRef::new(7, "cube"));
    assert_eq!(message.sent_ns, 42);
    assert_eq!(message.payload.decode::<serde_json::Value>().unwrap(), forged);
}

#[test]
fn the_rate_limit_refuses_messages_past_the_allowance_until_time_moves() {
    let (bus, clock) = bus();
    let caps = BusCapabilities {
        publish: vec![pattern("chat")],
        subscribe: vec![],
        messages_per_second: 5,
        shell: false,
        serve: Vec::new(),
        call: Vec::new(),
    };
    let chatty = bus.endpoint(ModuleRef::new(3, "chatty"), caps);
    let (chat, elsewhere) = (topic("chat"), topic("elsewhere"));
    // Denied calls are refused before they cost any allowance.
    for _ in 0..3 {
        assert!(matches!(chatty.publish(&elsewhere, Payload::Empty), Err(BusError::Denied { .. })));
    }
    let results: Vec<_> = (0..8).map(|_| chatty.publish(&chat, Payload::Empty)).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 5);
    assert_eq!(results[7], Err(BusError::RateLimited { module: "chatty".into(), limit: 5 }));
    assert!(results[7].as_ref().unwrap_err().to_string().contains("allowance of 5 messages per second"));
    // The capability check still comes first once the allowance is spent.
    assert!(matches!(chatty.publish(&elsewhere, Payload::Empty), Err(BusError::Denied { .. })));
    clock.set_ns(200_000_000); // a fifth of a second buys one message
    assert!(chatty.publish(&chat, Payload::Empty).is_ok());
    assert!(chatty.publish(&chat, Payload::Empty).is_err());
}

#[test]
fn queue_sizes_and_subscription_counts_are_bounded() {
    let (bus, _) = bus();
    let app = endpoint(&bus, 1, "app", &[], &["#"]);
    for capacity in [0, MAX_QUEUE_CAPACITY + 1, usize::MAX] {
        let error = app.subscribe(pattern("a"), QueueOptions::latest(capacity)).unwrap_err();
        assert!(matches!(error, BusError::QueueCapacity { .. }), "{error}");
    }
    let mut held: Vec<_> =
        (0..MAX_SUBSCRIPTIONS_PER_MODULE).map(|_| app.subscribe(pattern("a"), QueueOptions::latest(1)).unwrap()).collect();
    let error = app.subscribe(pattern("a"), QueueOptions::latest(1)).unwrap_err();
    assert!(matches!(error, BusError::TooManySubscriptions { .. }), "{error}");
    held.pop();
    assert!(app.subscribe(pattern("a"), QueueOptions::latest(1)).is_ok());
}

#[test]
fn narrowed_grants_cut_off_subscriptions_they_no_longer_cover() {
    let (bus, _) = bus();
    let app = endpoint(&bus, 1, "app", &["#"], &["#"]);
    let camera = app.subscribe(pattern("camera/#"), QueueOptions::latest(8)).unwrap();
    let ui = app.subscribe(pattern("ui/+"), QueueOptions::latest(8)).unwrap();
    let (frames, clicks) = (topic("camera/frames"), topic("ui/click"));
    app.publish(&frames, Payload::Empty).unwrap();
    app.publish(&clicks, Payload::Empty).unwrap();

    // A clone is the same endpoint: narrowing through it narrows the original too.
    let upgraded = app.clone();
    let caps = BusCapabilities {
        publish: vec![pattern("#")],
        subscribe: vec![pattern("ui/#")],
        messages_per_second: 10,
        shell: false,
        serve: Vec::new(),
        call: Vec::new(),
    };
    upgraded.set_capabilities(caps.clone());
    assert_eq!(*app.capabilities(), caps);
    assert_eq!(app.publish(&frames, Payload::Empty).unwrap().delivered, 0);
    assert_eq!(app.publish(&clicks, Payload::Empty).unwrap().delivered, 1);
    assert_eq!((camera.len(), ui.len()), (1, 2), "what was queued stays readable");
    let error = app.subscribe(pattern("camera/#"), QueueOptions::latest(8)).unwrap_err();
    assert!(matches!(error, BusError::Denied { action: BusAction::Subscribe, .. }), "{error}");
}

#[test]
fn shell_topics_need_the_shell_capability_even_under_wide_grants() {
    let (bus, _) = bus();
    // Grants as wide as patterns go, but without the shell capability.
    let wide = endpoint(&bus, 1, "wide", &["#"], &["#"]);
    let caps = BusCapabilities {
        publish: vec![pattern("shell/#")],
        subscribe: vec![pattern("#")],
        messages_per_second: 100,
        shell: true,
        serve: Vec::new(),
        call: Vec::new(),
    };
    let launcher = bus.endpoint(ModuleRef::new(2, "launcher"), caps.clone());

    let error = wide.publish(&topic("shell/cmd/open"), Payload::Empty).unwrap_err();
    assert!(error.to_string().contains("also need the shell capability"), "{error}");
    let everything = wide.subscribe(pattern("#"), QueueOptions::latest(8)).unwrap();
    let launcher_sees = launcher.subscribe(pattern("shell/#"), QueueOptions::latest(8)).unwrap();

    assert_eq!(launcher.publish(&topic("shell/state"), Payload::Empty).unwrap().delivered, 1);
    assert_eq!(launcher_sees.len(), 1);
    assert_eq!(everything.len(), 0, "a '#' subscription without the capability never sees shell/ topics");
    wide.publish(&topic("news/today"), Payload::Empty).unwrap();
    assert_eq!(everything.len(), 1, "other topics still flow");

    // Revoking the capability cuts the subscriptions that saw shell/ topics.
    launcher.set_capabilities(BusCapabilities { shell: false, ..caps });
    assert!(launcher.publish(&topic("shell/state"), Payload::Empty).is_err());
    assert_eq!(launcher_sees.len(), 1, "nothing more arrives after the revocation");
}

#[test]
fn a_change_of_grants_is_seen_by_the_next_publish_either_way() {
    let (bus, _) = bus();
    let app = endpoint(&bus, 1, "app", &["a/#"], &[]);
    let caps = app.capabilities().as_ref().clone();
    assert!(app.publish(&topic("a/x"), Payload::Empty).is_ok());
    assert!(app.publish(&topic("b/x"), Payload::Empty).is_err());

    // Narrowed: a topic cleared before is checked again, not taken from the ledger's memory.
    app.set_capabilities(BusCapabilities { publish: vec![pattern("b/#")], ..caps.clone() });
    assert!(app.publish(&topic("a/x"), Payload::Empty).is_err());
    assert!(app.publish(&topic("b/x"), Payload::Empty).is_ok());
    // Widened back.
    app.set_capabilities(caps);
    assert!(app.publish(&topic("a/x"), Payload::Empty).is_ok());

    // Only cleared messages are counted.
    let counted: Vec<_> = bus.stats().topics.iter().map(|t| (t.topic.to_string(), t.messages)).collect();
    assert_eq!(counted, [("a/x".to_string(), 2), ("b/x".to_string(), 1)]);
}
