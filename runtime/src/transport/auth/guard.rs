//! The axum middleware that puts the resource server in front of rmcp's
//! service, and the routes of the metadata beside it.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderMap, StatusCode, header};

use super::metadata;
use super::needs::scopes_needed;
use super::refusal::json_response;
use super::sessions::SessionOwners;
use super::{Refusal, ResourceServer};
use crate::agent::AccessToken;
use crate::server::AgentServer;

/// What the middleware needs: the checks, and the registry that says which
/// scopes each tool, prompt and resource needs.
struct Guard {
    resource: Arc<ResourceServer>,
    registry: AgentServer,
    max_body_bytes: usize,
    sessions: SessionOwners,
}

/// `mcp` (the MCP endpoint's router) behind the resource server, with the
/// Protected Resource Metadata routes beside it.
pub(crate) fn protect(
    mcp: Router,
    resource: Arc<ResourceServer>,
    server: &AgentServer,
    endpoint_path: &str,
    max_body_bytes: usize,
) -> Router {
    let guard = Arc::new(Guard {
        resource: resource.clone(),
        registry: server.clone(),
        max_body_bytes,
        sessions: SessionOwners::default(),
    });
    let mut scopes = resource.scopes.clone();
    for scope in server.registry().scopes() {
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    let document = metadata::document(
        resource.resource(),
        resource.issuer.id(),
        &scopes,
        &server.identity().name,
    );
    let mut app = mcp.layer(axum::middleware::from_fn_with_state(guard, check));
    for path in metadata::paths(resource.resource(), endpoint_path) {
        let document = document.clone();
        app = app.route(
            &path,
            get(move || std::future::ready(json_response(StatusCode::OK, &document))),
        );
    }
    app
}

/// Lets a request through with its principal, or answers the refusal.
async fn check(State(guard): State<Arc<Guard>>, mut request: Request, next: Next) -> Response {
    let resource = &guard.resource;
    let refuse =
        |refusal: Refusal| refusal.into_response(resource.metadata_url(), &resource.scopes);
    if has_token_in_query(request.uri()) {
        return refuse(Refusal::InvalidRequest(
            "access tokens go in the Authorization header, never in the URL".into(),
        ));
    }
    let token = match bearer_token(request.headers()) {
        Ok(token) => token,
        Err(refusal) => return refuse(refusal),
    };
    let mut principal = match resource.authenticate(&token).await {
        Ok(principal) => principal,
        Err(refusal) => return refuse(refusal),
    };
    // Kept for RFC 8693 token exchange downstream, never sent on as it is.
    principal.access_token = Some(AccessToken::new(&token));
    // A POST carries a JSON-RPC message: its tool, prompt or resource may
    // need more scopes than the server's own (step-up, 403).
    if request.method() == http::Method::POST {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = axum::body::to_bytes(body, guard.max_body_bytes).await else {
            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
        };
        if let Ok(message) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            let needed = scopes_needed(guard.registry.registry(), &message);
            if !principal.missing(&needed).is_empty() {
                // The scopes to ask for: everything this request needs, so
                // the new token still covers what the old one did.
                let mut all: Vec<String> = resource.scopes.clone();
                for scope in needed {
                    if !all.iter().any(|s| s == scope) {
                        all.push(scope.to_owned());
                    }
                }
                return refuse(Refusal::InsufficientScope(all));
            }
        }
        request = Request::from_parts(parts, axum::body::Body::from(bytes));
    }
    let session = request
        .headers()
        .get(SESSION_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    if let Some(session) = &session
        && !guard.sessions.allows(session, &principal.subject)
    {
        // Someone else's session, or one forgotten: as good as unknown.
        return StatusCode::NOT_FOUND.into_response();
    }
    let subject = principal.subject.clone();
    let closing = request.method() == http::Method::DELETE;
    request.extensions_mut().insert(principal);
    let response = next.run(request).await.into_response();
    match (&session, response.headers().get(SESSION_HEADER)) {
        (None, Some(opened)) => {
            if let Ok(opened) = opened.to_str() {
                guard.sessions.opened(opened, &subject);
            }
        }
        (Some(session), _) if closing && response.status().is_success() => {
            guard.sessions.closed(session);
        }
        _ => {}
    }
    response
}

/// The header of a 2025-era session's id.
const SESSION_HEADER: &str = "mcp-session-id";

/// The token of the one `Authorization: Bearer` header.
fn bearer_token(headers: &HeaderMap) -> Result<String, Refusal> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(Refusal::Missing);
    };
    if values.next().is_some() {
        return Err(Refusal::InvalidRequest(
            "more than one Authorization header".into(),
        ));
    }
    let value = value
        .to_str()
        .map_err(|_| Refusal::InvalidToken("the Authorization header is not text".into()))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Refusal::Missing);
    }
    let token = token.trim();
    let token68 = |c: char| c.is_ascii_alphanumeric() || "-._~+/=".contains(c);
    if token.is_empty() || !token.chars().all(token68) {
        return Err(Refusal::InvalidToken(
            "the bearer token is malformed".into(),
        ));
    }
    Ok(token.to_owned())
}

/// Whether the query string carries `access_token` (RFC 6750 §2.3, which
/// OAuth 2.1 and MCP forbid).
fn has_token_in_query(uri: &http::Uri) -> bool {
    uri.query().is_some_and(|query| {
        query
            .split('&')
            .any(|pair| pair.split('=').next() == Some("access_token"))
    })
}
