//! The OAuth callback of user sign-in to other servers
//! ([`CALLBACK_PATH`]): the issuer sends the user's browser back here with
//! `code` and `state`, and [`SignIns`] completes the sign-in. It is outside
//! the `[auth]` guard: a browser coming back from the issuer carries no
//! bearer token, and the single-use `state` is what identifies the sign-in.

use axum::Router;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::remote::{CALLBACK_PATH, CallbackError, SignIns};

/// `app` with the callback route.
pub(super) fn route(app: Router, sign_ins: SignIns) -> Router {
    app.route(
        CALLBACK_PATH,
        get(move |uri: Uri| {
            let sign_ins = sign_ins.clone();
            async move { callback(&sign_ins, &uri).await }
        }),
    )
}

async fn callback(sign_ins: &SignIns, uri: &Uri) -> Response {
    let mut state = None;
    let mut code = None;
    let mut error = None;
    for (name, value) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        let slot = match &*name {
            "state" => &mut state,
            "code" => &mut code,
            "error" => &mut error,
            _ => continue,
        };
        // A parameter given twice is not an answer an issuer sends.
        if slot.replace(value.into_owned()).is_some() {
            return page(StatusCode::BAD_REQUEST, format!("`{name}` is given twice"));
        }
    }
    let Some(state) = state else {
        return page(
            StatusCode::BAD_REQUEST,
            "the answer has no `state`".to_owned(),
        );
    };
    match sign_ins
        .complete(&state, code.as_deref(), error.as_deref())
        .await
    {
        Ok(server) => page(
            StatusCode::OK,
            format!("Signed in to `{server}`. You can close this window."),
        ),
        Err(refused @ CallbackError::UnknownState) => {
            page(StatusCode::BAD_REQUEST, refused.to_string())
        }
        Err(refused) => {
            tracing::info!(%refused, "a sign-in callback failed");
            page(StatusCode::BAD_REQUEST, refused.to_string())
        }
    }
}

/// A plain-text page that no cache keeps and that leaks no referrer (the
/// URL held a code).
fn page(status: StatusCode, text: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        text,
    )
        .into_response()
}
