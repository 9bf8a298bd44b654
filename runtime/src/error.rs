//! Why an app could not be loaded or was stopped.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error, Clone)]
pub enum AppError {
    #[error("app '{app}': cannot read {path}: {message}")]
    Read { app: String, path: PathBuf, message: String },
    #[error(
        "app '{app}': {path} is not a WebAssembly component for the Visor app world: {message}\n\
         (make one with `visor new NAME --lang rust|python|js` and `visor build`)"
    )]
    Compile { app: String, path: PathBuf, message: String },
    #[error("app '{app}' does not fit Visor's app world, so it is not started (nor retried): {message}")]
    Misfit { app: String, message: String },
    #[error("app '{app}' cannot be instantiated: {message}")]
    Instantiate { app: String, message: String },
    #[error("app '{app}' failed to start: {message}")]
    Init { app: String, message: String },
    #[error("app '{app}' reported an error from frame {frame}: {message}")]
    Frame { app: String, frame: u64, message: String },
    #[error("app '{app}' trapped in {during}: {message}")]
    Trap { app: String, during: String, message: String },
}

impl AppError {
    /// Whether starting again cannot help: the component is not one Visor can run (it does not
    /// compile, or does not fit the app world). The runner reports it once instead of retrying.
    pub fn is_permanent(&self) -> bool {
        matches!(self, AppError::Compile { .. } | AppError::Misfit { .. })
    }
}
