//! `visor bench install`: how long installing a module from a registry takes, against a real
//! registry on loopback ([`LoopbackRegistry`]), with the `hud` sample app as the component.
//!
//! Each run installs into a fresh store (pull + verify + install + compile, the compile cache
//! cold), then installs the same reference again into that store (the version is already
//! there and the compiled code is cached: what a repeated or scripted install costs). Consent
//! is answered ahead (`--grant all`), so no one's thinking time is counted.

mod registry;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use visor_oci::{Keyring, ModuleRef, Package, Signature};
use visor_runtime::AppEngine;
use visor_runtime::registry::{CacheOutcome, Registry};

pub use registry::LoopbackRegistry;

use super::report::{Report, Table, num, text};
use crate::data::DataDir;
use crate::module_cmd::{ConsentMode, InstallTimings, install_remote};

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `runs` cold installs and cached reinstalls; returns the report as a Markdown table.
pub fn run(data: &DataDir, runs: u32) -> anyhow::Result<Report> {
    let hud = data.component("hud")?;
    let server = LoopbackRegistry::start()?;
    let work = Scratch(std::env::temp_dir().join(format!("visor-bench-install-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&work.0);
    let module_dir = work.0.join("module");
    std::fs::create_dir_all(&module_dir)?;
    std::fs::copy(&hud, module_dir.join("hud.wasm"))?;
    std::fs::write(
        module_dir.join("visor.toml"),
        "name = \"hud\"\nversion = \"1.0.0\"\nkind = \"app\"\nentry = { component = \"hud.wasm\" }\n\
         [capabilities]\ndevices = [\"display-layer\"]\n",
    )?;

    let publisher = Keyring::open(&work.0.join("publisher-keys"));
    let key = publisher.create("bench")?;
    let (name, signing) = publisher.signing_key(Some("bench"))?;
    let package = Package::from_dir(&module_dir)?;
    let reference = ModuleRef::parse(&server.reference("bench/hud:1.0.0"))?;
    let started = Instant::now();
    visor_oci::publish(&package, Some(&Signature::sign(&package.statement(), &signing, &name)), &reference)?;
    let publish_ms = ms(started.elapsed());

    let engine = AppEngine::new().map_err(|e| anyhow::anyhow!("starting wasmtime: {e:#}"))?;
    let grant_all = ConsentMode::Answer("all".into());
    let (mut cold, mut warm): (Vec<InstallTimings>, Vec<InstallTimings>) = (Vec::new(), Vec::new());
    for run in 0..runs.max(1) {
        let store = Registry::open(&work.0.join(format!("store-{run}")))?;
        Keyring::in_store(store.root()).trust(key.key, "bench")?;
        cold.push(install_remote(&store, &engine, &reference, false, false, &grant_all)?.timings);
        warm.push(install_remote(&store, &engine, &reference, false, false, &grant_all)?.timings);
    }
    let hits = warm.iter().filter(|t| t.cache == Some(CacheOutcome::Hit)).count();

    let mut table = Table::new(
        format!(
            "install from a loopback registry ({} {}), hud app ({} KB component), {} runs; publish took {publish_ms:.1} ms",
            registry::EXECUTABLE,
            server.addr,
            package.component_bytes.len() / 1024,
            cold.len()
        ),
        &["step", "first install, median ms", "cached reinstall, median ms"],
    );
    type Step = fn(&InstallTimings) -> Duration;
    let steps: [(&str, Step); 5] = [
        ("pull (manifest + blobs over HTTP)", |t| t.pull),
        ("verify (digests, signature, keyring, policy)", |t| t.verify),
        ("install into the store", |t| t.install),
        ("compile (first: cranelift; reinstall: cache)", |t| t.compile),
        ("total", InstallTimings::total),
    ];
    for (label, step) in steps {
        let first = median(cold.iter().map(|t| ms(step(t))).collect());
        let again = median(warm.iter().map(|t| ms(step(t))).collect());
        table.row(vec![text(label), num(first, 2), num(again, 2)]);
    }
    table.note(format!("compile cache hits on reinstall: {hits} of {}", warm.len()));
    Ok(Report { context: Vec::new(), tables: vec![table] })
}
