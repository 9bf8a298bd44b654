//! The crate's errors: [`AdminError`] when the server cannot start, [`BackendError`] when one
//! request cannot be answered (each variant maps to one HTTP status in `api`).

use std::net::SocketAddr;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum AdminError {
    #[error("cannot listen on {addr} for the admin panel: {source}; pick another address with --admin ADDR")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot start the admin server's runtime: {0}")]
    Runtime(std::io::Error),
    #[error("cannot make the admin token: the OS gave no random bytes ({0})")]
    Random(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BackendError {
    /// 404.
    #[error("no module named '{0}' is loaded")]
    UnknownModule(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 400.
    #[error("{0}")]
    BadRequest(String),
    /// 503: the shell did not answer in time, or has stopped.
    #[error("the shell is unavailable: {0}")]
    Unavailable(String),
    /// 500.
    #[error("{0}")]
    Failed(String),
}
