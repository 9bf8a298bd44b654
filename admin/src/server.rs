//! [`AdminServer`]: the admin panel's HTTP server on a thread of its own, with a
//! single-threaded tokio runtime (the panel serves one person, not a crowd) and a small
//! blocking pool for backend calls. The address is bound before [`AdminServer::start`]
//! returns, so a taken port is an error at once and port 0 gives the port actually used.
//! Dropping the server stops it: open connections finish their request and close.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::api::{ApiState, router};
use crate::backend::AdminBackend;
use crate::error::AdminError;
use crate::token::Token;

/// Where `--admin` listens when given no address: loopback only.
pub const DEFAULT_ADDR: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 7878));

/// Threads that may wait on the backend at once; more requests queue.
const BLOCKING_THREADS: usize = 4;
/// How long a stopping server waits for backend calls still running.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

#[derive(Clone, Debug)]
pub struct AdminConfig {
    pub addr: SocketAddr,
    /// `None` makes a random one.
    pub token: Option<Token>,
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig { addr: DEFAULT_ADDR, token: None }
    }
}

#[derive(Debug)]
pub struct AdminServer {
    addr: SocketAddr,
    token: Token,
    /// The one-time login code in [`AdminServer::url`].
    login: Token,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl AdminServer {
    /// Binds `config.addr` and serves the panel from a new thread until dropped.
    pub fn start(config: AdminConfig, backend: Arc<dyn AdminBackend>) -> Result<AdminServer, AdminError> {
        let token = match config.token {
            Some(token) => token,
            None => Token::random()?,
        };
        let bind = |e| AdminError::Bind { addr: config.addr, source: e };
        let listener = TcpListener::bind(config.addr).map_err(bind)?;
        listener.set_nonblocking(true).map_err(bind)?;
        let addr = listener.local_addr().map_err(bind)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .max_blocking_threads(BLOCKING_THREADS)
            .thread_name("visor-admin-call")
            .build()
            .map_err(AdminError::Runtime)?;
        let login = Token::random()?;
        let app = router(ApiState::new(backend, token.clone(), login.clone()));
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("visor-admin".into())
            .spawn(move || {
                let served = runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    axum::serve(listener, app)
                        .with_graceful_shutdown(async move {
                            let _ = stopped.await;
                        })
                        .await
                });
                if let Err(e) = served {
                    tracing::error!(%addr, "the admin server stopped: {e}");
                }
                runtime.shutdown_timeout(SHUTDOWN_GRACE);
            })
            .map_err(AdminError::Runtime)?;
        Ok(AdminServer { addr, token, login, stop: Some(stop), thread: Some(thread) })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn token(&self) -> &Token {
        &self.token
    }

    /// The address to open in a browser: a one-time login (the first visit trades its code
    /// for a cookie holding the token; the token itself is never in a URL).
    pub fn url(&self) -> String {
        format!("http://{}/login?once={}", self.addr, self.login.as_str())
    }

    /// The one-time login code (to keep it out of logs a module might read).
    pub fn login_code(&self) -> &Token {
        &self.login
    }
}

impl Drop for AdminServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
