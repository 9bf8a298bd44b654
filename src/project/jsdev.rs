//! `visor dev` for JavaScript without a rebuild per save, as `pydev` does for Python. The
//! project's component is built once around the dev loader (`apps/sdk-js/visor_dev_loader.js`)
//! against the `app-dev` world (the app world and WASI's environment), and each save bundles
//! `app.js` with its relative imports into one script with esbuild (milliseconds), which reaches
//! the loader through the environment: the app restarts in place on the code already compiled.
//!
//! A save takes this path only when nothing baked into the build changed ([`JsSources::digest`]:
//! `visor.js`, `wit/`, `visor.toml`); esbuild's refusal (a syntax error, an import it cannot
//! find) is reported as a failed build, with its file, line and column.

use std::path::Path;

use visor_guest_build::scripted;

/// The dev loader's source, compiled into the binary.
pub const LOADER: &str = include_str!("../../apps/sdk-js/visor_dev_loader.js");

/// The `app-dev` world the loader is built against, beside the project's `wit/`.
pub const DEV_WIT: &[(&str, &str)] = &[
    ("dev.wit", include_str!("../../apps/sdk-js/dev-wit/dev.wit")),
    ("deps/cli/environment.wit", include_str!("../../apps/sdk-js/dev-wit/deps/cli/environment.wit")),
];

/// A JavaScript project's sources as the dev loader takes them.
pub struct JsSources {
    /// The bundle for [`super::SOURCES_VAR`], or esbuild's message.
    pub bundle: Result<String, String>,
    /// A digest of what a build bakes in: `visor.js`, `wit/` and `visor.toml`.
    pub digest: u64,
}

/// Bundles the JavaScript project in `dir`; an error when esbuild is not installed.
pub fn read(dir: &Path) -> anyhow::Result<JsSources> {
    let bundle = scripted::bundle_js(dir)?;
    Ok(JsSources { bundle, digest: super::digest(dir, &["visor.js", "wit", visor_runtime::manifest::MANIFEST_FILE]) })
}
