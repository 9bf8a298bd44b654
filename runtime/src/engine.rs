//! The wasmtime engine every app shares, configured once for the component model, the
//! pooling allocator that makes instantiation cheap, Cranelift's incremental cache (so a
//! rebuilt app compiles only what changed), and the epoch ticker that turns per-frame CPU
//! budgets into interrupts.
//!
//! Epoch interruption costs a load and compare on loop back-edges and function entries — far
//! cheaper than fuel — and lets one ticker thread bound every app: a store's deadline is a
//! number of ticks from now, and a guest still running when the epoch passes it traps.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use visor_manifest::limits::MAX_MEMORY_BYTES;
use wasmtime::component::Linker;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, WasmBacktraceDetails};

use crate::function_cache::FunctionCache;
use crate::host::HostState;

/// How often the epoch advances; CPU budgets are whole ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// Apps the instance pool has room for at once.
pub const POOL_APPS: u32 = 64;

/// A cheaply cloned handle to the shared engine.
#[derive(Clone)]
pub struct AppEngine {
    engine: Engine,
    /// WASI and the Visor interfaces, wired once: every app links against the same imports.
    linker: Arc<Linker<HostState>>,
    _ticker: Arc<Ticker>,
}

impl AppEngine {
    /// An engine with the pooling allocator; where the pool's address-space reservation is
    /// refused (a tight `ulimit -v`), one that allocates on demand instead.
    pub fn new() -> wasmtime::Result<AppEngine> {
        match Self::with_pooling(true) {
            Ok(engine) => Ok(engine),
            Err(e) => {
                tracing::warn!("the pooling allocator is unavailable ({e:#}); allocating instances on demand");
                Self::with_pooling(false)
            }
        }
    }

    pub fn with_pooling(pooling: bool) -> wasmtime::Result<AppEngine> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        // Deep recursion traps inside the guest's own stack allowance.
        config.max_wasm_stack(1 << 20);
        // Functions compiled before are reused by content: a rebuilt app recompiles only what
        // changed (`function_cache`).
        config.enable_incremental_compilation(Arc::new(FunctionCache::default()))?;
        // A trap names the guest's source file and line where the component carries line
        // tables (read when it is compiled; nothing is paid by components without them).
        config.wasm_backtrace_details(WasmBacktraceDetails::Enable);
        if pooling {
            // Slots are reserved address space, not memory: a component built by
            // wasm-component-ld has a handful of core instances (the app, the WASI adapter,
            // shims), hence the multiples.
            let mut pool = PoolingAllocationConfig::default();
            pool.total_component_instances(POOL_APPS)
                .total_core_instances(POOL_APPS * 16)
                .total_memories(POOL_APPS * 2)
                .total_tables(POOL_APPS * 16)
                .max_memories_per_component(4)
                .max_tables_per_component(16)
                .max_memory_size(MAX_MEMORY_BYTES);
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
            config.memory_reservation(MAX_MEMORY_BYTES as u64);
        }
        let engine = Engine::new(&config)?;
        let mut linker = Linker::new(&engine);
        crate::host::add_to_linker(&mut linker)?;
        let ticker = Ticker::start(engine.clone());
        Ok(AppEngine { engine, linker: Arc::new(linker), _ticker: Arc::new(ticker) })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub(crate) fn linker(&self) -> &Linker<HostState> {
        &self.linker
    }

    /// Ticks in a budget of `ms` milliseconds (at least one).
    pub fn ticks_for_ms(ms: u32) -> u64 {
        (u64::from(ms) / EPOCH_TICK.as_millis() as u64).max(1)
    }
}

struct Ticker {
    stop: Arc<AtomicBool>,
}

impl Ticker {
    fn start(engine: Engine) -> Ticker {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        thread::Builder::new()
            .name("visor-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawning the epoch thread at startup");
        Ticker { stop }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
