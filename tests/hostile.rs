//! Hostile modules, each a test: they run as installed modules would — with a manifest, under
//! the user's policy, on the bus — next to a healthy app, and each attack must be contained and
//! reported while the compositor keeps producing frames.

mod common;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::{Duration, Instant};

use visor::shell::Shell;
use visor_runtime::bus::{BusCapabilities, ModuleRef, Overflow, QueueOptions, TopicPattern};
use visor_runtime::manifest::Manifest;
use visor_runtime::modules::ModuleId;
use visor_runtime::policy::Policy;
use visor_runtime::{AppStatus, RestartPolicy};
use visor_types::clock::MonotonicClock;

/// A module folder holding the probe component and a manifest built from `extra` TOML.
fn module_dir(name: &str, extra: &str) -> (PathBuf, Manifest) {
    let dir = std::env::temp_dir().join(format!("visor-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(common::component("probe"), dir.join("probe.wasm")).unwrap();
    let text = format!("name = \"{name}\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = {{ component = \"probe.wasm\" }}\n{extra}");
    std::fs::write(dir.join("visor.toml"), &text).unwrap();
    (dir, Manifest::parse(&text, name).unwrap())
}

struct World {
    shell: Shell,
    frame: u64,
    healthy: ModuleId,
}

impl World {
    /// A shell with a healthy app drawing next to whatever the test adds.
    fn new(policy: &str) -> World {
        let profile = common::profile(1);
        let policy = Policy::parse(policy, "test policy").unwrap();
        let mut shell = Shell::new(profile, &common::repo(), MonotonicClock::shared(), policy).unwrap();
        shell.modules.set_restart_policy(RestartPolicy::never());
        let healthy = shell.launch(&common::component("probe"), &[("PROBE_COLOR", "0,1,0,1")]).unwrap();
        World { shell, frame: 0, healthy }
    }

    fn add(&mut self, name: &str, manifest_extra: &str, env: &[(&str, &str)]) -> (ModuleId, PathBuf) {
        let (dir, manifest) = module_dir(name, manifest_extra);
        let id = self.shell.modules.load(manifest, &dir).unwrap();
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        self.shell.modules.set_env(id, env).unwrap();
        self.shell.modules.start(id).unwrap();
        (id, dir)
    }

    fn step(&mut self) {
        let report = self.shell.step(self.frame, self.shell.clock.now_ns());
        assert!(report.stats.ms > 0.0);
        self.frame += 1;
    }

    /// Steps until module `id` has failed; returns why.
    fn until_failed(&mut self, id: ModuleId) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(Instant::now() < deadline, "module {id} never failed");
            self.step();
            if let AppStatus::Failed(why) = self.shell.modules.info(id).unwrap().status {
                return why;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Asserts the healthy app still runs and draws, stepping a few more frames.
    fn healthy_still_draws(&mut self) {
        let before = self.shell.modules.app(self.healthy).unwrap().frames();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.shell.modules.app(self.healthy).unwrap().frames() < before + 5 {
            assert!(Instant::now() < deadline, "the healthy app stopped drawing");
            self.step();
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(self.shell.modules.app(self.healthy).unwrap().status(), AppStatus::Running);
        let image = self.shell.compositor.read_frame().unwrap();
        common::assert_rgb(&image, 80, 60, [0, 255, 0], 1, "the healthy app's slab is still composited");
    }
}

#[test]
fn an_infinite_loop_is_interrupted_within_its_cpu_budget() {
    let mut w = World::new("[defaults]\ndevices = [\"display-layer\"]");
    let (spin, _) = w.add("spinner", "[limits]\nframe_cpu_ms = 50", &[("VISOR_PROBE", "spin"), ("PROBE_X", "2,3")]);
    let why = w.until_failed(spin);
    assert!(why.contains("ran past its CPU budget of 50 ms"), "{why}");
    w.healthy_still_draws();
}

/// A shader spinning in a loop no compiler can bound would hang the GPU and every frame with
/// it. Its loops are bounded before the GPU sees it, its layer is timed and left out of frames
/// it makes late, and after a few such frames the app is stopped; the healthy app, which the
/// spinner covered, shows again and keeps drawing.
#[test]
fn a_spinning_shader_is_bounded_left_out_and_stopped() {
    let mut w = World::new("[defaults]\ndevices = [\"display-layer\"]");
    // A budget an honest 160x120 layer meets many times over even on lavapipe, and a shader
    // looping 4096 times in every pixel does not.
    w.shell.compositor.set_gpu_budget_ms(10.0);
    let env = [("VISOR_PROBE", "gpu-spin"), ("PROBE_X", "-3,3"), ("PROBE_Z", "-1,-1")];
    let (spinner, _) = w.add("gpu-spinner", "[capabilities]\ndevices = [\"display-layer\"]", &env);
    let mut left_out = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    let why = loop {
        assert!(Instant::now() < deadline, "the spinner was never stopped");
        let report = w.shell.step(w.frame, w.shell.clock.now_ns());
        w.frame += 1;
        left_out += report.stats.layers_over_budget;
        std::thread::sleep(Duration::from_millis(5));
        if let AppStatus::Failed(why) = w.shell.modules.info(spinner).unwrap().status {
            break why;
        }
    };
    assert!(why.contains("ran past its GPU budget of 10 ms"), "{why}");
    assert!(left_out >= visor_compositor::GPU_STRIKES, "each late frame left its layer out ({left_out})");
    w.healthy_still_draws();
}

#[test]
fn a_memory_bomb_hits_its_cap_alone() {
    let mut w = World::new("[defaults]\ndevices = [\"display-layer\"]");
    let (bomb, _) = w.add("bomber", "[limits]\nmemory_mib = 48", &[("VISOR_PROBE", "memory-bomb"), ("PROBE_X", "2,3")]);
    let why = w.until_failed(bomb);
    assert!(why.contains("trapped in frame 0"), "{why}");
    assert!(why.contains("memory allocation") || why.contains("unreachable"), "{why}");
    let logs = w.shell.modules.app(bomb).unwrap().logs().lines();
    let held = logs.iter().filter(|l| l.message.starts_with("holding")).count();
    assert!(held > 0 && held * 8 <= 48, "it got no further than its 48 MiB cap: {held} chunks of 8 MiB");
    w.healthy_still_draws();
}

#[test]
fn deep_recursion_exhausts_only_its_own_stack() {
    let mut w = World::new("[defaults]\ndevices = [\"display-layer\"]");
    let (deep, _) = w.add("deep", "", &[("VISOR_PROBE", "recurse"), ("PROBE_X", "2,3")]);
    let why = w.until_failed(deep);
    // Rust keeps its locals on a shadow stack in linear memory, which overflows out of bounds
    // before wasmtime's own call-stack limit is reached; either way the trap is the app's own.
    assert!(why.contains("call stack exhausted") || why.contains("out of bounds memory access"), "{why}");
    w.healthy_still_draws();
}

#[test]
fn a_bus_flood_is_rate_limited_and_slows_nobody_else() {
    let mut w = World::new(
        "[defaults]\ndevices = [\"display-layer\"]\n[modules.flooder]\npublish = [\"probe/flood\"]\n[modules.tester]\npublish = [\"calm/#\"]\nsubscribe = [\"calm/#\", \"probe/flood\"]",
    );
    let bus = w.shell.modules.bus().clone();
    let caps = |publish: &[&str], subscribe: &[&str]| BusCapabilities {
        publish: publish.iter().map(|p| TopicPattern::from_str(p).unwrap()).collect(),
        subscribe: subscribe.iter().map(|p| TopicPattern::from_str(p).unwrap()).collect(),
        messages_per_second: 10_000,
        shell: false,
        serve: Vec::new(),
        call: Vec::new(),
    };
    let tester = bus.endpoint(ModuleRef::new(900, "tester"), caps(&["calm/#"], &["calm/#", "probe/flood"]));
    let flood_in = tester
        .subscribe(TopicPattern::from_str("probe/flood").unwrap(), QueueOptions { capacity: 64, policy: Overflow::DropOldest })
        .unwrap();
    let calm_in =
        tester.subscribe(TopicPattern::from_str("calm/news").unwrap(), QueueOptions { capacity: 64, policy: Overflow::Reject }).unwrap();
    let (flooder, _) = w.add(
        "flooder",
        "[capabilities]\npublish = [\"probe/flood\"]\n[limits]\nbus_messages_per_second = 1000",
        &[("VISOR_PROBE", "flood"), ("PROBE_X", "2,3")],
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while !w.shell.modules.app(flooder).is_some_and(|a| a.logs().contains("flood frame 1")) {
        assert!(Instant::now() < deadline, "the flooder never flooded");
        w.step();
    }
    let topic = visor_runtime::bus::Topic::new("calm/news").unwrap();
    for i in 0..10u8 {
        tester.publish(&topic, visor_runtime::bus::Payload::bytes(vec![i])).unwrap();
    }
    let calm: Vec<_> = (0..10).map(|_| calm_in.recv_timeout(Duration::from_secs(5)).unwrap()).collect();
    assert!(calm.iter().enumerate().all(|(i, m)| m.payload.as_bytes() == Some(&[i as u8][..])), "every calm message arrived, in order");
    let flood_log = w.shell.modules.app(flooder).unwrap().logs().lines();
    let line = flood_log.iter().find(|l| l.message.starts_with("flood frame 0")).unwrap();
    assert!(line.message.contains("rate-limited") && !line.message.contains("rate-limited 0"), "{}", line.message);
    assert!(flood_in.dropped() > 0, "the flood overflowed the subscriber's queue, which dropped its oldest");
    assert_eq!(flood_in.try_recv().map(|m| m.sender.name.to_string()), Some("flooder".to_string()));
    w.healthy_still_draws();
}

/// Resident memory of this process, as the soak samples it.
fn rss_bytes() -> u64 {
    visor::soak::samples::Sample::take(Duration::ZERO, None).rss_bytes
}

/// An app that subscribes with the largest queue and never reads cannot make the shell hold
/// what is published to it: its queue is charged to its bus budget (32 MiB by default), and
/// once that is spent its oldest messages go. 1.5 GiB of distinct payloads pass through.
#[test]
fn a_hoarding_subscriber_holds_no_more_than_its_bus_budget() {
    let mut w = World::new("[defaults]\ndevices = [\"display-layer\"]\n[modules.hoarder]\nsubscribe = [\"probe/hoard\"]");
    let (hoarder, _) = w.add("hoarder", "[capabilities]\nsubscribe = [\"probe/hoard\"]", &[("VISOR_PROBE", "hoard"), ("PROBE_X", "2,3")]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !w.shell.modules.app(hoarder).is_some_and(|a| a.logs().contains("probe 'hoard' ready")) {
        assert!(Instant::now() < deadline, "the hoarder never started");
        w.step();
    }
    let bus = w.shell.modules.bus().clone();
    let caps = BusCapabilities {
        publish: vec![TopicPattern::from_str("probe/hoard").unwrap()],
        messages_per_second: 100_000,
        ..BusCapabilities::none()
    };
    let feeder = bus.endpoint(ModuleRef::new(900, "feeder"), caps);
    let topic = visor_runtime::bus::Topic::new("probe/hoard").unwrap();
    let before = rss_bytes();
    let mut delivered = 0;
    for i in 0..1536u32 {
        let mut payload = vec![0u8; 1 << 20];
        payload[..4].copy_from_slice(&i.to_le_bytes());
        payload[(1 << 20) - 1] = 1;
        delivered += feeder.publish(&topic, visor_runtime::bus::Payload::bytes(payload)).unwrap().delivered;
    }
    let grown = rss_bytes().saturating_sub(before);
    assert_eq!(delivered, 1536, "every message was queued, the oldest making room");
    assert!(grown < 256 << 20, "the shell grew by {} MiB holding what the hoarder never read", grown >> 20);
    let stats = bus.stats();
    let queue = stats.subscriptions.iter().find(|s| &*s.subscriber.name == "hoarder").unwrap();
    assert!(queue.queued <= 32, "{} MiB payloads still queued, over the 32 MiB budget", queue.queued);
    assert!(queue.dropped >= 1536 - 32, "{queue:?}");
    w.healthy_still_draws();
}

#[test]
fn ungranted_topics_forged_replies_and_spoofing_are_refused() {
    let mut w = World::new(
        "[defaults]\ndevices = [\"display-layer\"]\n[modules.sneaky]\npublish = [\"probe/out\"]\n[modules.watcher]\nsubscribe = [\"probe/#\"]",
    );
    let bus = w.shell.modules.bus().clone();
    let watcher = bus.endpoint(
        ModuleRef::new(901, "watcher"),
        BusCapabilities {
            publish: vec![],
            subscribe: vec![TopicPattern::from_str("probe/#").unwrap()],
            messages_per_second: 100,
            shell: false,
            serve: Vec::new(),
            call: Vec::new(),
        },
    );
    let seen = watcher
        .subscribe(TopicPattern::from_str("probe/out").unwrap(), QueueOptions { capacity: 16, policy: Overflow::DropOldest })
        .unwrap();
    // It asks for camera/frames and secrets/# too; the policy grants only probe/out.
    let (sneaky, _) = w.add(
        "sneaky",
        "[capabilities]\npublish = [\"probe/out\", \"camera/frames\"]\nsubscribe = [\"secrets/#\"]",
        &[("VISOR_PROBE", "forbidden"), ("PROBE_X", "2,3")],
    );
    let message = seen.recv_timeout(Duration::from_secs(30)).expect("the sneaky app published on its granted topic");
    assert_eq!(message.payload.as_text(), Some("sender=camera"));
    assert_eq!(&*message.sender.name, "sneaky", "the host stamped the real sender");
    let app = w.shell.modules.app(sneaky).unwrap();
    for expected in ["publish denied as expected", "subscribe denied as expected", "forged reply refused", "bad topic refused"] {
        assert!(app.logs().contains(expected), "{expected}: {:?}", app.logs().lines());
    }
    let denied = w.shell.modules.info(sneaky).unwrap().denied;
    assert!(denied.iter().any(|d| d.contains("camera/frames")), "the policy's refusals are listed: {denied:?}");
    w.healthy_still_draws();
}

#[test]
fn wasi_paths_outside_the_preopen_are_refused() {
    let mut w = World::new(
        "[defaults]\ndevices = [\"display-layer\"]\n[modules.escaper]\ndirs = [{ host = \"data\", guest = \"/data\", mode = \"ro\" }, { host = \".\", guest = \"/self\", mode = \"rw\" }]",
    );
    // It asks for its whole folder too ("."): its data folder, never its installed files.
    let dirs = "dirs = [{ host = \"data\", guest = \"/data\", mode = \"ro\" }, { host = \".\", guest = \"/self\", mode = \"rw\" }]";
    let (dir, manifest) = module_dir("escaper", &format!("[capabilities]\n{dirs}"));
    // The module's folders live in its own data folder, not beside its installed files.
    let data_root = dir.with_extension("data");
    w.shell.modules.set_data_root(data_root.clone());
    std::fs::write(dir.join("secret.txt"), "installed files").unwrap();
    let data = data_root.join("escaper/data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("inside.txt"), "hello").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", data.join("link-to-passwd")).unwrap();
    let id = w.shell.modules.load(manifest, &dir).unwrap();
    w.shell.modules.set_env(id, vec![("VISOR_PROBE".into(), "escape".into()), ("PROBE_X".into(), "2,3".into())]).unwrap();
    w.shell.modules.start(id).unwrap();
    let app_logs = |w: &World| w.shell.modules.app(id).map(|a| a.logs().lines()).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(60);
    // Its last line: every path before it has been tried.
    while !app_logs(&w).iter().any(|l| l.message.starts_with("read /data/inside.txt:")) {
        assert!(Instant::now() < deadline, "the escaper never reported");
        w.step();
    }
    let logs = app_logs(&w);
    let line = |path: &str| logs.iter().find(|l| l.message.starts_with(&format!("read {path}:"))).unwrap().message.clone();
    assert!(line("/data/inside.txt").contains("ok (5 bytes)"), "its own folder is readable");
    assert!(line("/self/data/inside.txt").contains("ok (5 bytes)"), "'.' is its own data folder");
    for path in
        ["/data/../../etc/passwd", "/etc/passwd", "/data/link-to-passwd", "/data/../secret.txt", "/self/secret.txt", "/self/visor.toml"]
    {
        assert!(line(path).contains("refused"), "{}", line(path));
    }
    w.healthy_still_draws();
}

/// Sockets open only to the granted ranges: the app asks for two loopback addresses, the
/// policy grants one, and a module granted no network gets none. A network grant reaches out
/// only: listening, on a chosen port or any, is refused.
#[test]
fn the_network_allow_list_is_enforced() {
    let open = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = std::net::TcpListener::bind("127.0.0.2:0").unwrap();
    let targets = format!("{},{}", open.local_addr().unwrap(), closed.local_addr().unwrap());
    let policy = "[defaults]\ndevices = [\"display-layer\"]\n[modules.caller]\nnetwork = [\"127.0.0.1/32\"]\n\
                  [modules.listener]\nnetwork = [\"127.0.0.1/32\"]";
    let mut w = World::new(policy);
    // A free port on the granted address itself, and any port on every address.
    let listen_at = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let env = [("VISOR_PROBE", "connect"), ("PROBE_X", "2,3"), ("PROBE_CONNECT", targets.as_str())];
    let caller_env = [env[0], env[1], env[2], ("PROBE_LISTEN", listen_at.as_str())];
    let any_port_env = [env[0], ("PROBE_X", "-3,-2"), env[2], ("PROBE_LISTEN", "0.0.0.0:0")];
    let (caller, _) = w.add("caller", "[capabilities]\nnetwork = [\"127.0.0.1/32\", \"127.0.0.2/32\"]", &caller_env);
    let (listener, _) = w.add("listener", "[capabilities]\nnetwork = [\"127.0.0.1/32\"]", &any_port_env);
    let (offline, _) = w.add("offline", "", &env);
    let deadline = Instant::now() + Duration::from_secs(60);
    let lines = |w: &World, id| w.shell.modules.app(id).map(|a| a.logs().lines()).unwrap_or_default();
    let reported = |w: &World, id, what: &str| lines(w, id).iter().filter(|l| l.message.starts_with(what)).count();
    while reported(&w, caller, "connect") < 2
        || reported(&w, caller, "listen") < 1
        || reported(&w, listener, "listen") < 1
        || reported(&w, offline, "connect") < 2
    {
        assert!(Instant::now() < deadline, "the callers never reported");
        w.step();
    }
    let report = |id, what: &str| lines(&w, id).into_iter().map(|l| l.message).filter(|m| m.starts_with(what)).collect::<Vec<_>>();
    let (granted, none) = (report(caller, "connect"), report(offline, "connect"));
    assert!(granted[0].ends_with(": ok") && granted[1].contains("refused"), "{granted:?}");
    assert!(none.iter().all(|m| m.contains("refused")), "{none:?}");
    let listens = [report(caller, "listen"), report(listener, "listen")].concat();
    assert!(listens.len() == 2 && listens.iter().all(|m| m.contains("refused")), "a network grant lets no app listen: {listens:?}");
    w.healthy_still_draws();
}

/// A fuzzing guest: every host call, forty a frame, with arguments drawn from a seed — ids
/// real and made up, sizes from zero past every limit, NaN floats, garbage WGSL, bad topics,
/// payloads over the bus's cap, requests that time out, replies to nothing. Each seed runs
/// beside the healthy app; every call gets an answer, the shell stays up, the healthy app
/// keeps drawing.
#[test]
fn host_calls_with_fuzzed_arguments_are_answered_never_fatal() {
    let mut w = World::new("[defaults]\ndevices = [\"display-layer\"]\npublish = [\"chaos/#\"]\nsubscribe = [\"chaos/#\"]");
    let caps = "[capabilities]\ndevices = [\"display-layer\"]\npublish = [\"chaos/#\"]\nsubscribe = [\"chaos/#\"]";
    for seed in ["1", "7", "1234567", "987654321"] {
        let name = format!("chaos-{seed}");
        let (id, _) = w.add(&name, caps, &[("VISOR_PROBE", "chaos"), ("PROBE_SEED", seed), ("PROBE_X", "2,3")]);
        let deadline = Instant::now() + Duration::from_secs(120);
        let frames = |w: &World| {
            w.shell.modules.app(id).map_or(0, |a| a.logs().lines().iter().filter(|l| l.message.starts_with("chaos frame")).count())
        };
        while frames(&w) < 30 {
            let status = w.shell.modules.info(id).unwrap().status;
            assert!(!matches!(status, AppStatus::Failed(_)), "seed {seed}: the chaos app failed: {status:?}");
            assert!(Instant::now() < deadline, "seed {seed}: the chaos app stopped making frames");
            w.step();
            std::thread::sleep(Duration::from_millis(5));
        }
        let logs = w.shell.modules.app(id).unwrap().logs().lines();
        let refused = logs.iter().filter(|l| l.message.starts_with("chaos frame") && !l.message.ends_with(" 0 refused")).count();
        assert!(refused > 0, "seed {seed}: the bad calls were refused with error values: {logs:?}");
        w.healthy_still_draws();
        w.shell.modules.unload(id).unwrap();
    }
}
