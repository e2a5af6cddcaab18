//! The answers of a resource server that says no (RFC 6750 §3, MCP
//! authorization): `401` with a `WWW-Authenticate: Bearer` challenge that
//! points at this server's Protected Resource Metadata, `403
//! insufficient_scope` naming the scopes to ask for (step-up), `400` for a
//! request that carries a token the wrong way, `503` when the issuer cannot
//! be reached to check a token.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization: Bearer` header.
    Missing,
    /// The token is malformed, expired, not yet valid, for another
    /// audience or issuer, badly signed, or inactive.
    InvalidToken(String),
    /// The token is valid but lacks these scopes.
    InsufficientScope(Vec<String>),
    /// A token in the URL or body, or several `Authorization` headers.
    InvalidRequest(String),
    /// The issuer's keys or introspection could not be reached.
    IssuerUnavailable(String),
}

impl Refusal {
    /// Why, in words.
    pub(crate) fn reason(&self) -> String {
        match self {
            Refusal::Missing => "no token".to_owned(),
            Refusal::InvalidToken(why)
            | Refusal::InvalidRequest(why)
            | Refusal::IssuerUnavailable(why) => why.clone(),
            Refusal::InsufficientScope(needed) => {
                format!("the token lacks the scope {}", needed.join(" "))
            }
        }
    }

    /// The HTTP answer: status, challenge and a small JSON body.
    pub(crate) fn into_response(self, resource_metadata: &str, scopes: &[String]) -> Response {
        let (status, error, description, scopes) = match self {
            Refusal::Missing => (StatusCode::UNAUTHORIZED, None, None, scopes.to_vec()),
            Refusal::InvalidToken(why) => (
                StatusCode::UNAUTHORIZED,
                Some("invalid_token"),
                Some(why),
                scopes.to_vec(),
            ),
            Refusal::InsufficientScope(needed) => (
                StatusCode::FORBIDDEN,
                Some("insufficient_scope"),
                Some(format!("this request needs the scope {}", needed.join(" "))),
                needed,
            ),
            Refusal::InvalidRequest(why) => (
                StatusCode::BAD_REQUEST,
                Some("invalid_request"),
                Some(why),
                scopes.to_vec(),
            ),
            Refusal::IssuerUnavailable(why) => {
                tracing::warn!("cannot check a token: {why}");
                let body = serde_json::json!({
                    "error": "temporarily_unavailable",
                    "error_description": "the authorization server cannot be reached to check the token",
                });
                return json_response(StatusCode::SERVICE_UNAVAILABLE, &body);
            }
        };
        let mut challenge = format!("Bearer resource_metadata=\"{}\"", quoted(resource_metadata));
        if !scopes.is_empty() {
            challenge.push_str(&format!(", scope=\"{}\"", quoted(&scopes.join(" "))));
        }
        if let Some(error) = error {
            challenge.push_str(&format!(", error=\"{error}\""));
        }
        if let Some(description) = &description {
            challenge.push_str(&format!(", error_description=\"{}\"", quoted(description)));
        }
        let body = serde_json::json!({
            "error": error.unwrap_or("unauthorized"),
            "error_description": description.as_deref().unwrap_or("this server needs an access token"),
        });
        let mut response = json_response(status, &body);
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// Text fit for a quoted-string: no `"`, `\` or control characters.
fn quoted(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '"' || c == '\\' || c.is_control() {
                '\''
            } else {
                c
            }
        })
        .collect()
}

/// A JSON answer with `status`.
pub(crate) fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let headers = [
        (header::CONTENT_TYPE, "application/json"),
        (header::CACHE_CONTROL, "no-store"),
    ];
    (status, headers, body.to_string()).into_response()
}
