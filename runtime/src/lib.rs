//! Visor's runtime: loads app components with wasmtime, runs each on its own thread at its own
//! rate, and turns what they draw into immutable layer submissions for the compositor.
//!
//! Data flow: the binary publishes each frame's [`FrameInfo`](visor_types::FrameInfo) template
//! into a [`FrameFeed`]; every [`AppRunner`] thread takes the newest one when its own frame is
//! due, calls the app's `frame`, and writes the recorded
//! [`LayerSubmission`](visor_types::LayerSubmission) into a lock-free triple buffer. The
//! compositor reads the newest complete submission of each app and never waits for one.
//!
//! Isolation: everything a guest can trigger is checked (limits, ids, ranges) and answered with
//! an error value; what cannot be answered that way (traps, memory above its cap, a frame over
//! its CPU budget) stops that app alone, with the reason in its [`AppStatus`].
//!
//! Layout:
//! - `manifest`, `policy`: re-exported from the `visor-manifest` crate (what a module is and
//!   asks for; what the user grants), which holds them as pure data without wasmtime so that the
//!   installer can read them too.
//! - `bus`: topics, subscriptions, request/reply, shared frames.
//! - `modules`: the module host — lifecycle and supervision of wasm and native modules.
//! - `native`: the trait native drivers and libraries implement.
//! - `registry`: installed modules on disk, content-addressed, and the compiled-code cache.
//! - `engine`: the shared wasmtime engine and its epoch ticker (CPU budgets).
//! - `host/`: host implementations of the WIT interfaces (`gfx`, `log`, `clock`), one per file,
//!   and the store's limiter, which records each app's memory in a [`MemoryGauge`].
//! - `app`: [`AppInstance`], one instantiated app driven synchronously.
//! - `runner/`: [`AppRunner`], an app on its own supervised thread, and the [`FrameFeed`] it
//!   reads; one file per idea (the handle, the thread, the frame loop, restarts).
//! - `floor`: the bare-wasmtime floor the wasm bus is benchmarked against.
//! - `error`: [`AppError`].

mod app;
pub mod bus;
mod engine;
mod error;
mod floor;
mod function_cache;
pub mod host;
mod inbox;
pub mod misfit;
pub mod modules;
pub mod native;
pub mod registry;
mod runner;

pub use visor_manifest::{manifest, policy};

pub use app::{AppInstance, AppSpec, Precompiled, StartTimings, bare_instantiate_times};
pub use engine::AppEngine;
pub use error::AppError;
pub use floor::{FloorTimes, bare_hop_times};
pub use host::limiter::MemoryGauge;
pub use host::log::{GUEST_LOG_TARGET, LogLine, LogRing};
pub use inbox::INBOX_CAPACITY;
pub use runner::{AppRunner, AppStatus, Crash, FrameFeed, RestartPolicy, RunContext};
