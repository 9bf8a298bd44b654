//! Topic names and patterns: the input's first line as a pattern (and as a topic), the rest as a
//! topic (and as a pattern).
//!
//! Asserted: a topic's own text is a pattern that matches it and equals `TopicPattern::exact`;
//! `covers` is reflexive; a pattern covers the exact pattern of a topic exactly when it matches
//! that topic; a pattern matches the topics made from it by filling its wildcards, and so does
//! every pattern that covers it (so a grant never lets through less than it claims to cover);
//! text and parse round-trip; topics compare as their names do.

use std::cmp::Ordering;

use visor_manifest::{Topic, TopicPattern};

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (first, second) = text.split_once('\n').unwrap_or((text, ""));
    let pattern = TopicPattern::new(first).ok();
    let other = TopicPattern::new(second).ok();
    let topic = Topic::new(second).ok();
    let first_topic = Topic::new(first).ok();

    for p in pattern.iter().chain(&other) {
        check_pattern(p);
    }
    for t in topic.iter().chain(&first_topic) {
        check_topic(t);
    }
    if let (Some(p), Some(t)) = (&pattern, &topic) {
        assert_eq!(p.matches(t), p.covers(&TopicPattern::exact(t)), "{p} matches {t} exactly when it covers it");
    }
    if let (Some(p), Some(q)) = (&pattern, &other)
        && p.covers(q)
    {
        for w in witnesses(q) {
            assert!(p.matches(&w), "{p} covers {q}, which matches {w}, so {p} must match it too");
        }
    }
    if let (Some(a), Some(b)) = (&first_topic, &topic) {
        assert_eq!(a == b, a.as_str() == b.as_str(), "topics are equal exactly when their names are");
        assert_eq!(a.cmp(b), a.as_str().cmp(b.as_str()));
        assert_eq!(a.partial_cmp(b), Some(a.cmp(b)));
        if a.cmp(b) == Ordering::Equal {
            assert_eq!(a, b);
        }
    }
}

fn check_topic(t: &Topic) {
    let own = TopicPattern::new(t.as_str()).unwrap_or_else(|e| panic!("topic {t}'s own text is not a pattern: {e}"));
    assert!(own.matches(t), "{own} does not match its own topic");
    assert!(own.covers(&own));
    assert_eq!(own, TopicPattern::exact(t));
    assert_eq!(own.as_topic().as_ref(), Some(t));
    assert_eq!(Topic::new(&t.to_string()).as_ref(), Ok(t));
    let _ = t.is_reserved();
}

fn check_pattern(p: &TopicPattern) {
    assert!(p.covers(p), "covers is reflexive: {p}");
    assert_eq!(TopicPattern::new(p.as_str()).as_ref(), Ok(p), "a pattern's text parses back to it");
    if let Some(t) = p.as_topic() {
        assert!(p.matches(&t), "{p} does not match the topic it is");
        assert_eq!(TopicPattern::exact(&t), *p);
    }
    for w in witnesses(p) {
        assert!(p.matches(&w), "{p} does not match {w}, which fills its wildcards");
    }
}

/// Topics that `p` matches, made by filling its wildcards: `+` with one segment, `#` with none
/// (or one when it stands alone, as topics are never empty) and with two. A filling longer
/// than a topic may be is left out.
pub fn witnesses(p: &TopicPattern) -> Vec<Topic> {
    let fill = |hash: &[&str]| {
        let mut segments = Vec::new();
        for segment in p.as_str().split('/') {
            match segment {
                "+" => segments.push("w"),
                "#" => segments.extend_from_slice(hash),
                literal => segments.push(literal),
            }
        }
        Topic::new(&segments.join("/")).ok()
    };
    let short = if p.as_str() == "#" { fill(&["w"]) } else { fill(&[]) };
    short.into_iter().chain(fill(&["w", "w"])).collect()
}
