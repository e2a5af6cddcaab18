//! At most `[limits] sessions` 2025-era sessions open at once on the HTTP
//! endpoint. An `initialize` past the limit is answered `503 Service
//! Unavailable` with a JSON-RPC error naming the setting; the sessions
//! already open go on, and one that closes (or idles out) makes room for
//! the next.
//!
//! At most `[limits] listen_streams` 2026-era `subscriptions/listen`
//! streams are open at once: one past it is refused the same way (it is
//! counted here, where the request is read, because rmcp acknowledges a
//! stream before the server's handler sees it).
//!
//! A session is idle when no request of it is in flight and none came for
//! `[limits] session_idle`; idle sessions are closed here rather than by
//! rmcp's keep-alive, which counts only messages and so closed a session
//! whose one call ran longer than that without a word.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use http::{StatusCode, header};
use rmcp::transport::common::server_side_http::SessionId;
use rmcp::transport::streamable_http_server::session::SessionManager;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

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
    /// How long a session with nothing in flight is kept.
    pub idle: Duration,
    /// What each open session was last seen doing.
    pub seen: Mutex<HashMap<SessionId, Seen>>,
    /// The places of 2026-era `subscriptions/listen` streams.
    pub listen_streams: Arc<tokio::sync::Semaphore>,
}

/// When a session was last heard from, and its requests still in flight.
#[derive(Debug, Clone, Copy)]
pub(super) struct Seen {
    last: Instant,
    in_flight: usize,
}

impl SessionLimit {
    fn seen(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, Seen>> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A request of a session in flight: the session is not idle until its
/// answer is sent (or the client goes away).
struct InFlight {
    limit: Arc<SessionLimit>,
    session: SessionId,
}

impl InFlight {
    /// Counts a POST of `session`, when it is open (ids nobody opened are
    /// not remembered).
    async fn start(limit: &Arc<SessionLimit>, session: &str) -> Option<Self> {
        let session = {
            let open = limit.manager.sessions.read().await;
            open.get_key_value(session)?.0.clone()
        };
        let now = Instant::now();
        let mut seen = limit.seen();
        let entry = seen.entry(session.clone()).or_insert(Seen {
            last: now,
            in_flight: 0,
        });
        entry.last = now;
        entry.in_flight += 1;
        Some(InFlight {
            limit: limit.clone(),
            session,
        })
    }
}

/// Keeps `held` (a count, a place) until `response`'s body is sent or
/// dropped: a streamed answer is in flight until its last byte.
fn hold_until_sent<T: Send + 'static>(response: Response, held: T) -> Response {
    response.map(|body| {
        let chunks = body.into_data_stream().map(move |chunk| {
            let _held = &held;
            chunk
        });
        axum::body::Body::from_stream(chunks)
    })
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(seen) = self.limit.seen().get_mut(&self.session) {
            seen.last = Instant::now();
            seen.in_flight = seen.in_flight.saturating_sub(1);
        }
    }
}

/// Closes the sessions that have been idle for `limit.idle`, until `stop`.
pub(super) async fn close_idle(limit: Arc<SessionLimit>, stop: CancellationToken) {
    let every = (limit.idle / 8).clamp(Duration::from_millis(10), Duration::from_secs(5));
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        let open: HashSet<SessionId> = limit
            .manager
            .sessions
            .read()
            .await
            .keys()
            .cloned()
            .collect();
        let idle: Vec<SessionId> = {
            let now = Instant::now();
            let mut seen = limit.seen();
            seen.retain(|id, _| open.contains(id));
            open.into_iter()
                .filter(|id| {
                    let seen = seen.entry(id.clone()).or_insert(Seen {
                        last: now,
                        in_flight: 0,
                    });
                    seen.in_flight == 0 && now.duration_since(seen.last) >= limit.idle
                })
                .collect()
        };
        for id in idle {
            limit.seen().remove(&id);
            if let Err(error) = limit.manager.close_session(&id).await {
                tracing::debug!(%error, "an idle session was already closing");
            }
        }
    }
}

/// `mcp` behind the session limit.
pub(super) fn limit(mcp: Router, limit: Arc<SessionLimit>) -> Router {
    mcp.layer(axum::middleware::from_fn_with_state(limit, check))
}

async fn check(State(limit): State<Arc<SessionLimit>>, request: Request, next: Next) -> Response {
    let session = request
        .headers()
        .get(SESSION_HEADER)
        .and_then(|id| id.to_str().ok());
    if let Some(session) = session {
        // A POST carries a request (or answers); a GET is the stream of
        // notifications, which says nothing of the client being there.
        if request.method() == http::Method::POST
            && let Some(in_flight) = InFlight::start(&limit, session).await
        {
            return hold_until_sent(next.run(request).await, in_flight);
        }
        return next.run(request).await;
    }
    if request.method() != http::Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit.max_body_bytes).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let message = request_of(&bytes);
    let request = Request::from_parts(parts, axum::body::Body::from(bytes));
    match message {
        Some((method, id)) if method == "initialize" => {
            let _opening = limit.opening.lock().await;
            let open = limit.manager.sessions.read().await.len();
            if open >= limit.max_sessions {
                tracing::warn!(
                    "an initialize was refused: {} sessions are open ([limits] sessions)",
                    limit.max_sessions
                );
                return refusal(
                    id,
                    format!(
                        "the server already has {} sessions open, its limit ([limits] \
                         sessions); try again later",
                        limit.max_sessions
                    ),
                );
            }
            next.run(request).await
        }
        Some((method, id)) if method == LISTEN => {
            let Ok(place) = limit.listen_streams.clone().try_acquire_owned() else {
                tracing::warn!("a subscriptions/listen was refused ([limits] listen_streams)");
                return refusal(
                    id,
                    "the server already has as many subscription streams open as its limit \
                     ([limits] listen_streams); try again later"
                        .to_owned(),
                );
            };
            hold_until_sent(next.run(request).await, place)
        }
        _ => next.run(request).await,
    }
}

/// The 2026-era request that holds a stream of notifications open.
const LISTEN: &str = "subscriptions/listen";

/// The method and id of the JSON-RPC request `body`, when it is one.
fn request_of(body: &[u8]) -> Option<(String, Value)> {
    let message: Value = serde_json::from_slice(body).ok()?;
    let method = message.get("method")?.as_str()?.to_owned();
    Some((method, message.get("id").cloned().unwrap_or(Value::Null)))
}

fn refusal(id: Value, message: String) -> Response {
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": {"code": -32000, "message": message},
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
