use std::thread;
use std::time::Duration;

use super::{bus, endpoint, pattern, topic};
use crate::bus::{BusError, ModuleRef, Payload, QueueOptions};

const PATIENT: Duration = Duration::from_secs(10);

#[test]
fn request_and_reply_round_trip() {
    let (bus, _) = bus();
    let vision = endpoint(&bus, 5, "vision", &[], &["vision/detect"]);
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
    let silent = endpoint(&bus, 2, "silent", &[], &["svc"]);
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
    let careless = endpoint(&bus, 2, "careless", &[], &["svc"]);
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
