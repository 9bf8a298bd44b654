//! The `pose` driver module: the head pose on the bus.
//!
//! The shell opens the profile's pose source once (`visor_drivers::pose::open`) and shares it:
//! the frame loop asks it for the pose predicted at each frame's display time (frame-info), and
//! this module publishes its newest measurement, [`PoseSource::latest`], as a [`PoseMessage`]
//! (JSON) on `pose/head`. It polls at the display's refresh rate, publishing when the pose
//! changed and at least once a second while the head is still, so a module that starts late
//! learns where the head is within a second.

use std::sync::Arc;
use std::time::{Duration, Instant};

use visor_drivers::pose::PoseSource;
use visor_runtime::bus::{BusError, Payload, Topic};
use visor_runtime::native::{NativeContext, NativeError, NativeModule};
use visor_types::{Pose, PoseMessage};

pub const HEAD: &str = "pose/head";

/// The longest a still head goes unannounced.
const KEEPALIVE: Duration = Duration::from_secs(1);
/// The polling rate when the display's is not a usable one.
const DEFAULT_RATE_HZ: f32 = 120.0;

pub struct PoseModule {
    source: Arc<dyn PoseSource>,
    rate_hz: f32,
}

impl PoseModule {
    /// Publishes `source` at `refresh_hz` (the display's), or 120 Hz if that is no rate.
    pub fn new(source: Arc<dyn PoseSource>, refresh_hz: f32) -> PoseModule {
        let rate_hz = if refresh_hz.is_finite() && refresh_hz >= 1.0 { refresh_hz } else { DEFAULT_RATE_HZ };
        PoseModule { source, rate_hz }
    }
}

impl NativeModule for PoseModule {
    fn run(&mut self, ctx: &NativeContext) -> Result<(), NativeError> {
        let fail = |e: BusError| NativeError::new(&ctx.name, e.to_string());
        let head = Topic::new(HEAD).expect("a valid topic");
        let period = Duration::from_secs_f32(1.0 / self.rate_hz);
        tracing::info!(module = %ctx.name, pose = %self.source.describe(), rate_hz = self.rate_hz, "publishing the head pose on {HEAD}");
        let mut last: Option<(Pose, Instant)> = None;
        loop {
            let pose = self.source.latest();
            if last.as_ref().is_none_or(|(was, at)| moved(was, &pose) || at.elapsed() >= KEEPALIVE) {
                match ctx.endpoint.publish(&head, Payload::json(&PoseMessage::from(&pose)).map_err(fail)?) {
                    // A display faster than the bus allowance: the next pose follows within a frame.
                    Err(BusError::RateLimited { .. }) => tracing::debug!(module = %ctx.name, "pose not sent: over the bus allowance"),
                    result => _ = result.map_err(fail)?,
                }
                last = Some((pose, Instant::now()));
            }
            if !ctx.sleep(period) {
                return Ok(());
            }
        }
    }
}

/// Whether the head is somewhere else (the timestamp alone does not count: a still simulator
/// head is "measured" anew at every read).
fn moved(was: &Pose, now: &Pose) -> bool {
    was.position != now.position || was.orientation != now.orientation
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use visor_drivers::pose::{Move, SimulatorPose};
    use visor_runtime::RestartPolicy;
    use visor_runtime::bus::{Bus, BusCapabilities, ModuleRef, Overflow, QueueOptions, Subscription, TopicPattern};
    use visor_runtime::manifest::{Device, MANIFEST_FILE, Manifest};
    use visor_runtime::native::NativeRunner;
    use visor_types::clock::MonotonicClock;

    use super::*;

    fn manifest() -> Manifest {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("modules/pose").join(MANIFEST_FILE);
        Manifest::parse(&std::fs::read_to_string(&path).unwrap(), &path.display().to_string()).unwrap()
    }

    fn drain(sub: &Subscription) -> Vec<PoseMessage> {
        std::iter::from_fn(|| sub.try_recv()).map(|m| m.payload.decode::<PoseMessage>().unwrap()).collect()
    }

    #[test]
    fn the_head_goes_out_on_pose_head_when_it_moves_and_once_a_second_when_still() {
        let manifest = manifest();
        assert_eq!(manifest.capabilities.devices, vec![Device::Pose]);
        let clock = MonotonicClock::shared();
        let bus = Bus::new(clock.clone());
        // What the shell grants a built-in module: what its manifest asks.
        let caps = BusCapabilities {
            publish: manifest.capabilities.publish.clone(),
            subscribe: manifest.capabilities.subscribe.clone(),
            messages_per_second: manifest.limits.bus_messages_per_second,
            shell: false,
            serve: Vec::new(),
            call: Vec::new(),
        };
        let endpoint = bus.endpoint(ModuleRef::new(1, "pose"), caps);
        let pattern = TopicPattern::new(HEAD).unwrap();
        let watcher = BusCapabilities {
            publish: Vec::new(),
            subscribe: vec![pattern.clone()],
            messages_per_second: 0,
            shell: false,
            serve: Vec::new(),
            call: Vec::new(),
        };
        let sub = bus
            .endpoint(ModuleRef::new(2, "watcher"), watcher)
            .subscribe(pattern, QueueOptions { capacity: 1024, policy: Overflow::DropOldest })
            .unwrap();

        let simulator = SimulatorPose::new(clock.clone());
        let controls = simulator.controls();
        let source: Arc<dyn PoseSource> = Arc::new(simulator);
        let factory: visor_runtime::native::NativeFactory =
            Arc::new(move |_: &Manifest| Ok(Box::new(PoseModule::new(source.clone(), 200.0)) as Box<dyn NativeModule>));
        let mut runner = NativeRunner::spawn(manifest, factory, endpoint, clock, RestartPolicy::never());

        std::thread::sleep(Duration::from_millis(400));
        let still = drain(&sub);
        assert_eq!(still.len(), 1, "a still head goes out once, not at every poll: {still:?}");
        assert_eq!((still[0].position, still[0].orientation), ([0.0; 3], [0.0, 0.0, 0.0, 1.0]));

        controls.set_key(Move::Forward, true);
        std::thread::sleep(Duration::from_millis(300));
        let walking = drain(&sub);
        assert!(walking.len() >= 10, "a moving head goes out at the display rate: {} messages", walking.len());
        assert!(walking.windows(2).all(|w| w[1].position[2] < w[0].position[2]), "walking down -z");

        controls.set_key(Move::Forward, false);
        std::thread::sleep(Duration::from_millis(50));
        drain(&sub);
        std::thread::sleep(Duration::from_millis(1300));
        let kept = drain(&sub).len();
        assert!((1..=2).contains(&kept), "still again: once a second ({kept} in 1.3 s)");
        runner.stop();
        assert!(runner.crashes().is_empty(), "{:?}", runner.crashes());
    }
}
