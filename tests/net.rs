//! The bus across devices, over real Zenoh links on loopback: two shells' buses bridged under
//! their policies (grants, refusals, requests, a peer leaving and coming back), vision offloaded
//! to a `visor serve` process answering camera frames with faces, and a third-party client (the
//! `eclipse-zenoh` Python package) publishing and subscribing through the bridge.

mod common;

use std::collections::HashSet;
use std::net::TcpListener;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use visor_net::{AdvertisedModule, Bridge, PeerStatus};
use visor_runtime::bus::{Bus, BusCapabilities, Endpoint, FrameHandle, Message, ModuleRef, Payload, QueueOptions, Topic, TopicPattern};
use visor_runtime::policy::Policy;
use visor_types::clock::MonotonicClock;
use visor_types::profile::NetworkConfig;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn pattern(p: &str) -> TopicPattern {
    TopicPattern::from_str(p).unwrap()
}

fn topic(t: &str) -> Topic {
    Topic::new(t).unwrap()
}

/// A local module on `bus` with exactly these grants.
fn module(bus: &Bus, id: u32, name: &str, publish: &[&str], subscribe: &[&str], serve: &[&str]) -> Endpoint {
    let caps = BusCapabilities {
        publish: publish.iter().map(|p| pattern(p)).collect(),
        subscribe: subscribe.iter().map(|p| pattern(p)).collect(),
        messages_per_second: 10_000,
        serve: serve.iter().map(|p| pattern(p)).collect(),
        ..BusCapabilities::none()
    };
    bus.endpoint(ModuleRef::new(id, name), caps)
}

fn listen(port: u16) -> NetworkConfig {
    NetworkConfig { listen: vec![format!("tcp/127.0.0.1:{port}")], ..NetworkConfig::default() }
}

fn connect(port: u16) -> NetworkConfig {
    NetworkConfig { connect: vec![format!("tcp/127.0.0.1:{port}")], ..NetworkConfig::default() }
}

/// Waits up to `within` for a message `accept` takes, publishing with `poke` meanwhile (a
/// subscription on the far side may still be on its way).
fn await_message(
    sub: &visor_runtime::bus::Subscription,
    within: Duration,
    mut poke: impl FnMut(),
    accept: impl Fn(&Message) -> bool,
) -> Option<Message> {
    let end = Instant::now() + within;
    while Instant::now() < end {
        poke();
        if let Ok(m) = sub.recv_timeout(Duration::from_millis(100))
            && accept(&m)
        {
            return Some(m);
        }
    }
    None
}

fn advertised(name: &str, publish: &[&str], subscribe: &[&str], exports: &[&str]) -> AdvertisedModule {
    let strings = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
    AdvertisedModule {
        name: name.into(),
        kind: "library".into(),
        publish: strings(publish),
        subscribe: strings(subscribe),
        exports: strings(exports),
        ..AdvertisedModule::default()
    }
}

#[test]
fn remote_modules_are_granted_by_policy_refused_without_and_come_back() {
    let port = free_port();
    let alpha_policy = Policy::parse(
        r#"
        [modules."talker@beta"]
        publish = ["chat/#"]
        [modules."*@beta"]
        subscribe = ["chat/#"]
        "#,
        "alpha",
    )
    .unwrap();
    let beta_policy = Policy::parse(
        r#"
        [modules."*@alpha"]
        publish = ["chat/#", "echo/#"]
        subscribe = ["chat/#"]
        "#,
        "beta",
    )
    .unwrap();
    let (bus_a, bus_b) = (Bus::new(MonotonicClock::shared()), Bus::new(MonotonicClock::shared()));
    let listener = module(&bus_a, 1, "listener", &[], &["#"], &[]);
    let heard = listener.subscribe(pattern("#"), QueueOptions::commands(1024)).unwrap();
    let alpha_out = module(&bus_a, 2, "announcer", &["chat/#", "private/#", "echo/#"], &[], &[]);
    let alpha = Bridge::start(bus_a.clone(), "alpha", listen(port), alpha_policy, Vec::new()).unwrap();

    let start_beta = || {
        let modules = vec![advertised("talker", &["chat/#"], &[], &[]), advertised("echo", &[], &["echo/ask"], &["echo/ask"])];
        Bridge::start(bus_b.clone(), "beta", connect(port), beta_policy.clone(), modules).unwrap()
    };
    let beta = start_beta();
    let beta_listener = module(&bus_b, 1, "listener", &[], &["#"], &[]);
    let beta_heard = beta_listener.subscribe(pattern("#"), QueueOptions::commands(1024)).unwrap();
    let talker = module(&bus_b, 2, "talker", &["chat/#"], &[], &[]);
    let intruder = module(&bus_b, 3, "intruder", &["chat/#"], &[], &[]);
    let echo = module(&bus_b, 4, "echo", &[], &["echo/ask"], &["echo/ask"]);
    let echo_sub = echo.subscribe(pattern("echo/ask"), QueueOptions::commands(16)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let echo_thread = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if let Ok(m) = echo_sub.recv_timeout(Duration::from_millis(50)) {
                    let text = format!("pong:{}", m.payload.as_text().unwrap_or("?"));
                    let _ = echo.reply(&m, Payload::text(text));
                }
            }
        })
    };

    // A granted remote module's messages arrive, stamped with its device.
    let from_talker = await_message(
        &heard,
        Duration::from_secs(20),
        || {
            let _ = talker.publish(&topic("chat/hello"), Payload::text("hi"));
            let _ = intruder.publish(&topic("chat/hello"), Payload::text("let me in"));
        },
        |m| m.topic.as_str() == "chat/hello" && m.sender.name.ends_with("@beta"),
    )
    .expect("talker@beta's message reaches alpha's bus");
    assert_eq!(&*from_talker.sender.name, "talker@beta");
    assert_eq!(from_talker.payload.as_text(), Some("hi"));
    // The intruder has no entry of its own and `*@beta` grants no publishing: never delivered.
    std::thread::sleep(Duration::from_millis(300));
    let senders: HashSet<String> = heard.drain().map(|m| m.sender.name.to_string()).collect();
    assert!(!senders.contains("intruder@beta"), "{senders:?}");
    assert!(alpha.stats().refused > 0);

    // Alpha's exports reach beta; what alpha does not export never leaves it.
    let to_beta = await_message(
        &beta_heard,
        Duration::from_secs(20),
        || {
            let _ = alpha_out.publish(&topic("private/diary"), Payload::text("secret"));
            let _ = alpha_out.publish(&topic("chat/news"), Payload::text("hello beta"));
        },
        |m| m.topic.as_str() == "chat/news",
    )
    .expect("alpha's export reaches beta");
    assert_eq!(&*to_beta.sender.name, "announcer@alpha");
    std::thread::sleep(Duration::from_millis(300));
    assert!(beta_heard.drain().all(|m| !m.topic.as_str().starts_with("private")));

    // A request to a module on beta, answered across the link.
    let end = Instant::now() + Duration::from_secs(20);
    let reply = loop {
        match alpha_out.request(&topic("echo/ask"), Payload::text("ping"), Duration::from_secs(3)) {
            Ok(reply) => break reply,
            // The proxy serving echo/ask appears once alpha has heard what beta runs.
            Err(_) if Instant::now() < end => std::thread::sleep(Duration::from_millis(200)),
            Err(e) => panic!("echo@beta never answered: {e}"),
        }
    };
    assert_eq!(reply.payload.as_text(), Some("pong:ping"));
    assert_eq!(&*reply.sender.name, "echo@beta");

    // Beta leaves: alpha says so on net/peers; it comes back and messages flow again.
    drop(beta);
    let gone = await_message(
        &heard,
        Duration::from_secs(20),
        || {},
        |m| m.topic.as_str() == visor_net::PEERS_TOPIC && m.payload.decode::<PeerStatus>().is_ok_and(|s| s.device == "beta" && !s.present),
    );
    assert!(gone.is_some(), "alpha noticed beta leaving");
    let _beta = start_beta();
    let again = await_message(
        &heard,
        Duration::from_secs(30),
        || {
            let _ = talker.publish(&topic("chat/hello"), Payload::text("back"));
        },
        |m| m.topic.as_str() == "chat/hello" && m.payload.as_text() == Some("back"),
    );
    assert!(again.is_some(), "talker@beta's messages flow again after beta came back");
    stop.store(true, Ordering::Relaxed);
    echo_thread.join().unwrap();
}

fn astronaut_frames() -> Vec<FrameHandle> {
    (0..4)
        .map(|i| {
            let path = common::repo().join(format!("assets/camera/astronaut/frame-{i:04}.jpg"));
            let image = image::open(&path).unwrap().into_rgba8();
            let (w, h) = image.dimensions();
            FrameHandle::new(w, h, w * 4, visor_runtime::bus::PixelFormat::Rgba8, image.into_raw().into(), 1_000 + i, i).unwrap()
        })
        .collect()
}

/// `visor serve --modules vision` on a second "host" answers this device's camera frames with
/// faces, which arrive here as from `vision@edge`.
#[test]
fn vision_offloaded_to_visor_serve_answers_camera_frames() {
    let port = free_port();
    let store = tempfile::tempdir().unwrap();
    std::fs::write(
        store.path().join("policy.toml"),
        r#"
        [modules."camera@glasses"]
        publish = ["camera/frames", "camera/info"]
        devices = ["camera"]
        [modules."*@glasses"]
        subscribe = ["vision/faces"]
        "#,
    )
    .unwrap();
    let mut serve = std::process::Command::new(env!("CARGO_BIN_EXE_visor"))
        .arg("--store")
        .arg(store.path())
        .arg("--data-dir")
        .arg(common::repo())
        .args(["serve", "--modules", "vision", "--device", "edge", "--listen", &format!("tcp/127.0.0.1:{port}")])
        .args(["--seconds", "120"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let policy = Policy::parse(
        r#"
        [modules."vision@edge"]
        publish = ["vision/faces"]
        [modules."*@edge"]
        subscribe = ["camera/frames", "camera/info"]
        devices = ["camera"]
        "#,
        "glasses",
    )
    .unwrap();
    let bus = Bus::new(MonotonicClock::shared());
    let camera = module(&bus, 1, "camera", &["camera/frames", "camera/info"], &[], &[]);
    let tags = module(&bus, 2, "face-tags", &[], &["vision/faces"], &[]);
    let faces = tags.subscribe(pattern("vision/faces"), QueueOptions::latest(16)).unwrap();
    // The camera's manifest asks for the camera device, as the built-in one does.
    let camera_module =
        AdvertisedModule { devices: vec!["camera".into()], ..advertised("camera", &["camera/frames", "camera/info"], &[], &[]) };
    let bridge = Bridge::start(bus.clone(), "glasses", connect(port), policy, vec![camera_module]).unwrap();
    let frames = astronaut_frames();
    let mut next = 0;
    let found = await_message(
        &faces,
        Duration::from_secs(90),
        || {
            // The lens, as the camera driver says it on camera/info: the edge places faces with it.
            let (w, h) = (frames[0].width(), frames[0].height());
            let info = visor_types::CameraInfo {
                source: "replay assets/camera/astronaut".into(),
                width: w,
                height: h,
                intrinsics: visor_types::CameraIntrinsics::from_hfov(w, h, 90.0),
                live: false,
                stereo: None,
            };
            let _ = camera.publish(&topic("camera/info"), Payload::json(&info).unwrap());
            let _ = camera.publish(&topic("camera/frames"), Payload::Frame(frames[next % frames.len()].clone()));
            next += 1;
        },
        |m| {
            m.payload
                .decode::<serde_json::Value>()
                .is_ok_and(|v| v["faces"].as_array().is_some_and(|f| f.iter().any(|f| f["position"].is_array())))
        },
    );
    let _ = serve.kill();
    let output = serve.wait_with_output().unwrap();
    let found = found.unwrap_or_else(|| panic!("no faces from the edge; its log:\n{}", String::from_utf8_lossy(&output.stderr)));
    assert_eq!(&*found.sender.name, "vision@edge");
    let detections: serde_json::Value = found.payload.decode().unwrap();
    let sequence = detections["frame_sequence"].as_u64().unwrap();
    assert!(sequence < frames.len() as u64, "the faces name one of the frames sent: {detections}");
    assert_eq!(detections["frame_timestamp_ns"].as_u64(), Some(1_000 + sequence));
    assert!(bridge.stats().sent > 0 && bridge.stats().received > 0);
}

/// A third-party client, the `eclipse-zenoh` Python package, publishes and subscribes Visor
/// topics through the bridge and is refused where the policy says so.
#[test]
fn a_python_zenoh_client_talks_through_the_bridge_within_its_grants() {
    let python = common::repo().join("target/zenoh-py/bin/python");
    assert!(python.exists(), "{} is missing: scripts/setup.sh installs eclipse-zenoh there", python.display());
    let port = free_port();
    let policy = Policy::parse(
        r#"
        [modules."zenoh@py"]
        publish = ["chat/#"]
        subscribe = ["chat/#"]
        "#,
        "glasses",
    )
    .unwrap();
    let bus = Bus::new(MonotonicClock::shared());
    let local = module(&bus, 1, "chat", &["chat/#", "private/#"], &["#"], &[]);
    let heard = local.subscribe(pattern("#"), QueueOptions::commands(1024)).unwrap();
    let _bridge = Bridge::start(bus.clone(), "glasses", listen(port), policy, Vec::new()).unwrap();
    let script = r#"
import json, sys, time, zenoh
conf = zenoh.Config()
conf.insert_json5("mode", '"peer"')
conf.insert_json5("connect/endpoints", json.dumps([sys.argv[1]]))
conf.insert_json5("scouting/multicast/enabled", "false")
got = []
with zenoh.open(conf) as s:
    sub = s.declare_subscriber("visor/glasses/**", lambda sample: got.append([str(sample.key_expr), sample.payload.to_string()]))
    end = time.time() + 6
    while time.time() < end:
        s.put("visor/py/chat/hello", "hi from python", encoding=zenoh.Encoding.TEXT_PLAIN)
        s.put("visor/py/secret/plans", "nope", encoding=zenoh.Encoding.TEXT_PLAIN)
        time.sleep(0.1)
print(json.dumps(got))
"#;
    let child = std::process::Command::new(&python)
        .args(["-c", script, &format!("tcp/127.0.0.1:{port}")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(6);
    let mut from_python = Vec::new();
    while Instant::now() < end {
        let _ = local.publish(&topic("chat/out"), Payload::text("to python"));
        let _ = local.publish(&topic("private/x"), Payload::text("not for python"));
        std::thread::sleep(Duration::from_millis(100));
        from_python.extend(heard.drain().filter(|m| m.sender.name.ends_with("@py")));
    }
    let output = child.wait_with_output().unwrap();
    from_python.extend(heard.drain().filter(|m| m.sender.name.ends_with("@py")));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let got: Vec<(String, String)> = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert!(got.iter().any(|(k, v)| k == "visor/glasses/chat/out" && v == "to python"), "python got {got:?}");
    assert!(got.iter().all(|(k, _)| !k.contains("private")), "python got {got:?}");
    assert!(
        from_python
            .iter()
            .any(|m| m.topic.as_str() == "chat/hello" && &*m.sender.name == "zenoh@py" && m.payload.as_text() == Some("hi from python"))
    );
    assert!(from_python.iter().all(|m| m.topic.as_str() != "secret/plans"));
}

/// A Visor process whose log lines are collected as they come.
struct Proc {
    child: std::process::Child,
    lines: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Proc {
    fn spawn(mut command: std::process::Command) -> Proc {
        let mut child = command.stderr(std::process::Stdio::piped()).stdout(std::process::Stdio::null()).spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Proc { child, lines }
    }

    fn count(&self, needle: &str) -> usize {
        self.lines.lock().unwrap().iter().filter(|l| l.contains(needle)).count()
    }

    /// Waits until `needle` has been logged `times` times.
    fn wait_for(&self, needle: &str, times: usize, within: Duration) {
        let end = Instant::now() + within;
        while self.count(needle) < times {
            assert!(Instant::now() < end, "never logged '{needle}' ({times}×); the log:\n{}", self.lines.lock().unwrap().join("\n"));
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, so the process says goodbye; then waits for it.
    fn stop(mut self) -> String {
        let _ = std::process::Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let end = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::thread::sleep(Duration::from_millis(200));
        self.lines.lock().unwrap().join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Two stores with the policies of the README's example: frames out, faces back.
fn offload_stores() -> (tempfile::TempDir, tempfile::TempDir, std::path::PathBuf) {
    let (glasses, edge) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    std::fs::write(
        glasses.path().join("policy.toml"),
        "[modules.\"vision@edge\"]\npublish = [\"vision/faces\"]\n[modules.\"*@edge\"]\nsubscribe = [\"camera/frames\", \"camera/info\"]\ncall = [\"camera\"]\ndevices = [\"camera\"]\n",
    )
    .unwrap();
    std::fs::write(
        edge.path().join("policy.toml"),
        "[modules.\"camera@glasses\"]\npublish = [\"camera/frames\", \"camera/info\"]\ndevices = [\"camera\"]\n[modules.\"*@glasses\"]\nsubscribe = [\"vision/faces\"]\n",
    )
    .unwrap();
    let profile = glasses.path().join("faces-offload.toml");
    let faces = std::fs::read_to_string(common::repo().join("device-profiles/faces.toml")).unwrap();
    std::fs::write(&profile, format!("{faces}\n[network]\ndevice = \"glasses\"\noffload = {{ vision = \"edge\", fallback = true }}\n"))
        .unwrap();
    (glasses, edge, profile)
}

fn visor(prefix: &[&str], store: &std::path::Path) -> std::process::Command {
    let mut command = match prefix.split_first() {
        Some((program, args)) => {
            let mut c = std::process::Command::new(program);
            c.args(args).arg(env!("CARGO_BIN_EXE_visor"));
            c
        }
        None => std::process::Command::new(env!("CARGO_BIN_EXE_visor")),
    };
    command.arg("--store").arg(store).arg("--data-dir").arg(common::repo());
    command
}

fn edge(prefix: &[&str], store: &std::path::Path, listen: &str) -> Proc {
    let mut command = visor(prefix, store);
    command.args(["serve", "--modules", "vision", "--device", "edge", "--listen", listen]);
    Proc::spawn(command)
}

fn glasses(prefix: &[&str], store: &std::path::Path, profile: &std::path::Path, connect: &str) -> Proc {
    let mut command = visor(prefix, store);
    command.args(["run", "--headless", "--frames", "0", "--profile"]).arg(profile).args(["--connect", connect]);
    command.arg(common::component("face_tags"));
    Proc::spawn(command)
}

const REMOTE: &str = "vision is served by the offload device";
const LOCAL: &str = "the offload device is away; vision runs here";

/// The glasses run face tags with vision on the edge; the edge dies, the glasses run vision
/// themselves; the edge comes back, and vision moves back to it. No restart of the glasses.
#[test]
fn offloaded_vision_falls_back_to_local_and_back_as_the_edge_comes_and_goes() {
    let port = free_port();
    let (glasses_store, edge_store, profile) = offload_stores();
    let listen = format!("tcp/127.0.0.1:{port}");
    let first = edge(&[], edge_store.path(), &listen);
    let pair = glasses(&[], glasses_store.path(), &profile, &listen);
    pair.wait_for(REMOTE, 1, Duration::from_secs(90));
    pair.wait_for("remote module joined the bus module=vision@edge", 1, Duration::from_secs(30));
    // The glasses may have said "away" once already, before they first heard of the edge.
    let local = pair.count(LOCAL);
    drop(first);
    pair.wait_for(LOCAL, local + 1, Duration::from_secs(30));
    let second = edge(&[], edge_store.path(), &listen);
    pair.wait_for(REMOTE, 2, Duration::from_secs(60));
    // Faces flow from the edge again: it sends them to the glasses.
    std::thread::sleep(Duration::from_secs(3));
    let edge_log = second.stop();
    let sent: u64 = edge_log
        .lines()
        .find_map(|l| l.split("sent=").nth(1).and_then(|r| r.split_whitespace().next()).and_then(|n| n.parse().ok()))
        .unwrap_or(0);
    assert!(sent > 0, "the edge sent no faces after it came back:\n{edge_log}");
    let log = pair.stop();
    assert!(!log.contains("panicked"), "{log}");
    // The edge's vision asks the glasses' camera for its lens (camera/describe) when it comes
    // back: granted by `*@edge`, which `vision@edge`'s own section does not hide.
    assert!(!log.contains("may not send requests to 'camera/describe'"), "the edge may ask the glasses' camera for its lens:\n{log}");
}

/// Where the test runs as root: the glasses and the edge each in a network namespace of their
/// own, joined by a veth pair (addresses only inside them). The link is cut mid-run and
/// restored; vision falls back and moves back.
#[test]
#[allow(clippy::print_stderr, reason = "says why the test did nothing without root")]
fn offloaded_vision_survives_a_cut_link_between_network_namespaces() {
    let root = std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0"));
    if !root {
        eprintln!("not root: the network-namespace test needs root (the loopback test covers the rest)");
        return;
    }
    let tag = std::process::id() % 10_000;
    let (ns_glasses, ns_edge) = (format!("visor-g{tag}"), format!("visor-e{tag}"));
    let (veth_g, veth_e) = (format!("vg{tag}"), format!("ve{tag}"));
    let ip = |args: &[&str]| {
        let status = std::process::Command::new("ip").args(args).status().unwrap();
        assert!(status.success(), "ip {}", args.join(" "));
    };
    struct Namespaces(Vec<String>);
    impl Drop for Namespaces {
        fn drop(&mut self) {
            for ns in &self.0 {
                let _ = std::process::Command::new("ip").args(["netns", "del", ns]).status();
            }
        }
    }
    ip(&["netns", "add", &ns_glasses]);
    ip(&["netns", "add", &ns_edge]);
    let _cleanup = Namespaces(vec![ns_glasses.clone(), ns_edge.clone()]);
    ip(&["link", "add", &veth_g, "type", "veth", "peer", "name", &veth_e]);
    ip(&["link", "set", &veth_g, "netns", &ns_glasses]);
    ip(&["link", "set", &veth_e, "netns", &ns_edge]);
    ip(&["-n", &ns_glasses, "addr", "add", "10.231.0.1/24", "dev", &veth_g]);
    ip(&["-n", &ns_edge, "addr", "add", "10.231.0.2/24", "dev", &veth_e]);
    for (ns, dev) in [(&ns_glasses, &veth_g), (&ns_edge, &veth_e)] {
        ip(&["-n", ns, "link", "set", dev, "up"]);
        ip(&["-n", ns, "link", "set", "lo", "up"]);
    }
    let (glasses_store, edge_store, profile) = offload_stores();
    let in_edge = ["ip", "netns", "exec", ns_edge.as_str()];
    let in_glasses = ["ip", "netns", "exec", ns_glasses.as_str()];
    let _edge = edge(&in_edge, edge_store.path(), "tcp/10.231.0.2:7447");
    let pair = glasses(&in_glasses, glasses_store.path(), &profile, "tcp/10.231.0.2:7447");
    pair.wait_for(REMOTE, 1, Duration::from_secs(90));
    let local = pair.count(LOCAL);
    // Cut: the glasses' end of the link goes down; the session times out.
    ip(&["-n", &ns_glasses, "link", "set", &veth_g, "down"]);
    pair.wait_for(LOCAL, local + 1, Duration::from_secs(60));
    ip(&["-n", &ns_glasses, "link", "set", &veth_g, "up"]);
    pair.wait_for(REMOTE, 2, Duration::from_secs(60));
    let log = pair.stop();
    assert!(!log.contains("panicked"), "{log}");
}

/// `visor peers` lists the shells on the network with their modules and latency.
#[test]
fn visor_peers_lists_who_is_there() {
    let port = free_port();
    let bus = Bus::new(MonotonicClock::shared());
    let modules = vec![advertised("vision", &["vision/faces"], &[], &["vision/faces"])];
    let _edge = Bridge::start(bus, "edge-7", listen(port), Policy::default(), modules).unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_visor"))
        .args(["peers", "--json", "--connect", &format!("tcp/127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let peers: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let edge = peers.as_array().unwrap().iter().find(|p| p["device"] == "edge-7").unwrap_or_else(|| panic!("{peers}"));
    assert_eq!(edge["modules"], serde_json::json!(["vision"]));
    assert!(edge["latency_ms"].as_f64().is_some_and(|ms| ms > 0.0 && ms < 1000.0), "{edge}");
}

/// A kept topic (`[network] keep`) loses nothing while its only peer is gone: held, then sent
/// in order when the peer is back.
#[test]
fn kept_topics_lose_nothing_across_a_lost_peer() {
    let port = free_port();
    let alpha_policy = Policy::parse("[modules.\"*@beta\"]\nsubscribe = [\"orders/#\", \"chat/#\"]\n", "alpha").unwrap();
    let beta_policy = Policy::parse("[modules.\"*@alpha\"]\npublish = [\"orders/#\", \"chat/#\"]\n", "beta").unwrap();
    let (bus_a, bus_b) = (Bus::new(MonotonicClock::shared()), Bus::new(MonotonicClock::shared()));
    let clerk = module(&bus_a, 1, "clerk", &["orders/#", "chat/#"], &[], &[]);
    let network = NetworkConfig { keep: vec!["orders/#".into()], ..listen(port) };
    let _alpha = Bridge::start(bus_a, "alpha", network, alpha_policy, Vec::new()).unwrap();
    let shop = module(&bus_b, 1, "shop", &[], &["orders/#", "chat/#"], &[]);
    let orders = shop.subscribe(pattern("orders/#"), QueueOptions::commands(1024)).unwrap();
    let chat = shop.subscribe(pattern("chat/#"), QueueOptions::commands(1024)).unwrap();
    let beta = Bridge::start(bus_b.clone(), "beta", connect(port), beta_policy.clone(), Vec::new()).unwrap();
    let first = await_message(&chat, Duration::from_secs(20), || drop(clerk.publish(&topic("chat/ping"), Payload::text("."))), |_| true);
    assert!(first.is_some(), "the link carried nothing");
    drop(beta);
    // Alpha's publisher stops matching once beta's subscriptions are gone with it.
    std::thread::sleep(Duration::from_secs(1));
    for n in 0..20 {
        clerk.publish(&topic("orders/new"), Payload::text(n.to_string())).unwrap();
    }
    let _beta = Bridge::start(bus_b, "beta", connect(port), beta_policy, Vec::new()).unwrap();
    let mut got = Vec::new();
    let end = Instant::now() + Duration::from_secs(30);
    while got.len() < 20 && Instant::now() < end {
        if let Ok(m) = orders.recv_timeout(Duration::from_millis(100)) {
            got.push(m.payload.as_text().unwrap().to_string());
        }
    }
    let expected: Vec<String> = (0..20).map(|n| n.to_string()).collect();
    assert_eq!(got, expected, "every order, in order");
}

/// Password files in a folder of their own, for `[network] auth`.
struct Logins(tempfile::TempDir);

impl Logins {
    /// The folder, and the users file (`user:password` lines) a listener checks logins against.
    fn new(users: &str) -> (Logins, std::path::PathBuf) {
        let logins = Logins(tempfile::tempdir().unwrap());
        let path = logins.write("users", users);
        (logins, path)
    }

    fn write(&self, name: &str, text: &str) -> std::path::PathBuf {
        let path = self.0.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn auth(&self, user: &str, password: &str, users: Option<std::path::PathBuf>) -> Option<visor_types::profile::AuthConfig> {
        let password_file = self.write(&format!("{user}.pass"), password);
        Some(visor_types::profile::AuthConfig { user: user.into(), password_file, users_file: users })
    }
}

/// A shell on the network as `device` whose module `ear` hears `chat/#` on its own bus.
fn chat_listener(device: &str, network: NetworkConfig, policy: Policy) -> (Bridge, visor_runtime::bus::Subscription) {
    let bus = Bus::new(MonotonicClock::shared());
    let ear = module(&bus, 1, "ear", &[], &["chat/#"], &[]);
    let heard = ear.subscribe(pattern("chat/#"), QueueOptions::commands(256)).unwrap();
    (Bridge::start(bus, device, network, policy, Vec::new()).unwrap(), heard)
}

/// With `[network] auth`, only peers that log in with a password the listener knows join.
#[test]
fn peers_without_the_password_are_kept_out() {
    let port = free_port();
    let (logins, users) = Logins::new("beta:correct horse\nmallory:other\n");
    let policy = "[modules.\"*@alpha\"]\npublish = [\"chat/#\"]\n[modules.\"*@beta\"]\nsubscribe = [\"chat/#\"]\n[modules.\"*@mallory\"]\nsubscribe = [\"chat/#\"]\n";
    let policy = Policy::parse(policy, "test").unwrap();
    let bus_a = Bus::new(MonotonicClock::shared());
    let speaker = module(&bus_a, 1, "speaker", &["chat/#"], &[], &[]);
    let alpha_net = NetworkConfig { auth: logins.auth("alpha", "alpha's secret", Some(users)), ..listen(port) };
    let _alpha = Bridge::start(bus_a, "alpha", alpha_net, policy.clone(), Vec::new()).unwrap();
    let joiner = |device: &str, password: &str| {
        chat_listener(device, NetworkConfig { auth: logins.auth(device, password, None), ..connect(port) }, policy.clone())
    };
    let (_beta, beta_heard) = joiner("beta", "correct horse");
    let (_mallory, mallory_heard) = joiner("mallory", "a guess");
    let said =
        await_message(&beta_heard, Duration::from_secs(20), || drop(speaker.publish(&topic("chat/news"), Payload::text("hi"))), |_| true);
    assert!(said.is_some(), "beta logged in and hears alpha");
    for _ in 0..20 {
        let _ = speaker.publish(&topic("chat/news"), Payload::text("hi"));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(mallory_heard.is_empty(), "mallory, with the wrong password, heard alpha");
}

/// Where peers log in, the policy is also Zenoh's access control: an exported topic reaches
/// only the devices granted it, and no device can publish as another.
#[test]
fn logged_in_peers_get_only_their_grants_and_cannot_pose_as_each_other() {
    let port = free_port();
    let (logins, users) = Logins::new("beta:b-secret\ncarol:c-secret\n");
    let alpha_policy =
        "[modules.\"*@beta\"]\npublish = [\"chat/#\"]\nsubscribe = [\"chat/#\"]\n[modules.\"*@carol\"]\npublish = [\"chat/#\"]\n";
    let bus_a = Bus::new(MonotonicClock::shared());
    let speaker = module(&bus_a, 1, "speaker", &["chat/#"], &[], &[]);
    let ear = module(&bus_a, 2, "ear", &[], &["chat/#"], &[]);
    let alpha_heard = ear.subscribe(pattern("chat/#"), QueueOptions::commands(256)).unwrap();
    let alpha_net = NetworkConfig { auth: logins.auth("alpha", "a-secret", Some(users)), ..listen(port) };
    let _alpha = Bridge::start(bus_a, "alpha", alpha_net, Policy::parse(alpha_policy, "alpha").unwrap(), Vec::new()).unwrap();
    let peer_policy = Policy::parse("[modules.\"*@alpha\"]\npublish = [\"chat/#\"]\n", "peer").unwrap();
    let joiner = |device: &str, password: &str| {
        chat_listener(device, NetworkConfig { auth: logins.auth(device, password, None), ..connect(port) }, peer_policy.clone())
    };
    let (_beta, beta_heard) = joiner("beta", "b-secret");
    let (_carol, carol_heard) = joiner("carol", "c-secret");
    let said =
        await_message(&beta_heard, Duration::from_secs(20), || drop(speaker.publish(&topic("chat/news"), Payload::text("hi"))), |_| true);
    assert!(said.is_some(), "beta, granted chat/#, hears alpha");
    // Carol, logged in, subscribes to the same keys but is granted nothing to read.
    for _ in 0..20 {
        let _ = speaker.publish(&topic("chat/news"), Payload::text("hi"));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(carol_heard.is_empty(), "carol heard what alpha's policy does not give her");

    // Carol, with a plain Zenoh session, puts under beta's prefix: refused by the link.
    let carol = NetworkConfig { auth: logins.auth("carol", "c-secret", None), ..connect(port) };
    let session = {
        use visor_net::zenoh::Wait;
        visor_net::zenoh::open(visor_net::config::zenoh_config(&carol).unwrap()).wait().unwrap()
    };
    let end = Instant::now() + Duration::from_secs(3);
    while Instant::now() < end {
        use visor_net::zenoh::Wait;
        session.put("visor/beta/chat/news", "I am beta").wait().unwrap();
        session.put("visor/carol/chat/news", "I am carol").wait().unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    let heard: Vec<(String, String)> = alpha_heard
        .drain()
        .map(|m| (m.sender.name.to_string(), m.payload.as_bytes().map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default()))
        .collect();
    assert!(heard.iter().any(|(who, what)| who == "zenoh@carol" && what == "I am carol"), "{heard:?}");
    assert!(heard.iter().all(|(_, what)| what != "I am beta"), "carol posed as beta: {heard:?}");
}

/// Runs openssl, failing the test with its output if it fails.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("openssl").current_dir(dir).args(args).output().expect("openssl (scripts/setup.sh installs it)");
    assert!(out.status.success(), "openssl {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
}

/// A certificate authority and one certificate it signed for 127.0.0.1, as PEM files in `dir`.
fn tls_files(dir: &std::path::Path) -> visor_types::profile::TlsConfig {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        dir,
        &[&["req", "-x509"][..], &ec, &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=visor-test-ca"]].concat(),
    );
    openssl(dir, &[&["req"][..], &ec, &["-keyout", "me.key", "-out", "me.csr", "-subj", "/CN=localhost"]].concat());
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n").unwrap();
    let sign = [
        "x509",
        "-req",
        "-in",
        "me.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "me.pem",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    ];
    openssl(dir, &sign);
    visor_types::profile::TlsConfig { root_ca: dir.join("ca.pem"), cert: dir.join("me.pem"), key: dir.join("me.key") }
}

/// Over `tls/` endpoints, with certificates from one authority, the bus crosses as over TCP.
#[test]
fn the_bus_crosses_a_tls_link() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let tls = tls_files(dir.path());
    let policy =
        Policy::parse("[modules.\"*@alpha\"]\npublish = [\"chat/#\"]\n[modules.\"*@beta\"]\nsubscribe = [\"chat/#\"]\n", "t").unwrap();
    let endpoint = format!("tls/127.0.0.1:{port}");
    let bus_a = Bus::new(MonotonicClock::shared());
    let speaker = module(&bus_a, 1, "speaker", &["chat/#"], &[], &[]);
    let alpha_net = NetworkConfig { listen: vec![endpoint.clone()], tls: Some(tls.clone()), ..NetworkConfig::default() };
    let _alpha = Bridge::start(bus_a, "alpha", alpha_net, policy.clone(), Vec::new()).unwrap();
    let bus_b = Bus::new(MonotonicClock::shared());
    let ear = module(&bus_b, 1, "ear", &[], &["chat/#"], &[]);
    let heard = ear.subscribe(pattern("chat/#"), QueueOptions::commands(64)).unwrap();
    let beta_net = NetworkConfig { connect: vec![endpoint], tls: Some(tls), ..NetworkConfig::default() };
    let _beta = Bridge::start(bus_b, "beta", beta_net, policy, Vec::new()).unwrap();
    let said =
        await_message(&heard, Duration::from_secs(20), || drop(speaker.publish(&topic("chat/news"), Payload::text("sealed"))), |_| true);
    let said = said.expect("beta hears alpha over TLS");
    assert_eq!((said.payload.as_text(), &*said.sender.name), (Some("sealed"), "speaker@alpha"));
}

/// A hostile peer: lies in its stamps, broken payloads, frames that promise more than they hold,
/// and a flood of large samples. The bridge drops what does not decode, stays within its
/// queues, and still delivers what is well-formed afterwards.
#[test]
fn a_hostile_peer_is_dropped_not_obeyed() {
    use visor_net::zenoh::Wait;
    let port = free_port();
    let policy = Policy::parse("[modules.\"*@evil\"]\npublish = [\"chat/#\", \"camera/frames\"]\ndevices = [\"camera\"]\n", "t").unwrap();
    let bus = Bus::new(MonotonicClock::shared());
    let ear = module(&bus, 1, "ear", &[], &["#"], &[]);
    let heard = ear.subscribe(pattern("#"), QueueOptions::latest(64)).unwrap();
    let watch = module(&bus, 2, "watch", &[], &["#"], &[]);
    let malformed: Vec<_> = ["chat/a", "chat/b", "chat/c", "chat/big", "camera/frames"]
        .iter()
        .map(|t| watch.subscribe(pattern(t), QueueOptions::commands(1024)).unwrap())
        .collect();
    let bridge = Bridge::start(bus, "victim", listen(port), policy, Vec::new()).unwrap();
    let session = visor_net::zenoh::open(visor_net::config::zenoh_config(&connect(port)).unwrap()).wait().unwrap();
    let json = visor_net::zenoh::bytes::Encoding::APPLICATION_JSON;
    let png = visor_net::zenoh::bytes::Encoding::IMAGE_PNG;
    // Wait until the victim listens.
    let ok = await_message(&heard, Duration::from_secs(20), || drop(session.put("visor/evil/chat/hello", "hi").wait()), |_| true);
    assert!(ok.is_some());
    for _ in 0..50 {
        session.put("visor/evil/chat/a", "{not json").encoding(json.clone()).wait().unwrap();
        session.put("visor/evil/chat/b", "x").attachment("not a stamp").wait().unwrap();
        session.put("visor/evil/chat/c", "x").attachment(vec![b'{'; 100_000]).wait().unwrap();
        let liar = r#"{"m":"camera","f":{"width":7680,"height":4320,"format":"rgba8","timestamp_ns":0,"sequence":0}}"#;
        session.put("visor/evil/camera/frames", vec![0u8; 64]).encoding(png.clone()).attachment(liar).wait().unwrap();
        let huge = r#"{"m":"camera","f":{"width":100000,"height":100000,"format":"rgba8","timestamp_ns":0,"sequence":0}}"#;
        session.put("visor/evil/camera/frames", vec![0u8; 64]).attachment(huge).wait().unwrap();
        session.put("visor/evil/chat/big", vec![7u8; 4 << 20]).wait().unwrap();
    }
    let flood = vec![1u8; 1 << 20];
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        session.put("visor/evil/chat/flood", flood.clone()).wait().unwrap();
    }
    std::thread::sleep(Duration::from_millis(500));
    heard.drain().for_each(drop);
    let after = await_message(
        &heard,
        Duration::from_secs(20),
        || drop(session.put("visor/evil/chat/after", "still here").wait()),
        |m| m.topic.as_str() == "chat/after",
    );
    assert!(after.is_some(), "a well-formed message after the abuse is delivered");
    for queue in &malformed {
        assert!(queue.is_empty(), "something malformed on {} was delivered", queue.pattern());
    }
    let stats = bridge.stats();
    assert!(stats.dropped > 0 && stats.refused > 0, "the malformed samples were dropped or refused, and counted: {stats:?}");
}

/// With `router = true` both shells are clients of a Zenoh router (zenohd's role, played here
/// by a Zenoh session in router mode) and talk through it.
#[test]
fn shells_talk_through_a_router() {
    use visor_net::zenoh::Wait;
    let port = free_port();
    let mut config = visor_net::zenoh::Config::default();
    config.insert_json5("mode", "\"router\"").unwrap();
    config.insert_json5("listen/endpoints", &format!("[\"tcp/127.0.0.1:{port}\"]")).unwrap();
    config.insert_json5("scouting/multicast/enabled", "false").unwrap();
    let _router = visor_net::zenoh::open(config).wait().unwrap();
    let policy =
        Policy::parse("[modules.\"*@alpha\"]\npublish = [\"chat/#\"]\n[modules.\"*@beta\"]\nsubscribe = [\"chat/#\"]\n", "t").unwrap();
    let client = || NetworkConfig { router: true, ..connect(port) };
    let bus_a = Bus::new(MonotonicClock::shared());
    let speaker = module(&bus_a, 1, "speaker", &["chat/#"], &[], &[]);
    let _alpha = Bridge::start(bus_a, "alpha", client(), policy.clone(), Vec::new()).unwrap();
    let bus_b = Bus::new(MonotonicClock::shared());
    let ear = module(&bus_b, 1, "ear", &[], &["chat/#"], &[]);
    let heard = ear.subscribe(pattern("chat/#"), QueueOptions::commands(64)).unwrap();
    let beta = Bridge::start(bus_b, "beta", client(), policy, Vec::new()).unwrap();
    let said =
        await_message(&heard, Duration::from_secs(20), || drop(speaker.publish(&topic("chat/news"), Payload::text("routed"))), |_| true);
    assert_eq!(said.expect("beta hears alpha through the router").payload.as_text(), Some("routed"));
    let end = Instant::now() + Duration::from_secs(10);
    while !beta.peers().iter().any(|p| p.device == "alpha") {
        assert!(Instant::now() < end, "beta never saw alpha's token through the router");
        std::thread::sleep(Duration::from_millis(50));
    }
}
