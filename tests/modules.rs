//! The module lifecycle as the shell drives it: load, start, stop, restart, unload and
//! upgrade in place; native modules on the bus under the same manifest and policy.

mod common;

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use visor_runtime::bus::{
    Bus, BusAction, BusCapabilities, BusError, ModuleRef, Overflow, Payload, QueueOptions, Subscription, Topic, TopicPattern,
};
use visor_runtime::manifest::{Manifest, Version};
use visor_runtime::modules::{ModuleHost, ModuleId};
use visor_runtime::native::{NativeContext, NativeError, NativeModule};
use visor_runtime::policy::Policy;
use visor_runtime::{AppEngine, AppStatus, FrameFeed, RestartPolicy};
use visor_types::clock::{MonotonicClock, SharedClock};

fn host(policy: &str) -> ModuleHost {
    let clock: SharedClock = MonotonicClock::shared();
    let feed = FrameFeed::new(visor::shell::frame_info(&common::profile(1), 0, 0, glam::Mat4::IDENTITY));
    let policy = Policy::parse(policy, "test policy").unwrap();
    ModuleHost::new(Bus::new(clock.clone()), AppEngine::new().unwrap(), feed, clock, policy, 120.0)
}

fn echo_manifest(version: &str) -> Manifest {
    let text = format!(
        "name = \"echo\"\nversion = \"{version}\"\nkind = \"app\"\nentry = {{ component = \"probe.wasm\" }}\n\
         [capabilities]\npublish = [\"probe/out\"]\nsubscribe = [\"probe/in\", \"probe/rpc\"]"
    );
    Manifest::parse(&text, "echo").unwrap()
}

fn tester(bus: &Bus) -> (visor_runtime::bus::Endpoint, Subscription) {
    let caps = BusCapabilities {
        publish: vec![TopicPattern::from_str("probe/#").unwrap()],
        subscribe: vec![TopicPattern::from_str("probe/#").unwrap()],
        messages_per_second: 100_000,
        shell: false,
        serve: Vec::new(),
        call: Vec::new(),
    };
    let endpoint = bus.endpoint(ModuleRef::new(999, "tester"), caps);
    let out =
        endpoint.subscribe(TopicPattern::from_str("probe/out").unwrap(), QueueOptions { capacity: 256, policy: Overflow::Reject }).unwrap();
    (endpoint, out)
}

fn wait_running(host: &ModuleHost, id: ModuleId) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while host.app(id).is_none_or(|a| a.frames() < 1) {
        assert!(Instant::now() < deadline, "module {id} never ran: {:?}", host.info(id));
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The probe's `echo` (version 1.0.0) running on a host with a tester endpoint beside it,
/// with `env` added to its environment.
fn running_echo(env: &[(&str, &str)]) -> (ModuleHost, visor_runtime::bus::Endpoint, Subscription, ModuleId) {
    let dir = common::component("probe").parent().unwrap().to_path_buf();
    let mut host = host("[modules.echo]\npublish = [\"probe/out\"]\nsubscribe = [\"probe/#\"]");
    let (endpoint, out) = tester(host.bus());
    let id = host.load(echo_manifest("1.0.0"), &dir).unwrap();
    let env = [("VISOR_PROBE", "echo")].iter().chain(env).map(|(k, v)| (k.to_string(), v.to_string())).collect();
    host.set_env(id, env).unwrap();
    host.start(id).unwrap();
    wait_running(&host, id);
    (host, endpoint, out, id)
}

fn echo_round(endpoint: &visor_runtime::bus::Endpoint, out: &Subscription, range: std::ops::Range<u8>) -> Vec<String> {
    let input = Topic::new("probe/in").unwrap();
    for i in range.clone() {
        endpoint.publish(&input, Payload::bytes(vec![i])).unwrap();
    }
    range
        .map(|i| {
            let m = out.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|e| panic!("echo of {i}: {e}"));
            assert_eq!(m.payload.as_bytes(), Some(&[i][..]), "echoes arrive in order");
            m.sender.name.to_string()
        })
        .collect()
}

/// Every kind of payload a guest can poll arrives as it was sent, with its topic, sender,
/// sequence and reply id: the guest logs each field of what it polled and echoes the payload
/// back (a frame as its first pixel), and a request gets its answer. Polled the SDK's way,
/// packed (`poll-packed` and `polled-frame`) and read in place (`bus::poll_batch`).
#[test]
fn every_kind_of_payload_reaches_a_guest_intact() {
    payloads_reach_a_guest_intact("batch");
}

/// The same through the SDK's owned messages (`bus::poll`, also packed).
#[test]
fn every_kind_of_payload_reaches_a_guest_as_owned_messages() {
    payloads_reach_a_guest_intact("owned");
}

/// The same through the plain `poll` import, which guests of other SDKs call.
#[test]
fn every_kind_of_payload_reaches_a_guest_through_plain_poll() {
    payloads_reach_a_guest_intact("list");
}

fn payloads_reach_a_guest_intact(poll: &str) {
    let dir = common::component("probe").parent().unwrap().to_path_buf();
    let mut host = host("[modules.echo]\npublish = [\"probe/out\"]\nsubscribe = [\"probe/#\"]");
    let (endpoint, out) = tester(host.bus());
    // The tester hears what it sends too, to know each message's sequence number.
    let sent = endpoint.subscribe(TopicPattern::from_str("probe/in").unwrap(), QueueOptions::commands(64)).unwrap();
    let manifest = Manifest::parse(
        "name = \"echo\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = { component = \"probe.wasm\" }\n\
         exports = { topics = [\"probe/rpc\"] }\n\
         [capabilities]\npublish = [\"probe/out\"]\nsubscribe = [\"probe/in\", \"probe/rpc\"]",
        "echo",
    )
    .unwrap();
    let id = host.load(manifest, &dir).unwrap();
    let env = [("VISOR_PROBE", "echo"), ("PROBE_TELL", "1"), ("PROBE_POLL", poll)];
    host.set_env(id, env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()).unwrap();
    host.start(id).unwrap();
    wait_running(&host, id);

    let all_bytes: Vec<u8> = (0..=255).collect();
    let large: Vec<u8> = (0..65_536u32).map(|i| (i % 251) as u8).collect();
    let json = serde_json::json!({ "face": [0.5, "grüße"], "n": 7 });
    let frame = visor_runtime::bus::FrameHandle::new(
        3,
        2,
        12,
        visor_runtime::bus::PixelFormat::Rgba8,
        (0..24u8).map(|i| i + 7).collect::<Vec<u8>>().into(),
        5,
        9,
    )
    .unwrap();
    let cases: Vec<(Payload, Payload, String)> = vec![
        (Payload::Empty, Payload::Empty, "empty".into()),
        (Payload::bytes(all_bytes.clone()), Payload::bytes(all_bytes), "bytes 256 sum 32640".into()),
        (Payload::text("grüße 👋"), Payload::text("grüße 👋"), "text \"grüße 👋\"".into()),
        (Payload::json(&json).unwrap(), Payload::text(json.to_string()), format!("text {:?}", json.to_string())),
        (
            Payload::bytes(large.clone()),
            Payload::bytes(large.clone()),
            format!("bytes 65536 sum {}", large.iter().map(|&b| u64::from(b)).sum::<u64>()),
        ),
        (Payload::Frame(frame), Payload::bytes(vec![7, 8, 9, 10]), "frame 3x2".into()),
    ];
    let input = Topic::new("probe/in").unwrap();
    let mut expected_lines = Vec::new();
    for (payload, echoed, described) in cases {
        endpoint.publish(&input, payload).unwrap();
        let sequence = sent.recv_timeout(Duration::from_secs(5)).unwrap().sequence;
        expected_lines.push(format!("got probe/in from tester #{sequence} {described} reply=no"));
        let back = out.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|e| panic!("echo of {described}: {e}"));
        assert_eq!(back.payload.as_bytes(), echoed.as_bytes(), "{described}");
        assert_eq!(back.payload.as_text(), echoed.as_text(), "{described}");
        assert_eq!(back.payload.kind(), echoed.kind(), "{described}");
    }
    let reply = endpoint.request(&Topic::new("probe/rpc").unwrap(), Payload::bytes(vec![42]), Duration::from_secs(30)).unwrap();
    assert_eq!(reply.payload.as_bytes(), Some(&[42][..]));
    assert_eq!(&*reply.sender.name, "echo");

    let logged: Vec<String> =
        host.app(id).unwrap().logs().lines().into_iter().map(|l| l.message).filter(|m| m.starts_with("got ")).collect();
    assert_eq!(logged[..expected_lines.len()], expected_lines[..]);
    let request = &logged[expected_lines.len()];
    assert!(request.starts_with("got probe/rpc from tester #") && request.ends_with(" bytes 1 sum 42 reply=yes"), "{request}");
}

/// A guest that polls packed and never takes its frames does not pile them up: the next poll
/// drops them, so frame after frame keeps reaching it, far past the most it may hold at once.
#[test]
fn frames_a_guest_leaves_in_a_packed_poll_are_dropped() {
    let (_host, endpoint, out, _) = running_echo(&[("PROBE_POLL", "skip-frames")]);

    let input = Topic::new("probe/in").unwrap();
    // More than the 32 frames a guest may hold at once, each answered before the next is sent
    // (so each poll holds one).
    for n in 0..48u64 {
        let pixels: Vec<u8> = vec![n as u8; 64 * 64 * 4];
        let frame = visor_runtime::bus::FrameHandle::new(64, 64, 256, visor_runtime::bus::PixelFormat::Rgba8, pixels.into(), n, n).unwrap();
        endpoint.publish(&input, Payload::Frame(frame)).unwrap();
        let back = out.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|e| panic!("frame {n} never came back: {e}"));
        assert_eq!(back.payload.as_text(), Some("frame 0 left"), "frame {n}");
    }
}

/// `frame-info` as the guest's `frame` reads it: every float of every matrix, the display
/// time, the app's own frame number and each viewport exactly as the host made them, with the
/// frame's input events beside them.
#[test]
fn a_guest_reads_its_frame_info_exactly() {
    use visor_types::frame::{EyeView, FrameInfo, Viewport};
    use visor_types::input::{InputEvent, Key};

    let engine = AppEngine::new().unwrap();
    let spec = visor_runtime::AppSpec::new("teller", common::component("probe"), 60.0).with_env("PROBE_TELL", "1");
    let logs = Arc::new(visor_runtime::LogRing::default());
    let bus = visor_runtime::host::bus::GuestBus::new(None);
    let mut app =
        visor_runtime::AppInstance::load(&engine, &spec, visor_types::AppId(7), bus, logs.clone(), MonotonicClock::shared()).unwrap();
    // No two floats alike, and some that print long: a field written to the wrong place, or a
    // matrix transposed, shows.
    let m = |start: f32| glam::Mat4::from_cols_array(&std::array::from_fn(|i| start + i as f32 * 0.25 - 1.0 / 3.0));
    let info = FrameInfo {
        display_time_ns: 123_456_789_012,
        frame_number: 99,
        head: m(1.0),
        eyes: vec![
            EyeView { view: m(100.0), projection: m(-50.5), viewport: Viewport { x: 0, y: 0, width: 1920, height: 1080 } },
            EyeView { view: m(7e-8), projection: m(3e20), viewport: Viewport { x: 1920, y: 4, width: 1918, height: 1076 } },
        ],
    };
    let events = vec![InputEvent::KeyDown(Key { time_ns: 5, key: "ü".into(), text: Some("ü".into()) }), InputEvent::FocusGained];
    app.frame(&info, events).unwrap();
    app.frame(&FrameInfo { eyes: info.eyes[..1].to_vec(), ..info.clone() }, Vec::new()).unwrap();

    let mat = |m: &glam::Mat4| format!("[{}]", m.to_cols_array().iter().map(|f| format!("{f:?}")).collect::<Vec<_>>().join(","));
    let told = |number: u64, eyes: &[EyeView]| {
        let mut line = format!("frame-info {number} t={} head={}", info.display_time_ns, mat(&info.head));
        for eye in eyes {
            let v = eye.viewport;
            line += &format!(
                " eye view={} projection={} viewport={},{},{},{}",
                mat(&eye.view),
                mat(&eye.projection),
                v.x,
                v.y,
                v.width,
                v.height
            );
        }
        line
    };
    let lines: Vec<String> = logs.lines().into_iter().map(|l| l.message).collect();
    // The events reach the app before its frame; the frame number is the app's own count,
    // not the shell's, from 0.
    let expected = ["input key-down ü text=ü".into(), "input focus-gained".into(), told(0, &info.eyes), told(1, &info.eyes[..1])];
    let got: Vec<&String> = lines.iter().filter(|l| l.starts_with("frame-info") || l.starts_with("input")).collect();
    assert_eq!(got, expected.iter().collect::<Vec<_>>());
}

/// An upgrade swaps the version between two frames; the module keeps its bus identity and its
/// subscriptions, so messages sent across the swap are neither lost nor doubled.
#[test]
fn upgrade_in_place_keeps_identity_and_subscriptions() {
    let (mut host, endpoint, out, id) = running_echo(&[]);
    let dir = common::component("probe").parent().unwrap().to_path_buf();
    assert!(echo_round(&endpoint, &out, 0..5).iter().all(|s| s == "echo"));

    host.upgrade(id, echo_manifest("1.1.0"), &dir).unwrap();
    // Sent while the swap may be under way: queued in the inherited subscription.
    assert!(echo_round(&endpoint, &out, 5..10).iter().all(|s| s == "echo"), "the same sender after the upgrade");
    let deadline = Instant::now() + Duration::from_secs(30);
    while host.info(id).unwrap().version != Version::new(1, 1, 0) {
        assert!(Instant::now() < deadline, "the upgrade never took: {:?}", host.info(id));
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(echo_round(&endpoint, &out, 10..15).iter().all(|s| s == "echo"));
    assert!(out.try_recv().is_none(), "no message was echoed twice");
    assert_eq!(host.info(id).unwrap().id, id, "same module id");
}

#[test]
fn stop_start_restart_unload() {
    let dir = common::component("probe").parent().unwrap().to_path_buf();
    let mut host = host("[modules.echo]\npublish = [\"probe/out\"]\nsubscribe = [\"probe/#\"]");
    let (endpoint, out) = tester(host.bus());
    let id = host.load(echo_manifest("1.0.0"), &dir).unwrap();
    host.set_env(id, vec![("VISOR_PROBE".into(), "echo".into())]).unwrap();
    assert_eq!(host.info(id).unwrap().status, AppStatus::Stopped, "loaded, not started");
    host.start(id).unwrap();
    wait_running(&host, id);
    echo_round(&endpoint, &out, 0..3);
    host.stop(id).unwrap();
    assert_eq!(host.info(id).unwrap().status, AppStatus::Stopped);
    host.start(id).unwrap();
    wait_running(&host, id);
    echo_round(&endpoint, &out, 3..6);
    host.restart(id).unwrap();
    echo_round(&endpoint, &out, 6..9);
    let manifest = host.unload(id).unwrap();
    assert_eq!(manifest.name, "echo");
    assert!(host.info(id).is_none() && host.find("echo").is_none());
}

/// A native driver that publishes ticks, and panics on its third start.
struct Ticker {
    starts: Arc<AtomicU32>,
}

impl NativeModule for Ticker {
    fn run(&mut self, ctx: &NativeContext) -> Result<(), NativeError> {
        let start = self.starts.fetch_add(1, Ordering::SeqCst);
        let topic = Topic::new("ticks/fast").unwrap();
        let mut n = 0u32;
        while ctx.sleep(Duration::from_millis(2)) {
            n += 1;
            if start == 0 && n == 3 {
                return Err(NativeError::new(&ctx.name, "sensor glitch"));
            }
            if start == 1 && n == 3 {
                panic!("driver bug");
            }
            ctx.endpoint
                .publish(&topic, Payload::bytes(vec![start as u8, n as u8]))
                .map_err(|e| NativeError::new(&ctx.name, e.to_string()))?;
        }
        Ok(())
    }
}

#[test]
fn native_modules_join_the_bus_under_manifest_policy_and_supervision() {
    let mut host = host("[modules.ticker]\npublish = [\"ticks/#\"]");
    host.set_restart_policy(RestartPolicy { initial_backoff: Duration::from_millis(5), ..Default::default() });
    let starts = Arc::new(AtomicU32::new(0));
    let counter = starts.clone();
    host.register_native(
        "ticker",
        Arc::new(move |_m: &Manifest| Ok(Box::new(Ticker { starts: counter.clone() }) as Box<dyn NativeModule>)),
    );
    let manifest = Manifest::parse(
        "name = \"ticker\"\nversion = \"1.0.0\"\nkind = \"driver\"\nentry = { native = \"ticker\" }\n[capabilities]\npublish = [\"ticks/fast\", \"camera/frames\"]",
        "ticker",
    )
    .unwrap();
    let id = host.load(manifest, std::path::Path::new(".")).unwrap();
    assert!(host.info(id).unwrap().denied.iter().any(|d| d.contains("camera/frames")), "ungranted topics are denied");
    let (endpoint, _) = tester(host.bus());
    let caps = BusCapabilities {
        publish: vec![],
        subscribe: vec![TopicPattern::from_str("ticks/#").unwrap()],
        messages_per_second: 10,
        shell: false,
        serve: Vec::new(),
        call: Vec::new(),
    };
    let listener = host.bus().endpoint(ModuleRef::new(998, "listener"), caps);
    let ticks = listener
        .subscribe(TopicPattern::from_str("ticks/#").unwrap(), QueueOptions { capacity: 1024, policy: Overflow::DropOldest })
        .unwrap();
    drop(endpoint);
    host.start(id).unwrap();
    // Ticks from the third start: after an error and a panic, the supervisor restarted it.
    let third = loop {
        let tick = ticks.recv_timeout(Duration::from_secs(30)).expect("ticks keep arriving");
        assert_eq!(&*tick.sender.name, "ticker");
        if tick.payload.as_bytes().is_some_and(|b| b[0] == 2) {
            break tick;
        }
    };
    assert!(third.payload.as_bytes().is_some());
    let info = host.info(id).unwrap();
    assert_eq!(info.crashes.len(), 2, "{:?}", info.crashes);
    assert!(info.crashes[0].reason.contains("sensor glitch"));
    assert!(info.crashes[1].reason.contains("panicked: driver bug"));
    assert_eq!(info.status, AppStatus::Running);
    host.stop(id).unwrap();
    assert_eq!(host.info(id).unwrap().status, AppStatus::Stopped);
}

/// A native module that idles until stopped.
struct Idle;

impl NativeModule for Idle {
    fn run(&mut self, ctx: &NativeContext) -> Result<(), NativeError> {
        while ctx.sleep(Duration::from_millis(5)) {}
        Ok(())
    }
}

#[test]
fn starting_a_module_starts_the_loaded_modules_it_depends_on() {
    let mut host = host("");
    host.register_native("idle", Arc::new(|_m: &Manifest| Ok(Box::new(Idle) as Box<dyn NativeModule>)));
    let module = |name: &str, version: &str, depends: &str| {
        let text = format!(
            "name = \"{name}\"\nversion = \"{version}\"\nkind = \"library\"\nentry = {{ native = \"idle\" }}\ndepends = [{depends}]"
        );
        Manifest::parse(&text, name).unwrap()
    };
    let here = std::path::Path::new(".");
    let old_lib = host.load(module("lib", "1.0.0", ""), here).unwrap();
    let deep = host.load(module("deep", "2.1.0", ""), here).unwrap();
    let lib = host.load(module("lib2", "1.4.0", "{ module = \"deep\", version = \"^2\" }"), here).unwrap();
    let app = host
        .load(module("user", "0.1.0", "{ module = \"lib2\", version = \"^1.2\" }, { module = \"absent\", version = \"*\" }"), here)
        .unwrap();
    host.start(app).unwrap();
    for id in [app, lib, deep] {
        let deadline = Instant::now() + Duration::from_secs(10);
        while host.info(id).unwrap().status == AppStatus::Starting && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
        }
        assert_eq!(host.info(id).unwrap().status, AppStatus::Running, "module {id} runs");
    }
    assert_eq!(host.info(old_lib).unwrap().status, AppStatus::Stopped, "an unrelated module stays idle");
    for id in [app, lib, deep] {
        host.stop(id).unwrap();
    }
}

#[test]
fn an_unknown_native_driver_is_named() {
    let mut host = host("");
    let manifest =
        Manifest::parse("name = \"lidar\"\nversion = \"1.0.0\"\nkind = \"driver\"\nentry = { native = \"lidar\" }", "lidar").unwrap();
    let err = host.load(manifest, std::path::Path::new(".")).unwrap_err().to_string();
    assert!(err.contains("names native driver 'lidar', which this shell does not have"), "{err}");
}

/// A module with a trigger topic is loaded but idle until a message arrives on that topic.
#[test]
fn a_trigger_topic_starts_its_module() {
    let dir = common::component("probe").parent().unwrap().to_path_buf();
    let mut host = host("[modules.sleeper]\nsubscribe = [\"probe/#\"]");
    let manifest = Manifest::parse(
        "name = \"sleeper\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = { component = \"probe.wasm\" }\n\
         triggers = { topics = [\"wake/+\"] }",
        "sleeper",
    )
    .unwrap();
    let id = host.load(manifest, &dir).unwrap();
    assert!(host.poll_triggers().is_empty(), "nothing has fired yet");
    assert!(host.app(id).is_none(), "idle until triggered");
    let caps = BusCapabilities {
        publish: vec![TopicPattern::from_str("wake/#").unwrap()],
        subscribe: vec![],
        messages_per_second: 10,
        shell: false,
        serve: Vec::new(),
        call: Vec::new(),
    };
    let alarm = host.bus().endpoint(ModuleRef::new(997, "alarm"), caps);
    alarm.publish(&Topic::new("wake/now").unwrap(), Payload::Empty).unwrap();
    assert_eq!(host.poll_triggers(), vec![id]);
    wait_running(&host, id);
    assert!(host.poll_triggers().is_empty(), "a started module is no longer watched");
}

/// A module that may ask the camera for its lens cannot kill it: requests that expire at once
/// make the camera's replies fail, and a failed reply is not a crash; an impostor subscribed
/// to the camera's requests may not answer them. The camera keeps publishing and never restarts.
#[test]
fn hostile_requests_to_the_camera_are_not_crashes() {
    let text = "name = \"cam-test\"\n[display]\nkind = \"passthrough\"\neyes = 1\neye_width = 64\neye_height = 48\nrefresh_hz = 30\n\
                fov_deg = { left = -45, right = 45, up = 36.87, down = -36.87 }\nipd_mm = 64\n\
                [camera]\nsource = \"synthetic\"\nwidth = 64\nheight = 48\nfps = 30\n";
    let profile = visor_types::DeviceProfile::from_toml(text, "camera test profile").unwrap();
    let mut host = host("");
    let still = Arc::new(visor_drivers::pose::SimulatorPose::new(MonotonicClock::shared()));
    visor::builtin::register(&mut host, &profile, &common::repo(), MonotonicClock::shared(), still);
    let loaded = visor::builtin::load(&mut host, &common::repo(), &[visor_types::profile::DriverName::Camera]).unwrap();
    let camera = loaded.iter().find(|(name, _)| name == "camera").map(|(_, id)| *id).unwrap();

    let caps = BusCapabilities {
        publish: vec![TopicPattern::from_str("camera/describe").unwrap()],
        subscribe: vec![TopicPattern::from_str("camera/#").unwrap()],
        messages_per_second: 100_000,
        shell: false,
        serve: Vec::new(),
        call: Vec::new(),
    };
    let hostile = host.bus().endpoint(ModuleRef::new(998, "hostile"), caps);
    let asks = hostile
        .subscribe(TopicPattern::from_str("camera/describe").unwrap(), QueueOptions { capacity: 64, policy: Overflow::DropOldest })
        .unwrap();
    let frames = hostile
        .subscribe(TopicPattern::from_str("camera/frames").unwrap(), QueueOptions { capacity: 1, policy: Overflow::DropOldest })
        .unwrap();
    frames.recv_timeout(Duration::from_secs(30)).expect("the camera's first frame");
    let describe = Topic::new("camera/describe").unwrap();
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        // Gone before the camera can answer.
        let _ = hostile.request(&describe, Payload::bytes(Vec::new()), Duration::ZERO);
        // And answered by the impostor first, when its own copy arrives before the camera's.
        while let Some(ask) = asks.try_recv() {
            let _ = hostile.reply(&ask, Payload::bytes(b"forged".to_vec()));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    // Only the camera, which serves camera/describe, answers there: the impostor is refused.
    while asks.try_recv().is_some() {}
    let reply = hostile.request(&describe, Payload::bytes(Vec::new()), Duration::from_secs(5)).expect("the camera answers");
    assert_eq!(&*reply.sender.name, "camera");
    let ask = asks.recv_timeout(Duration::from_secs(5)).expect("the impostor saw the request");
    let refused = hostile.reply(&ask, Payload::bytes(b"forged".to_vec())).unwrap_err();
    assert!(matches!(refused, BusError::Denied { action: BusAction::Reply, .. }), "{refused}");
    let info = host.info(camera).unwrap();
    assert_eq!(info.status, AppStatus::Running, "{info:?}");
    assert!(info.crashes.is_empty(), "a failed reply is not a crash: {:?}", info.crashes);
    while frames.try_recv().is_some() {}
    frames.recv_timeout(Duration::from_secs(5)).expect("frames keep coming");
}
