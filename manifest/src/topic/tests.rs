//! Topic names and patterns: matching, covering and refusals, each as a table.

use super::{Topic, TopicPattern};

fn topic(name: &str) -> Topic {
    Topic::new(name).unwrap()
}

fn pattern(text: &str) -> TopicPattern {
    TopicPattern::new(text).unwrap()
}

#[test]
fn wildcard_matching_table() {
    #[rustfmt::skip]
    let table = [
        // pattern,           topic,                   matches
        ("camera/frames",     "camera/frames",         true),
        ("camera/frames",     "camera/frames/left",    false),
        ("camera/frames",     "camera",                false),
        ("camera/+/frames",   "camera/front/frames",   true),
        ("camera/+/frames",   "camera/frames",         false),
        ("camera/+/frames",   "camera/a/b/frames",     false),
        ("+",                 "pose",                  true),
        ("+",                 "pose/head",             false),
        ("+/+",               "pose/head",             true),
        ("vision/#",          "vision",                true),
        ("vision/#",          "vision/faces",          true),
        ("vision/#",          "vision/faces/left/eye", true),
        ("vision/#",          "visions/faces",         false),
        ("#",                 "anything/at/all",       true),
        ("+/#",               "a",                     true),
        ("a/+/#",             "a",                     false),
        ("a/+/#",             "a/b",                   true),
        ("a.b-c_d/+",         "a.b-c_d/0",             true),
    ];
    for (p, t, expected) in table {
        assert_eq!(pattern(p).matches(&topic(t)), expected, "'{p}' against '{t}'");
    }
}

#[test]
fn bad_names_are_refused_with_the_reason() {
    let cases = [
        ("", "it is empty"),
        ("a//b", "segment 2 is empty"),
        ("/a", "segment 1 is empty"),
        ("a/", "segment 2 is empty"),
        ("Camera", "'C' is not allowed"),
        ("a b", "' ' is not allowed"),
        ("a/+", "wildcards"),
        ("a/#", "wildcards"),
    ];
    for (name, reason) in cases {
        let error = Topic::new(name).unwrap_err().to_string();
        assert!(error.contains(reason), "topic {name:?}: {error}");
    }
    let error = TopicPattern::new("a/#/b").unwrap_err().to_string();
    assert_eq!(error, "topic pattern 'a/#/b': '#' may only be the last segment");
    let error = TopicPattern::new("a/x+/b").unwrap_err().to_string();
    assert!(error.contains("must fill a whole segment"), "{error}");
    let long = "a".repeat(300);
    let error = Topic::new(&long).unwrap_err().to_string();
    assert!(error.contains("300 bytes long; the limit is 256") && error.len() < 200, "{error}");
}

#[test]
fn patterns_parse_from_manifest_strings_and_print_back() {
    let parsed: Vec<TopicPattern> = serde_json::from_str(r#"["camera/+/frames", "vision/#"]"#).unwrap();
    assert_eq!(parsed[0].to_string(), "camera/+/frames");
    assert_eq!(parsed[1], pattern("vision/#"));
    assert_eq!(serde_json::to_string(&parsed[0]).unwrap(), r#""camera/+/frames""#);
    let bad = serde_json::from_str::<TopicPattern>(r#""a/#/b""#).unwrap_err().to_string();
    assert!(bad.contains("'#' may only be the last segment"), "{bad}");
    assert_eq!("x/y".parse::<Topic>().unwrap().as_str(), "x/y");
}

#[test]
fn exact_patterns_know_their_topic() {
    assert_eq!(pattern("a/b").as_topic(), Some(topic("a/b")));
    assert_eq!(pattern("a/+").as_topic(), None);
    assert_eq!(TopicPattern::exact(&topic("a/b")), pattern("a/b"));
}

#[test]
fn covering_table() {
    #[rustfmt::skip]
    let table = [
        // grant,        asked,          covered
        ("#",            "a/+/#",        true),
        ("camera/#",     "camera/+",     true),
        ("camera/#",     "camera",       true),
        ("camera/#",     "camera/#",     true),
        ("camera/+",     "camera/front", true),
        ("camera/+",     "camera/#",     false),
        ("camera/+",     "camera/+/x",   false),
        ("camera/front", "camera/+",     false),
        ("+",            "#",            false),
        ("+/#",          "#",            true),
        ("a/+/#",        "a/#",          false),
        ("a/b",          "a/b",          true),
        ("a/b",          "a",            false),
        ("a",            "a/#",          false),
    ];
    for (grant, asked, expected) in table {
        assert_eq!(pattern(grant).covers(&pattern(asked)), expected, "'{grant}' covers '{asked}'");
    }
}

#[test]
fn overlapping_table() {
    #[rustfmt::skip]
    let table = [
        ("camera/describe", "camera/describe", true),
        ("camera/describe", "camera/info",     false),
        ("camera/#",        "camera/describe", true),
        ("camera/#",        "camera",          true),
        ("+/describe",      "camera/+",        true),
        ("+/describe",      "camera/info",     false),
        ("a/+/#",           "a",               false),
        ("a/+",             "a/b/c",           false),
        ("#",               "x/y",             true),
        ("+/#",             "a",               true),
    ];
    for (a, b, expected) in table {
        assert_eq!(pattern(a).overlaps(&pattern(b)), expected, "'{a}' overlaps '{b}'");
        assert_eq!(pattern(b).overlaps(&pattern(a)), expected, "'{b}' overlaps '{a}'");
    }
}
