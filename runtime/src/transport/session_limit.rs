//! At most `[limits] sessions` 2025-era sessions open at once on the HTTP
//! endpoint. An `initialize` past the limit is answered `503 Service
//! Unavailable` with a JSON-RPC error naming the setting; the sessions
//! already open go on, and one that closes (or idles out after
//! `[limits] session_idle`) makes room for the next.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use serde_json::{Value, json};

/// The header of a 2025-era session's id.
const SESSION_HEADER: &str = "mcp-session-id";

/// The sessions rmcp keeps, and how many may be open.
pub(super) struct SessionLimit {
    pub manager: Arc<LocalSessionManager>,
    pub max_sessions: usize,
    pub max_body_bytes: usize,
    /// Held while an `initialize` is checked and served, so that two at
    /// once cannot both take the last place.
    pub opening: tokio::sync::Mutex<()>,
}

/// `mcp` behind the session limit.
pub(super) fn limit(mcp: Router, limit: Arc<SessionLimit>) -> Router {
    mcp.layer(axum::middleware::from_fn_with_state(limit, check))
}

async fn check(State(limit): State<Arc<SessionLimit>>, request: Request, next: Next) -> Response {
    if request.method() != http::Method::POST || request.headers().contains_key(SESSION_HEADER) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit.max_body_bytes).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let initialize = initialize_id(&bytes);
    let request = Request::from_parts(parts, axum::body::Body::from(bytes));
    let Some(id) = initialize else {
        return next.run(request).await;
    };
    let _opening = limit.opening.lock().await;
    if limit.manager.sessions.read().await.len() >= limit.max_sessions {
        tracing::warn!(
            "an initialize was refused: {} sessions are open ([limits] sessions)",
            limit.max_sessions
        );
        return refusal(id, limit.max_sessions);
    }
    next.run(request).await
}

/// The id of an `initialize` request, when `body` is one.
fn initialize_id(body: &[u8]) -> Option<Value> {
    let message: Value = serde_json::from_slice(body).ok()?;
    (message.get("method")? == "initialize")
        .then(|| message.get("id").cloned().unwrap_or(Value::Null))
}

fn refusal(id: Value, max_sessions: usize) -> Response {
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {
            "code": -32000,
            "message": format!(
                "the server already has {max_sessions} sessions open, its limit ([limits] \
                 sessions); try again later"
            ),
        },
    });
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::RETRY_AFTER, "5"),
        ],
        body.to_string(),
    )
        .into_response()
}
