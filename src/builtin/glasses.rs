//! The `glasses` driver module: a tethered pair's sensors besides its IMU, on the bus.
//!
//! The pair itself is opened once, by the shell's pose source (`visor_drivers::glasses`), whose
//! reading thread fills a [`GlassesFeed`]; this module reads the feed every few milliseconds and
//! publishes each key press on `glasses/keys`, each put-on or take-off on `glasses/worn` and
//! each light reading on `glasses/light` (the feed's [`GlassesNews`] as JSON, with `kind` and
//! `at_ns`), and the pair's [`GlassesStatus`] on `glasses/status` when it changes (at most once
//! a second, and at once on a connect or loss). A message on `glasses/recentre` makes the current
//! heading straight ahead. Every topic is under `glasses/`, which only modules granted the
//! `glasses` device may subscribe to.

use std::sync::Arc;
use std::time::{Duration, Instant};

use visor_drivers::glasses::{GlassesFeed, GlassesNews, GlassesStatus};
use visor_runtime::bus::{BusError, Overflow, Payload, QueueOptions, Topic, TopicPattern};
use visor_runtime::native::{NativeContext, NativeError, NativeModule};

pub const KEYS: &str = "glasses/keys";
pub const WORN: &str = "glasses/worn";
pub const LIGHT: &str = "glasses/light";
pub const STATUS: &str = "glasses/status";
pub const RECENTRE: &str = "glasses/recentre";

/// How often the feed is read: keys reach the bus within this.
const POLL: Duration = Duration::from_millis(5);
/// The most often the status goes out while nothing but the IMU rate changes.
const STATUS_EVERY: Duration = Duration::from_secs(1);

pub struct GlassesModule {
    /// `None` when the profile's pose is not from glasses.
    pub feed: Option<Arc<GlassesFeed>>,
}

impl NativeModule for GlassesModule {
    fn run(&mut self, ctx: &NativeContext) -> Result<(), NativeError> {
        let Some(feed) = self.feed.clone() else {
            return Err(NativeError::new(
                &ctx.name,
                "the glasses driver reads the glasses the head pose comes from, but the profile's pose is not from glasses: \
                 set [pose] source = \"glasses\", or leave \"glasses\" out of the profile's drivers",
            ));
        };
        let fail = |e: BusError| NativeError::new(&ctx.name, e.to_string());
        let topic = |name: &str| Topic::new(name).expect("a valid topic");
        let (keys, worn, light, status_topic) = (topic(KEYS), topic(WORN), topic(LIGHT), topic(STATUS));
        let recentre = TopicPattern::new(RECENTRE).expect("a valid pattern");
        let asks = ctx.endpoint.subscribe(recentre, QueueOptions { capacity: 4, policy: Overflow::DropOldest }).map_err(fail)?;
        tracing::info!(module = %ctx.name, "publishing the glasses' keys, proximity and light on glasses/");
        let mut seen = feed.newest();
        let mut sent: Option<(GlassesStatus, Instant)> = None;
        loop {
            let (news, next) = feed.since(seen);
            seen = next;
            let mut urgent = false;
            for item in &news {
                let to = match item {
                    GlassesNews::Key { .. } => &keys,
                    GlassesNews::Worn { .. } => &worn,
                    GlassesNews::Light { .. } => &light,
                    GlassesNews::Connected { .. } | GlassesNews::Lost { .. } => {
                        urgent = true;
                        continue;
                    }
                };
                publish(ctx, to, item)?;
            }
            let status = feed.status();
            let due = match &sent {
                None => true,
                Some((was, at)) => urgent || (was != &status && at.elapsed() >= STATUS_EVERY),
            };
            if due {
                publish(ctx, &status_topic, &status)?;
                sent = Some((status, Instant::now()));
            }
            if std::iter::from_fn(|| asks.try_recv()).count() > 0 {
                tracing::info!(module = %ctx.name, "recentred: the current heading is straight ahead");
                feed.request_recentre();
            }
            if !ctx.sleep(POLL) {
                return Ok(());
            }
        }
    }
}

fn publish(ctx: &NativeContext, topic: &Topic, value: &impl serde::Serialize) -> Result<(), NativeError> {
    let fail = |e: BusError| NativeError::new(&ctx.name, e.to_string());
    match ctx.endpoint.publish(topic, Payload::json(value).map_err(fail)?) {
        Err(BusError::RateLimited { .. }) => {
            tracing::debug!(module = %ctx.name, %topic, "not sent: over the bus allowance");
            Ok(())
        }
        result => result.map(|_| ()).map_err(fail),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use visor_drivers::glasses::synth::{Motion, Synth};
    use visor_drivers::glasses::{GlassesEvent, GlassesOptions, GlassesPose, Pacing, ReplayFinder};
    use visor_drivers::pose::PoseSource;
    use visor_runtime::RestartPolicy;
    use visor_runtime::bus::{Bus, BusCapabilities, ModuleRef, Subscription};
    use visor_runtime::manifest::{Device, MANIFEST_FILE, Manifest};
    use visor_runtime::native::NativeRunner;
    use visor_types::clock::MonotonicClock;

    use super::*;

    fn manifest() -> Manifest {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("modules/glasses").join(MANIFEST_FILE);
        Manifest::parse(&std::fs::read_to_string(&path).unwrap(), &path.display().to_string()).unwrap()
    }

    fn caps(publish: Vec<TopicPattern>, subscribe: Vec<TopicPattern>) -> BusCapabilities {
        BusCapabilities { publish, subscribe, messages_per_second: 100, shell: false, serve: Vec::new(), call: Vec::new() }
    }

    fn drain(sub: &Subscription) -> Vec<(String, serde_json::Value)> {
        std::iter::from_fn(|| sub.try_recv()).map(|m| (m.topic.to_string(), m.payload.decode::<serde_json::Value>().unwrap())).collect()
    }

    #[test]
    fn keys_and_taking_the_glasses_off_reach_the_bus() {
        let manifest = manifest();
        assert_eq!(manifest.capabilities.devices, vec![Device::Glasses]);
        let clock = MonotonicClock::shared();
        let bus = Bus::new(clock.clone());
        let endpoint = bus.endpoint(
            ModuleRef::new(1, "glasses"),
            BusCapabilities {
                messages_per_second: manifest.limits.bus_messages_per_second,
                ..caps(manifest.capabilities.publish.clone(), manifest.capabilities.subscribe.clone())
            },
        );
        let all = TopicPattern::new("glasses/#").unwrap();
        let watcher = bus.endpoint(ModuleRef::new(2, "launcher"), caps(vec![TopicPattern::new(RECENTRE).unwrap()], vec![all.clone()]));
        let sub = watcher.subscribe(all, QueueOptions { capacity: 1024, policy: Overflow::DropOldest }).unwrap();

        // A synthesized pair (no hardware here): a key at 0.3 s, off at 0.6 s, on at 0.9 s.
        let mut synth = Synth::new(Motion::Still, 1.0);
        synth.still_s = 0.0;
        synth.extras = vec![(0.3, GlassesEvent::Key(1)), (0.6, GlassesEvent::Worn(false)), (0.9, GlassesEvent::Worn(true))];
        let finder = ReplayFinder::new(synth.stream(), "a test synthesis", clock.clone(), Pacing::RealTime);
        let state = tempfile::tempdir().unwrap();
        let options = GlassesOptions { state_dir: Some(state.path().into()), ..GlassesOptions::default() };
        let pose = Arc::new(GlassesPose::start(Box::new(finder), clock.clone(), options, Duration::from_millis(50)));
        let feed = pose.glasses();
        assert!(feed.is_some(), "a glasses pose hands out its feed");
        let factory: visor_runtime::native::NativeFactory =
            Arc::new(move |_: &Manifest| Ok(Box::new(GlassesModule { feed: feed.clone() }) as Box<dyn NativeModule>));
        let mut runner = NativeRunner::spawn(manifest, factory, endpoint, clock, RestartPolicy::never());

        std::thread::sleep(Duration::from_millis(1200));
        let got = drain(&sub);
        let on = |topic: &str| got.iter().filter(|(t, _)| t == topic).map(|(_, v)| v.clone()).collect::<Vec<_>>();
        assert_eq!(on(KEYS).first().map(|k| k["key"].clone()), Some(serde_json::json!(1)), "{got:?}");
        let worn: Vec<_> = on(WORN).iter().map(|w| w["worn"].clone()).collect();
        assert_eq!(worn[..2], [serde_json::json!(false), serde_json::json!(true)], "{got:?}");
        let status = on(STATUS);
        assert!(status.iter().any(|s| s["connected"] == true && s["name"] == "Rokid Air" && s["display_mode"] == "stereo"), "{status:?}");

        watcher.publish(&Topic::new(RECENTRE).unwrap(), Payload::json(&()).unwrap()).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        runner.stop();
        assert!(runner.crashes().is_empty(), "{:?}", runner.crashes());
    }
}
