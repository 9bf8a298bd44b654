//! `visor bench remote`: the bus across a Zenoh link on loopback, beside its floors in the same
//! run: the local bus (the same hops without the link) and raw Zenoh (two sessions, the same
//! link, no bus, no encoding).
//!
//! - Round trip, p50 and p99: a small text message, and a 640x480 RGBA frame (PNG and JPEG)
//!   answered with a small acknowledgement.
//! - One-way throughput of small messages: how many arrive per second.
//! - Capture to detection: a camera frame (the astronaut clip, 320x240) published until its
//!   faces arrive, with vision on this bus against vision on a second bus across the link (as
//!   `visor serve --modules vision` runs it on an edge box).

use std::str::FromStr;
use std::time::{Duration, Instant};

use visor_net::Bridge;
use visor_net::zenoh::Wait;
use visor_runtime::bus::{Bus, BusCapabilities, Endpoint, FrameHandle, ModuleRef, Payload, PixelFormat, QueueOptions, Topic, TopicPattern};
use visor_runtime::policy::Policy;
use visor_types::clock::MonotonicClock;
use visor_types::profile::{FrameEncoding, NetworkConfig};

use super::percentile;
use super::report::{Report, Table, num, text};
use crate::data::DataDir;

/// The message allowance the bench's modules advertise.
const BENCH_RATE: u32 = 100_000;

const POLICY: &str = r#"
[modules."*@bench-a"]
publish = ["bench/#"]
subscribe = ["bench/#"]
[modules."*@bench-b"]
publish = ["bench/#"]
subscribe = ["bench/#"]
"#;

pub fn run(data: &DataDir, iterations: u32) -> anyhow::Result<Report> {
    let iterations = iterations.max(10) as usize;
    let mut report = Report::default();
    report.context("cpus", std::thread::available_parallelism().map_or(0, |n| n.get()).to_string());
    report.context("link", "zenoh 1.10 over tcp on 127.0.0.1");
    let frame = test_frame(640, 480);
    let mut rtt =
        Table::new(format!("round trip, {iterations} messages each"), &["what", "path", "p50 µs", "p99 µs", "ratio to raw zenoh (p50)"]);
    for (label, payload, encoding) in [
        ("small text", Payload::text("ping"), FrameEncoding::Png),
        ("640x480 frame, PNG", Payload::Frame(frame.clone()), FrameEncoding::Png),
        ("640x480 frame, JPEG", Payload::Frame(frame.clone()), FrameEncoding::Jpeg),
        ("640x480 frame, raw", Payload::Frame(frame.clone()), FrameEncoding::Raw),
    ] {
        let raw_bytes = match &payload {
            Payload::Frame(f) => f.pixels().len(),
            _ => 4,
        };
        let mut raw = raw_round_trips(raw_bytes, iterations)?;
        let mut local = local_round_trips(&payload, iterations)?;
        let mut bridged = bridged_round_trips(&payload, encoding, iterations)?;
        let raw_p50 = percentile(&mut raw, 0.5);
        for (path, samples) in [("raw zenoh (bytes, no bus)", &mut raw), ("local bus", &mut local), ("bus over the bridge", &mut bridged)] {
            let p50 = percentile(samples, 0.5);
            rtt.row(vec![text(label), text(path), num(p50, 1), num(percentile(samples, 0.99), 1), num(p50 / raw_p50, 2)]);
        }
    }
    report.tables.push(rtt);
    let mut throughput = Table::new("one-way, 2 s each", &["what", "path", "delivered per s", "ratio to raw zenoh"]);
    let window = Duration::from_secs(2);
    for (label, payload, encoding) in [
        ("small text", Payload::text("x"), FrameEncoding::Png),
        ("640x480 frame, PNG", Payload::Frame(frame.clone()), FrameEncoding::Png),
        ("640x480 frame, JPEG", Payload::Frame(frame.clone()), FrameEncoding::Jpeg),
        ("640x480 frame, raw", Payload::Frame(frame.clone()), FrameEncoding::Raw),
    ] {
        let bytes = payload.as_frame().map_or(1, |f| f.pixels().len());
        let raw = raw_throughput(bytes, window)?;
        let bridged = bridged_throughput(&payload, encoding, window)?;
        throughput.row(vec![text(label), text("raw zenoh (bytes, no bus)"), num(raw, 0), num(1.0, 2)]);
        throughput.row(vec![text(label), text("bus over the bridge"), num(bridged, 0), num(bridged / raw, 2)]);
    }
    throughput.note(
        "Each export keeps the newest 8 messages: a burst beyond what the link carries drops the oldest, as sensor streams want. \
         The raw floor sends the frame's 1.2 MB unencoded.",
    );
    report.tables.push(throughput);
    report.tables.push(offload(data, iterations.min(100))?);
    Ok(report)
}

/// Capture to detection, vision here against vision across the link.
fn offload(data: &DataDir, iterations: usize) -> anyhow::Result<Table> {
    let frames: Vec<FrameHandle> = (0..4)
        .map(|i| {
            let path = data.root().join(format!("assets/camera/astronaut/frame-{i:04}.jpg"));
            let image = image::open(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?.into_rgba8();
            let (w, h) = image.dimensions();
            Ok(FrameHandle::new(w, h, w * 4, PixelFormat::Rgba8, image.into_raw().into(), 0, 0)?)
        })
        .collect::<anyhow::Result<_>>()?;
    let (w, h) = (frames[0].width(), frames[0].height());
    let mut table = Table::new(
        format!("capture to detection, {w}x{h} frames, {iterations} each"),
        &["vision runs", "p50 ms", "p99 ms", "ratio to local (p50)"],
    );
    let vision = ["vision".to_string()];

    let local_host = crate::net_cmd::library_host(data, Policy::default(), &vision)?;
    let mut local = detections(local_host.bus(), local_host.bus(), &frames, iterations)?;

    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let glasses_policy = Policy::parse(
        "[modules.\"vision@bench-edge\"]\npublish = [\"vision/faces\"]\n[modules.\"*@bench-edge\"]\nsubscribe = [\"camera/frames\"]\ndevices = [\"camera\"]\n",
        "the bench's glasses policy",
    )?;
    let edge_policy = Policy::parse(
        "[modules.\"camera@bench-glasses\"]\npublish = [\"camera/frames\"]\ndevices = [\"camera\"]\n[modules.\"*@bench-glasses\"]\nsubscribe = [\"vision/faces\"]\n",
        "the bench's edge policy",
    )?;
    let edge_host = crate::net_cmd::library_host(data, edge_policy.clone(), &vision)?;
    let edge_net = NetworkConfig { listen: vec![format!("tcp/127.0.0.1:{port}")], ..NetworkConfig::default() };
    let advertised =
        edge_host.list().iter().filter_map(|m| edge_host.manifest(m.id)).map(visor_net::AdvertisedModule::from_manifest).collect();
    let _edge = Bridge::start(edge_host.bus().clone(), "bench-edge", edge_net, edge_policy, advertised)?;
    let glasses = Bus::new(MonotonicClock::shared());
    let camera = visor_net::AdvertisedModule {
        name: "camera".into(),
        kind: "driver".into(),
        publish: vec!["camera/frames".into()],
        devices: vec!["camera".into()],
        ..Default::default()
    };
    let glasses_net = NetworkConfig { connect: vec![format!("tcp/127.0.0.1:{port}")], ..NetworkConfig::default() };
    let _glasses = Bridge::start(glasses.clone(), "bench-glasses", glasses_net, glasses_policy, vec![camera])?;
    let mut remote = detections(&glasses, &glasses, &frames, iterations)?;

    let local_p50 = percentile(&mut local, 0.5);
    for (what, samples) in [("here (local bus)", &mut local), ("on the edge (across the bridge, frames as PNG)", &mut remote)] {
        let p50 = percentile(samples, 0.5);
        table.row(vec![text(what), num(p50, 2), num(percentile(samples, 0.99), 2), num(p50 / local_p50, 2)]);
    }
    table.note("One frame in flight at a time, each published until its faces come back; the edge is a second bus in this process on the same 2 cores.");
    Ok(table)
}

/// Publishes each frame on `camera/frames` (on `camera_bus`) until faces for it arrive on
/// `faces_bus`; the milliseconds each took.
fn detections(camera_bus: &Bus, faces_bus: &Bus, frames: &[FrameHandle], iterations: usize) -> anyhow::Result<Vec<f64>> {
    let caps = |publish: &str, subscribe: &str| BusCapabilities {
        publish: vec![pattern(publish)],
        subscribe: vec![pattern(subscribe)],
        messages_per_second: 10_000,
        ..BusCapabilities::none()
    };
    let camera = camera_bus.endpoint(ModuleRef::new(9_001, "camera"), caps("camera/frames", "camera/frames"));
    let tags = faces_bus.endpoint(ModuleRef::new(9_002, "face-tags"), caps("vision/none", "vision/faces"));
    let faces = tags.subscribe(pattern("vision/faces"), QueueOptions::latest(16))?;
    let topic = Topic::new("camera/frames")?;
    let mut samples = Vec::new();
    // The first frames warm the detector and the link up; they are not counted.
    for n in 0..iterations + 5 {
        let source = &frames[n % frames.len()];
        let sequence = 1_000 + n as u64;
        let frame =
            FrameHandle::new(source.width(), source.height(), source.stride(), source.format(), source.pixels().clone(), 0, sequence)?;
        let started = Instant::now();
        let deadline = started + Duration::from_secs(30);
        let mut last_sent = Instant::now() - Duration::from_secs(1);
        loop {
            // Sent again now and then: a frame may be skipped while the detector is busy.
            if last_sent.elapsed() > Duration::from_millis(500) {
                camera.publish(&topic, Payload::Frame(frame.clone()))?;
                last_sent = Instant::now();
            }
            anyhow::ensure!(Instant::now() < deadline, "no faces for frame {sequence} in 30 s");
            let Ok(message) = faces.recv_timeout(Duration::from_millis(20)) else { continue };
            let seq = message.payload.decode::<serde_json::Value>().ok().and_then(|v| v["frame_sequence"].as_u64());
            if seq == Some(sequence) {
                break;
            }
        }
        if n >= 5 {
            samples.push(started.elapsed().as_secs_f64() * 1e3);
        }
    }
    Ok(samples)
}

fn test_frame(width: u32, height: u32) -> FrameHandle {
    // A smooth picture, as a camera's is (noise would make PNG and JPEG look worse than they are).
    let pixels: Vec<u8> =
        (0..width * height).flat_map(|i| [(i % width) as u8, (i / width) as u8, ((i % width + i / width) / 2) as u8, 255]).collect();
    FrameHandle::new(width, height, width * 4, PixelFormat::Rgba8, pixels.into(), 0, 0).expect("a whole frame")
}

fn pattern(p: &str) -> TopicPattern {
    TopicPattern::from_str(p).expect("a valid pattern")
}

fn endpoint(bus: &Bus, id: u32, name: &str) -> Endpoint {
    let caps = BusCapabilities {
        publish: vec![pattern("bench/#")],
        subscribe: vec![pattern("bench/#")],
        messages_per_second: 1_000_000,
        ..BusCapabilities::none()
    };
    bus.endpoint(ModuleRef::new(id, name), caps)
}

/// Sends `payload` on `bench/ping` through `ping` and times the answer on `bench/pong`,
/// which a thread on the far side publishes through `pong`.
fn round_trips(ping: &Endpoint, pong: Endpoint, payload: &Payload, iterations: usize) -> anyhow::Result<Vec<f64>> {
    let back = ping.subscribe(pattern("bench/pong"), QueueOptions::commands(64))?;
    let asked = pong.subscribe(pattern("bench/ping"), QueueOptions::latest(4))?;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let responder = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let topic = Topic::new("bench/pong").expect("a valid topic");
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(m) = asked.recv_timeout(Duration::from_millis(20)) {
                    let _ = pong.publish(&topic, Payload::text(m.sequence.to_string()));
                }
            }
        })
    };
    let topic = Topic::new("bench/ping")?;
    // Warm up until the link carries both ways.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        ping.publish(&topic, payload.clone())?;
        if back.recv_timeout(Duration::from_millis(200)).is_ok() {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "the link did not carry a round trip in 20 s");
    }
    std::thread::sleep(Duration::from_millis(300));
    back.drain().for_each(drop);
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let t = Instant::now();
        ping.publish(&topic, payload.clone())?;
        if back.recv_timeout(Duration::from_secs(2)).is_ok() {
            samples.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = responder.join();
    anyhow::ensure!(!samples.is_empty(), "no round trip completed");
    Ok(samples)
}

fn local_round_trips(payload: &Payload, iterations: usize) -> anyhow::Result<Vec<f64>> {
    let bus = Bus::new(MonotonicClock::shared());
    round_trips(&endpoint(&bus, 1, "ping"), endpoint(&bus, 2, "pong"), payload, iterations)
}

fn bridges(encoding: FrameEncoding) -> anyhow::Result<(Bus, Bus, Bridge, Bridge)> {
    bridges_for("bench/ping", encoding)
}

/// Two shells on loopback, frames on `topic` crossing as `encoding`.
fn bridges_for(topic: &str, encoding: FrameEncoding) -> anyhow::Result<(Bus, Bus, Bridge, Bridge)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let policy = Policy::parse(POLICY, "the bench's policy")?;
    let frames = [(topic.to_string(), encoding)].into_iter().collect();
    let a_net = NetworkConfig { listen: vec![format!("tcp/127.0.0.1:{port}")], frames, ..NetworkConfig::default() };
    let b_net = NetworkConfig { connect: vec![format!("tcp/127.0.0.1:{port}")], ..NetworkConfig::default() };
    let (a, b) = (Bus::new(MonotonicClock::shared()), Bus::new(MonotonicClock::shared()));
    // The bench's modules say what they are, with an allowance above what the link carries,
    // so the figures are the link's and not a default per-module limit's.
    let modules = || {
        ["ping", "pong", "sender", "receiver"]
            .map(|name| visor_net::AdvertisedModule {
                name: name.into(),
                kind: "library".into(),
                publish: vec!["bench/#".into()],
                subscribe: vec!["bench/#".into()],
                messages_per_second: Some(BENCH_RATE),
                ..Default::default()
            })
            .to_vec()
    };
    let bridge_a = Bridge::start(a.clone(), "bench-a", a_net, policy.clone(), modules())?;
    let bridge_b = Bridge::start(b.clone(), "bench-b", b_net, policy, modules())?;
    // Each has heard what the other runs before anything is sent.
    let deadline = Instant::now() + Duration::from_secs(20);
    while bridge_a.peers().is_empty() || bridge_b.peers().is_empty() {
        anyhow::ensure!(Instant::now() < deadline, "the bench's two shells did not meet in 20 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok((a, b, bridge_a, bridge_b))
}

fn bridged_round_trips(payload: &Payload, encoding: FrameEncoding, iterations: usize) -> anyhow::Result<Vec<f64>> {
    let (a, b, _bridge_a, _bridge_b) = bridges(encoding)?;
    round_trips(&endpoint(&a, 1, "ping"), endpoint(&b, 1, "pong"), payload, iterations)
}

fn bridged_throughput(payload: &Payload, encoding: FrameEncoding, window: Duration) -> anyhow::Result<f64> {
    let (a, b, _bridge_a, _bridge_b) = bridges_for("bench/flood", encoding)?;
    let (sender, receiver) = (endpoint(&a, 1, "sender"), endpoint(&b, 1, "receiver"));
    let arrived = receiver.subscribe(pattern("bench/flood"), QueueOptions::latest(4096))?;
    let topic = Topic::new("bench/flood")?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while arrived.recv_timeout(Duration::from_millis(100)).is_err() {
        sender.publish(&topic, payload.clone())?;
        anyhow::ensure!(Instant::now() < deadline, "the link did not carry a message in 20 s");
    }
    let start = Instant::now();
    let mut delivered = 0u64;
    while start.elapsed() < window {
        for _ in 0..64 {
            let _ = sender.publish(&topic, payload.clone());
        }
        delivered += arrived.drain().count() as u64;
    }
    std::thread::sleep(Duration::from_millis(100));
    delivered += arrived.drain().count() as u64;
    Ok(delivered as f64 / start.elapsed().as_secs_f64())
}

/// Two Zenoh sessions, one putting as fast as it can, the other counting what arrives.
fn raw_throughput(bytes: usize, window: Duration) -> anyhow::Result<f64> {
    let payload = vec![7u8; bytes];
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let (a, b) = raw_sessions()?;
    let count = Arc::new(AtomicU64::new(0));
    let counter = count.clone();
    let _sub = b
        .declare_subscriber("raw/flood")
        .callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        })
        .wait()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while count.load(Ordering::Relaxed) == 0 {
        a.put("raw/flood", payload.clone()).wait().map_err(|e| anyhow::anyhow!("{e}"))?;
        std::thread::sleep(Duration::from_millis(10));
        anyhow::ensure!(Instant::now() < deadline, "raw zenoh carried nothing in 20 s");
    }
    let (start, before) = (Instant::now(), count.load(Ordering::Relaxed));
    while start.elapsed() < window {
        a.put("raw/flood", payload.clone()).wait().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    std::thread::sleep(Duration::from_millis(100));
    Ok((count.load(Ordering::Relaxed) - before) as f64 / start.elapsed().as_secs_f64())
}

/// Two Zenoh sessions in this process, one listening on loopback and one connected to it.
fn raw_sessions() -> anyhow::Result<(visor_net::zenoh::Session, visor_net::zenoh::Session)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let open = |network: NetworkConfig| -> anyhow::Result<visor_net::zenoh::Session> {
        let config = visor_net::config::zenoh_config(&network)?;
        visor_net::zenoh::open(config).wait().map_err(|e| anyhow::anyhow!("opening zenoh: {e}"))
    };
    let a = open(NetworkConfig { listen: vec![format!("tcp/127.0.0.1:{port}")], ..NetworkConfig::default() })?;
    let b = open(NetworkConfig { connect: vec![format!("tcp/127.0.0.1:{port}")], ..NetworkConfig::default() })?;
    Ok((a, b))
}

/// The floor: two Zenoh sessions in this process on the same kind of link, bytes echoed by a
/// callback, no bus and no encoding.
fn raw_round_trips(bytes: usize, iterations: usize) -> anyhow::Result<Vec<f64>> {
    let (a, b) = raw_sessions()?;
    let echo = b.clone();
    let _echo = b
        .declare_subscriber("raw/ping")
        .callback(move |_| {
            let _ = echo.put("raw/pong", "ok").wait();
        })
        .wait()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let back = a.declare_subscriber("raw/pong").wait().map_err(|e| anyhow::anyhow!("{e}"))?;
    let payload = vec![7u8; bytes];
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        a.put("raw/ping", payload.clone()).wait().map_err(|e| anyhow::anyhow!("{e}"))?;
        if back.recv_timeout(Duration::from_millis(200)).ok().flatten().is_some() {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "raw zenoh did not carry a round trip in 20 s");
    }
    std::thread::sleep(Duration::from_millis(300));
    while back.try_recv().ok().flatten().is_some() {}
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let t = Instant::now();
        a.put("raw/ping", payload.clone()).wait().map_err(|e| anyhow::anyhow!("{e}"))?;
        if back.recv_timeout(Duration::from_secs(2)).ok().flatten().is_some() {
            samples.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    Ok(samples)
}
