//! The panel's one page: plain HTML, CSS and JS from `web/`, compiled into the binary so
//! nothing is built or installed beside it. The page carries no data (it fetches everything
//! from `/api/` with the login cookie), so it is served without the token.

use axum::http::header;
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("../web/index.html");
const SCRIPT: &str = include_str!("../web/app.js");
const STYLE: &str = include_str!("../web/style.css");

/// Headers every static file gets: no inline script, nothing fetched from elsewhere, and no
/// Referer (nothing to leak from the address, which holds no secret, but none is needed).
fn with_headers(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CONTENT_SECURITY_POLICY, "default-src 'self'; img-src 'self' blob:; frame-ancestors 'none'"),
        ],
        body,
    )
        .into_response()
}

pub(crate) async fn index() -> Response {
    with_headers("text/html; charset=utf-8", INDEX)
}

pub(crate) async fn script() -> Response {
    with_headers("text/javascript; charset=utf-8", SCRIPT)
}

pub(crate) async fn style() -> Response {
    with_headers("text/css; charset=utf-8", STYLE)
}
