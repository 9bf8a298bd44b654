//! [`ShaderError`]: why an app's WGSL was refused, worded for the app's author.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum ShaderError {
    #[error("WGSL does not parse:\n{0}")]
    Parse(String),
    #[error("WGSL does not validate:\n{0}")]
    Invalid(String),
    #[error("the shader has no `@{stage} fn {name}`; app shaders must define `vs_main` and `fs_main`")]
    MissingEntry { stage: &'static str, name: &'static str },
    #[error(
        "the shader declares resource bindings of its own; app shaders may only use the prelude's \
         (visor_eye, visor_draw, visor_texture, visor_sampler)"
    )]
    ExtraBindings,
    #[error("Visor could not prepare this shader (a bug in Visor, not in the shader; please report it): {0}")]
    Internal(String),
}
