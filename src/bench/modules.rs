//! `visor bench modules`: the module system's figures, each next to its floor from the same
//! run.
//!
//! - The bus between two wasm modules: a message from the host goes through app A (which
//!   republishes it) to app B (which republishes it again) and back to the host, both apps
//!   driven frame by frame on this thread, so the figure is the bus and the guest calls, not a
//!   frame rate; once for each way an app can poll (the SDK's borrowed batches, its owned
//!   messages, the plain `poll` import), with 4-byte payloads and again with 64 KiB ones; each
//!   round times an idle frame pair, then a round trip, taking turns. Floors: the same three
//!   hops over raw crossbeam channels, and through two bare wasmtime components making the
//!   same kinds of host calls (a poll returning `list<u8>`, a publish taking a topic and a
//!   payload) over crossbeam (`visor_runtime::bare_hop_times`): what wasmtime itself costs per
//!   hop.
//! - Module start: cold (compile + instantiate + `init`), warm from the registry's compile
//!   cache (read + check + deserialize + instantiate + `init`), warm with the component in
//!   memory (a restart), on the pooled and the on-demand engine — against bare wasmtime
//!   instantiation of the compiled component as the floor.
//!
//! Native-to-native bus latency and throughput against raw crossbeam, and frame fan-out, are
//! in the runtime's own bench: `cargo bench -p visor-runtime --bench bus`.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use visor_runtime::bus::{Bus, BusCapabilities, Endpoint, ModuleRef, Overflow, Payload, QueueOptions, Topic, TopicPattern};
use visor_runtime::host::bus::GuestBus;
use visor_runtime::registry::Registry;
use visor_runtime::{AppEngine, AppInstance, AppSpec, LogRing, Precompiled, bare_hop_times, bare_instantiate_times};
use visor_types::clock::{MonotonicClock, SharedClock};
use visor_types::{AppId, DeviceProfile};

use super::percentile;
use super::report::{Report, Table, num, text};
use crate::data::DataDir;
use crate::shell;

fn caps(publish: &[&str], subscribe: &[&str]) -> BusCapabilities {
    let patterns = |list: &[&str]| list.iter().map(|p| TopicPattern::from_str(p).expect("a valid pattern")).collect();
    BusCapabilities {
        publish: patterns(publish),
        subscribe: patterns(subscribe),
        messages_per_second: u32::MAX,
        shell: false,
        serve: Vec::new(),
        call: Vec::new(),
    }
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

struct Echo {
    app: AppInstance,
}

/// The large payload of the last row: a small image, a chunk of audio, a point cloud.
const LARGE_PAYLOAD: usize = 64 << 10;

/// Which of a guest's ways to poll an echo app uses (the probe's `PROBE_POLL`).
const POLLS: [(&str, &str); 3] = [
    ("", "SDK bus::poll_batch (packed, read in place)"),
    ("owned", "SDK bus::poll (packed, owned messages)"),
    ("list", "plain poll import (list<message>)"),
];

/// The probe's `echo` republishing `route[0]` on `route[1]`, polling the `poll` way.
fn echo(
    engine: &AppEngine,
    probe: &Path,
    id: u32,
    endpoint: Endpoint,
    route: [&str; 2],
    poll: &str,
    clock: &SharedClock,
) -> anyhow::Result<Echo> {
    let [input, output] = route;
    let spec = AppSpec::new(format!("echo-{id}"), probe, 60.0)
        .with_env("VISOR_PROBE", "echo")
        .with_env("PROBE_IN", input)
        .with_env("PROBE_OUT", output)
        .with_env("PROBE_POLL", poll);
    let app = AppInstance::load(engine, &spec, AppId(id), GuestBus::new(Some(endpoint)), Arc::new(LogRing::default()), clock.clone())?;
    Ok(Echo { app })
}

/// One way of polling, measured: round trip p50 and p99, two idle frame calls p50 (µs), and
/// messages a second through both apps.
struct Trips {
    t50: f64,
    t99: f64,
    i50: f64,
    rate: f64,
}

/// The round's number in the first four bytes of a payload `len` long (at least four).
fn numbered(i: u32, len: usize) -> Vec<u8> {
    let mut payload = vec![0x5a; len.max(4)];
    payload[..4].copy_from_slice(&i.to_le_bytes());
    payload
}

fn trips(engine: &AppEngine, profile: &DeviceProfile, probe: &Path, poll: &str, rounds: u32, len: usize) -> anyhow::Result<Trips> {
    let clock = MonotonicClock::shared();
    let bus = Bus::new(clock.clone());
    let host = bus.endpoint(ModuleRef::new(100, "bench"), caps(&["in/#"], &["out/#"]));
    let back = host.subscribe(TopicPattern::from_str("out/b")?, QueueOptions { capacity: 4096, policy: Overflow::Reject })?;
    let a = bus.endpoint(ModuleRef::new(101, "echo-a"), caps(&["mid/#"], &["in/#", "probe/rpc"]));
    let b = bus.endpoint(ModuleRef::new(102, "echo-b"), caps(&["out/#"], &["mid/#", "probe/rpc"]));
    let mut a = echo(engine, probe, 101, a, ["in/a", "mid/a"], poll, &clock)?;
    let mut b = echo(engine, probe, 102, b, ["mid/a", "out/b"], poll, &clock)?;
    let info = shell::frame_info(profile, 0, 0, glam::Mat4::IDENTITY);
    let input = Topic::new("in/a")?;

    let step = |a: &mut Echo, b: &mut Echo| -> anyhow::Result<()> {
        a.app.frame(&info, Vec::new())?;
        b.app.frame(&info, Vec::new())?;
        Ok(())
    };
    // Each round times two frames with nothing to carry (what the frame calls cost by
    // themselves), then a round trip: taking turns, both see the machine as it is at that
    // moment, so a slow spell cannot land on one of them only and skew their difference.
    let mut idle = Vec::new();
    let mut trip = Vec::new();
    for i in 0..rounds {
        let t = Instant::now();
        step(&mut a, &mut b)?;
        idle.push(micros(t.elapsed()));

        let sent = numbered(i, len);
        let t = Instant::now();
        host.publish(&input, Payload::bytes(sent.as_slice()))?;
        step(&mut a, &mut b)?;
        let returned = back.try_recv().context("the message came back through both apps")?;
        trip.push(micros(t.elapsed()));
        anyhow::ensure!(
            returned.payload.as_bytes() == Some(&sent[..]),
            "round {i}'s message of {len} bytes came back through both apps changed, or not as bytes"
        );
    }
    let batch = 2000u32;
    let t = Instant::now();
    for i in 0..batch {
        host.publish(&input, Payload::bytes(i.to_le_bytes().to_vec()))?;
        if i % 500 == 499 {
            step(&mut a, &mut b)?;
        }
    }
    let received = back.drain().count();
    let rate = f64::from(received as u32) / t.elapsed().as_secs_f64();
    Ok(Trips { t50: percentile(&mut trip, 0.5), t99: percentile(&mut trip, 0.99), i50: percentile(&mut idle, 0.5), rate })
}

fn wasm_bus(profile: &DeviceProfile, probe: &Path, rounds: u32) -> anyhow::Result<Table> {
    let engine = AppEngine::new().map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let measured = POLLS.iter().map(|(poll, _)| trips(&engine, profile, probe, poll, rounds, 4)).collect::<anyhow::Result<Vec<_>>>()?;
    // The same with a large payload, where what is copied on the way shows.
    let large = POLLS
        .iter()
        .map(|(poll, _)| trips(&engine, profile, probe, poll, (rounds / 10).max(10), LARGE_PAYLOAD))
        .collect::<anyhow::Result<Vec<_>>>()?;

    // Floor: the same three hops over crossbeam, on one thread.
    let hops: Vec<_> = (0..3).map(|_| crossbeam_channel::bounded::<Vec<u8>>(4096)).collect();
    let mut floor = Vec::new();
    for i in 0..rounds {
        let t = Instant::now();
        hops[0].0.send(i.to_le_bytes().to_vec())?;
        let m = hops[0].1.recv()?;
        hops[1].0.send(m)?;
        let m = hops[1].1.recv()?;
        hops[2].0.send(m)?;
        hops[2].1.recv()?;
        floor.push(micros(t.elapsed()));
    }
    let f50 = percentile(&mut floor, 0.5);
    // Floor: the same hops and kinds of host calls through bare wasmtime components.
    let bare = bare_hop_times(&engine, rounds)?;
    let to_micros = |times: &[Duration]| times.iter().map(|&d| micros(d)).collect::<Vec<_>>();
    let w50 = percentile(&mut to_micros(&bare.trips), 0.5) - percentile(&mut to_micros(&bare.idle), 0.5);
    let mut table = Table::new(
        format!("bus between two wasm modules (host -> app A -> app B -> host), {rounds} round trips, by how the apps poll"),
        &["measure", POLLS[0].1, POLLS[1].1, POLLS[2].1],
    );
    let row = |table: &mut Table, runs: &[Trips], name: &str, value: &dyn Fn(&Trips) -> f64, digits: usize| {
        let mut cells = vec![text(name)];
        cells.extend(runs.iter().map(|m| num(value(m), digits)));
        table.row(cells);
    };
    row(&mut table, &measured, "round trip p50 (µs)", &|m| m.t50, 1);
    row(&mut table, &measured, "round trip p99 (µs)", &|m| m.t99, 1);
    row(&mut table, &measured, "two idle frame calls p50 (µs)", &|m| m.i50, 1);
    row(&mut table, &measured, "bus share of the round trip p50 (µs)", &|m| m.t50 - m.i50, 2);
    row(&mut table, &measured, "raw crossbeam, same 3 hops p50 (µs)", &|_| f50, 2);
    row(&mut table, &measured, "bus share / crossbeam", &|m| (m.t50 - m.i50) / f50.max(1e-3), 1);
    row(&mut table, &measured, "bare wasmtime components, same hops and host calls, share p50 (µs)", &|_| w50, 2);
    row(&mut table, &measured, "bus share / bare wasmtime", &|m| (m.t50 - m.i50) / w50.max(1e-3), 1);
    row(&mut table, &measured, "throughput through both apps (msgs/s)", &|m| m.rate, 0);
    let large_name = format!("bus share of the round trip p50, {} KiB payload (µs)", LARGE_PAYLOAD / 1024);
    row(&mut table, &large, &large_name, &|m| m.t50 - m.i50, 2);
    Ok(table)
}

fn starts(probe: &Path, iterations: u32) -> anyhow::Result<Table> {
    let clock = MonotonicClock::shared();
    let spec = AppSpec::new("probe", probe, 60.0);
    let store = tempfile_dir("visor-bench-store")?;
    let module_dir = store.join("src");
    std::fs::create_dir_all(&module_dir)?;
    std::fs::copy(probe, module_dir.join("probe.wasm"))?;
    std::fs::write(
        module_dir.join("visor.toml"),
        "name = \"probe\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = { component = \"probe.wasm\" }\n",
    )?;
    let registry = Registry::open(&store.join("registry"))?;
    let installed = registry.install(&module_dir)?;
    let mut table = Table::new(
        format!(
            "module start (probe app, {} KB component), {iterations} starts each, medians in ms",
            std::fs::metadata(probe)?.len() / 1024
        ),
        &["engine", "start", "compile or load", "link", "instantiate", "init", "total", "x floor"],
    );
    for pooled in [true, false] {
        let engine = AppEngine::with_pooling(pooled).map_err(|e| anyhow::anyhow!("{e:#}"))?;
        let label = if pooled { "pooled" } else { "on demand" };
        // One start: (compile or cache load, link, instantiate, init, total) in ms.
        let start = |spec: &AppSpec, load: &dyn Fn() -> anyhow::Result<Option<Precompiled>>| -> anyhow::Result<[f64; 5]> {
            let t = Instant::now();
            let precompiled = load()?;
            let loaded = t.elapsed();
            let spec = AppSpec { precompiled: precompiled.or_else(|| spec.precompiled.clone()), ..spec.clone() };
            let app = AppInstance::load(&engine, &spec, AppId(1), GuestBus::new(None), Arc::default(), clock.clone())?;
            let total = t.elapsed();
            let s = app.start_timings();
            Ok([loaded + s.compile, s.link, s.instantiate, s.init, total].map(|d| d.as_secs_f64() * 1e3))
        };
        let none = || Ok(None);
        let cold: Vec<[f64; 5]> = (0..iterations.div_ceil(4).max(2)).map(|_| start(&spec, &none)).collect::<anyhow::Result<_>>()?;
        registry.load_component(engine.engine(), &installed)?; // fill the cache once
        let from_cache = || Ok(Some(Precompiled::new(registry.load_component(engine.engine(), &installed)?.0)));
        let cached: Vec<[f64; 5]> = (0..iterations).map(|_| start(&spec, &from_cache)).collect::<anyhow::Result<_>>()?;
        let (component, _) = registry.load_component(engine.engine(), &installed)?;
        let in_memory = AppSpec { precompiled: Some(Precompiled::new(component.clone())), ..spec.clone() };
        let restart: Vec<[f64; 5]> = (0..iterations).map(|_| start(&in_memory, &none)).collect::<anyhow::Result<_>>()?;
        let mut floor: Vec<f64> =
            bare_instantiate_times(&engine, &component, &spec, iterations)?.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        let floor50 = percentile(&mut floor, 0.5);
        for (what, samples) in [
            ("cold: compile, link, instantiate, init", &cold),
            ("warm: compile cache, link, instantiate, init", &cached),
            ("restart: compiled and linked in memory", &restart),
        ] {
            let medians: Vec<f64> = (0..5).map(|i| percentile(&mut samples.iter().map(|s| s[i]).collect::<Vec<_>>(), 0.5)).collect();
            let mut row = vec![text(label), text(what)];
            row.extend(medians.iter().map(|&m| num(m, 3)));
            row.push(num(medians[4] / floor50, 1));
            table.row(row);
        }
        table.row(vec![
            text(label),
            text("floor: bare wasmtime instantiate"),
            num(0.0, 3),
            num(0.0, 3),
            num(floor50, 3),
            num(0.0, 3),
            num(floor50, 3),
            num(1.0, 1),
        ]);
    }
    let _ = std::fs::remove_dir_all(&store);
    Ok(table)
}

fn tempfile_dir(prefix: &str) -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Runs the module benchmarks and returns the report.
pub fn run(data: &DataDir, profile: &DeviceProfile, rounds: u32, starts_each: u32) -> anyhow::Result<Report> {
    let probe = data.component("probe")?;
    let mut report = Report::default();
    report.context("cpus", std::thread::available_parallelism().map_or(0, |n| n.get()).to_string());
    report.tables.push(wasm_bus(profile, &probe, rounds)?);
    report.tables.push(starts(&probe, starts_each)?);
    Ok(report)
}
