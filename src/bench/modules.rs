//! `visor bench modules`: the module system's figures, each next to its floor from the same
//! run.
//!
//! - The bus between two wasm modules: a message from the host goes through app A (which
//!   republishes it) to app B (which republishes it again) and back to the host, both apps
//!   driven frame by frame on this thread, so the figure is the bus and the guest calls, not a
//!   frame rate. Floor: the same three hops over raw crossbeam channels.
//! - Module start: cold (compile + instantiate + `init`), warm from the registry's compile
//!   cache (read + check + deserialize + instantiate + `init`), warm with the component in
//!   memory (a restart), on the pooled and the on-demand engine — against bare wasmtime
//!   instantiation of the compiled component as the floor.
//!
//! Native-to-native bus latency and throughput against raw crossbeam, and frame fan-out, are
//! in the runtime's own bench: `cargo bench -p visor-runtime --bench bus`.

use std::fmt::Write as _;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use visor_runtime::bus::{Bus, BusCapabilities, Endpoint, ModuleRef, Overflow, Payload, QueueOptions, Topic, TopicPattern};
use visor_runtime::host::bus::GuestBus;
use visor_runtime::registry::Registry;
use visor_runtime::{AppEngine, AppInstance, AppSpec, LogRing, Precompiled, bare_instantiate_times};
use visor_types::clock::{MonotonicClock, SharedClock};
use visor_types::{AppId, DeviceProfile};

use super::percentile;
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

fn echo(
    engine: &AppEngine,
    probe: &Path,
    id: u32,
    endpoint: Endpoint,
    input: &str,
    output: &str,
    clock: &SharedClock,
) -> anyhow::Result<Echo> {
    let spec = AppSpec::new(format!("echo-{id}"), probe, 60.0)
        .with_env("VISOR_PROBE", "echo")
        .with_env("PROBE_IN", input)
        .with_env("PROBE_OUT", output);
    let app = AppInstance::load(engine, &spec, AppId(id), GuestBus::new(Some(endpoint)), Arc::new(LogRing::default()), clock.clone())?;
    Ok(Echo { app })
}

fn wasm_bus(out: &mut String, profile: &DeviceProfile, probe: &Path, rounds: u32) -> anyhow::Result<()> {
    let clock = MonotonicClock::shared();
    let engine = AppEngine::new().map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let bus = Bus::new(clock.clone());
    let host = bus.endpoint(ModuleRef::new(100, "bench"), caps(&["in/#"], &["out/#"]));
    let back = host.subscribe(TopicPattern::from_str("out/b")?, QueueOptions { capacity: 4096, policy: Overflow::Reject })?;
    let a = bus.endpoint(ModuleRef::new(101, "echo-a"), caps(&["mid/#"], &["in/#", "probe/rpc"]));
    let b = bus.endpoint(ModuleRef::new(102, "echo-b"), caps(&["out/#"], &["mid/#", "probe/rpc"]));
    let mut a = echo(&engine, probe, 101, a, "in/a", "mid/a", &clock)?;
    let mut b = echo(&engine, probe, 102, b, "mid/a", "out/b", &clock)?;
    let info = shell::frame_info(profile, 0, 0, glam::Mat4::IDENTITY);
    let input = Topic::new("in/a")?;

    let step = |a: &mut Echo, b: &mut Echo| -> anyhow::Result<()> {
        a.app.frame(&info, Vec::new())?;
        b.app.frame(&info, Vec::new())?;
        Ok(())
    };
    // Two frames with nothing to carry: what the frame calls cost by themselves.
    let mut idle = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        step(&mut a, &mut b)?;
        idle.push(micros(t.elapsed()));
    }
    let mut trip = Vec::new();
    for i in 0..rounds {
        let t = Instant::now();
        host.publish(&input, Payload::bytes(i.to_le_bytes().to_vec()))?;
        step(&mut a, &mut b)?;
        back.try_recv().context("the message came back through both apps")?;
        trip.push(micros(t.elapsed()));
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
    let wasm_rate = f64::from(received as u32) / t.elapsed().as_secs_f64();

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
    let (t50, t99, i50, f50) =
        (percentile(&mut trip, 0.5), percentile(&mut trip, 0.99), percentile(&mut idle, 0.5), percentile(&mut floor, 0.5));
    writeln!(out, "bus between two wasm modules (host -> app A -> app B -> host), {rounds} round trips\n")?;
    writeln!(out, "| measure | value |")?;
    writeln!(out, "|---|---:|")?;
    writeln!(out, "| round trip p50 (µs) | {t50:.1} |")?;
    writeln!(out, "| round trip p99 (µs) | {t99:.1} |")?;
    writeln!(out, "| two idle frame calls p50 (µs) | {i50:.1} |")?;
    writeln!(out, "| bus share of the round trip p50 (µs) | {:.1} |", t50 - i50)?;
    writeln!(out, "| raw crossbeam, same 3 hops p50 (µs) | {f50:.2} |")?;
    writeln!(out, "| bus share / crossbeam | {:.0}x |", (t50 - i50) / f50.max(1e-3))?;
    writeln!(out, "| throughput through both apps (msgs/s) | {wasm_rate:.0} |")?;
    Ok(())
}

fn starts(out: &mut String, probe: &Path, iterations: u32) -> anyhow::Result<()> {
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
    writeln!(out, "\nmodule start (probe app, {} KB component), {iterations} starts each\n", std::fs::metadata(probe)?.len() / 1024)?;
    writeln!(out, "| engine | start | median ms | x floor |")?;
    writeln!(out, "|---|---|---:|---:|")?;
    for pooled in [true, false] {
        let engine = AppEngine::with_pooling(pooled).map_err(|e| anyhow::anyhow!("{e:#}"))?;
        let label = if pooled { "pooled" } else { "on demand" };
        let load = |spec: &AppSpec| -> anyhow::Result<f64> {
            let t = Instant::now();
            AppInstance::load(&engine, spec, AppId(1), GuestBus::new(None), Arc::default(), clock.clone())?;
            Ok(t.elapsed().as_secs_f64() * 1e3)
        };
        let mut cold = (0..iterations.div_ceil(4).max(2)).map(|_| load(&spec)).collect::<anyhow::Result<Vec<_>>>()?;
        registry.load_component(engine.engine(), &installed)?; // fill the cache once
        let mut cached = Vec::new();
        for _ in 0..iterations {
            let t = Instant::now();
            let (component, _) = registry.load_component(engine.engine(), &installed)?;
            let warm = AppSpec { precompiled: Some(Precompiled(component)), ..spec.clone() };
            AppInstance::load(&engine, &warm, AppId(1), GuestBus::new(None), Arc::default(), clock.clone())?;
            cached.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let (component, _) = registry.load_component(engine.engine(), &installed)?;
        let in_memory = AppSpec { precompiled: Some(Precompiled(component.clone())), ..spec.clone() };
        let mut restart = (0..iterations).map(|_| load(&in_memory)).collect::<anyhow::Result<Vec<_>>>()?;
        let mut floor: Vec<f64> =
            bare_instantiate_times(&engine, &component, &spec, iterations)?.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        let floor50 = percentile(&mut floor, 0.5);
        for (what, samples) in [
            ("cold: compile + instantiate + init", &mut cold),
            ("warm: compile cache + instantiate + init", &mut cached),
            ("restart: compiled in memory + instantiate + init", &mut restart),
        ] {
            let p50 = percentile(samples, 0.5);
            writeln!(out, "| {label} | {what} | {p50:.3} | {:.1} |", p50 / floor50)?;
        }
        writeln!(out, "| {label} | floor: bare wasmtime instantiate | {floor50:.3} | 1.0 |")?;
    }
    let _ = std::fs::remove_dir_all(&store);
    Ok(())
}

fn tempfile_dir(prefix: &str) -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Runs the module benchmarks and returns the report as Markdown tables.
pub fn run(data: &DataDir, profile: &DeviceProfile, rounds: u32, starts_each: u32) -> anyhow::Result<String> {
    let probe = data.component("probe")?;
    let mut out = String::new();
    wasm_bus(&mut out, profile, &probe, rounds)?;
    starts(&mut out, &probe, starts_each)?;
    Ok(out)
}
