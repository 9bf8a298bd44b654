//! The app-shader contract, checked by naga before any GPU sees an app's WGSL.
//!
//! An app shader is the app's WGSL plus the Visor prelude (`shaders/app/prelude.wgsl`), which
//! declares the bindings and the vertex interface the compositor provides. The app's source
//! goes first: WGSL declarations are order-independent, so this keeps naga's line numbers
//! equal to the app's own.
//!
//! Data in: WGSL text — an app's shader body from the runtime's gfx host, or the built-in
//! pipelines and the `shaders/` folder from the compositor and the tests. Data out: a checked
//! [`AppShader`](visor_types::shader::AppShader) (plain data in `visor-types`, which layers
//! carry to the compositor without naga) or a [`ShaderError`] naming what to fix.
//!
//! This crate is the only one that parses WGSL on the CPU: the runtime (which validates what
//! apps send) and the compositor (which compiles the built-ins with the prelude) both use it,
//! and `visor-types` stays free of naga.
//!
//! Layout:
//! - this file: the contract — [`PRELUDE`], [`BUILTIN`], the entry-point names (the built-ins'
//!   from [`builtin_fragment_entry`]), [`with_prelude`].
//! - `validate`: [`validate_wgsl`] and [`validate_app_shader`], naga's parse and validation.
//! - `bound`: [`bound_loops`], the rewrite that caps every loop of an app shader at
//!   [`LOOP_BUDGET`] iterations per invocation, so no shader can hang the GPU.
//! - `error`: [`ShaderError`].
//! - `reflect`: naga's reflection of struct layouts and constants, for tests that tie
//!   `shaders/` to the Rust structs and constants that mirror them.

mod bound;
mod error;
pub mod reflect;
mod validate;

pub use bound::{LOOP_BUDGET, bound_loops};
pub use error::ShaderError;
pub use validate::{validate_app_shader, validate_wgsl};

use visor_types::layer::BuiltinPipeline;

/// Bindings, vertex interface and helpers shared by every app pipeline.
pub const PRELUDE: &str = include_str!("../../shaders/app/prelude.wgsl");
/// The built-in unlit, lit and textured pipelines (compiled with the prelude).
pub const BUILTIN: &str = include_str!("../../shaders/app/builtin.wgsl");

/// The vertex entry point every app pipeline defines.
pub const VERTEX_ENTRY: &str = "vs_main";
/// The fragment entry point every app pipeline defines.
pub const FRAGMENT_ENTRY: &str = "fs_main";

/// The fragment entry point in [`BUILTIN`] of each built-in pipeline (all share
/// [`VERTEX_ENTRY`]).
pub fn builtin_fragment_entry(which: BuiltinPipeline) -> &'static str {
    match which {
        BuiltinPipeline::Unlit => "fs_unlit",
        BuiltinPipeline::Lit => "fs_lit",
        BuiltinPipeline::Textured => "fs_textured",
    }
}

/// Joins a shader body with the prelude.
pub fn with_prelude(body: &str) -> String {
    format!("{body}\n{PRELUDE}")
}
