//! User-delegated sign-in to another server: the user is sent to that
//! server's issuer (authorization code with PKCE S256), comes back to this
//! server's callback, and the token obtained there is kept for that user
//! (sealed in the [`TokenVault`]) and refreshed when it expires.
//!
//! The `state` sent to the issuer is random, single use, expires after ten
//! minutes, and names the pending sign-in: which user, which server, and
//! the PKCE verifier. The token is only ever used for that user's calls.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use super::auth::{
    UserSignIn, endpoints_of, issuer_client, renew_after, secret_from, token_request,
};
use super::vault::{StoredToken, TokenVault};

/// The path of the callback the issuer sends users back to, on this
/// server's HTTP transport.
pub const CALLBACK_PATH: &str = "/oauth/callback";

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
    /// Why the last sign-in of a (user, server) failed at the callback, so
    /// that the call waiting for it fails at once instead of at its patience.
    failed: Mutex<HashMap<(String, String), (String, Instant)>>,
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

struct Pending {
    subject: String,
    server: String,
    verifier: String,
    /// The URL the user was sent to (asked again, unchanged, when a 2026
    /// request is replayed before the user came back).
    url: String,
    until: Instant,
}

/// A user's token for a server, and when to stop using it.
pub(crate) struct UserToken {
    pub value: String,
    pub renew_at: Option<Instant>,
}

/// Why a callback was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackError {
    /// No sign-in is waiting under this `state` (unknown, used or expired).
    UnknownState,
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
                failed: Mutex::default(),
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
            (&user.authorization_endpoint, &user.token_endpoint)
        {
            return Ok((authorization.clone(), token.clone()));
        }
        let issuer = user.issuer.clone().unwrap_or_default();
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
        Ok((authorization, user.token_endpoint.clone().unwrap_or(token)))
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
            match self
                .exchange(
                    server,
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

    /// Where to send `subject` to sign in to `server`: the issuer's
    /// authorization URL of a new pending sign-in, or of the one already
    /// waiting for them (so a replayed 2026 request asks the same thing).
    pub(crate) async fn begin(&self, subject: &str, server: &str) -> Result<String, String> {
        let (user, url) = self.section(server)?;
        let (authorization, _) = self.endpoints(user).await?;
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
            .failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(subject.to_owned(), server.to_owned()));
        let state = random_b64(32)?;
        let verifier = random_b64(32)?;
        let challenge = B64URL.encode(Sha256::digest(verifier.as_bytes()));
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &user.client_id)
            .append_pair("redirect_uri", &user.redirect_uri)
            .append_pair("state", &state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("resource", user.resource.as_deref().unwrap_or(url));
        if let Some(scope) = &user.scope {
            query.append_pair("scope", scope);
        }
        let separator = if authorization.contains('?') {
            '&'
        } else {
            '?'
        };
        let url = format!("{authorization}{separator}{}", query.finish());
        pending.insert(
            state,
            Pending {
                subject: subject.to_owned(),
                server: server.to_owned(),
                verifier,
                url: url.clone(),
                until: now + PENDING_TTL,
            },
        );
        Ok(url)
    }

    /// The issuer sent the user back with `code` (or `error`) for `state`:
    /// the code is exchanged (with the PKCE verifier) and the token kept
    /// for the user who started the sign-in.
    pub async fn complete(
        &self,
        state: &str,
        code: Option<&str>,
        error: Option<&str>,
    ) -> Result<String, CallbackError> {
        let taken = {
            let mut pending = self.inner.pending.lock().unwrap_or_else(|e| e.into_inner());
            pending.remove(state)
        };
        let pending = taken
            .filter(|p| p.until > Instant::now())
            .ok_or(CallbackError::UnknownState)?;
        let outcome = self.finish(&pending, code, error).await;
        if let Err(CallbackError::Refused(reason)) = &outcome {
            let mut failed = self.inner.failed.lock().unwrap_or_else(|e| e.into_inner());
            if failed.len() >= MAX_PENDING {
                failed.clear();
            }
            failed.insert(
                (pending.subject.clone(), pending.server.clone()),
                (reason.clone(), Instant::now() + PENDING_TTL),
            );
        }
        self.inner.completed.notify_waiters();
        outcome.map(|()| pending.server)
    }

    /// The rest of a callback once its sign-in is found: the code exchanged
    /// and the token kept.
    async fn finish(
        &self,
        pending: &Pending,
        code: Option<&str>,
        error: Option<&str>,
    ) -> Result<(), CallbackError> {
        let code = match (code, error) {
            (_, Some(error)) => {
                return Err(CallbackError::Refused(format!(
                    "the issuer answered `{error}`"
                )));
            }
            (Some(code), None) => code,
            (None, None) => return Err(CallbackError::Refused("the answer has no code".into())),
        };
        let (user, _) = self
            .section(&pending.server)
            .map_err(CallbackError::Refused)?;
        let token = self
            .exchange(
                &pending.server,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("redirect_uri", &user.redirect_uri),
                    ("code_verifier", &pending.verifier),
                ],
            )
            .await
            .map_err(CallbackError::Refused)?;
        self.inner
            .vault
            .put(&pending.subject, &pending.server, &token)
            .map_err(CallbackError::Refused)?;
        Ok(())
    }

    /// Why `subject`'s last sign-in to `server` failed at the callback, if
    /// it did in the last few minutes and no call has reported it yet. A
    /// replayed 2026 request asks this before starting a new sign-in.
    pub(crate) fn take_failure(&self, subject: &str, server: &str) -> Option<String> {
        let mut failed = self.inner.failed.lock().unwrap_or_else(|e| e.into_inner());
        let (reason, until) = failed.remove(&(subject.to_owned(), server.to_owned()))?;
        (until > Instant::now())
            .then(|| format!("signing in to server `{server}` failed: {reason}"))
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

    /// A token request to `server`'s issuer (code or refresh grant), with
    /// the server as the audience (RFC 8707).
    async fn exchange(&self, server: &str, grant: &[(&str, &str)]) -> Result<StoredToken, String> {
        let (user, url) = self.section(server)?;
        let (_, endpoint) = self.endpoints(user).await?;
        let secret = secret_from(user.client_secret_env.as_ref(), &user.client_id)?;
        let mut pairs = grant.to_vec();
        pairs.push(("resource", user.resource.as_deref().unwrap_or(url)));
        let answer = token_request(
            &issuer_client()?,
            &endpoint,
            &user.client_id,
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
