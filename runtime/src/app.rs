//! One app: its component compiled and instantiated in a store of its own, driven
//! synchronously. [`AppInstance::frame`] runs the guest's `frame` under its CPU budget and
//! returns what it drew as a [`LayerSubmission`]. The runner puts this on a thread; tests can
//! drive it directly, frame by frame. The store's limiter keeps a [`MemoryGauge`] of the
//! memory the instance holds, which any thread may read.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use semver::Version;
use visor_types::clock::SharedClock;
use visor_types::{AppId, AppLimits, FrameInfo, InputEvent, LayerSubmission};
use wasmtime::component::{Component, TypedFunc};
use wasmtime::{Store, Trap, WasmBacktrace};

use crate::engine::AppEngine;
use crate::error::AppError;
use crate::host::bus::GuestBus;
use crate::host::limiter::MemoryGauge;
use crate::host::log::LogRing;
use crate::host::{AppBindings, AppBindingsPre, FrameRecord, HostState, convert_frame_info};

/// What the shell needs to start an app.
#[derive(Clone, Debug)]
pub struct AppSpec {
    pub name: String,
    /// Shown in status and logs; changes with an upgrade.
    pub version: Version,
    /// A `wasm32-wasip2` component for the `visor:app/app` world.
    pub component: PathBuf,
    /// The app's environment (WASI `environ`): how a shell passes an app its settings.
    pub env: Vec<(String, String)>,
    pub limits: AppLimits,
    /// Already compiled code for `component` (from the registry's cache): skips compiling.
    pub precompiled: Option<Precompiled>,
    /// Hosts and address ranges the app may open sockets to (empty: no network at all).
    pub network: Vec<crate::manifest::NetworkTarget>,
    /// Folders preopened for the app: the host folder and the grant (guest path and mode).
    pub dirs: Vec<(PathBuf, crate::manifest::DirGrant)>,
    /// How often the runner calls `frame`.
    pub fps: f32,
}

impl AppSpec {
    /// An app with default limits, at `fps` frames per second.
    pub fn new(name: impl Into<String>, component: impl Into<PathBuf>, fps: f32) -> AppSpec {
        AppSpec {
            name: name.into(),
            version: Version::new(0, 0, 0),
            component: component.into(),
            env: Vec::new(),
            limits: AppLimits::default(),
            precompiled: None,
            network: Vec::new(),
            dirs: Vec::new(),
            fps,
        }
    }

    pub fn with_env(mut self, key: &str, value: &str) -> AppSpec {
        self.env.push((key.to_string(), value.to_string()));
        self
    }
}

/// A compiled component, shared between the starts of an app, with its imports resolved
/// against the engine's linker on the first start and kept (wasmtime's `InstancePre`): a
/// restart or a second instance only instantiates.
#[derive(Clone)]
pub struct Precompiled {
    component: Component,
    linked: Arc<OnceLock<AppBindingsPre<HostState>>>,
}

impl Precompiled {
    pub fn new(component: Component) -> Precompiled {
        Precompiled { component, linked: Arc::default() }
    }

    pub fn component(&self) -> &Component {
        &self.component
    }

    /// Compiles the component file at `path` for `engine` (`app` names it in the error).
    pub fn compile_file(engine: &AppEngine, app: &str, path: &std::path::Path) -> Result<Precompiled, AppError> {
        compile(engine, &AppSpec::new(app, path, 60.0)).map(Precompiled::new)
    }

    /// The component linked against `engine`'s imports, resolved once.
    fn linked(&self, engine: &AppEngine) -> wasmtime::Result<AppBindingsPre<HostState>> {
        if let Some(pre) = self.linked.get() {
            return Ok(pre.clone());
        }
        let pre = AppBindingsPre::new(engine.linker().instantiate_pre(&self.component)?)?;
        Ok(self.linked.get_or_init(|| pre).clone())
    }
}

impl std::fmt::Debug for Precompiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Precompiled(..)")
    }
}

/// Where an app's start went: linking (resolving its imports; nothing on a restart, which
/// reuses the link), instantiating (memories, tables, data) and its own `init`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StartTimings {
    pub compile: Duration,
    pub link: Duration,
    pub instantiate: Duration,
    pub init: Duration,
}

pub struct AppInstance {
    id: AppId,
    name: String,
    store: Store<HostState>,
    bindings: AppBindings,
    /// The guest's `frame` export, called with a [`FrameRecord`] rather than through
    /// `bindings` (which would lower the record one float at a time).
    frame_export: TypedFunc<(FrameRecord,), (Result<(), String>,)>,
    frame_number: u64,
    frame_ticks: u64,
    memory: MemoryGauge,
    started: StartTimings,
}

impl AppInstance {
    /// Compiles, instantiates and initializes the app. Compilation is the slow part (tens of
    /// milliseconds to seconds), which is why the runner does this on the app's own thread.
    pub fn load(
        engine: &AppEngine,
        spec: &AppSpec,
        id: AppId,
        bus: GuestBus,
        logs: Arc<LogRing>,
        clock: SharedClock,
    ) -> Result<AppInstance, AppError> {
        Self::load_metered(engine, spec, id, bus, logs, clock, MemoryGauge::new())
    }

    /// [`AppInstance::load`], with the store's memory recorded in `memory`: the runner hands
    /// each new instance the gauge it reads. The store adds to the gauge from its first memory
    /// on and takes its share back when it ends, so a gauge outlives its instances.
    pub fn load_metered(
        engine: &AppEngine,
        spec: &AppSpec,
        id: AppId,
        bus: GuestBus,
        logs: Arc<LogRing>,
        clock: SharedClock,
        memory: MemoryGauge,
    ) -> Result<AppInstance, AppError> {
        let app = spec.name.clone();
        let instantiate_error = |e: wasmtime::Error| AppError::Instantiate { app: app.clone(), message: format!("{e:#}") };
        let mut started = StartTimings::default();
        let t = Instant::now();
        let precompiled = match &spec.precompiled {
            Some(precompiled) => precompiled.clone(),
            None => Precompiled::new(compile(engine, spec)?),
        };
        started.compile = t.elapsed();
        let t = Instant::now();
        let pre = precompiled.linked(engine).map_err(|e| AppError::Misfit {
            app: app.clone(),
            message: crate::misfit::explain(engine.engine(), precompiled.component(), &e),
        })?;
        started.link = t.elapsed();
        let t = Instant::now();
        let mut store = Store::new(engine.engine(), HostState::new(spec, bus, logs, clock, memory.clone()));
        store.limiter(|state| &mut state.limits);
        let frame_ticks = AppEngine::ticks_for_ms(spec.limits.frame_cpu_ms);
        store.set_epoch_deadline(frame_ticks * 10);
        let component = pre.instance_pre().instantiate(&mut store).map_err(instantiate_error)?;
        let bindings = AppBindings::new(&mut store, &component).map_err(instantiate_error)?;
        let frame_export = component.get_typed_func(&mut store, "frame").map_err(instantiate_error)?;
        started.instantiate = t.elapsed();
        let mut instance = AppInstance { id, name: app, store, bindings, frame_export, frame_number: 0, frame_ticks, memory, started };
        let t = Instant::now();
        store_init(&mut instance)?;
        instance.started.init = t.elapsed();
        Ok(instance)
    }

    /// What this instance's start cost, step by step.
    pub fn start_timings(&self) -> StartTimings {
        self.started
    }

    /// Ends the instance, handing back its bus state (identity, subscriptions and what they
    /// queued) so a restart or an upgrade can carry on with it. The frames and unanswered
    /// requests the instance held end with it.
    pub fn into_bus(self) -> GuestBus {
        let mut bus = self.store.into_data().bus;
        bus.end_instance();
        bus
    }

    pub fn id(&self) -> AppId {
        self.id
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Bytes of linear memory the instance holds now, over all its memories.
    pub fn memory_bytes(&self) -> u64 {
        self.memory.memory_bytes()
    }

    /// Runs the app's `frame` for `info` (its `frame_number` is replaced by the app's own
    /// count) with the input routed to it since its last frame, and returns the layer it drew. Any error leaves the instance unusable: after a
    /// trap its state cannot be trusted, so the caller stops it.
    pub fn frame(&mut self, info: &FrameInfo, events: Vec<InputEvent>) -> Result<LayerSubmission, AppError> {
        let frame = FrameInfo { frame_number: self.frame_number, ..info.clone() };
        let record = FrameRecord(convert_frame_info(&frame, &events));
        self.store.set_epoch_deadline(self.frame_ticks);
        let started = Instant::now();
        let result = self.frame_export.call(&mut self.store, (record,)).map(|(result,)| result);
        let cpu_time = started.elapsed();
        let draws = self.store.data_mut().gfx.take_draws();
        match result {
            Ok(Ok(())) => {}
            Ok(Err(message)) => {
                return Err(AppError::Frame { app: self.name.clone(), frame: frame.frame_number, message });
            }
            Err(e) => return Err(self.trap_error(&format!("frame {}", frame.frame_number), e)),
        }
        let sequence = self.frame_number;
        self.frame_number += 1;
        Ok(LayerSubmission { app: self.id, sequence, frame, draws, cpu_time })
    }

    fn trap_error(&self, during: &str, e: wasmtime::Error) -> AppError {
        let mut message = match e.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => format!(
                "it ran past its CPU budget of {} ms per frame and was interrupted",
                self.frame_ticks * crate::engine::EPOCH_TICK.as_millis() as u64
            ),
            Some(trap) => trap.to_string(),
            None => e.root_cause().to_string(),
        };
        if let Some(place) = e.downcast_ref::<WasmBacktrace>().and_then(trap_location) {
            message.push_str(&format!(" (at {place})"));
        }
        let stderr = self.store.data().stderr_text();
        if !stderr.is_empty() {
            message.push_str(&format!("\nthe app's stderr:\n{stderr}"));
        }
        AppError::Trap { app: self.name.clone(), during: during.to_string(), message }
    }
}

/// The floor an app start is measured against: instantiating an already compiled component
/// with one reused `InstancePre` in a fresh store — wasmtime's own cost, no `init`, no
/// compiling, no linking. Returns one duration per iteration.
pub fn bare_instantiate_times(
    engine: &AppEngine,
    component: &Component,
    spec: &AppSpec,
    iterations: u32,
) -> Result<Vec<std::time::Duration>, AppError> {
    let error = |e: wasmtime::Error| AppError::Instantiate { app: spec.name.clone(), message: format!("{e:#}") };
    let pre = engine.linker().instantiate_pre(component).map_err(error)?;
    let pre = AppBindingsPre::new(pre).map_err(error)?;
    let mut times = Vec::new();
    for _ in 0..iterations {
        let state =
            HostState::new(spec, GuestBus::new(None), Arc::default(), visor_types::clock::MonotonicClock::shared(), MemoryGauge::new());
        let mut store = Store::new(engine.engine(), state);
        store.set_epoch_deadline(u64::MAX / 2);
        let started = Instant::now();
        pre.instantiate(&mut store).map_err(error)?;
        times.push(started.elapsed());
    }
    Ok(times)
}

/// Where a trap happened, briefly (a runaway recursion's backtrace has thousands of frames):
/// the innermost places, each a guest function with its source file and line where the
/// component carries line tables (inlined functions each count), else its name.
fn trap_location(trace: &WasmBacktrace) -> Option<String> {
    const PLACES: usize = 4;
    let demangled = |name: &str| rustc_demangle::demangle(name).to_string();
    let mut places = Vec::new();
    for frame in trace.frames() {
        if frame.symbols().is_empty() {
            let module = frame.module().name().unwrap_or("wasm");
            places.push(frame.func_name().map(demangled).unwrap_or_else(|| format!("{module}!function {}", frame.func_index())));
        }
        for symbol in frame.symbols() {
            let name = symbol.name().map(demangled).unwrap_or_else(|| "?".to_owned());
            places.push(match (symbol.file(), symbol.line()) {
                (Some(file), Some(line)) => format!("{name} ({file}:{line})"),
                _ => name,
            });
        }
        if places.len() >= PLACES {
            break;
        }
    }
    places.truncate(PLACES);
    (!places.is_empty()).then(|| places.join(" <- "))
}

fn compile(engine: &AppEngine, spec: &AppSpec) -> Result<Component, AppError> {
    let app = spec.name.clone();
    let bytes = std::fs::read(&spec.component).map_err(|e| AppError::Read {
        app: app.clone(),
        path: spec.component.clone(),
        message: e.to_string(),
    })?;
    Component::new(engine.engine(), &bytes).map_err(|e| AppError::Compile { app, path: spec.component.clone(), message: format!("{e:#}") })
}

fn store_init(instance: &mut AppInstance) -> Result<(), AppError> {
    match instance.bindings.call_init(&mut instance.store) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(message)) => Err(AppError::Init { app: instance.name.clone(), message }),
        Err(e) => Err(instance.trap_error("init", e)),
    }
}
