//! Visor's admin panel: an HTTP server on loopback with a JSON API under `/api/` and one web
//! page that shows the running shell — its modules, the bus, the composited frame and the log.
//!
//! The crate knows nothing of wasmtime or wgpu. The shell hands it an [`AdminBackend`] (four
//! small capability traits: [`ModuleControl`], [`BusMonitor`], [`FramePreview`], [`LogSource`])
//! and the server calls it from a blocking pool on its own thread, so a slow answer never holds
//! up the server's event loop, and the server never touches the shell's frame loop directly.
//!
//! Data flow: a request enters [`api`], passes the token check ([`token`]), is answered from
//! the backend off the async workers, and leaves as JSON (or PNG for the frame). Errors leave
//! as `{"error": "…"}` with a status code that says whose fault it was.
//!
//! Security: the server binds where it is told (127.0.0.1 by default, chosen by the binary)
//! and every `/api/` request needs the random token printed at start, as
//! `Authorization: Bearer TOKEN` (or `?token=TOKEN` for scripts). The page itself holds no
//! data, so it is served without the token and reads it from its own URL.
//!
//! Layout:
//! - `backend`: the capability traits and the JSON views they return.
//! - `server`: [`AdminServer`], the server's thread, runtime and shutdown.
//! - `api`: the routes, the token check and error responses.
//! - `rates`: messages per second per topic, from successive cumulative counts.
//! - `token`: the random token and its constant-time check.
//! - `page`: the static page (`web/`), compiled in.
//! - `error`: [`AdminError`] (starting the server) and [`BackendError`] (answering a request).

mod api;
mod backend;
mod error;
mod page;
mod rates;
mod server;
mod token;

pub use backend::{
    AdminBackend, BusMonitor, BusSnapshot, FramePreview, LogEntry, LogSource, ModuleAction, ModuleControl, ModuleState, ModuleView,
    PeerView, SubscriptionView, TopicView,
};
pub use error::{AdminError, BackendError};
pub use rates::RateMeter;
pub use server::{AdminConfig, AdminServer, DEFAULT_ADDR};
pub use token::Token;
