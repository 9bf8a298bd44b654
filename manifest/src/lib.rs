//! What a Visor module is and what it may do, as pure data: the manifest a module ships, the
//! user's policy that grants part of what it asks, the topic patterns both are written in, and
//! the audit an installer records. No wasmtime, no threads, no network: the runtime (which runs
//! modules) and the installer (`visor-oci`, which fetches and checks them) both read these
//! types, and neither has to depend on the other to do so.
//!
//! Data in: TOML text (`visor.toml`, the policy file) and topic strings. Data out: checked
//! values — [`Manifest`], [`Policy`] and its [`Grant`] for one manifest, [`TopicPattern`] —
//! or errors that list every problem with its fix. Writing a grant back produces TOML text.
//!
//! Layout:
//! - `manifest`: [`Manifest`] and its parts, and the checking parser (`parse.rs`).
//! - `policy`: [`Policy`], [`Grant`]; `policy/install.rs` the `[install]` rules,
//!   `policy/write.rs` writing a module's grants back into the file.
//! - `topic`: [`Topic`] and [`TopicPattern`], parsing, matching and covering.
//! - `audit`: [`Audit`], who vouched for an installed module.
//! - `limits`: bounds shared with the runtime, such as [`limits::MAX_MEMORY_BYTES`].

pub mod audit;
pub mod limits;
pub mod manifest;
pub mod policy;
pub mod topic;

pub use audit::Audit;
pub use manifest::{Manifest, ManifestError};
pub use policy::{Grant, Policy, PolicyError};
pub use topic::{Topic, TopicError, TopicPattern};
