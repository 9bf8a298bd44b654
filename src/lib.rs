//! The `visor` binary's library: it wires the runtime, the compositor and the drivers together
//! — the only place that knows all three — and holds the CLI's commands.
//!
//! Layout:
//! - `shell`: [`shell::Shell`], one running shell: profile, clock, camera, apps, compositor,
//!   and the per-frame step that joins them.
//! - `headless`: `visor run --headless`, frames to PNG plus a JSON-lines timing log.
//! - `bench`, `bench_modules`: `visor bench [compositor|modules]`, figures as tables.
//! - `module_cmd`: `visor module …` over the local registry, and booting what is installed.
//! - `guests`: builds the guest apps in `apps/` to wasm components.

pub mod bench;
pub mod bench_modules;
pub mod guests;
pub mod headless;
pub mod module_cmd;
pub mod shell;
