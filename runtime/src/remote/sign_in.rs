//! User-delegated sign-in to another server: the user is sent to that
//! server's issuer (authorization code with PKCE S256), comes back to this
//! server's callback, and the token obtained there is kept for that user
//! (sealed in the [`TokenVault`]) and refreshed when it expires.
//!
//! The URL the user is asked to open is this server's start page
//! ([`START_PATH`]), not the issuer's: it binds the sign-in to the browser
//! that opened it (a cookie, checked again at the callback) and, when this
//! server knows its users ([`UserCheck`]), first has that browser sign in
//! to this server's own issuer and refuses it unless it is the user who
//! was asked. Only then is the browser sent on to the other server's
//! issuer. So a sign-in link forwarded to someone else (phishing), or an
//! issuer's answer replayed in another browser (login CSRF), cannot bind
//! one user's account to another user.
//!
//! Each sign-in is named by a random ticket: single use, ten minutes, in
//! the start page's URL and as the `state` sent to the issuers. It holds
//! which user, which server, the browser, and the PKCE verifier of the
//! step under way. The token is only ever used for that user's calls.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use super::auth::{
    OAuthClient, UserSignIn, endpoints_of, issuer_client, renew_after, secret_from, token_request,
};
use super::vault::{StoredToken, TokenVault};

/// The path of the callback the issuer sends users back to, on this
/// server's HTTP transport.
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// The path of the page a sign-in's URL points at (beside the callback):
/// it binds the browser and sends it on to the issuer.
pub const START_PATH: &str = "/oauth/start";

/// How long a user has to come back from the issuer.
const PENDING_TTL: Duration = Duration::from_secs(10 * 60);
/// At most this many sign-ins wait for their callback at once.
const MAX_PENDING: usize = 10_000;

/// The user sign-ins of a process: the servers that use them, the sign-ins
/// under way, and the vault of tokens. Cloning shares them.
#[derive(Clone)]
pub struct SignIns {
    inner: Arc<Inner>,
}

struct Inner {
    /// The servers signed in to by users: their section and their url.
    servers: BTreeMap<String, (UserSignIn, String)>,
    vault: TokenVault,
    pending: Mutex<HashMap<String, Pending>>,
    /// Woken whenever a sign-in completes or fails.
    completed: Notify,
    /// How the last sign-in of each (user, server) ended, kept ten minutes.
    ended: Mutex<HashMap<(String, String), Ended>>,
    /// Each issuer's endpoints, discovered once.
    endpoints: tokio::sync::Mutex<HashMap<String, (Option<String>, String)>>,
}

impl std::fmt::Debug for SignIns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIns")
            .field("servers", &self.inner.servers.keys().collect::<Vec<_>>())
            .field("vault", &self.inner.vault)
            .finish_non_exhaustive()
    }
}

/// How a sign-in ended: the URL its user was asked to open, so that a
/// replayed 2026 request passes over that question (the questions after it
/// keep their numbers); and why it failed, if it did, so that the call
/// waiting for it fails at once instead of at its patience.
struct Ended {
    url: String,
    failure: Option<String>,
    until: Instant,
}

#[derive(Clone)]
struct Pending {
    subject: String,
    server: String,
    /// The PKCE verifier of the step under way.
    verifier: String,
    /// SHA-256 of the binding cookie of the browser that opened the start
    /// page; only that browser may go on.
    browser: Option<[u8; 32]>,
    step: Step,
    /// The start page's URL the user was asked to open (asked again,
    /// unchanged, when a 2026 request is replayed before they came back).
    url: String,
    until: Instant,
}

/// Where a pending sign-in is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The user was asked; no browser opened the start page yet.
    Asked,
    /// The browser was sent to this server's own issuer, to say who it is.
    ConfirmingUser,
    /// The browser was sent to the other server's issuer.
    Authorizing,
    /// An issuer's answer is being exchanged: the sign-in stays listed (a
    /// replayed 2026 request finds it and asks the same question) but takes
    /// no other answer.
    Exchanging,
}

/// How this server confirms that the browser opening a sign-in belongs to
/// the user who was asked: it signs in to this server's own issuer as this
/// server's browser client (`[auth.browser]`), and the `sub` of the access
/// token obtained (checked as any bearer token of this server) must be the
/// asking principal's.
#[derive(Clone)]
pub struct UserCheck {
    /// This server's issuer (`[auth] issuer`).
    pub issuer: String,
    /// This server's client at that issuer, for browsers.
    pub client_id: String,
    /// The environment variable holding that client's secret.
    pub client_secret_env: Option<String>,
    /// The scopes asked for, space-separated (this server's own).
    pub scope: Option<String>,
    /// This server's canonical URI: the audience of the token asked for.
    pub resource: String,
    /// The subject of an access token for this server, or why it is not one.
    pub subject_of: SubjectOf,
}

/// Reads the subject of an access token (as `[auth]` checks it).
pub type SubjectOf = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<String, String>> + Send>> + Send + Sync,
>;

impl UserCheck {
    /// The sign-in to this server's issuer, coming back to `redirect_uri`.
    fn client(&self, redirect_uri: &str) -> UserSignIn {
        UserSignIn {
            client: OAuthClient {
                issuer: Some(self.issuer.clone()),
                token_endpoint: None,
                client_id: self.client_id.clone(),
                client_secret_env: self.client_secret_env.clone(),
                scope: self.scope.clone(),
                resource: Some(self.resource.clone()),
            },
            authorization_endpoint: None,
            redirect_uri: redirect_uri.to_owned(),
        }
    }
}

/// Where the start page sends a browser.
#[derive(Debug)]
pub(crate) struct Opened {
    /// The issuer's authorization URL.
    pub redirect: String,
    /// Whether the sign-in's pages are served over https (the cookie is
    /// then `Secure`).
    pub https: bool,
}

/// What the callback does once an issuer's answer is accepted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Landed {
    /// The user is confirmed: on to the other server's issuer.
    Continue(String),
    /// Signed in to this server.
    SignedIn(String),
}

/// A user's token for a server, and when to stop using it.
pub(crate) struct UserToken {
    pub value: String,
    pub renew_at: Option<Instant>,
}

/// Why a sign-in page refused a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackError {
    /// No sign-in is waiting under this `state` (unknown, used or expired).
    UnknownState,
    /// The sign-in was opened in another browser (or this one sent no
    /// binding cookie).
    OtherBrowser,
    /// The browser signed in to this server as another user than the one
    /// who was asked.
    OtherUser,
    /// The issuer said no (`error` in the callback), or the code exchange failed.
    Refused(String),
}

impl std::fmt::Display for CallbackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallbackError::UnknownState => f.write_str(
                "no sign-in is waiting for this answer: it was already used, has expired, or \
                 was never started here",
            ),
            CallbackError::OtherBrowser => f.write_str(
                "this sign-in was started in another browser: open the link your MCP client \
                 shows in the browser you use, and finish it there",
            ),
            CallbackError::OtherUser => f.write_str(
                "this browser is signed in to this server as another user than the one who was \
                 asked to sign in; the sign-in is refused",
            ),
            CallbackError::Refused(why) => write!(f, "the sign-in failed: {why}"),
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn random_b64(bytes: usize) -> Result<String, String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|e| format!("no random source: {e}"))?;
    Ok(B64URL.encode(buffer))
}

impl SignIns {
    /// The sign-ins for the servers of `servers` whose auth is `user`,
    /// their tokens kept in `vault`; `None` when no server uses them.
    pub fn new(
        servers: &BTreeMap<String, super::RemoteServer>,
        vault: TokenVault,
    ) -> Option<SignIns> {
        let servers: BTreeMap<_, _> = servers
            .iter()
            .filter_map(|(name, server)| {
                let user = server.auth.as_ref()?.user.clone()?;
                Some((name.clone(), (user, server.url.clone()?)))
            })
            .collect();
        (!servers.is_empty()).then(|| SignIns {
            inner: Arc::new(Inner {
                servers,
                vault,
                pending: Mutex::new(HashMap::new()),
                completed: Notify::new(),
                ended: Mutex::default(),
                endpoints: tokio::sync::Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Whether users sign in to `server` themselves.
    pub(crate) fn signs_in_users(&self, server: &str) -> bool {
        self.inner.servers.contains_key(server)
    }

    fn section(&self, server: &str) -> Result<&(UserSignIn, String), String> {
        self.inner
            .servers
            .get(server)
            .ok_or_else(|| format!("users do not sign in to server `{server}`"))
    }

    async fn endpoints(&self, user: &UserSignIn) -> Result<(String, String), String> {
        if let (Some(authorization), Some(token)) =
            (&user.authorization_endpoint, &user.client.token_endpoint)
        {
            return Ok((authorization.clone(), token.clone()));
        }
        let issuer = user.client.issuer.clone().unwrap_or_default();
        let mut cache = self.inner.endpoints.lock().await;
        if !cache.contains_key(&issuer) {
            let found = endpoints_of(&issuer_client()?, &issuer).await?;
            cache.insert(issuer.clone(), (found.authorization, found.token));
        }
        let (authorization, token) = cache[&issuer].clone();
        let authorization = user
            .authorization_endpoint
            .clone()
            .or(authorization)
            .ok_or_else(|| format!("{issuer} names no authorization_endpoint"))?;
        Ok((
            authorization,
            user.client.token_endpoint.clone().unwrap_or(token),
        ))
    }

    /// The token `subject` obtained for `server`, refreshed first when it is
    /// due; none when they have not signed in (or it cannot be refreshed).
    pub(crate) async fn token(
        &self,
        subject: &str,
        server: &str,
    ) -> Result<Option<UserToken>, String> {
        let Some(mut kept) = self.inner.vault.get(subject, server)? else {
            return Ok(None);
        };
        if kept.renew_at_ms.is_some_and(|at| at <= now_ms()) {
            let Some(refresh) = kept.refresh.clone() else {
                self.inner.vault.remove(subject, server)?;
                return Ok(None);
            };
            let (user, url) = self.section(server)?;
            match self
                .token_grant(
                    user,
                    audience(user, url),
                    &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
                )
                .await
            {
                Ok(mut renewed) => {
                    // An issuer that does not rotate refresh tokens keeps the old one good.
                    renewed.refresh = renewed.refresh.or(Some(refresh));
                    self.inner.vault.put(subject, server, &renewed)?;
                    kept = renewed;
                }
                Err(error) => {
                    tracing::info!(subject, server, %error, "refresh failed; the user signs in again");
                    self.inner.vault.remove(subject, server)?;
                    return Ok(None);
                }
            }
        }
        let renew_at = kept
            .renew_at_ms
            .map(|at| Instant::now() + Duration::from_millis(at.saturating_sub(now_ms())));
        Ok(Some(UserToken {
            value: kept.access,
            renew_at,
        }))
    }

    /// Where to send `subject` to sign in to `server`: the start page of a
    /// new pending sign-in, or of the one already waiting for them (so a
    /// replayed 2026 request asks the same thing).
    pub(crate) async fn begin(&self, subject: &str, server: &str) -> Result<String, String> {
        let (user, _) = self.section(server)?;
        // An issuer that cannot be found fails the call before the user is asked.
        self.endpoints(user).await?;
        let mut pending = self.inner.pending.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        pending.retain(|_, p| p.until > now);
        if let Some(waiting) = pending
            .values()
            .find(|p| p.subject == subject && p.server == server)
        {
            return Ok(waiting.url.clone());
        }
        if pending.len() >= MAX_PENDING {
            return Err("too many sign-ins are waiting for their users; try again later".into());
        }
        self.inner
            .ended
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(subject.to_owned(), server.to_owned()));
        let ticket = random_b64(32)?;
        let url = start_url(&user.redirect_uri, &ticket)?;
        pending.insert(
            ticket,
            Pending {
                subject: subject.to_owned(),
                server: server.to_owned(),
                verifier: String::new(),
                browser: None,
                step: Step::Asked,
                url: url.clone(),
                until: now + PENDING_TTL,
            },
        );
        Ok(url)
    }

    /// A browser opened the start page of `ticket`, presenting the binding
    /// cookie `browser`: the sign-in is bound to it (a sign-in already
    /// bound to another browser is refused), and it is sent to this
    /// server's issuer to say who it is (when `check` is given), else
    /// straight to the other server's.
    pub(crate) async fn open(
        &self,
        ticket: &str,
        browser: &str,
        check: Option<&UserCheck>,
    ) -> Result<Opened, CallbackError> {
        let browser = digest(browser);
        let server = self.with_pending(ticket, |p| {
            if p.step == Step::Exchanging {
                return Err(CallbackError::UnknownState);
            }
            if p.browser.is_some_and(|bound| bound != browser) {
                return Err(CallbackError::OtherBrowser);
            }
            Ok(p.server.clone())
        })?;
        let (user, url) = self.section(&server).map_err(CallbackError::Refused)?;
        let verifier = random_b64(32).map_err(CallbackError::Refused)?;
        let (step, redirect) = match check {
            Some(check) => (
                Step::ConfirmingUser,
                self.authorize_url(
                    &check.client(&user.redirect_uri),
                    &check.resource,
                    ticket,
                    &verifier,
                )
                .await,
            ),
            None => (
                Step::Authorizing,
                self.authorize_url(user, audience(user, url), ticket, &verifier)
                    .await,
            ),
        };
        let redirect = redirect.map_err(CallbackError::Refused)?;
        self.with_pending(ticket, |p| {
            if p.browser.is_some_and(|bound| bound != browser) {
                return Err(CallbackError::OtherBrowser);
            }
            p.browser = Some(browser);
            p.step = step;
            p.verifier = verifier;
            Ok(())
        })?;
        Ok(Opened {
            redirect,
            https: user.redirect_uri.starts_with("https:"),
        })
    }

    /// An issuer sent the browser back with `code` (or `error`) for
    /// `state`, and the browser presented the binding cookie `browser`.
    /// From this server's issuer: the user must be the one asked, and the
    /// browser goes on to the other server's issuer. From that one: the
    /// code is exchanged (with the PKCE verifier) and the token kept for
    /// the user. A wrong user, or an issuer's refusal, fails the call that
    /// waits for the sign-in.
    pub(crate) async fn complete(
        &self,
        state: &str,
        browser: Option<&str>,
        answer: (Option<&str>, Option<&str>),
        check: Option<&UserCheck>,
    ) -> Result<Landed, CallbackError> {
        let browser = browser.map(digest);
        // Only the bound browser answers (a stranger's request leaves the
        // sign-in waiting for its own browser), and only once per step.
        let pending = self.with_pending(state, |p| match p.browser {
            _ if p.step == Step::Exchanging => Err(CallbackError::UnknownState),
            Some(bound) if Some(bound) == browser && p.step != Step::Asked => {
                let answered = p.clone();
                p.step = Step::Exchanging;
                Ok(answered)
            }
            _ => Err(CallbackError::OtherBrowser),
        })?;
        let outcome = match pending.step {
            Step::ConfirmingUser => match self.confirm(&pending, answer, check).await {
                Ok(()) => self.authorize(state, &pending.server).await,
                Err(refused) => Err(refused),
            },
            _ => self
                .finish(&pending, answer)
                .await
                .map(|()| Landed::SignedIn(pending.server.clone())),
        };
        match &outcome {
            // Listed again, waiting for the other issuer's answer.
            Ok(Landed::Continue(_)) => return outcome,
            Ok(Landed::SignedIn(_)) | Err(_) => {
                self.inner
                    .pending
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(state);
                let mut ended = self.inner.ended.lock().unwrap_or_else(|e| e.into_inner());
                if ended.len() >= MAX_PENDING {
                    let now = Instant::now();
                    ended.retain(|_, e| e.until > now);
                    if ended.len() >= MAX_PENDING {
                        ended.clear();
                    }
                }
                ended.insert(
                    (pending.subject.clone(), pending.server.clone()),
                    Ended {
                        url: pending.url.clone(),
                        failure: outcome.as_ref().err().map(ToString::to_string),
                        until: Instant::now() + PENDING_TTL,
                    },
                );
            }
        }
        self.inner.completed.notify_waiters();
        outcome
    }

    /// Runs `f` on the sign-in waiting under `ticket`.
    fn with_pending<T>(
        &self,
        ticket: &str,
        f: impl FnOnce(&mut Pending) -> Result<T, CallbackError>,
    ) -> Result<T, CallbackError> {
        let mut pending = self.inner.pending.lock().unwrap_or_else(|e| e.into_inner());
        match pending.get_mut(ticket) {
            Some(p) if p.until > Instant::now() => f(p),
            _ => Err(CallbackError::UnknownState),
        }
    }

    /// The answer of this server's issuer: the browser's user, read from
    /// the token it issued, must be the one who was asked.
    async fn confirm(
        &self,
        pending: &Pending,
        (code, error): (Option<&str>, Option<&str>),
        check: Option<&UserCheck>,
    ) -> Result<(), CallbackError> {
        let check = check.ok_or_else(|| {
            CallbackError::Refused("this server no longer checks who signs in".into())
        })?;
        let code = code_of(code, error)?;
        let (user, _) = self
            .section(&pending.server)
            .map_err(CallbackError::Refused)?;
        let client = check.client(&user.redirect_uri);
        let token = self
            .request_token(&client, &check.resource, code, &pending.verifier)
            .await
            .map_err(CallbackError::Refused)?;
        let subject = (check.subject_of)(token.access)
            .await
            .map_err(|why| CallbackError::Refused(format!("this server's issuer: {why}")))?;
        if subject != pending.subject {
            return Err(CallbackError::OtherUser);
        }
        Ok(())
    }

    /// The next step of a confirmed sign-in: the other server's issuer,
    /// with a new PKCE verifier.
    async fn authorize(&self, ticket: &str, server: &str) -> Result<Landed, CallbackError> {
        let (user, url) = self.section(server).map_err(CallbackError::Refused)?;
        let verifier = random_b64(32).map_err(CallbackError::Refused)?;
        let redirect = self
            .authorize_url(user, audience(user, url), ticket, &verifier)
            .await
            .map_err(CallbackError::Refused)?;
        self.with_pending(ticket, |p| {
            p.step = Step::Authorizing;
            p.verifier = verifier;
            Ok(Landed::Continue(redirect))
        })
    }

    /// The rest of a callback from the other server's issuer: the code
    /// exchanged and the token kept.
    async fn finish(
        &self,
        pending: &Pending,
        (code, error): (Option<&str>, Option<&str>),
    ) -> Result<(), CallbackError> {
        let code = code_of(code, error)?;
        let (user, url) = self
            .section(&pending.server)
            .map_err(CallbackError::Refused)?;
        let token = self
            .request_token(user, audience(user, url), code, &pending.verifier)
            .await
            .map_err(CallbackError::Refused)?;
        self.inner
            .vault
            .put(&pending.subject, &pending.server, &token)
            .map_err(CallbackError::Refused)?;
        Ok(())
    }

    /// The issuer's authorization URL of `sign_in` for the sign-in `state`,
    /// with the PKCE challenge of `verifier` (S256) and the audience
    /// (RFC 8707).
    async fn authorize_url(
        &self,
        sign_in: &UserSignIn,
        resource: &str,
        state: &str,
        verifier: &str,
    ) -> Result<String, String> {
        let (authorization, _) = self.endpoints(sign_in).await?;
        let challenge = B64URL.encode(Sha256::digest(verifier.as_bytes()));
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &sign_in.client.client_id)
            .append_pair("redirect_uri", &sign_in.redirect_uri)
            .append_pair("state", state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("resource", resource);
        if let Some(scope) = &sign_in.client.scope {
            query.append_pair("scope", scope);
        }
        let separator = if authorization.contains('?') {
            '&'
        } else {
            '?'
        };
        Ok(format!("{authorization}{separator}{}", query.finish()))
    }

    /// The token for an authorization `code` of `sign_in`.
    async fn request_token(
        &self,
        sign_in: &UserSignIn,
        resource: &str,
        code: &str,
        verifier: &str,
    ) -> Result<StoredToken, String> {
        self.token_grant(
            sign_in,
            resource,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &sign_in.redirect_uri),
                ("code_verifier", verifier),
            ],
        )
        .await
    }

    /// Why `subject`'s last sign-in to `server` failed at the callback, if
    /// it did in the last few minutes and no call has reported it yet. A
    /// replayed 2026 request asks this before starting a new sign-in.
    pub(crate) fn take_failure(&self, subject: &str, server: &str) -> Option<String> {
        let mut ended = self.inner.ended.lock().unwrap_or_else(|e| e.into_inner());
        let ended = ended
            .get_mut(&(subject.to_owned(), server.to_owned()))
            .filter(|e| e.until > Instant::now())?;
        let reason = ended.failure.take()?;
        Some(format!("signing in to server `{server}` failed: {reason}"))
    }

    /// The URL `subject` was asked to open by their sign-in to `server`
    /// that ended in the last few minutes.
    pub(crate) fn ended_url(&self, subject: &str, server: &str) -> Option<String> {
        let ended = self.inner.ended.lock().unwrap_or_else(|e| e.into_inner());
        ended
            .get(&(subject.to_owned(), server.to_owned()))
            .filter(|e| e.until > Instant::now())
            .map(|e| e.url.clone())
    }

    /// Waits up to `patience` for `subject` to finish signing in to `server`;
    /// fails as soon as their sign-in failed at the callback.
    pub(crate) async fn wait(
        &self,
        subject: &str,
        server: &str,
        patience: Duration,
    ) -> Result<Option<UserToken>, String> {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            let completed = self.inner.completed.notified();
            if let Some(token) = self.token(subject, server).await? {
                return Ok(Some(token));
            }
            if let Some(failure) = self.take_failure(subject, server) {
                return Err(failure);
            }
            if tokio::time::timeout_at(deadline, completed).await.is_err() {
                return Ok(None);
            }
        }
    }

    /// A token request of `sign_in` (code or refresh grant) for the
    /// audience `resource` (RFC 8707).
    async fn token_grant(
        &self,
        sign_in: &UserSignIn,
        resource: &str,
        grant: &[(&str, &str)],
    ) -> Result<StoredToken, String> {
        let (_, endpoint) = self.endpoints(sign_in).await?;
        let secret = secret_from(
            sign_in.client.client_secret_env.as_ref(),
            &sign_in.client.client_id,
        )?;
        let mut pairs = grant.to_vec();
        pairs.push(("resource", resource));
        let answer = token_request(
            &issuer_client()?,
            &endpoint,
            &sign_in.client.client_id,
            secret.as_deref(),
            &pairs,
        )
        .await?;
        let access = answer["access_token"]
            .as_str()
            .ok_or_else(|| format!("{endpoint} answered without an access_token"))?
            .to_owned();
        Ok(StoredToken {
            access,
            refresh: answer["refresh_token"].as_str().map(str::to_owned),
            renew_at_ms: answer["expires_in"]
                .as_u64()
                .map(|secs| now_ms() + renew_after(secs).as_millis() as u64),
        })
    }
}

/// The audience asked for a server signed in to by users (RFC 8707): its
/// `resource`, else its url.
fn audience<'a>(user: &'a UserSignIn, url: &'a str) -> &'a str {
    user.client.resource.as_deref().unwrap_or(url)
}

/// SHA-256 of a browser's binding cookie (kept instead of the cookie).
fn digest(browser: &str) -> [u8; 32] {
    Sha256::digest(browser.as_bytes()).into()
}

/// The code of an issuer's answer, or its refusal.
fn code_of<'a>(code: Option<&'a str>, error: Option<&str>) -> Result<&'a str, CallbackError> {
    match (code, error) {
        (_, Some(error)) => Err(CallbackError::Refused(format!(
            "the issuer answered `{error}`"
        ))),
        (Some(code), None) => Ok(code),
        (None, None) => Err(CallbackError::Refused("the answer has no code".into())),
    }
}

/// The start page of the sign-in `ticket`, beside the callback `redirect_uri`.
fn start_url(redirect_uri: &str, ticket: &str) -> Result<String, String> {
    let uri: http::Uri = redirect_uri
        .parse()
        .map_err(|e| format!("redirect_uri {redirect_uri:?}: {e}"))?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(format!(
            "redirect_uri {redirect_uri:?} is not an absolute URL"
        ));
    };
    Ok(format!(
        "{scheme}://{authority}{START_PATH}?sign_in={ticket}"
    ))
}
