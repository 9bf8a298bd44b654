//! Topics as Zenoh key expressions. Every device publishes under its own prefix, so a key says
//! which device a message came from:
//!
//! - `visor/DEVICE/TOPIC`: messages DEVICE's bus publishes on TOPIC (`visor/glasses-1/camera/frames`);
//! - `visor-req/SERVER/ASKER/TOPIC`: a request from ASKER's bus to the module serving TOPIC on SERVER;
//! - `visor-peer/DEVICE`: DEVICE's liveliness token, there while its shell is;
//! - `visor-info/DEVICE`: what DEVICE says about itself ([`crate::PeerInfo`]).
//!
//! Topic segments (lowercase letters, digits, `_`, `-`, `.`) are valid key chunks as they are;
//! a pattern's `+` becomes `*` and its `#` becomes `**`.

use visor_runtime::bus::{Topic, TopicPattern};

pub const DATA: &str = "visor";
pub const REQUEST: &str = "visor-req";
pub const PEER: &str = "visor-peer";
pub const INFO: &str = "visor-info";

/// The key DEVICE publishes `topic` on.
pub fn data(device: &str, topic: &Topic) -> String {
    format!("{DATA}/{device}/{topic}")
}

/// The key expression matching what DEVICE publishes on topics matching `pattern`.
pub fn data_pattern(device: &str, pattern: &TopicPattern) -> String {
    format!("{DATA}/{device}/{}", key_pattern(pattern.as_str()))
}

/// The key a request from `asker` to `server` on `topic` is sent to.
pub fn request(server: &str, asker: &str, topic: &Topic) -> String {
    format!("{REQUEST}/{server}/{asker}/{topic}")
}

/// Everything that may be asked of `server`.
pub fn requests_to(server: &str) -> String {
    format!("{REQUEST}/{server}/**")
}

pub fn peer(device: &str) -> String {
    format!("{PEER}/{device}")
}

pub fn info(device: &str) -> String {
    format!("{INFO}/{device}")
}

/// A key `visor/DEVICE/TOPIC` split into its device and topic.
pub fn parse_data(key: &str) -> Option<(&str, Topic)> {
    let rest = key.strip_prefix(DATA)?.strip_prefix('/')?;
    let (device, topic) = rest.split_once('/')?;
    Some((device, Topic::new(topic).ok()?))
}

/// A key `visor-req/SERVER/ASKER/TOPIC` split into its asker and topic.
pub fn parse_request(key: &str) -> Option<(&str, Topic)> {
    let rest = key.strip_prefix(REQUEST)?.strip_prefix('/')?;
    let (_server, rest) = rest.split_once('/')?;
    let (asker, topic) = rest.split_once('/')?;
    Some((asker, Topic::new(topic).ok()?))
}

fn key_pattern(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|s| {
            if s == "+" {
                "*"
            } else if s == "#" {
                "**"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    #[test]
    fn keys_name_their_device() {
        let topic = Topic::new("camera/frames").unwrap();
        assert_eq!(data("glasses-1", &topic), "visor/glasses-1/camera/frames");
        assert_eq!(parse_data("visor/glasses-1/camera/frames"), Some(("glasses-1", topic.clone())));
        assert_eq!(parse_data("visor/glasses-1"), None);
        assert_eq!(parse_data("visor/x/Camera/**"), None);
        assert_eq!(parse_request(&request("edge", "glasses-1", &topic)), Some(("glasses-1", topic)));
        assert_eq!(data_pattern("d", &TopicPattern::from_str("vision/+/x/#").unwrap()), "visor/d/vision/*/x/**");
    }
}
