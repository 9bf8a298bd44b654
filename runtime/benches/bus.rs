//! Bus costs against raw crossbeam channels, the floor the bus is built on. Prints a Markdown
//! table; run with `cargo bench -p visor-runtime --bench bus`.
//!
//! - cost: publish then receive on one thread, no scheduler involved: the steadiest number.
//!   Once with 16 bytes, once with a face detection as a JSON value, which the bus encodes
//!   once per publish to know its size (raw crossbeam just moves the pointer).
//! - latency: ping-pong between two threads, publish → receive → publish back → receive;
//!   10 000 timed round trips after a warm-up, reported as p50/p99 round-trip times.
//! - throughput: one thread publishes 1 000 000 small messages into a 1024-deep queue, another
//!   receives them all. The bus never blocks a publisher, so the bus side yields and retries
//!   a refused publish; raw crossbeam uses its blocking `send`.
//! - shaped throughput: the same, raw crossbeam carrying what a bus message carries across
//!   cores — three shared reference counts (topic, sender, payload), 112 bytes, and a byte
//!   counter the sender charges and the receiver gives back: the floor for the bus's shape.
//! - fan-out: one frame handle published to 4 subscribers, which each take it off their queue;
//!   a 1 KB frame and a 1080p (8 MB) frame should cost the same, since no pixels are copied.
//!
//! The one-thread cost and the throughputs are the median of five runs, each taken beside its
//! floor (see `trials`). `cargo bench -p visor-runtime --bench bus -- throughput` runs one
//! section (`one thread`, `round trip`, `throughput`, `fan-out`).

#![allow(clippy::print_stdout, reason = "a bench binary reports its table on stdout")]

use std::hint::black_box;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use visor_runtime::bus::{
    Bus, BusCapabilities, Endpoint, FrameHandle, ModuleRef, Payload, PixelFormat, QueueOptions, Subscription, Topic, TopicPattern,
};
use visor_types::clock::MonotonicClock;

const ROUND_TRIPS: usize = 10_000;
const WARM_UP: usize = 1_000;
const MESSAGES: u64 = 1_000_000;
const QUEUE: usize = 1024;
const FANOUT_PUBLISHES: u32 = 200_000;
const PATIENCE: Duration = Duration::from_secs(10);
/// Runs of each steady-state figure (one-thread cost, throughput); the table gives the median.
const TRIALS: usize = 5;

fn main() {
    // The sections whose name holds the word given, if any (see the guide above).
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |section: &str| only.as_deref().is_none_or(|word| section.contains(word));
    let mut table = Vec::new();

    if wanted("one thread") {
        let bytes = || Arc::<[u8]>::from(&[0u8; 16][..]);
        let (bus, raw) = trials(|| (bus_same_thread(Payload::Bytes(bytes())), crossbeam_same_thread(bytes())));
        table.push(row("publish → try_recv, one thread (ns)", bus, raw));
        let (bus, raw) = trials(|| (bus_same_thread(detection()), crossbeam_same_thread(detection())));
        table.push(row("the same carrying a face detection as JSON (ns)", bus, raw));
    }
    if wanted("round trip") {
        let bus = percentiles(bus_ping_pong());
        let raw = percentiles(crossbeam_ping_pong());
        table.push(row("round trip p50 (ns)", bus.0 as f64, raw.0 as f64));
        table.push(row("round trip p99 (ns)", bus.1 as f64, raw.1 as f64));
    }
    if wanted("throughput") {
        let (bus, raw) = trials(|| (bus_throughput(), crossbeam_throughput()));
        table.push(row("one-way throughput (M msgs/s)", bus / 1e6, raw / 1e6));
        let (bus, shaped) = trials(|| (bus_throughput(), shaped_throughput()));
        table.push(row("one-way throughput, raw carrying the bus's message shape (M msgs/s)", bus / 1e6, shaped / 1e6));
    }
    if !table.is_empty() {
        println!("| native endpoint → subscription | bus | raw crossbeam | bus / raw |");
        println!("|---|---:|---:|---:|");
        for line in table {
            println!("{line}");
        }
    }

    if wanted("fan-out") {
        let small = frame_fanout(16, 16);
        let large = frame_fanout(1920, 1080);
        println!();
        println!("| frame fan-out to 4 subscribers | ns per publish (+4 receives) |");
        println!("|---|---:|");
        println!("| 16x16 RGBA (1 KB) | {small:.0} |");
        println!("| 1920x1080 RGBA (8 MB) | {large:.0} |");
        println!("| ratio 8 MB / 1 KB | {:.2} |", large / small);
    }
}

/// The median of [`TRIALS`] runs of a bus figure and its floor, taken in turns: on a shared or
/// virtual machine one run can land both threads on one core's siblings (raw crossbeam has
/// ranged 10–43 M msgs/s on one machine in one minute), so one pair says little and the
/// median of pairs taken side by side says what a run usually sees.
fn trials(mut pair: impl FnMut() -> (f64, f64)) -> (f64, f64) {
    let (mut bus, mut raw): (Vec<f64>, Vec<f64>) = (0..TRIALS).map(|_| pair()).unzip();
    (median(&mut bus), median(&mut raw))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_unstable_by(f64::total_cmp);
    values[values.len() / 2]
}

fn row(what: &str, bus: f64, raw: f64) -> String {
    format!("| {what} | {bus:.2} | {raw:.2} | {:.2} |", bus / raw)
}

fn caps(publish: &[&str], subscribe: &[&str]) -> BusCapabilities {
    let patterns = |list: &[&str]| list.iter().map(|p| TopicPattern::new(p).unwrap()).collect();
    BusCapabilities {
        publish: patterns(publish),
        subscribe: patterns(subscribe),
        messages_per_second: u32::MAX,
        shell: false,
        serve: Vec::new(),
        call: Vec::new(),
    }
}

fn join(bus: &Bus, id: u32, publish: &[&str], subscribe: &str, options: QueueOptions) -> (Endpoint, Subscription) {
    let endpoint = bus.endpoint(ModuleRef::new(id, format!("m{id}")), caps(publish, &[subscribe]));
    let subscription = endpoint.subscribe(TopicPattern::new(subscribe).unwrap(), options).unwrap();
    (endpoint, subscription)
}

/// (p50, p99) in nanoseconds.
fn percentiles(mut samples: Vec<u64>) -> (u64, u64) {
    samples.sort_unstable();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p) as usize];
    (at(0.50), at(0.99))
}

fn bus_ping_pong() -> Vec<u64> {
    let bus = Bus::new(MonotonicClock::shared());
    let (a, from_b) = join(&bus, 1, &["ping"], "pong", QueueOptions::commands(16));
    let (b, from_a) = join(&bus, 2, &["pong"], "ping", QueueOptions::commands(16));
    let pong = Topic::new("pong").unwrap();
    let echo = thread::spawn(move || {
        for _ in 0..WARM_UP + ROUND_TRIPS {
            let message = from_a.recv_timeout(PATIENCE).unwrap();
            b.publish(&pong, message.payload).unwrap();
        }
    });
    let ping = Topic::new("ping").unwrap();
    let payload = Payload::bytes(&[0u8; 16][..]);
    let mut samples = Vec::with_capacity(ROUND_TRIPS);
    for i in 0..WARM_UP + ROUND_TRIPS {
        let start = Instant::now();
        a.publish(&ping, payload.clone()).unwrap();
        black_box(from_b.recv_timeout(PATIENCE).unwrap());
        if i >= WARM_UP {
            samples.push(start.elapsed().as_nanos() as u64);
        }
    }
    echo.join().unwrap();
    samples
}

fn crossbeam_ping_pong() -> Vec<u64> {
    let (to_b, from_a) = crossbeam_channel::bounded::<Arc<[u8]>>(16);
    let (to_a, from_b) = crossbeam_channel::bounded::<Arc<[u8]>>(16);
    let echo = thread::spawn(move || {
        for _ in 0..WARM_UP + ROUND_TRIPS {
            to_a.send(from_a.recv().unwrap()).unwrap();
        }
    });
    let payload: Arc<[u8]> = Arc::from(&[0u8; 16][..]);
    let mut samples = Vec::with_capacity(ROUND_TRIPS);
    for i in 0..WARM_UP + ROUND_TRIPS {
        let start = Instant::now();
        to_b.send(payload.clone()).unwrap();
        black_box(from_b.recv().unwrap());
        if i >= WARM_UP {
            samples.push(start.elapsed().as_nanos() as u64);
        }
    }
    echo.join().unwrap();
    samples
}

/// A face detection as the vision module publishes it: the bus works out the size of a JSON
/// payload (for the receiver's byte budget) by encoding it, once per publish.
fn detection() -> Payload {
    Payload::json(&serde_json::json!({
        "frame": 1042, "timestamp_ns": 34_733_333_333u64, "width": 320, "height": 240,
        "faces": [{ "x": 0.41, "y": 0.22, "w": 0.18, "h": 0.24, "score": 0.93,
                    "keypoints": [[0.46, 0.31], [0.55, 0.31], [0.5, 0.37], [0.5, 0.41], [0.42, 0.33], [0.58, 0.33]] }]
    }))
    .unwrap()
}

/// Nanoseconds per message.
fn bus_same_thread(payload: Payload) -> f64 {
    let bus = Bus::new(MonotonicClock::shared());
    let (endpoint, inbox) = join(&bus, 1, &["loop"], "loop", QueueOptions::commands(QUEUE));
    let topic = Topic::new("loop").unwrap();
    let start = Instant::now();
    for _ in 0..MESSAGES {
        endpoint.publish(&topic, payload.clone()).unwrap();
        black_box(inbox.try_recv().unwrap());
    }
    start.elapsed().as_nanos() as f64 / MESSAGES as f64
}

/// The same payload moved through a bare channel: a reference count and a pointer.
fn crossbeam_same_thread<T: Clone>(payload: T) -> f64 {
    let (tx, rx) = crossbeam_channel::bounded::<T>(QUEUE);
    let start = Instant::now();
    for _ in 0..MESSAGES {
        tx.try_send(payload.clone()).unwrap();
        black_box(rx.try_recv().unwrap());
    }
    start.elapsed().as_nanos() as f64 / MESSAGES as f64
}

/// Messages per second.
fn bus_throughput() -> f64 {
    let bus = Bus::new(MonotonicClock::shared());
    let (_reader, inbox) = join(&bus, 2, &[], "stream", QueueOptions::commands(QUEUE));
    let writer = bus.endpoint(ModuleRef::new(1, "writer"), caps(&["stream"], &[]));
    let topic = Topic::new("stream").unwrap();
    let payload = Payload::bytes(&[0u8; 16][..]);
    let start = Instant::now();
    let consumer = thread::spawn(move || {
        for _ in 0..MESSAGES {
            black_box(inbox.recv_timeout(PATIENCE).unwrap());
        }
    });
    for _ in 0..MESSAGES {
        // A refused publish means the queue is full: let the reader run (spinning would
        // starve it wherever the two threads share a core).
        while writer.publish(&topic, payload.clone()).unwrap().delivered == 0 {
            thread::yield_now();
        }
    }
    consumer.join().unwrap();
    MESSAGES as f64 / start.elapsed().as_secs_f64()
}

fn crossbeam_throughput() -> f64 {
    let (tx, rx) = crossbeam_channel::bounded::<Arc<[u8]>>(QUEUE);
    let payload: Arc<[u8]> = Arc::from(&[0u8; 16][..]);
    let start = Instant::now();
    let consumer = thread::spawn(move || {
        for _ in 0..MESSAGES {
            black_box(rx.recv().unwrap());
        }
    });
    for _ in 0..MESSAGES {
        tx.send(payload.clone()).unwrap();
    }
    consumer.join().unwrap();
    MESSAGES as f64 / start.elapsed().as_secs_f64()
}

/// A value shaped like a bus [`Message`](visor_runtime::bus::Message) in a queue.
struct Shaped {
    _topic: Arc<str>,
    _sender: Arc<str>,
    payload: Arc<[u8]>,
    _stamps: [u64; 8],
}

/// Messages per second of raw crossbeam carrying [`Shaped`] values, each charged to a shared
/// byte counter on send and given back on receipt.
fn shaped_throughput() -> f64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    let (tx, rx) = crossbeam_channel::bounded::<Shaped>(QUEUE);
    let (topic, sender): (Arc<str>, Arc<str>) = (Arc::from("stream"), Arc::from("writer"));
    let payload: Arc<[u8]> = Arc::from(&[0u8; 16][..]);
    let used = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let consumer = {
        let used = used.clone();
        thread::spawn(move || {
            for _ in 0..MESSAGES {
                let message = rx.recv().unwrap();
                used.fetch_sub(message.payload.len() as u64, Ordering::AcqRel);
                black_box(message);
            }
        })
    };
    for i in 0..MESSAGES {
        used.fetch_add(payload.len() as u64, Ordering::AcqRel);
        let message = Shaped { _topic: topic.clone(), _sender: sender.clone(), payload: payload.clone(), _stamps: [i; 8] };
        tx.send(message).unwrap();
    }
    consumer.join().unwrap();
    MESSAGES as f64 / start.elapsed().as_secs_f64()
}

/// Nanoseconds per publish of one `width` × `height` frame to 4 subscribers, each of which
/// takes it off its queue.
fn frame_fanout(width: u32, height: u32) -> f64 {
    let bus = Bus::new(MonotonicClock::shared());
    let camera = bus.endpoint(ModuleRef::new(1, "camera"), caps(&["camera/#"], &[]));
    let readers: Vec<_> = (0..4).map(|i| join(&bus, 10 + i, &[], "camera/+/frames", QueueOptions::latest(64))).collect();
    let pixels: Arc<[u8]> = vec![0u8; (width * height * 4) as usize].into();
    let frame = FrameHandle::new(width, height, width * 4, PixelFormat::Rgba8, pixels, 0, 0).unwrap();
    let topic = Topic::new("camera/front/frames").unwrap();
    let start = Instant::now();
    for _ in 0..FANOUT_PUBLISHES {
        let report = camera.publish(&topic, Payload::Frame(frame.clone())).unwrap();
        debug_assert_eq!(report.delivered, 4);
        for (_, inbox) in &readers {
            black_box(inbox.try_recv());
        }
    }
    start.elapsed().as_nanos() as f64 / f64::from(FANOUT_PUBLISHES)
}
