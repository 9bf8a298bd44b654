//! The `visor` binary's library: it wires the runtime, the compositor and the drivers together
//! — the only place that knows all three — and holds the CLI's commands.
//!
//! Layout:
//! - `shell`: [`shell::Shell`], one running shell: profile, clock, modules, compositor,
//!   and the per-frame step that joins them.
//! - `headless`: `visor run --headless`, frames to PNG plus a JSON-lines timing log.
//! - `builtin`: the native modules built into the shell (the camera driver, the vision library).
//! - `bench`, `bench_modules`, `bench_vision`: `visor bench [compositor|modules|vision]`,
//!   figures as tables.
//! - `module_cmd`: `visor module …` over the local registry, and booting what is installed.
//! - `keys_cmd`: `visor keys …`, signing keys and trusted publishers.
//! - `login_cmd`: `visor registry …`, logins for registries that need them.
//! - `bench_install`: `visor bench install`, installing from a registry on loopback.
//! - `record`: `visor record`, a camera session from a profile's camera.
//! - `guests`: builds the guest apps in `apps/` to wasm components.
//! - `admin_backend`: the running shell as the admin panel (`visor run --admin`) sees it.

pub mod admin_backend;
pub mod bench;
pub mod bench_install;
pub mod builtin;
pub mod bench_modules;
pub mod bench_motion;
pub mod bench_vision;
pub mod guests;
pub mod headless;
pub mod keys_cmd;
pub mod login_cmd;
pub mod module_cmd;
pub mod record;
pub mod shell;
