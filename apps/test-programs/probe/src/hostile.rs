//! Scenarios that attack the host from inside an app: CPU, memory, stack, the bus and the
//! file system. Each must be contained by the host; the log lines say what the app saw.

use visor_sdk::bus::{self, Outgoing, OutgoingRef, Overflow, PayloadRef};

/// `spin`: never returns from `frame`.
pub fn spin() -> ! {
    let mut x: u64 = 0;
    loop {
        x = core::hint::black_box(x.wrapping_add(1));
    }
}

/// `memory-bomb`: allocates and touches memory until something gives.
pub fn memory_bomb() {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0u8; 8 << 20];
        chunk[0] = 1;
        let last = chunk.len() - 1;
        chunk[last] = 1;
        hoard.push(core::hint::black_box(chunk));
        visor_sdk::info(&format!("holding {} MiB", hoard.len() * 8));
    }
}

/// `recurse`: unbounded recursion.
#[allow(unconditional_recursion, reason = "the hostile probe exhausts its stack on purpose")]
pub fn recurse(depth: u64) -> u64 {
    let buffer = core::hint::black_box([depth; 64]);
    recurse(depth + 1) + buffer[7]
}

/// `flood`: publishes as fast as it can and reports what the host made of it.
pub fn flood(frame: u64) {
    let (mut sent, mut limited, mut other) = (0u32, 0u32, 0u32);
    for i in 0..20_000u32 {
        match bus::publish("probe/flood", &Outgoing::Bytes(i.to_le_bytes().to_vec())) {
            Ok(_) => sent += 1,
            Err(bus::Error::RateLimited(_)) => limited += 1,
            Err(_) => other += 1,
        }
    }
    visor_sdk::info(&format!("flood frame {frame}: sent {sent}, rate-limited {limited}, other errors {other}"));
}

/// `forbidden`: tries what its manifest does not grant, and a reply it was never asked for.
pub fn forbidden() -> Result<(), String> {
    match bus::publish("camera/frames", &Outgoing::Text("not really a camera".into())) {
        Err(bus::Error::Denied(m)) => visor_sdk::info(&format!("publish denied as expected: {m}")),
        other => return Err(format!("publish to camera/frames was not denied: {other:?}")),
    }
    match bus::subscribe("secrets/#", 4, Overflow::DropOldest) {
        Err(bus::Error::Denied(m)) => visor_sdk::info(&format!("subscribe denied as expected: {m}")),
        other => return Err(format!("subscribe to secrets/# was not denied: {other:?}")),
    }
    match bus::reply(424242, &Outgoing::Empty) {
        Err(bus::Error::Invalid(m)) => visor_sdk::info(&format!("forged reply refused as expected: {m}")),
        other => return Err(format!("a reply to a request never received was accepted: {other:?}")),
    }
    match bus::publish("not a topic!", &Outgoing::Empty) {
        Err(bus::Error::Invalid(m)) => visor_sdk::info(&format!("bad topic refused as expected: {m}")),
        other => return Err(format!("a malformed topic was accepted: {other:?}")),
    }
    // Claiming another sender in the payload changes nothing: the host stamps the sender.
    bus::publish("probe/out", &Outgoing::Text("sender=camera".into())).map_err(|e| format!("{e:?}"))?;
    Ok(())
}

/// `escape`: tries to read outside its preopened folder.
pub fn escape() {
    let paths =
        ["/data/../../etc/passwd", "/etc/passwd", "/data/link-to-passwd", "/data/../secret.txt", "/self/secret.txt", "/self/visor.toml"];
    for path in paths.into_iter().chain(["/self/data/inside.txt", "/data/inside.txt"]) {
        match std::fs::read_to_string(path) {
            Ok(text) => visor_sdk::info(&format!("read {path}: ok ({} bytes)", text.len())),
            Err(e) => visor_sdk::info(&format!("read {path}: refused ({e})")),
        }
    }
}

/// `hoard`: asks for the largest queue there is and never reads it, so everything published
/// to `probe/hoard` piles up — as much as the host lets it.
pub fn hoard() -> Result<(), String> {
    bus::subscribe("probe/hoard", 4096, Overflow::DropOldest).map_err(|e| format!("{e:?}"))?;
    Ok(())
}

fn topic(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_string())
}

/// `echo`: answers every request on `probe/rpc` and republishes `PROBE_IN` (default
/// `probe/in`) on `PROBE_OUT` (default `probe/out`). With `PROBE_TELL` set it also logs each
/// message it polled, as `got <topic> from <sender> #<sequence> <payload> reply=<yes|no>`.
pub fn echo_setup() -> Result<(), String> {
    bus::subscribe(&topic("PROBE_IN", "probe/in"), 1024, Overflow::DropOldest).map_err(|e| format!("{e:?}"))?;
    bus::subscribe("probe/rpc", 64, Overflow::Reject).map_err(|e| format!("{e:?}"))?;
    Ok(())
}

pub fn echo() -> Result<(), String> {
    const BATCH: u32 = 256;
    // Read once: the environment does not change while the app runs.
    static OUT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let out = OUT.get_or_init(|| topic("PROBE_OUT", "probe/out"));
    // Fewer messages than asked for: this frame's messages are all here (a poll also stops at
    // the host's byte limit; whatever that leaves waits for the next frame). No empty poll to
    // find that out, as an app that polls once a frame makes none.
    loop {
        let polled = match poll_mode() {
            "owned" => echo_messages(out, bus::poll(BATCH))?,
            "list" => echo_messages(out, visor_sdk::bindings::visor::app::bus::poll(BATCH))?,
            "skip-frames" => echo_messages(out, poll_skipping_frames(BATCH))?,
            _ => {
                let batch = bus::poll_batch(BATCH);
                let mut polled = 0;
                for m in batch.iter() {
                    polled += 1;
                    let frame = match m.payload {
                        PayloadRef::Frame(f) => Some(f.take().ok_or("a polled frame was gone")?),
                        _ => None,
                    };
                    if crate::tell() {
                        let payload = match (m.payload, &frame) {
                            (PayloadRef::Bytes(b), _) => describe_payload(Some(b), None),
                            (PayloadRef::Text(t), _) => describe_payload(None, Some(t)),
                            (_, Some(f)) => format!("frame {}x{}", f.width(), f.height()),
                            _ => describe_payload(None, None),
                        };
                        visor_sdk::info(&describe(m.topic, m.sender, m.sequence, &payload, m.reply_id));
                    }
                    // Passed on as it lies in the batch; a frame as its first pixel.
                    let pixel;
                    let payload = match (m.outgoing(), &frame) {
                        (Some(payload), _) => payload,
                        (None, Some(f)) => {
                            pixel = first_pixel(f)?;
                            OutgoingRef::from(&pixel)
                        }
                        (None, None) => OutgoingRef::Empty,
                    };
                    pass_on(out, m.reply_id, payload)?;
                }
                polled
            }
        };
        if polled < BATCH as usize {
            return Ok(());
        }
    }
}

/// `echo` over owned messages; how many there were.
fn echo_messages(out: &str, messages: Vec<bus::Message>) -> Result<usize, String> {
    let polled = messages.len();
    for m in messages {
        if crate::tell() {
            let payload = match &m.payload {
                bus::Payload::Empty => describe_payload(None, None),
                bus::Payload::Bytes(b) => describe_payload(Some(b), None),
                bus::Payload::Text(t) => describe_payload(None, Some(t)),
                bus::Payload::Frame(f) => format!("frame {}x{}", f.width(), f.height()),
            };
            visor_sdk::info(&describe(&m.topic, &m.sender, m.sequence, &payload, m.reply_id));
        }
        let payload = match m.payload {
            bus::Payload::Bytes(b) => Outgoing::Bytes(b),
            bus::Payload::Text(t) => Outgoing::Text(t),
            bus::Payload::Empty => Outgoing::Empty,
            bus::Payload::Frame(f) => first_pixel(&f)?,
        };
        pass_on(out, m.reply_id, (&payload).into())?;
    }
    Ok(polled)
}

/// A frame's first pixel, as bytes.
fn first_pixel(frame: &bus::Frame) -> Result<Outgoing, String> {
    frame.read(0, 0, 1, 1).map(Outgoing::Bytes).map_err(|e| format!("{e:?}"))
}

/// Answers a request, or republishes on `out`.
fn pass_on(out: &str, reply_id: Option<u64>, payload: OutgoingRef<'_>) -> Result<(), String> {
    match reply_id {
        Some(id) => bus::reply_ref(id, payload).map_err(|e| format!("{e:?}")),
        None => bus::publish_ref(out, payload).map(drop).map_err(|e| format!("{e:?}")),
    }
}

/// How `echo` polls: `PROBE_POLL` (read once); empty for the SDK's borrowed batches.
fn poll_mode() -> &'static str {
    static MODE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    MODE.get_or_init(|| std::env::var("PROBE_POLL").unwrap_or_default())
}

/// A packed poll that never takes its frames (`PROBE_POLL=skip-frames`): each frame comes out
/// as the text `frame <slot> left`, and the host must drop it at the next poll.
fn poll_skipping_frames(max: u32) -> Vec<bus::Message> {
    let packed = visor_sdk::bindings::visor::app::bus::poll_packed(max);
    visor_bus_wire::Records::new(&packed)
        .map(|r| bus::Message {
            topic: r.topic.into(),
            sender: r.sender.into(),
            sequence: r.sequence,
            sent_ns: r.sent_ns,
            payload: match r.frame_slot() {
                Some(slot) => bus::Payload::Text(format!("frame {slot} left")),
                None => bus::Payload::Bytes(r.payload.to_vec()),
            },
            reply_id: r.reply_id,
        })
        .collect()
}

/// A payload as `echo` logs it: `empty`, `bytes <n> sum <sum>` or `text "<text>"`.
fn describe_payload(bytes: Option<&[u8]>, text: Option<&str>) -> String {
    match (bytes, text) {
        (Some(b), _) => format!("bytes {} sum {}", b.len(), b.iter().map(|&x| u64::from(x)).sum::<u64>()),
        (_, Some(t)) => format!("text {t:?}"),
        _ => "empty".into(),
    }
}

/// One polled message as a log line, every field of it.
fn describe(topic: &str, sender: &str, sequence: u64, payload: &str, reply_id: Option<u64>) -> String {
    let reply = if reply_id.is_some() { "yes" } else { "no" };
    format!("got {topic} from {sender} #{sequence} {payload} reply={reply}")
}

/// `connect`: opens a TCP connection to each IPv4 `address:port` in `PROBE_CONNECT`
/// (comma-separated) through WASI sockets, and reports which the host allowed. (Debian's
/// wasi-libc has no sockets, so std's `TcpStream` cannot link here; the WASI bindings can.)
pub fn connect() {
    let targets = std::env::var("PROBE_CONNECT").unwrap_or_default();
    for target in targets.split(',').filter(|t| !t.is_empty()) {
        match tcp_connect(target) {
            Ok(()) => visor_sdk::info(&format!("connect {target}: ok")),
            Err(e) => visor_sdk::info(&format!("connect {target}: refused ({e})")),
        }
    }
    // `PROBE_LISTEN=ADDRESS:PORT`: then tries to take inbound connections there.
    if let Ok(at) = std::env::var("PROBE_LISTEN") {
        match tcp_listen(&at) {
            Ok(()) => visor_sdk::info(&format!("listen {at}: ok")),
            Err(e) => visor_sdk::info(&format!("listen {at}: refused ({e})")),
        }
    }
}

fn tcp_listen(at: &str) -> Result<(), String> {
    use wasi::sockets::network::{IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
    let addr: std::net::SocketAddrV4 = at.parse().map_err(|e| format!("{e}"))?;
    let o = addr.ip().octets();
    let network = wasi::sockets::instance_network::instance_network();
    let socket = wasi::sockets::tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4).map_err(|e| format!("{e:?}"))?;
    let local = IpSocketAddress::Ipv4(Ipv4SocketAddress { port: addr.port(), address: (o[0], o[1], o[2], o[3]) });
    socket.start_bind(&network, local).map_err(|e| format!("bind: {e:?}"))?;
    socket.finish_bind().map_err(|e| format!("bind: {e:?}"))?;
    socket.start_listen().map_err(|e| format!("listen: {e:?}"))?;
    let ready = socket.subscribe();
    loop {
        match socket.finish_listen() {
            Ok(()) => return Ok(()),
            Err(wasi::sockets::network::ErrorCode::WouldBlock) => ready.block(),
            Err(e) => return Err(format!("listen: {e:?}")),
        }
    }
}

fn tcp_connect(target: &str) -> Result<(), String> {
    use wasi::sockets::network::{IpAddressFamily, IpSocketAddress, Ipv4SocketAddress};
    let addr: std::net::SocketAddrV4 = target.parse().map_err(|e| format!("{e}"))?;
    let o = addr.ip().octets();
    let network = wasi::sockets::instance_network::instance_network();
    let socket = wasi::sockets::tcp_create_socket::create_tcp_socket(IpAddressFamily::Ipv4).map_err(|e| format!("{e:?}"))?;
    let remote = IpSocketAddress::Ipv4(Ipv4SocketAddress { port: addr.port(), address: (o[0], o[1], o[2], o[3]) });
    socket.start_connect(&network, remote).map_err(|e| format!("{e:?}"))?;
    let ready = socket.subscribe();
    loop {
        match socket.finish_connect() {
            Ok(_) => return Ok(()),
            Err(wasi::sockets::network::ErrorCode::WouldBlock) => ready.block(),
            Err(e) => return Err(format!("{e:?}")),
        }
    }
}
