//! The pages of user sign-in to other servers, outside the `[auth]` guard
//! (a browser carries no bearer token):
//!
//! * [`START_PATH`]: the URL a user is asked to open. It gives the browser
//!   a binding cookie (`HttpOnly`, `SameSite=Lax`, `Secure` over https)
//!   and sends it to an issuer: this server's own first, when it has
//!   `[auth]`, so that the browser's user is confirmed to be the user who
//!   was asked; else the other server's.
//! * [`CALLBACK_PATH`]: where the issuers send the browser back with `code`
//!   and `state`; only the browser holding the sign-in's cookie is heard.
//!
//! [`SignIns`] keeps the sign-ins and runs each step.

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::remote::{CALLBACK_PATH, CallbackError, Landed, START_PATH, SignIns, UserCheck};

/// The cookie that binds a sign-in to the browser that opened it.
const BINDING_COOKIE: &str = "agentwire_sign_in";

/// `app` with the start page and the callback; `check` confirms the
/// browser's user when this server knows its users.
pub(super) fn routes(app: Router, sign_ins: SignIns, check: Option<UserCheck>) -> Router {
    let pages = (sign_ins, check);
    let start = pages.clone();
    app.route(
        START_PATH,
        get(move |uri: Uri, headers: HeaderMap| {
            let (sign_ins, check) = start.clone();
            async move { open(&sign_ins, check.as_ref(), &uri, &headers).await }
        }),
    )
    .route(
        CALLBACK_PATH,
        get(move |uri: Uri, headers: HeaderMap| {
            let (sign_ins, check) = pages.clone();
            async move { callback(&sign_ins, check.as_ref(), &uri, &headers).await }
        }),
    )
}

async fn open(
    sign_ins: &SignIns,
    check: Option<&UserCheck>,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    let [ticket] = match query(uri, ["sign_in"]) {
        Ok([Some(ticket)]) => [ticket],
        Ok(_) => return refused(&CallbackError::UnknownState),
        Err(twice) => return page(StatusCode::BAD_REQUEST, twice),
    };
    // A browser keeps its cookie across sign-ins, so that two sign-ins
    // under way in it do not undo each other's binding.
    let (browser, fresh) = match binding_cookie(headers) {
        Some(kept) => (kept, false),
        None => match new_binding() {
            Ok(made) => (made, true),
            Err(why) => return page(StatusCode::INTERNAL_SERVER_ERROR, why),
        },
    };
    match sign_ins.open(&ticket, &browser, check).await {
        Ok(opened) => {
            let mut response = redirect(&opened.redirect);
            if fresh {
                let secure = if opened.https { "; Secure" } else { "" };
                let cookie = format!(
                    "{BINDING_COOKIE}={browser}; Path=/oauth; Max-Age=600; HttpOnly; \
                     SameSite=Lax{secure}"
                );
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().insert(header::SET_COOKIE, value);
                }
            }
            response
        }
        Err(error) => refused(&error),
    }
}

async fn callback(
    sign_ins: &SignIns,
    check: Option<&UserCheck>,
    uri: &Uri,
    headers: &HeaderMap,
) -> Response {
    let (state, code, error) = match query(uri, ["state", "code", "error"]) {
        Ok([Some(state), code, error]) => (state, code, error),
        Ok(_) => {
            return page(
                StatusCode::BAD_REQUEST,
                "the answer has no `state`".to_owned(),
            );
        }
        Err(twice) => return page(StatusCode::BAD_REQUEST, twice),
    };
    let browser = binding_cookie(headers);
    match sign_ins
        .complete(
            &state,
            browser.as_deref(),
            (code.as_deref(), error.as_deref()),
            check,
        )
        .await
    {
        Ok(Landed::Continue(url)) => redirect(&url),
        Ok(Landed::SignedIn(server)) => page(
            StatusCode::OK,
            format!("Signed in to `{server}`. You can close this window."),
        ),
        Err(error) => refused(&error),
    }
}

/// The values of the query parameters `names`; a parameter given twice is
/// refused (not an answer an issuer sends).
fn query<const N: usize>(uri: &Uri, names: [&str; N]) -> Result<[Option<String>; N], String> {
    let mut values = [const { None }; N];
    for (name, value) in form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()) {
        let Some(at) = names.iter().position(|n| *n == name) else {
            continue;
        };
        if values[at].replace(value.into_owned()).is_some() {
            return Err(format!("`{name}` is given twice"));
        }
    }
    Ok(values)
}

/// The browser's binding cookie, when it sends one that this server could
/// have made (43 characters of base64url: 32 random bytes).
fn binding_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == BINDING_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| {
            value.len() == 43
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// A new binding cookie's value: 32 random bytes, base64url.
fn new_binding() -> Result<String, String> {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| format!("no random source: {e}"))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// The page of a refusal: `403` when the browser or its user is not the
/// one asked, else `400`.
fn refused(error: &CallbackError) -> Response {
    let status = match error {
        CallbackError::OtherBrowser | CallbackError::OtherUser => StatusCode::FORBIDDEN,
        CallbackError::UnknownState | CallbackError::Refused(_) => StatusCode::BAD_REQUEST,
    };
    if !matches!(error, CallbackError::UnknownState) {
        tracing::info!(refused = %error, "a sign-in page refused a browser");
    }
    page(status, error.to_string())
}

/// Sends the browser on (`303`), leaking no referrer (the URL held a code).
fn redirect(url: &str) -> Response {
    let mut response = page(StatusCode::SEE_OTHER, String::new());
    match HeaderValue::from_str(url) {
        Ok(location) => {
            response.headers_mut().insert(header::LOCATION, location);
            response
        }
        Err(_) => page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the issuer's URL is not a valid header".to_owned(),
        ),
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
