//! The wasmtime engine every app shares, configured once for the component model, and the
//! epoch ticker that turns per-frame CPU budgets into interrupts.
//!
//! Epoch interruption costs a load and compare on loop back-edges and function entries — far
//! cheaper than fuel — and lets one ticker thread bound every app: a store's deadline is a
//! number of ticks from now, and a guest still running when the epoch passes it traps.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use wasmtime::{Config, Engine};

/// How often the epoch advances; CPU budgets are whole ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(5);

/// A cheaply cloned handle to the shared engine.
#[derive(Clone)]
pub struct AppEngine {
    engine: Engine,
    _ticker: Arc<Ticker>,
}

impl AppEngine {
    pub fn new() -> wasmtime::Result<AppEngine> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        // Deep recursion traps inside the guest's own stack allowance.
        config.max_wasm_stack(1 << 20);
        let engine = Engine::new(&config)?;
        let ticker = Ticker::start(engine.clone());
        Ok(AppEngine { engine, _ticker: Arc::new(ticker) })
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
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
