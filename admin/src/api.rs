//! The routes: the page at `/`, the one-time login at `/login`, the JSON API under `/api/`,
//! the token check in front of it, and errors as `{"error": "…"}`.
//!
//! The token never travels in a URL (where logs, history and Referer headers keep it): the
//! address `visor run --admin` prints carries a one-time code instead, which `/login` trades,
//! once, for an HttpOnly, SameSite=Strict cookie holding the token. Scripts send the token as
//! `Authorization: Bearer` (from the token file the shell writes for them).
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/modules` | `{"modules": [ModuleView…]}` |
//! | `POST /api/modules/{name}/{start,stop,restart,remove}` | `{"module", "action"}` once done |
//! | `GET /api/bus` | [`BusSnapshot`](crate::BusSnapshot), with rates per topic |
//! | `GET /api/frame.png` | the newest composited frame |
//! | `GET /api/logs?limit=N` | `{"logs": [LogEntry…]}`, oldest first (default 200, at most 2000) |
//!
//! Backend calls may wait for the shell's next frame, so they run on the blocking pool.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use crate::backend::{AdminBackend, ModuleAction};
use crate::error::BackendError;
use crate::page;
use crate::rates::RateMeter;
use crate::token::Token;

const DEFAULT_LOG_LINES: usize = 200;
const MAX_LOG_LINES: usize = 2000;

#[derive(Clone)]
pub(crate) struct ApiState {
    pub(crate) backend: Arc<dyn AdminBackend>,
    pub(crate) token: Token,
    /// The one-time login code, until it is used.
    login: Arc<Mutex<Option<Token>>>,
    rates: Arc<Mutex<(Instant, RateMeter)>>,
}

/// The cookie `/login` sets.
const COOKIE: &str = "visor_admin";

impl ApiState {
    pub(crate) fn new(backend: Arc<dyn AdminBackend>, token: Token, login: Token) -> ApiState {
        let rates = Arc::new(Mutex::new((Instant::now(), RateMeter::new())));
        ApiState { backend, token, login: Arc::new(Mutex::new(Some(login))), rates }
    }
}

pub(crate) fn router(state: ApiState) -> Router {
    let api = Router::new()
        .route("/modules", get(modules))
        .route("/modules/{name}/{action}", post(act))
        .route("/bus", get(bus))
        .route("/frame.png", get(frame))
        .route("/logs", get(logs))
        .fallback(|| async {
            ApiError::from(BackendError::NotFound("no such API route; see GET /api/modules, /api/bus, /api/frame.png, /api/logs".into()))
        })
        // `layer`, not `route_layer`: unknown API paths need the token too.
        .layer(from_fn_with_state(state.clone(), require_token));
    Router::new()
        .route("/", get(page::index))
        .route("/app.js", get(page::script))
        .route("/style.css", get(page::style))
        .route("/login", get(login))
        .nest("/api", api)
        .with_state(state)
}

/// A failed request: the status says whose fault, the body says what to do.
pub(crate) struct ApiError(StatusCode, String);

impl From<BackendError> for ApiError {
    fn from(error: BackendError) -> ApiError {
        let status = match &error {
            BackendError::UnknownModule(_) | BackendError::NotFound(_) => StatusCode::NOT_FOUND,
            BackendError::BadRequest(_) => StatusCode::BAD_REQUEST,
            BackendError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            BackendError::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError(status, error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.0, Json(json!({ "error": self.1 }))).into_response();
        if self.0 == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

async fn require_token(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    if offered_token(&request).is_some_and(|t| state.token.matches(t)) {
        return next.run(request).await;
    }
    let why = "missing or wrong admin token: open the one-time address `visor run --admin` printed (it sets a cookie), \
               or send 'Authorization: Bearer TOKEN' with the token from the token file it names";
    ApiError(StatusCode::UNAUTHORIZED, why.into()).into_response()
}

/// The token from `Authorization: Bearer …`, else from the login cookie. Never from the query.
fn offered_token(request: &Request) -> Option<&str> {
    let header = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if let Some(token) = header.and_then(|h| h.strip_prefix("Bearer ")) {
        return Some(token.trim());
    }
    let cookies = request.headers().get_all(header::COOKIE).into_iter().filter_map(|v| v.to_str().ok());
    cookies.flat_map(|c| c.split(';')).find_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
}

/// `GET /login?once=CODE`: trades the one-time code, once, for the token cookie, and sends the
/// browser on to the page (with the code gone from its address).
async fn login(State(state): State<ApiState>, Query(query): Query<HashMap<String, String>>) -> Response {
    let offered = query.get("once").map(String::as_str).unwrap_or_default();
    let accepted = {
        let mut login = state.login.lock().unwrap_or_else(|p| p.into_inner());
        let accepted = login.as_ref().is_some_and(|code| code.matches(offered));
        if accepted {
            *login = None;
        }
        accepted
    };
    if !accepted {
        let why = "this login address was used already (or is wrong): each one works once; restart `visor run --admin` \
                   for a new one, or use the token file with 'Authorization: Bearer'";
        return (StatusCode::UNAUTHORIZED, why).into_response();
    }
    let cookie = format!("{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/", state.token.as_str());
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// Runs `call` against the backend on the blocking pool.
async fn blocking<T: Send + 'static>(
    state: &ApiState,
    call: impl FnOnce(&dyn AdminBackend) -> Result<T, BackendError> + Send + 'static,
) -> Result<T, ApiError> {
    let backend = state.backend.clone();
    let joined = tokio::task::spawn_blocking(move || call(&*backend)).await;
    Ok(joined.map_err(|e| BackendError::Failed(format!("the request's task failed: {e}")))??)
}

async fn modules(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let modules = blocking(&state, |b| b.modules()).await?;
    Ok(Json(json!({ "modules": modules })).into_response())
}

async fn act(State(state): State<ApiState>, Path((name, action)): Path<(String, String)>) -> Result<Response, ApiError> {
    let action: ModuleAction = action.parse()?;
    let module = name.clone();
    blocking(&state, move |b| b.act(&module, action)).await?;
    tracing::info!(module = %name, %action, "done at the admin panel's request");
    Ok(Json(json!({ "module": name, "action": action })).into_response())
}

async fn bus(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let mut snapshot = blocking(&state, |b| b.bus()).await?;
    let counts: Vec<(&str, u64)> = snapshot.topics.iter().map(|t| (t.topic.as_str(), t.messages)).collect();
    let rates = {
        let mut guard = state.rates.lock().unwrap_or_else(|p| p.into_inner());
        let (started, meter) = &mut *guard;
        meter.observe(started.elapsed(), &counts)
    };
    for (topic, rate) in snapshot.topics.iter_mut().zip(rates) {
        topic.rate_per_s = rate;
    }
    Ok(Json(snapshot).into_response())
}

async fn frame(State(state): State<ApiState>) -> Result<Response, ApiError> {
    let png = blocking(&state, |b| b.frame_png()).await?;
    let png = png.ok_or_else(|| BackendError::Unavailable("no frame has been composited yet".into()))?;
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "no-store")], png).into_response())
}

async fn logs(State(state): State<ApiState>, Query(query): Query<HashMap<String, String>>) -> Result<Response, ApiError> {
    let limit = match query.get("limit") {
        None => DEFAULT_LOG_LINES,
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| BackendError::BadRequest(format!("limit '{text}' is not a count of lines")))?
            .min(MAX_LOG_LINES),
    };
    let logs = blocking(&state, move |b| b.logs(limit)).await?;
    Ok(Json(json!({ "logs": logs })).into_response())
}
