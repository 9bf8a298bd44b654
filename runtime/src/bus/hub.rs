//! [`Bus`]: the shared state every endpoint and subscription points at — the clock, the
//! routing table, the sequence counter and the statistics — and fan-out of one message — and
//! who serves which requests.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use visor_types::clock::SharedClock;

use super::caps::BusCapabilities;
use super::endpoint::{Endpoint, PublishReport};
use super::ledger::Ledger;
use super::message::{Message, ModuleRef};
use super::queue::{Offer, SubQueue};
use super::routes::Routes;
use super::stats::{BusStats, StatsTable, SubscriptionStats};
use super::topic::{Topic, TopicPattern};

/// The message bus. Cheap to clone; every clone is the same bus.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<BusInner>,
}

pub(super) struct BusInner {
    clock: SharedClock,
    /// Read by every publish without a lock; replaced whole under `route_writer`.
    routes: ArcSwap<Routes>,
    route_writer: Mutex<()>,
    sequence: AtomicU64,
    subscription_ids: AtomicU64,
    endpoint_ids: AtomicU64,
    stats: StatsTable,
    /// Which endpoint answers requests where. Patterns never overlap, so a topic has at most
    /// one server. Read on replies and on calls, not on every publish.
    servers: Mutex<Vec<Server>>,
}

/// One endpoint's claim to answer requests on `pattern`.
struct Server {
    pattern: TopicPattern,
    module: ModuleRef,
    endpoint: u64,
}

/// What fanning out one message came to.
pub(super) struct Fanout {
    pub(super) report: PublishReport,
    /// The first subscriber whose full queue did not take the message.
    pub(super) first_refused: Option<ModuleRef>,
}

impl Bus {
    /// A bus stamping messages with `clock`'s time (the same clock as the rest of the shell,
    /// so tests and headless runs are deterministic).
    pub fn new(clock: SharedClock) -> Bus {
        Bus {
            inner: Arc::new(BusInner {
                clock,
                routes: ArcSwap::from_pointee(Routes::default()),
                route_writer: Mutex::new(()),
                sequence: AtomicU64::new(0),
                subscription_ids: AtomicU64::new(0),
                endpoint_ids: AtomicU64::new(0),
                stats: StatsTable::default(),
                servers: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The one endpoint through which `module` speaks and listens. Every message it sends
    /// carries `module` as its sender; `caps` are checked on every call.
    pub fn endpoint(&self, module: ModuleRef, caps: BusCapabilities) -> Endpoint {
        let id = self.inner.endpoint_ids.fetch_add(1, Ordering::Relaxed);
        self.inner.claim(id, &module, &caps.serve);
        let ledger = Arc::new(Ledger::new(module.clone(), caps));
        self.inner.stats.register(ledger.clone());
        Endpoint::new(self.inner.clone(), module, id, ledger)
    }

    pub fn stats(&self) -> BusStats {
        let (topics, untracked_messages) = self.inner.stats.topics();
        let routes = self.inner.routes.load();
        let mut subscriptions: Vec<SubscriptionStats> = routes
            .all()
            .map(|q| SubscriptionStats {
                subscriber: q.subscriber.clone(),
                pattern: q.pattern.clone(),
                policy: q.policy,
                queued: q.len(),
                dropped: q.dropped.load(Ordering::Relaxed),
                rejected: q.rejected.load(Ordering::Relaxed),
            })
            .collect();
        subscriptions.sort_by(|a, b| (a.subscriber.id, a.pattern.as_str()).cmp(&(b.subscriber.id, b.pattern.as_str())));
        BusStats { topics, subscriptions, untracked_messages }
    }
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let routes = self.inner.routes.load();
        f.debug_struct("Bus")
            .field("subscriptions", &routes.all().count())
            .field("sequence", &self.inner.sequence.load(Ordering::Relaxed))
            .finish()
    }
}

impl BusInner {
    pub(super) fn now_ns(&self) -> u64 {
        self.clock.now_ns()
    }

    pub(super) fn next_sequence(&self) -> u64 {
        self.sequence.fetch_add(1, Ordering::Relaxed)
    }

    pub(super) fn next_subscription_id(&self) -> u64 {
        self.subscription_ids.fetch_add(1, Ordering::Relaxed)
    }

    /// Makes `endpoint` the server of `patterns`, in place of what it served before. A pattern
    /// that overlaps another endpoint's is refused (first come, first served) and logged.
    pub(super) fn claim(&self, endpoint: u64, module: &ModuleRef, patterns: &[TopicPattern]) {
        let mut servers = self.servers.lock().unwrap_or_else(|p| p.into_inner());
        servers.retain(|s| s.endpoint != endpoint);
        for pattern in patterns {
            match servers.iter().find(|s| s.pattern.overlaps(pattern)) {
                Some(holder) => tracing::warn!(
                    module = %module,
                    pattern = %pattern,
                    "not serving requests on '{pattern}': module '{}' already serves '{}'", holder.module, holder.pattern
                ),
                None => servers.push(Server { pattern: pattern.clone(), module: module.clone(), endpoint }),
            }
        }
    }

    /// The endpoint (and its module) that answers requests on `topic`, if any.
    pub(super) fn server_of(&self, topic: &Topic) -> Option<(u64, ModuleRef)> {
        let servers = self.servers.lock().unwrap_or_else(|p| p.into_inner());
        servers.iter().find(|s| s.pattern.matches(topic)).map(|s| (s.endpoint, s.module.clone()))
    }

    pub(super) fn add_route(&self, queue: Arc<SubQueue>) {
        let _writer = self.route_writer.lock().unwrap_or_else(|p| p.into_inner());
        let next = self.routes.load().with(queue);
        self.routes.store(Arc::new(next));
    }

    pub(super) fn remove_route(&self, id: u64) {
        self.remove_routes(|q| q.id == id);
    }

    /// Unroutes every queue `remove` picks; they receive nothing more.
    pub(super) fn remove_routes(&self, remove: impl Fn(&SubQueue) -> bool) {
        let _writer = self.route_writer.lock().unwrap_or_else(|p| p.into_inner());
        let current = self.routes.load();
        if current.all().any(|q| remove(q)) {
            self.routes.store(Arc::new(current.without(remove)));
        }
    }

    /// Every routed queue, for the endpoint that revokes its own.
    pub(super) fn queues_of(&self, owner: u64) -> Vec<Arc<SubQueue>> {
        self.routes.load().all().filter(|q| q.owner == owner).cloned().collect()
    }

    /// Offers `message` (published to `topic`) to every matching queue, never blocking. Each
    /// queue gets a clone (reference counts, no payload bytes); the last one gets the original.
    pub(super) fn fan_out(&self, topic: &Topic, message: Message) -> Fanout {
        let routes = self.routes.load();
        let reserved = topic.is_reserved();
        let mut matching = routes.matching(topic).filter(|q| !reserved || q.sees_reserved);
        let mut fanout = Fanout { report: PublishReport::default(), first_refused: None };
        // One queue behind, so the last gets the message itself: the common single subscriber
        // costs no clone and no extra move of the message.
        let Some(mut queue) = matching.next() else { return fanout };
        for next in matching {
            fanout.count(queue, queue.offer(message.clone()));
            queue = next;
        }
        fanout.count(queue, queue.offer(message));
        fanout
    }
}

impl Fanout {
    fn count(&mut self, queue: &SubQueue, offer: Offer) {
        let report = &mut self.report;
        let refused = match offer {
            Offer::Queued { dropped } => {
                report.delivered += 1;
                report.dropped += dropped;
                false
            }
            Offer::Rejected => {
                report.rejected += 1;
                true
            }
            Offer::Lost { dropped } => {
                report.dropped += dropped;
                true
            }
        };
        if refused && self.first_refused.is_none() {
            self.first_refused = Some(queue.subscriber.clone());
        }
    }
}
