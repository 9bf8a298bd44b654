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
        "[defaults]\ndevices = [\"display-layer\"]\n[modules.escaper]\ndirs = [{ host = \"data\", guest = \"/data\", mode = \"ro\" }]",
    );
    let (dir, manifest) = module_dir("escaper", "[capabilities]\ndirs = [{ host = \"data\", guest = \"/data\", mode = \"ro\" }]");
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("inside.txt"), "hello").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", data.join("link-to-passwd")).unwrap();
    let id = w.shell.modules.load(manifest, &dir).unwrap();
    w.shell.modules.set_env(id, vec![("VISOR_PROBE".into(), "escape".into()), ("PROBE_X".into(), "2,3".into())]).unwrap();
    w.shell.modules.start(id).unwrap();
    let app_logs = |w: &World| w.shell.modules.app(id).map(|a| a.logs().lines()).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !app_logs(&w).iter().any(|l| l.message.contains("/data/inside.txt")) {
        assert!(Instant::now() < deadline, "the escaper never reported");
        w.step();
    }
    let logs = app_logs(&w);
    let line = |path: &str| logs.iter().find(|l| l.message.starts_with(&format!("read {path}:"))).unwrap().message.clone();
    assert!(line("/data/inside.txt").contains("ok (5 bytes)"), "its own folder is readable");
    for path in ["/data/../../etc/passwd", "/etc/passwd", "/data/link-to-passwd"] {
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
