//! Why an app could not be loaded or was stopped.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error, Clone)]
pub enum AppError {
    #[error("app '{app}': cannot read {path}: {message}")]
    Read { app: String, path: PathBuf, message: String },
    #[error(
        "app '{app}': {path} is not a WebAssembly component for the Visor app world: {message}\n\
         (build apps with `visor apps build`, or target wasm32-wasip2 with the visor-sdk crate)"
    )]
    Compile { app: String, path: PathBuf, message: String },
    #[error("app '{app}' cannot be instantiated: {message}")]
    Instantiate { app: String, message: String },
    #[error("app '{app}' failed to start: {message}")]
    Init { app: String, message: String },
    #[error("app '{app}' reported an error from frame {frame}: {message}")]
    Frame { app: String, frame: u64, message: String },
    #[error("app '{app}' trapped in {during}: {message}")]
    Trap { app: String, during: String, message: String },
}
