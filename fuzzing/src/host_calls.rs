//! A guest's host calls: the probe test program's `chaos` scenario
//! (`apps/test-programs/probe/src/chaos.rs`) run by `visor-runtime` with the input as its
//! `PROBE_CHAOS` bytes, so that every mutation changes which gfx and bus calls the guest makes
//! and with what arguments (ids real and made up, sizes past every limit, NaN floats, bad WGSL,
//! topics good and bad, oversized payloads, requests, replies to nothing).
//!
//! Each input gets a fresh `Bus`, an endpoint that may publish and subscribe on `chaos/#` at a
//! manifest's default rate, and a fresh [`AppInstance`], driven for [`FRAMES`] frames on this
//! thread, as `src/bench/modules.rs` drives apps without the compositor. The engine and the
//! compiled component are made once per process ([`fixture`]); an input only instantiates.
//!
//! Asserted: the app loads; every `frame` returns a layer or an [`AppError`] for the guest
//! alone (its own error value or a trap: a guest may run out of memory or CPU), never a host
//! panic or a sanitizer report; a layer holds no more draws than the limits allow; the
//! instance's memory stays within its limit, its bus budget within its limit, and once the
//! instance and its bus state are dropped every byte charged to that budget is given back.
//! Before the first input, [`fixture`] checks that a trapping guest is contained under the
//! sanitizer and libFuzzer (their signal handlers against wasmtime's). Inputs over
//! [`MAX_LEN`] bytes are skipped, to bound one run (libFuzzer's default stays far below).
//!
//! `VISOR_FUZZ_LOG=1` prints each input's guest log and the error that ended it.
//!
//! The probe component comes from [`use_probe`] (the test suite's replay passes the one its guest
//! build made), else `VISOR_PROBE_WASM`, else the guest build's output beside
//! this checkout (`target/guests/wasm32-wasip2/release/probe.wasm`), which
//! `cargo test --release --test hostile host_calls` in the repository root builds, as does
//! `scripts/fuzz.sh` (with `fuzz/guests`) before it fuzzes.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use visor_manifest::manifest::Limits;
use visor_runtime::bus::{Bus, BusCapabilities, ModuleRef, TopicPattern};
use visor_runtime::host::bus::GuestBus;
use visor_runtime::{AppEngine, AppError, AppInstance, AppSpec, LogRing, Precompiled};
use visor_types::clock::MonotonicClock;
use visor_types::math::{Fov, NEAR_PLANE, projection};
use visor_types::{AppId, AppLimits, EyeView, FrameInfo, Viewport};
use wasmtime::component::Component;

/// Frames each input is driven for; the guest makes up to 40 calls in each.
pub const FRAMES: u32 = 3;

/// The longest input run, in bytes.
pub const MAX_LEN: usize = 64 << 10;

/// The env var that names the probe component, overriding the guest build's output.
pub const PROBE_ENV: &str = "VISOR_PROBE_WASM";

/// What every input shares: the engine (its epoch ticker bounds each frame's CPU time) and
/// the probe, compiled once.
pub struct Fixture {
    pub engine: AppEngine,
    pub probe: PathBuf,
    pub component: Precompiled,
}

static PROBE: OnceLock<PathBuf> = OnceLock::new();

/// Runs the probe component at `path` rather than the one `VISOR_PROBE_WASM` names; has an
/// effect only before the first input. Returns false when a probe was already chosen.
pub fn use_probe(path: PathBuf) -> bool {
    PROBE.set(path).is_ok()
}

/// The process's [`Fixture`], made by the first input, after checking that guest traps are
/// contained. Panics, naming the fix, when the probe component is missing.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let probe = PROBE
            .get()
            .cloned()
            .or_else(|| std::env::var_os(PROBE_ENV).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/guests/wasm32-wasip2/release/probe.wasm"));
        let bytes = std::fs::read(&probe).unwrap_or_else(|e| {
            panic!(
                "cannot read the probe component {} ({e}): build the guests with \
                 `cargo test --release --test hostile host_calls` in the repository root, or set {PROBE_ENV}",
                probe.display()
            )
        });
        let engine = AppEngine::new().unwrap_or_else(|e| panic!("making the app engine: {e:#}"));
        let component = Component::new(engine.engine(), &bytes).unwrap_or_else(|e| panic!("compiling {}: {e:#}", probe.display()));
        let fixture = Fixture { engine, probe, component: Precompiled::new(component) };
        // wasmtime turns a guest's `unreachable` (SIGILL) and out-of-bounds access (SIGSEGV:
        // the runaway recursion runs the guest's stack out of its linear memory) into traps
        // through signal handlers that must see those signals before AddressSanitizer's and
        // libFuzzer's do; if they did not, every trapping input would read as a crash.
        let scenarios: [&[(&str, &str)]; 2] = [&[("VISOR_PROBE", "slab"), ("PROBE_TRAP_AT", "0")], &[("VISOR_PROBE", "recurse")]];
        for env in scenarios {
            assert_traps(&fixture, env);
        }
        fixture
    })
}

/// Runs the probe with `env` for one frame, which must trap and leave the process running.
#[allow(clippy::print_stderr)] // see `run`
fn assert_traps(fixture: &Fixture, env: &[(&str, &str)]) {
    let clock = MonotonicClock::shared();
    let spec = env.iter().fold(AppSpec::new("trap", &fixture.probe, 60.0), |spec, (key, value)| spec.with_env(key, value));
    let spec = AppSpec { precompiled: Some(fixture.component.clone()), ..spec };
    let mut app = AppInstance::load(&fixture.engine, &spec, AppId(2), GuestBus::new(None), Arc::default(), clock)
        .unwrap_or_else(|e| panic!("the probe {env:?} did not start: {e}"));
    match app.frame(&frame_info(), Vec::new()) {
        Err(e @ AppError::Trap { .. }) => {
            if verbose() {
                eprintln!("host_calls: contained as it should be: {e}");
            }
        }
        other => panic!("the probe {env:?} should have trapped in its first frame; got {:?}", other.map(|layer| layer.draws.len())),
    }
}

// The verbose lines go to stderr on purpose: libFuzzer (and the replay test's captured output)
// shows stderr beside the input that caused it, and no tracing subscriber runs under libFuzzer.
#[allow(clippy::print_stderr)]
pub fn run(data: &[u8]) {
    if data.len() > MAX_LEN {
        return;
    }
    let fixture = fixture();
    let clock = MonotonicClock::shared();
    let bus = Bus::new(clock.clone());
    let endpoint = bus.endpoint(ModuleRef::new(1, "chaos"), capabilities());
    let budget = endpoint.budget().clone();
    let spec = AppSpec {
        precompiled: Some(fixture.component.clone()),
        ..AppSpec::new("chaos", &fixture.probe, 60.0).with_env("VISOR_PROBE", "chaos").with_env("PROBE_CHAOS", &hex(data))
    };
    let limits = spec.limits.clone();
    let logs = Arc::new(LogRing::default());
    let mut app = AppInstance::load(&fixture.engine, &spec, AppId(1), GuestBus::new(Some(endpoint)), logs.clone(), clock)
        .unwrap_or_else(|e| panic!("the chaos probe did not start: {e}"));
    let info = frame_info();
    for _ in 0..FRAMES {
        let result = app.frame(&info, Vec::new());
        check_memory(&app, &limits);
        assert!(budget.used() <= budget.limit(), "the bus budget holds {} of {} bytes", budget.used(), budget.limit());
        match result {
            Ok(layer) => {
                let draws = layer.draws.len();
                assert!(
                    draws <= limits.max_draws_per_frame as usize,
                    "a layer of {draws} draws; the limit is {}",
                    limits.max_draws_per_frame
                );
            }
            // The instance is unusable after an error, as the runner treats it.
            Err(e @ (AppError::Frame { .. } | AppError::Trap { .. })) => {
                let message = e.to_string();
                if verbose() {
                    eprintln!("host_calls: {message}");
                }
                break;
            }
            Err(e) => panic!("`frame` answered with an error that is not the guest's: {e}"),
        }
    }
    if verbose() {
        logs.lines().iter().for_each(|line| eprintln!("host_calls: guest {}: {}", line.level, line.message));
    }
    drop(app.into_bus());
    assert_eq!(budget.used(), 0, "bytes still charged to an ended module's bus budget");
}

/// Whether `VISOR_FUZZ_LOG` is set: then each input's guest log (calls made and refused per
/// frame) and the error that ended it are printed, for reading what a kept input does.
fn verbose() -> bool {
    static VERBOSE: OnceLock<bool> = OnceLock::new();
    *VERBOSE.get_or_init(|| std::env::var_os("VISOR_FUZZ_LOG").is_some())
}

/// What the chaos guest may do on the bus: `chaos/#` both ways (so its publishes come back to
/// its own subscriptions and requests wait for a reply that never comes), at the rate a
/// manifest gets by default.
fn capabilities() -> BusCapabilities {
    let chaos = TopicPattern::from_str("chaos/#").expect("a valid pattern");
    BusCapabilities {
        publish: vec![chaos.clone()],
        subscribe: vec![chaos],
        messages_per_second: Limits::default().bus_messages_per_second,
        ..BusCapabilities::none()
    }
}

fn check_memory(app: &AppInstance, limits: &AppLimits) {
    let memory = app.memory_bytes();
    let limit = u64::from(limits.max_memory_mib) << 20;
    assert!(memory <= limit, "the instance holds {memory} bytes of linear memory; its limit is {limit}");
}

/// A stereo frame: two eyes 64 mm apart, 90° wide, side by side in a 2560×1280 output.
fn frame_info() -> FrameInfo {
    let projection = projection(Fov::symmetric(90f32.to_radians(), 1.0), NEAR_PLANE);
    let eye = |index: u32, x: f32| EyeView {
        view: glam::Mat4::from_translation(glam::Vec3::new(-x, 0.0, 0.0)),
        projection,
        viewport: Viewport { x: index * 1280, y: 0, width: 1280, height: 1280 },
    };
    FrameInfo { display_time_ns: 0, frame_number: 0, head: glam::Mat4::IDENTITY, eyes: vec![eye(0, -0.032), eye(1, 0.032)] }
}

/// `data` as lowercase hex, the form `PROBE_CHAOS` takes.
fn hex(data: &[u8]) -> String {
    use std::fmt::Write as _;
    data.iter().fold(String::with_capacity(data.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
