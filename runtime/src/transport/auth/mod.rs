//! Streamable HTTP as an OAuth 2.1 resource server (MCP authorization,
//! 2025-11-25 and 2026-07-28), configured by `[auth]` ([`config`]).
//!
//! * `metadata`: Protected Resource Metadata (RFC 9728) at
//!   `/.well-known/oauth-protected-resource` and its path-suffixed form,
//!   naming the issuer, so clients know where to sign in.
//! * `guard`: the axum middleware in front of rmcp's service: a request
//!   without a valid bearer token gets `401` and a challenge pointing at the
//!   metadata; a token lacking a needed scope gets `403 insufficient_scope`.
//!   The caller's [`Principal`] rides on the request to the server.
//! * `token`: a JWT checked against the issuer's keys (`issuer`:
//!   discovered, cached, refetched on an unknown `kid`), or an opaque
//!   token through RFC 7662 introspection.
//! * `needs`: the scopes of the tool, prompt or resource a message
//!   names (`#[agent(scopes = [...])]`), on top of the server's own.
//! * `sessions`: a 2025-era session answers only the principal that
//!   opened it.
//! * `refusal`: the status and `WWW-Authenticate` of each refusal.
//!
//! Tokens are read from the `Authorization` header only, never from the URL
//! or the body. stdio has no such layer: the parent process is trusted.

pub mod config;
mod guard;
mod issuer;
mod metadata;
mod needs;
mod refusal;
mod sessions;
mod token;

use std::net::SocketAddr;
use std::sync::Arc;

pub use config::AuthConfig;
pub(crate) use guard::protect;
pub use refusal::Refusal;

use crate::agent::Principal;
use crate::remote::UserCheck;
use issuer::Issuer;
use token::{Checks, Introspection};

/// The warning for a server without `[auth]` bound to `addr`, when `addr`
/// is reachable from other machines.
pub fn exposure_warning(addr: SocketAddr) -> Option<String> {
    (!addr.ip().is_loopback()).then(|| {
        format!(
            "warning: {addr} is reachable from other machines and this server has no [auth]: \
             anyone who reaches it can call every tool; add [auth] to agentwire.toml (docs/auth.md)"
        )
    })
}

/// A resource server's checks, built from `[auth]` once the address is known.
pub struct ResourceServer {
    issuer: Issuer,
    /// This server's canonical URI: the tokens' audience.
    resource: String,
    /// Where this server's Protected Resource Metadata is served.
    metadata_url: String,
    /// Scopes every request needs.
    scopes: Vec<String>,
    leeway_secs: u64,
    introspection: Option<Introspection>,
    http: reqwest::Client,
}

impl ResourceServer {
    /// The checks of `config` for a server bound to `addr` with its MCP
    /// endpoint at `path` (the canonical URI, unless `resource` says
    /// otherwise, is `http://addr/path`).
    pub fn new(config: &AuthConfig, addr: SocketAddr, path: &str) -> Self {
        let resource = config
            .resource
            .clone()
            .unwrap_or_else(|| format!("http://{addr}{path}"));
        let metadata_url = metadata::url_for(&resource);
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        let introspection = config.introspection.as_ref().map(|i| Introspection {
            endpoint: i.endpoint.clone(),
            client_id: i.client_id.clone(),
            client_secret: i
                .client_secret_env
                .as_deref()
                .and_then(|var| std::env::var(var).ok()),
        });
        ResourceServer {
            issuer: Issuer::new(config.issuer.clone(), http.clone(), config.jwks_refetch()),
            resource,
            metadata_url,
            scopes: config.scopes.clone(),
            leeway_secs: config.leeway().as_secs(),
            introspection,
            http,
        }
    }

    /// This server's canonical URI.
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The URL of this server's Protected Resource Metadata.
    pub fn metadata_url(&self) -> &str {
        &self.metadata_url
    }

    /// The principal of a bearer token, or why it is refused.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, Refusal> {
        let checks = Checks {
            issuer: &self.issuer,
            audience: &self.resource,
            leeway_secs: self.leeway_secs,
        };
        let principal = match &self.introspection {
            Some(introspection) if !token::looks_like_jwt(token) => {
                token::introspect(token, introspection, &checks, &self.http).await?
            }
            _ => token::check_jwt(token, &checks).await?,
        };
        let needed: Vec<&str> = self.scopes.iter().map(String::as_str).collect();
        let missing = principal.missing(&needed);
        if !missing.is_empty() {
            return Err(Refusal::InsufficientScope(self.scopes.clone()));
        }
        Ok(principal)
    }
}

/// How the sign-in pages confirm a browser's user (see
/// [`crate::remote::UserCheck`]): `[auth.browser]` signs in at this
/// server's issuer, and the token it gets is checked as any request's.
pub(crate) fn user_check(
    config: &AuthConfig,
    resource: Arc<ResourceServer>,
) -> Result<UserCheck, String> {
    let Some(browser) = &config.browser else {
        return Err(
            "users sign in to other servers through this one ([servers.NAME.auth.user]), and \
             [auth] has no [auth.browser] client to confirm who opens a sign-in: add \
             [auth.browser] client_id = \"...\" (docs/auth.md)"
                .to_owned(),
        );
    };
    Ok(UserCheck {
        issuer: config.issuer.clone(),
        client_id: browser.client_id.clone(),
        client_secret_env: browser.client_secret_env.clone(),
        scope: (!config.scopes.is_empty()).then(|| config.scopes.join(" ")),
        resource: resource.resource().to_owned(),
        subject_of: Arc::new(move |token| {
            let resource = resource.clone();
            Box::pin(async move {
                match resource.authenticate(&token).await {
                    Ok(principal) => Ok(principal.subject),
                    Err(refusal) => Err(refusal.reason()),
                }
            })
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::exposure_warning;

    #[test]
    fn only_addresses_reachable_from_elsewhere_get_the_warning() {
        assert!(exposure_warning("127.0.0.1:80".parse().unwrap()).is_none());
        assert!(exposure_warning("[::1]:80".parse().unwrap()).is_none());
        let warning = exposure_warning("0.0.0.0:8080".parse().unwrap()).unwrap();
        assert!(warning.contains("[auth]"), "{warning}");
    }
}
