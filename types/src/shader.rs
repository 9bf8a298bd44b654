//! An app's shader as layers carry it: plain data, checked before it gets here.
//!
//! The contract (the WGSL prelude, the entry points) and naga's validation live in the
//! `visor-shader` crate, whose `validate_app_shader` is how an [`AppShader`] is made; this
//! crate only holds the result, so that every crate that passes layers around stays free of
//! naga.

use crate::layer::ContentId;

/// A validated app shader, ready for the compositor.
#[derive(Debug)]
pub struct AppShader {
    pub id: ContentId,
    /// The complete module source: the app's WGSL followed by the prelude.
    pub source: String,
}
