//! The message bus: how modules (apps, libraries, drivers) talk without touching each other.
//!
//! A module gets one [`Endpoint`] from the [`Bus`], bound to its [`ModuleRef`] and its
//! effective [`BusCapabilities`] (manifest ∩ user policy, worked out by the caller). Through it
//! the module publishes to a [`Topic`], subscribes with a [`TopicPattern`] (`+` one segment,
//! `#` the rest), and makes requests that one subscriber answers with [`Endpoint::reply`].
//!
//! Data flow: `publish` checks the grant, takes one message from the module's per-second
//! allowance, stamps the message with the endpoint's identity, the bus clock and a bus-wide
//! sequence number, then offers a clone to each matching subscription's bounded queue. A clone
//! copies reference counts only — a [`FrameHandle`] shares its pixels with every subscriber.
//! Subscribers read their own [`Subscription`].
//!
//! Memory: every queued message is charged to its receiver's [`ByteBudget`] (each queue that
//! holds a frame pays its full size: a subscriber that never reads is what pins it), and no
//! payload but a frame exceeds [`MAX_PAYLOAD_BYTES`]. A spent budget is a full queue.
//!
//! Containment: publishing never blocks. A full queue either drops its oldest message
//! ([`Overflow::DropOldest`], for sensor streams) or refuses the new one and tells the
//! publisher ([`Overflow::Reject`], for commands), so a flood fills only the flooded queues
//! and slows nobody else. Everything a module can get wrong — a denied topic, a bad name, too
//! many messages, a huge queue — is a [`BusError`] for that module, never a panic.
//!
//! Layout:
//! - `topic`: [`Topic`] and [`TopicPattern`] (parsing and matching live in
//!   `visor_manifest::topic`, since manifests name patterns too) and the map keyed by topic.
//! - `payload`, `frame`: [`Payload`] and the shared [`FrameHandle`].
//! - `message`: [`Message`], [`ModuleRef`], [`ReplyHandle`].
//! - `caps`: [`BusCapabilities`].
//! - `budget`: [`ByteBudget`], the bytes a module's queues may hold, charged to the receiver.
//! - `hub`: [`Bus`], its shared state and fan-out.
//! - `routes`: the lock-free routing table (exact names hashed, wildcards listed).
//! - `queue`: one subscription's bounded queue and its [`Overflow`] policy.
//! - `endpoint`: [`Endpoint`], where capabilities, rate limits and identity are enforced.
//! - `ledger`: one endpoint's grants, allowance and counts under one lock.
//! - `subscription`: [`Subscription`].
//! - `rate`: the per-module allowance.
//! - `stats`: counters for a bus monitor ([`Bus::stats`]).
//! - `error`: [`BusError`].

mod budget;
mod caps;
mod endpoint;
mod error;
mod frame;
mod hub;
mod ledger;
mod message;
mod payload;
mod queue;
mod rate;
mod routes;
mod stats;
mod subscription;
mod topic;

#[cfg(test)]
mod tests;

pub use budget::{ByteBudget, DEFAULT_BYTE_BUDGET};
pub use caps::BusCapabilities;
pub use endpoint::{Endpoint, MAX_PAYLOAD_BYTES, MAX_SUBSCRIPTIONS_PER_MODULE, PublishReport};
pub use error::{BusAction, BusError};
pub use frame::{FrameHandle, PixelFormat};
pub use hub::Bus;
pub use message::{Message, ModuleRef, ReplyHandle};
pub use payload::Payload;
pub use queue::{MAX_QUEUE_CAPACITY, Overflow, QueueOptions};
pub use stats::{BusStats, SubscriptionStats, TopicStats};
pub use subscription::Subscription;
pub use topic::{MAX_TOPIC_BYTES, RESERVED_SEGMENT, Topic, TopicError, TopicPattern};
