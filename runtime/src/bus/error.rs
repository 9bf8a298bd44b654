//! [`BusError`]: every way a bus operation can be refused. Each one is an answer for the module
//! that asked, never a panic, and its message names the thing and the way out.

use std::fmt;
use std::time::Duration;

use thiserror::Error;

use super::topic::TopicError;

/// What a module tried to do, for [`BusError::Denied`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BusAction {
    Publish,
    Subscribe,
    Request,
    Reply,
}

impl fmt::Display for BusAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BusAction::Publish => "publish to",
            BusAction::Subscribe => "subscribe to",
            BusAction::Request => "send requests to",
            BusAction::Reply => "answer requests on",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum BusError {
    #[error(
        "module '{module}' may not {action} '{topic}': its manifest or the user's policy does \
         not grant it{}", if topic.starts_with("shell/") { " (topics under shell/ also need the shell capability)" } else { "" }
    )]
    Denied { module: String, action: BusAction, topic: String },

    #[error(
        "module '{module}' is over its bus allowance of {limit} messages per second; the message \
         was not sent (send less often, or ask for a higher rate in the manifest)"
    )]
    RateLimited { module: String, limit: u32 },

    #[error(
        "the queue of module '{subscriber}' for '{topic}' is full (or its module's bus memory \
         budget is spent) and refuses new messages; it must read faster, or subscribe with a \
         larger capacity"
    )]
    QueueFull { topic: String, subscriber: String },

    #[error(
        "module '{module}' sent a {kind} payload of {size} bytes on '{topic}'; the bus carries at \
         most {max} bytes per message (send a frame, or split the data)"
    )]
    PayloadTooLarge { module: String, topic: String, kind: &'static str, size: u64, max: u64 },

    #[error("no module answers requests on '{topic}': none serves it or listens to it (yet)")]
    NoResponder { topic: String },

    #[error("no reply to the request on '{topic}' within {after:?}")]
    Timeout { topic: String, after: Duration },

    #[error("no message for '{pattern}' within {after:?}")]
    RecvTimeout { pattern: String, after: Duration },

    #[error(
        "every module that received the request on '{topic}' dropped it without replying (or a \
         full drop-oldest queue evicted it)"
    )]
    Unanswered { topic: String },

    #[error("the message on '{topic}' is not a request, so there is nothing to reply to")]
    NotARequest { topic: String },

    #[error("the request on '{topic}' already has its reply; only the first reply is delivered")]
    AlreadyAnswered { topic: String },

    #[error("module '{requester}' stopped waiting for a reply on '{topic}' (it timed out or quit)")]
    RequesterGone { topic: String, requester: String },

    #[error(
        "module '{module}' asked for a queue of {requested} messages; capacities run from 1 to \
         {max}"
    )]
    QueueCapacity { module: String, requested: usize, max: usize },

    #[error(
        "module '{module}' already holds {max} subscriptions, the most one module may hold; drop \
         one, or subscribe with a wildcard pattern instead"
    )]
    TooManySubscriptions { module: String, max: usize },

    #[error(transparent)]
    Topic(#[from] TopicError),

    #[error("payload could not be read as {expected}: {message}")]
    Decode { expected: &'static str, message: String },

    #[error("payload could not be encoded as JSON: {message}")]
    Encode { message: String },

    #[error(
        "region at ({x}, {y}) of {w}x{h} pixels reaches outside the {width}x{height} frame; ask \
         for a region inside it"
    )]
    RegionOutOfBounds { x: u32, y: u32, w: u32, h: u32, width: u32, height: u32 },

    #[error("region of {w}x{h} pixels needs {needed} bytes; the destination holds {len}")]
    RegionBuffer { w: u32, h: u32, needed: usize, len: usize },

    #[error("frame of {width}x{height} pixels: {reason}")]
    BadFrame { width: u32, height: u32, reason: String },
}
