//! Property tests of routing against a reference matcher written the obvious way.

use proptest::prelude::*;

use super::{bus, endpoint, pattern, topic};
use crate::bus::{Payload, QueueOptions, TopicPattern};

/// Matches pattern segments against topic segments by the definition.
fn reference(pattern: &[&str], topic: &[&str]) -> bool {
    match (pattern.first(), topic.first()) {
        (Some(&"#"), _) => true,
        (None, None) => true,
        (Some(&"+"), Some(_)) => reference(&pattern[1..], &topic[1..]),
        (Some(p), Some(t)) if p == t => reference(&pattern[1..], &topic[1..]),
        _ => false,
    }
}

fn segments(text: &str) -> Vec<&str> {
    text.split('/').collect()
}

fn pattern_text() -> impl Strategy<Value = String> {
    let body = prop::collection::vec(prop::sample::select(vec!["a", "b", "c", "+"]), 0..4);
    (body, any::<bool>()).prop_map(|(mut body, tail)| {
        if tail || body.is_empty() {
            body.push("#");
        }
        body.join("/")
    })
}

fn topic_text() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 1..5).prop_map(|s| s.join("/"))
}

/// Every topic of 1 to 6 segments over a, b, c and a letter no pattern uses.
fn small_topics() -> Vec<String> {
    let mut all = Vec::new();
    let mut layer = vec![String::new()];
    for _ in 0..6 {
        layer = layer
            .iter()
            .flat_map(|prefix| ["a", "b", "c", "d"].map(|s| if prefix.is_empty() { s.to_string() } else { format!("{prefix}/{s}") }))
            .collect();
        all.extend(layer.iter().cloned());
    }
    all
}

proptest! {
    #[test]
    fn patterns_match_as_the_reference_does(p in pattern_text(), t in topic_text()) {
        prop_assert_eq!(pattern(&p).matches(&topic(&t)), reference(&segments(&p), &segments(&t)));
    }

    /// Each message reaches exactly the live subscriptions whose pattern matches its topic,
    /// once each, in publish order; dropped subscriptions get nothing.
    #[test]
    fn messages_reach_exactly_the_matching_subscriptions(
        subs in prop::collection::vec((pattern_text(), any::<bool>()), 0..12),
        topics in prop::collection::vec(topic_text(), 0..40),
    ) {
        let (bus, _) = bus();
        let publisher = endpoint(&bus, 0, "publisher", &["#"], &[]);
        let listeners: Vec<_> = (0..3).map(|i| endpoint(&bus, i + 1, &format!("l{i}"), &[], &["#"])).collect();
        let mut live = Vec::new();
        for (i, (text, keep)) in subs.iter().enumerate() {
            let sub = listeners[i % 3].subscribe(pattern(text), QueueOptions::commands(64)).unwrap();
            if *keep {
                live.push((segments(text), sub));
            }
        }
        for (i, t) in topics.iter().enumerate() {
            let report = publisher.publish(&topic(t), Payload::json(&i).unwrap()).unwrap();
            let expected = live.iter().filter(|(p, _)| reference(p, &segments(t))).count() as u64;
            prop_assert_eq!(report.delivered, expected, "topic {}", t);
            prop_assert_eq!(report.rejected + report.dropped, 0);
        }
        for (p, sub) in &live {
            let got: Vec<usize> = sub.drain().map(|m| m.payload.decode().unwrap()).collect();
            let want: Vec<usize> =
                (0..topics.len()).filter(|&i| reference(p, &segments(&topics[i]))).collect();
            prop_assert_eq!(got, want, "pattern {}", p.join("/"));
        }
    }

    /// A grant covers a subscription exactly when no topic matches the subscription but not
    /// the grant.
    #[test]
    fn covers_agrees_with_matching(grant in pattern_text(), asked in pattern_text()) {
        let (g, a) = (pattern(&grant), pattern(&asked));
        let witness = small_topics().into_iter().find(|t| {
            let t = topic(t);
            a.matches(&t) && !g.matches(&t)
        });
        prop_assert_eq!(g.covers(&a), witness.is_none(), "witness {:?}", witness);
    }

    #[test]
    fn names_print_as_they_parse(p in pattern_text()) {
        let parsed: TopicPattern = p.parse().unwrap();
        prop_assert_eq!(parsed.to_string(), p);
    }
}
