//! Topic names and subscription patterns.
//!
//! A [`Topic`] is what a message is published to: `/`-separated segments of lowercase ASCII
//! letters, digits, `_`, `-` and `.`. A [`TopicPattern`] is what a subscription (or a grant)
//! asks for, MQTT-style: `+` fills exactly one segment, `#` as the last segment fills zero or
//! more. Both are parsed once, at the edge, so routing compares validated strings only.
//!
//! They live here, not in the runtime's bus, because manifests and policies name patterns too;
//! the bus re-exports them and routes by them. `tests.rs` holds the matching and covering tables.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash, Hasher};
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Longest topic or pattern, in bytes. Names come from guests; a bound keeps the routing
/// table and the statistics small whatever a module sends.
pub const MAX_TOPIC_BYTES: usize = 256;

/// Longest slice of an offending name quoted back in an error.
const QUOTE_CHARS: usize = 80;

/// Why a topic name or pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{kind} '{text}': {reason}")]
pub struct TopicError {
    /// "topic" or "topic pattern".
    kind: &'static str,
    /// The offending text, cut to a readable length.
    text: String,
    reason: String,
}

impl TopicError {
    fn new(kind: &'static str, text: &str, reason: impl Into<String>) -> Self {
        let mut quoted: String = text.chars().take(QUOTE_CHARS).collect();
        if quoted.len() < text.len() {
            quoted.push('…');
        }
        TopicError { kind, text: quoted, reason: reason.into() }
    }
}

/// The first segment of the topics reserved to the shell capability.
pub const RESERVED_SEGMENT: &str = "shell";

/// A validated topic name, such as `camera/front/frames`. Cheap to clone.
///
/// The name is hashed once, when the topic is made, with a key chosen at random per process
/// (names come from guests, who must not be able to pick colliding ones); the routing table
/// and the statistics then look topics up without hashing the name again (the runtime's bus
/// keys its maps by that stored hash).
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Topic {
    name: Arc<str>,
    hash: u64,
    /// Under `shell/`: found once here, asked on every publish.
    reserved: bool,
}

impl Topic {
    pub fn new(name: &str) -> Result<Topic, TopicError> {
        check_length("topic", name)?;
        for (index, segment) in name.split('/').enumerate() {
            if segment.contains(['+', '#']) {
                return Err(TopicError::new(
                    "topic",
                    name,
                    "wildcards ('+', '#') belong in subscription patterns, not in the topic a \
                     message is published to",
                ));
            }
            check_segment("topic", name, index, segment)?;
        }
        Ok(Topic::from_checked(name.into()))
    }

    fn from_checked(name: Arc<str>) -> Topic {
        static KEY: OnceLock<RandomState> = OnceLock::new();
        let hash = KEY.get_or_init(RandomState::new).hash_one(&*name);
        let reserved = name.split('/').next() == Some(RESERVED_SEGMENT);
        Topic { name, hash, reserved }
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }

    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.name.split('/')
    }

    /// Whether the topic is under `shell/`, reserved to the shell capability.
    pub fn is_reserved(&self) -> bool {
        self.reserved
    }
}

impl PartialEq for Topic {
    fn eq(&self, other: &Topic) -> bool {
        self.hash == other.hash && (Arc::ptr_eq(&self.name, &other.name) || self.name == other.name)
    }
}

impl Eq for Topic {}

impl Hash for Topic {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

impl PartialOrd for Topic {
    fn partial_cmp(&self, other: &Topic) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Topic {
    fn cmp(&self, other: &Topic) -> std::cmp::Ordering {
        self.name.cmp(&other.name)
    }
}

impl FromStr for Topic {
    type Err = TopicError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Topic::new(s)
    }
}

impl TryFrom<String> for Topic {
    type Error = TopicError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Topic::new(&s)
    }
}

impl From<Topic> for String {
    fn from(t: Topic) -> String {
        t.name.to_string()
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl fmt::Debug for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Topic({:?})", &*self.name)
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum Segment {
    Literal(Box<str>),
    /// `+`: exactly one segment.
    One,
    /// `#`: zero or more segments; always last.
    Rest,
}

/// A subscription pattern: `camera/+/frames`, `vision/#`, or an exact name.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TopicPattern {
    text: Arc<str>,
    segments: Box<[Segment]>,
    /// No wildcards: it matches the topic of the same name and no other (checked on every
    /// publish, so by one string comparison rather than segment by segment).
    exact: bool,
}

impl TopicPattern {
    pub fn new(text: &str) -> Result<TopicPattern, TopicError> {
        const KIND: &str = "topic pattern";
        check_length(KIND, text)?;
        let count = text.split('/').count();
        let mut segments = Vec::with_capacity(count);
        for (index, segment) in text.split('/').enumerate() {
            segments.push(match segment {
                "+" => Segment::One,
                "#" if index + 1 == count => Segment::Rest,
                "#" => {
                    return Err(TopicError::new(KIND, text, "'#' may only be the last segment"));
                }
                _ if segment.contains(['+', '#']) => {
                    return Err(TopicError::new(
                        KIND,
                        text,
                        format!(
                            "segment {} ('{segment}') mixes a wildcard with other characters; \
                             '+' and '#' must fill a whole segment, as in 'camera/+/frames'",
                            index + 1
                        ),
                    ));
                }
                _ => {
                    check_segment(KIND, text, index, segment)?;
                    Segment::Literal(segment.into())
                }
            });
        }
        Ok(TopicPattern::from_parts(text.into(), segments.into()))
    }

    /// The pattern that matches exactly one topic.
    pub fn exact(topic: &Topic) -> TopicPattern {
        TopicPattern::from_parts(topic.name.clone(), topic.segments().map(|s| Segment::Literal(s.into())).collect())
    }

    fn from_parts(text: Arc<str>, segments: Box<[Segment]>) -> TopicPattern {
        let exact = segments.iter().all(|s| matches!(s, Segment::Literal(_)));
        TopicPattern { text, segments, exact }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The single topic this pattern matches, when it has no wildcards.
    pub fn as_topic(&self) -> Option<Topic> {
        self.exact.then(|| Topic::from_checked(self.text.clone()))
    }

    pub fn matches(&self, topic: &Topic) -> bool {
        if self.exact {
            return *self.text == *topic.name;
        }
        let mut parts = topic.segments();
        for segment in self.segments.iter() {
            match segment {
                Segment::Rest => return true,
                Segment::One => {
                    if parts.next().is_none() {
                        return false;
                    }
                }
                Segment::Literal(literal) => {
                    if parts.next() != Some(&**literal) {
                        return false;
                    }
                }
            }
        }
        parts.next().is_none()
    }

    /// Whether some topic is matched by both patterns: the check that keeps two modules from
    /// serving the same requests.
    pub fn overlaps(&self, other: &TopicPattern) -> bool {
        let (mut mine, mut theirs) = (self.segments.iter(), other.segments.iter());
        loop {
            match (mine.next(), theirs.next()) {
                // `#` matches zero or more segments, whatever the other side still asks.
                (Some(Segment::Rest), _) | (_, Some(Segment::Rest)) => return true,
                (None, None) => return true,
                (None, Some(_)) | (Some(_), None) => return false,
                (Some(Segment::One), Some(_)) | (Some(_), Some(Segment::One)) => {}
                (Some(Segment::Literal(a)), Some(Segment::Literal(b))) => {
                    if a != b {
                        return false;
                    }
                }
            }
        }
    }

    /// Whether every topic `other` matches is also matched by `self`: the check a grant of
    /// `self` makes before allowing a subscription to `other`.
    pub fn covers(&self, other: &TopicPattern) -> bool {
        // Topics are never empty, so `+/#` matches exactly what `#` does.
        if *self.segments == [Segment::One, Segment::Rest] {
            return true;
        }
        let mut theirs = other.segments.iter();
        for mine in self.segments.iter() {
            if *mine == Segment::Rest {
                return true;
            }
            match (mine, theirs.next()) {
                // `other` ended early, or reaches further with `#`, than a non-`#` segment allows.
                (_, None) | (_, Some(Segment::Rest)) => return false,
                (Segment::One, Some(_)) => {}
                (Segment::Literal(a), Some(Segment::Literal(b))) if a == b => {}
                _ => return false,
            }
        }
        theirs.next().is_none()
    }
}

impl FromStr for TopicPattern {
    type Err = TopicError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TopicPattern::new(s)
    }
}

impl TryFrom<String> for TopicPattern {
    type Error = TopicError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TopicPattern::new(&s)
    }
}

impl From<TopicPattern> for String {
    fn from(p: TopicPattern) -> String {
        p.text.to_string()
    }
}

impl From<Topic> for TopicPattern {
    fn from(topic: Topic) -> TopicPattern {
        TopicPattern::exact(&topic)
    }
}

impl fmt::Display for TopicPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for TopicPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TopicPattern({:?})", &*self.text)
    }
}

fn check_length(kind: &'static str, text: &str) -> Result<(), TopicError> {
    if text.is_empty() {
        return Err(TopicError::new(kind, text, "it is empty; name one such as 'camera/frames'"));
    }
    if text.len() > MAX_TOPIC_BYTES {
        return Err(TopicError::new(kind, text, format!("it is {} bytes long; the limit is {MAX_TOPIC_BYTES}", text.len())));
    }
    Ok(())
}

fn check_segment(kind: &'static str, text: &str, index: usize, segment: &str) -> Result<(), TopicError> {
    if segment.is_empty() {
        return Err(TopicError::new(
            kind,
            text,
            format!(
                "segment {} is empty; segments are separated by a single '/', with none at \
                 either end",
                index + 1
            ),
        ));
    }
    if let Some(bad) = segment.chars().find(|&c| !is_name_char(c)) {
        return Err(TopicError::new(kind, text, format!("{bad:?} is not allowed; use lowercase a-z, 0-9, '_', '-' and '.'")));
    }
    Ok(())
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.')
}

#[cfg(test)]
mod tests;
