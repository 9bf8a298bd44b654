use std::thread;
use std::time::Duration;

use super::{bus, endpoint, pattern, server, topic};
use crate::bus::{Bus, BusAction, BusCapabilities, BusError, Endpoint, ModuleRef, Payload, QueueOptions};

const PATIENT: Duration = Duration::from_secs(10);

/// A module granted nothing but a call to `module`.
fn caller(bus: &Bus, id: u32, name: &str, module: &str) -> Endpoint {
    let caps = BusCapabilities { call: vec![module.into()], messages_per_second: u32::MAX, ..BusCapabilities::none() };
    bus.endpoint(ModuleRef::new(id, name), caps)
}

/// `server` answers the first request on `topic` with `text`, on a thread of its own.
fn answer_once(server: Endpoint, topic: &str, text: &'static str) -> thread::JoinHandle<()> {
    let inbox = server.subscribe(pattern(topic), QueueOptions::commands(4)).unwrap();
    thread::spawn(move || {
        let ask = inbox.recv_timeout(PATIENT).unwrap();
        server.reply(&ask, Payload::text(text)).unwrap();
    })
}

#[test]
fn request_and_reply_round_trip() {
    let (bus, _) = bus();
    let vision = server(&bus, 5, "vision", "vision/detect");
    let inbox = vision.subscribe(pattern("vision/detect"), QueueOptions::commands(4)).unwrap();
    let responder = thread::spawn(move || {
        let request = inbox.recv_timeout(PATIENT).unwrap();
        assert!(request.is_request());
        assert_eq!(request.sender, ModuleRef::new(1, "app"));
        let n: u32 = request.payload.decode().unwrap();
        vision.reply(&request, Payload::json(&(n * 2)).unwrap()).unwrap();
        // A second answer to the same request is refused.
        let again = vision.reply(&request, Payload::Empty).unwrap_err();
        assert!(matches!(again, BusError::AlreadyAnswered { .. }), "{again}");
    });
    let app = endpoint(&bus, 1, "app", &["vision/#"], &[]);
    let reply = app.request(&topic("vision/detect"), Payload::json(&21u32).unwrap(), PATIENT).unwrap();
    assert_eq!(reply.payload.decode::<u32>().unwrap(), 42);
    assert_eq!(reply.sender, ModuleRef::new(5, "vision"));
    assert!(!reply.is_request());
    responder.join().unwrap();
}

#[test]
fn a_request_nobody_answers_times_out() {
    let (bus, _) = bus();
    let silent = server(&bus, 2, "silent", "svc");
    let inbox = silent.subscribe(pattern("svc"), QueueOptions::commands(4)).unwrap();
    let app = endpoint(&bus, 1, "app", &["svc"], &[]);
    let error = app.request(&topic("svc"), Payload::Empty, Duration::from_millis(5)).unwrap_err();
    assert!(matches!(error, BusError::Timeout { .. }), "{error}");
    // The responder answers too late: the requester is gone.
    let late = inbox.try_recv().unwrap();
    let error = silent.reply(&late, Payload::Empty).unwrap_err();
    assert_eq!(error, BusError::RequesterGone { topic: "svc".into(), requester: "app".into() });
}

#[test]
fn requests_without_a_responder_or_with_a_full_one_fail_at_once() {
    let (bus, _) = bus();
    let app = endpoint(&bus, 1, "app", &["svc"], &[]);
    let error = app.request(&topic("svc"), Payload::Empty, PATIENT).unwrap_err();
    assert_eq!(error, BusError::NoResponder { topic: "svc".into() });

    let busy = endpoint(&bus, 2, "busy", &[], &["svc"]);
    let _inbox = busy.subscribe(pattern("svc"), QueueOptions::commands(1)).unwrap();
    // A request that times out stays queued, unread: the queue is now full.
    let other = endpoint(&bus, 3, "other", &["svc"], &[]);
    let error = other.request(&topic("svc"), Payload::Empty, Duration::from_millis(1)).unwrap_err();
    assert!(matches!(error, BusError::Timeout { .. }), "{error}");
    let error = app.request(&topic("svc"), Payload::Empty, PATIENT).unwrap_err();
    assert_eq!(error, BusError::QueueFull { topic: "svc".into(), subscriber: "busy".into() });
}

#[test]
fn a_request_dropped_unanswered_ends_the_wait() {
    let (bus, _) = bus();
    let careless = server(&bus, 2, "careless", "svc");
    let inbox = careless.subscribe(pattern("svc"), QueueOptions::commands(4)).unwrap();
    let responder = thread::spawn(move || drop(inbox.recv_timeout(PATIENT).unwrap()));
    let app = endpoint(&bus, 1, "app", &["svc"], &[]);
    let error = app.request(&topic("svc"), Payload::Empty, PATIENT).unwrap_err();
    assert_eq!(error, BusError::Unanswered { topic: "svc".into() });
    responder.join().unwrap();
}

#[test]
fn replying_to_a_plain_message_is_an_error() {
    let (bus, _) = bus();
    let ep = endpoint(&bus, 1, "m", &["a"], &["a"]);
    let sub = ep.subscribe(pattern("a"), QueueOptions::latest(1)).unwrap();
    ep.publish(&topic("a"), Payload::Empty).unwrap();
    let message = sub.try_recv().unwrap();
    assert_eq!(ep.reply(&message, Payload::Empty), Err(BusError::NotARequest { topic: "a".into() }));
}

#[test]
fn only_the_server_of_a_topic_answers_there() {
    let (bus, _) = bus();
    let camera = server(&bus, 1, "camera", "camera/describe");
    let own = camera.subscribe(pattern("camera/describe"), QueueOptions::commands(4)).unwrap();
    // A bystander that may read every camera topic, and even publish there, still may not
    // answer; nor may it take over the topic by claiming it too.
    let caps = BusCapabilities {
        publish: vec![pattern("camera/#")],
        subscribe: vec![pattern("camera/#")],
        serve: vec![pattern("camera/+")],
        messages_per_second: u32::MAX,
        ..BusCapabilities::none()
    };
    let impostor = bus.endpoint(ModuleRef::new(2, "impostor"), caps);
    let snooped = impostor.subscribe(pattern("camera/#"), QueueOptions::commands(4)).unwrap();
    let answer = thread::spawn(move || {
        let ask = own.recv_timeout(PATIENT).unwrap();
        camera.reply(&ask, Payload::text("lens")).unwrap();
    });
    let app = endpoint(&bus, 3, "app", &["camera/describe"], &[]);
    let reply = app.request(&topic("camera/describe"), Payload::Empty, PATIENT).unwrap();
    assert_eq!((reply.sender.name.as_ref(), reply.payload.as_text()), ("camera", Some("lens")));
    answer.join().unwrap();
    let ask = snooped.try_recv().unwrap();
    let error = impostor.reply(&ask, Payload::text("forged")).unwrap_err();
    assert!(matches!(error, BusError::Denied { action: BusAction::Reply, .. }), "{error}");
    assert!(error.to_string().contains("may not answer requests on 'camera/describe'"), "{error}");
}

#[test]
fn a_call_grant_reaches_the_served_topics_of_that_module_only() {
    let (bus, _) = bus();
    let answer = answer_once(server(&bus, 1, "vision", "vision/detect"), "vision/detect", "faces");
    let _other = server(&bus, 2, "other", "other/svc");
    let app = caller(&bus, 3, "app", "vision");
    let reply = app.request(&topic("vision/detect"), Payload::Empty, PATIENT).unwrap();
    assert_eq!(reply.payload.as_text(), Some("faces"));
    answer.join().unwrap();
    let error = app.request(&topic("other/svc"), Payload::Empty, Duration::from_millis(1)).unwrap_err();
    assert!(matches!(error, BusError::Denied { action: BusAction::Request, .. }), "served by a module it may not call: {error}");
    // Served by nobody (yet): nothing answers, and nothing is delivered to a bystander either.
    let bystander = endpoint(&bus, 4, "bystander", &[], &["vision/#"]);
    let overheard = bystander.subscribe(pattern("vision/#"), QueueOptions::commands(4)).unwrap();
    let error = app.request(&topic("vision/other"), Payload::Empty, Duration::from_millis(1)).unwrap_err();
    assert!(matches!(error, BusError::NoResponder { .. }), "served by nobody: {error}");
    assert!(overheard.try_recv().is_none(), "a request by a call grant reached a topic nobody serves");
    // The shell's reserved topics stay denied, served or not.
    let error = app.request(&topic("shell/cmd"), Payload::Empty, Duration::from_millis(1)).unwrap_err();
    assert!(matches!(error, BusError::Denied { .. }), "{error}");
}

/// In an offload the camera is a peer's: a call grant for `camera` reaches `camera@glasses`,
/// the proxy of the glasses' camera on the edge's bus, and not a module merely named alike.
#[test]
fn a_call_grant_reaches_that_module_on_another_device() {
    let (bus, _) = bus();
    let answer = answer_once(server(&bus, 1, "camera@glasses", "camera/describe"), "camera/describe", "lens");
    let _lookalike = server(&bus, 2, "camera-two@glasses", "lens/describe");
    let vision = caller(&bus, 3, "vision", "camera");
    let reply = vision.request(&topic("camera/describe"), Payload::Empty, PATIENT).unwrap();
    assert_eq!(reply.payload.as_text(), Some("lens"));
    answer.join().unwrap();
    let error = vision.request(&topic("lens/describe"), Payload::Empty, Duration::from_millis(1)).unwrap_err();
    assert!(matches!(error, BusError::Denied { action: BusAction::Request, .. }), "{error}");
}

#[test]
fn a_server_that_leaves_the_bus_gives_its_topics_up() {
    let (bus, _) = bus();
    drop(server(&bus, 1, "old", "svc"));
    let new = server(&bus, 2, "new", "svc");
    let inbox = new.subscribe(pattern("svc"), QueueOptions::commands(4)).unwrap();
    let app = endpoint(&bus, 3, "app", &["svc"], &[]);
    let answer = thread::spawn(move || {
        let ask = inbox.recv_timeout(PATIENT).unwrap();
        new.reply(&ask, Payload::Empty).unwrap();
    });
    assert_eq!(app.request(&topic("svc"), Payload::Empty, PATIENT).unwrap().sender.name.as_ref(), "new");
    answer.join().unwrap();
}
