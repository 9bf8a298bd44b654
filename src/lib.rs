//! The `visor` binary's library: it wires the runtime, the compositor and the drivers together
//! — the only place that knows all three — and holds the CLI's commands.
//!
//! Layout:
//! - `data`: [`data::DataDir`], the profiles, built-in manifests, assets and sample apps that
//!   travel inside the binary, unpacked into the user's data folder.
//! - `run`: `visor run`, the one run path (start-up, shutdown) over a display: the simulator
//!   window (`run::window`), PNGs, or none (`run::headless`).
//! - `shell`: [`shell::Shell`], one running shell: profile, clock, modules, compositor,
//!   and the per-frame step that joins them.
//! - `builtin`: the native modules built into the shell (the camera, pose and glasses drivers,
//!   the vision library).
//! - `bench`: `visor bench SUITE`, figures as tables.
//! - `soak`: `visor soak --minutes N`, the whole shell under load, watched for leaks and slowdowns.
//! - `module_cmd`: `visor module …` over the local registry, and booting what is installed.
//! - `keys_cmd`: `visor keys …`, signing keys and trusted publishers.
//! - `login_cmd`: `visor registry …`, logins for registries that need them.
//! - `record`: `visor record`, a camera session from a profile's camera.
//! - `devices_cmd`: `visor devices`, the glasses and cameras plugged in; recording glasses' IMU.
//! - `net_cmd`: the shell on a network (`visor run --connect/--listen`, `visor serve`,
//!   `visor peers`) through `visor-net`'s bridge; `offload`: vision on another device, local
//!   vision while it is away.
//! - `progress`: what long work is doing: a spinner on a terminal, log lines elsewhere.
//! - `admin_backend`: the running shell as the admin panel (`visor run --admin`) sees it.

pub mod admin_backend;
pub mod bench;
pub mod builtin;
pub mod data;
pub mod depth_cmd;
pub mod devices_cmd;
pub mod keys_cmd;
pub mod login_cmd;
pub mod module_cmd;
pub mod net_cmd;
pub mod offload;
pub mod progress;
pub mod project;
pub mod record;
pub mod run;
pub mod shell;
pub mod soak;
