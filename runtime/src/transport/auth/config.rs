//! `[auth]` of agentwire.toml: the streamable HTTP endpoint as an OAuth 2.1
//! resource server.
//!
//! ```toml
//! [auth]
//! issuer = "https://auth.example.com"        # the authorization server (its RFC 8414 / OIDC metadata)
//! resource = "https://mcp.example.com/mcp"   # this server's canonical URI, the tokens' audience
//! scopes = ["mcp"]                           # needed for any request; tools may need more
//! leeway = "30s"                             # clock skew allowed on exp and nbf
//! jwks_refetch = "30s"                       # at most one JWKS refetch (unknown kid) this often
//!
//! [auth.introspection]                       # opaque tokens, through RFC 7662
//! client_id = "my-mcp-server"
//! client_secret_env = "MCP_INTROSPECTION_SECRET"
//!
//! [auth.browser]                             # users' browsers, for sign-ins to other servers
//! client_id = "my-mcp-server-web"
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::budget::units::parse_duration;
use crate::quota::QuotaConfig;

/// `[auth]`: who issues the tokens this server accepts, and for what.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The authorization server's issuer identifier (an `https://` URL, or
    /// `http://` on loopback), exactly as its tokens' `iss` say it.
    pub issuer: String,
    /// This server's canonical URI (RFC 8707), the audience its tokens must
    /// name. Default: `http://<bound address><path>`, right for loopback
    /// only; set it behind a proxy or a public name.
    #[serde(default)]
    pub resource: Option<String>,
    /// Scopes every request needs; also advertised as `scopes_supported`.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Clock skew allowed on `exp` and `nbf` (default 30 s, at most 5 min).
    #[serde(default)]
    pub leeway: Option<String>,
    /// The shortest time between two JWKS fetches caused by an unknown
    /// `kid` (default 30 s), so forged `kid`s cannot make this server
    /// hammer the issuer.
    #[serde(default)]
    pub jwks_refetch: Option<String>,
    /// RFC 7662 introspection of tokens that are not JWTs.
    #[serde(default)]
    pub introspection: Option<IntrospectionConfig>,
    /// This server's client at its issuer for users' browsers: a user sent
    /// to sign in to another server (`[servers.NAME.auth.user]`) first
    /// signs in here with it, so that this server knows the browser is the
    /// user's who was asked. Needed when a server is signed in to by users.
    #[serde(default)]
    pub browser: Option<BrowserClient>,
    /// Budgets per caller (`[auth.quotas.NAME]`), see [`crate::quota`].
    #[serde(default)]
    pub quotas: BTreeMap<String, QuotaConfig>,
    /// Where quota usage is kept (relative to the config file), overriding
    /// the default: the embedded store (the `quota_usage` table of the
    /// workflow journal's SQLite file, or `<server>.store` when runs are
    /// not kept in the journal).
    #[serde(default)]
    pub quota_file: Option<PathBuf>,
}

/// `[auth.introspection]`: how this server authenticates to the issuer's
/// introspection endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntrospectionConfig {
    /// Default: the `introspection_endpoint` of the issuer's metadata.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// This server's client id at the issuer's introspection endpoint.
    pub client_id: String,
    /// The environment variable holding the client secret (never the
    /// secret itself in the file).
    #[serde(default)]
    pub client_secret_env: Option<String>,
}

/// `[auth.browser]`: this server's client at its issuer, used in users'
/// browsers (authorization code + PKCE, coming back to the sign-in
/// callback, `/oauth/callback`, at the `redirect_uri` of the other
/// server's `[servers.NAME.auth.user]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BrowserClient {
    /// The client id.
    pub client_id: String,
    /// The environment variable holding the client secret (a public
    /// client when not set).
    #[serde(default)]
    pub client_secret_env: Option<String>,
}

const DEFAULT_LEEWAY: Duration = Duration::from_secs(30);
const MAX_LEEWAY: Duration = Duration::from_secs(300);
const DEFAULT_JWKS_REFETCH: Duration = Duration::from_secs(30);

impl AuthConfig {
    /// An `[auth]` trusting `issuer`, with every other key at its default.
    pub fn new(issuer: impl Into<String>) -> Self {
        AuthConfig {
            issuer: issuer.into(),
            resource: None,
            scopes: Vec::new(),
            leeway: None,
            jwks_refetch: None,
            introspection: None,
            browser: None,
            quotas: BTreeMap::new(),
            quota_file: None,
        }
    }

    /// Checks the values; the error names the key.
    pub fn check(&self) -> Result<(), String> {
        check_url("[auth] issuer", &self.issuer)?;
        if let Some(resource) = &self.resource {
            check_url("[auth] resource", resource)?;
            if resource.contains('#') {
                return Err(format!(
                    "[auth] resource = {resource:?}: a canonical URI has no fragment"
                ));
            }
        }
        for scope in &self.scopes {
            check_scope(scope).map_err(|why| format!("[auth] scopes: {why}"))?;
        }
        if let Some(leeway) = &self.leeway {
            let parsed =
                parse_duration(leeway).map_err(|p| format!("[auth] leeway = {leeway:?}: {p}"))?;
            if parsed > MAX_LEEWAY {
                return Err(format!("[auth] leeway = {leeway:?}: at most 5m"));
            }
        }
        if let Some(refetch) = &self.jwks_refetch {
            parse_duration(refetch)
                .map_err(|p| format!("[auth] jwks_refetch = {refetch:?}: {p}"))?;
        }
        for (name, quota) in &self.quotas {
            quota.check(name)?;
            if let Some(scope) = &quota.scope {
                check_scope(scope).map_err(|why| format!("[auth.quotas.{name}] scope: {why}"))?;
            }
        }
        if let Some(introspection) = &self.introspection
            && let Some(endpoint) = &introspection.endpoint
        {
            check_url("[auth.introspection] endpoint", endpoint)?;
        }
        Ok(())
    }

    /// The clock skew allowed on `exp` and `nbf`.
    pub fn leeway(&self) -> Duration {
        self.leeway
            .as_deref()
            .and_then(|l| parse_duration(l).ok())
            .unwrap_or(DEFAULT_LEEWAY)
    }

    /// The shortest time between two JWKS refetches.
    pub fn jwks_refetch(&self) -> Duration {
        self.jwks_refetch
            .as_deref()
            .and_then(|r| parse_duration(r).ok())
            .unwrap_or(DEFAULT_JWKS_REFETCH)
    }
}

/// An `https://` URL, or `http://` to a loopback host.
fn check_url(key: &str, url: &str) -> Result<(), String> {
    let parsed: http::Uri = url
        .parse()
        .map_err(|e| format!("{key} = {url:?}: not a URL ({e})"))?;
    let host = parsed.host().unwrap_or_default();
    match parsed.scheme_str() {
        Some("https") if !host.is_empty() => Ok(()),
        Some("http") if is_loopback(host) => Ok(()),
        Some("http") => Err(format!(
            "{key} = {url:?}: plain http is only for loopback hosts; use https"
        )),
        _ => Err(format!("{key} = {url:?}: an https:// URL is needed")),
    }
}

/// Whether `host` names this machine.
pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A scope token as RFC 6749 §3.3 allows: printable ASCII without space,
/// `"` or `\`.
pub(crate) fn check_scope(scope: &str) -> Result<(), String> {
    if scope.is_empty() {
        return Err("a scope cannot be empty".into());
    }
    match scope
        .chars()
        .find(|c| !matches!(*c, '\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e'))
    {
        None => Ok(()),
        Some(c) => Err(format!("{scope:?} has {c:?}, which a scope cannot contain")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<AuthConfig, String> {
        let config: AuthConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        config.check()?;
        Ok(config)
    }

    #[test]
    fn urls_scopes_and_durations_are_checked() {
        let config =
            parse("issuer = \"https://auth.example.com\"\nscopes = [\"mcp\"]\nleeway = \"10s\"")
                .unwrap();
        assert_eq!(config.leeway(), Duration::from_secs(10));
        assert_eq!(config.jwks_refetch(), DEFAULT_JWKS_REFETCH);
        assert!(parse("issuer = \"http://localhost:9000\"").is_ok());
        for (text, expected) in [
            ("issuer = \"http://auth.example.com\"", "only for loopback"),
            ("issuer = \"ftp://x\"", "https"),
            (
                "issuer = \"https://a\"\nscopes = [\"two words\"]",
                "cannot contain",
            ),
            ("issuer = \"https://a\"\nscopes = [\"\"]", "empty"),
            ("issuer = \"https://a\"\nleeway = \"1h\"", "at most"),
            (
                "issuer = \"https://a\"\nresource = \"https://r/mcp#x\"",
                "fragment",
            ),
            ("issuer = \"https://a\"\naudience = \"x\"", "audience"),
            (
                "issuer = \"https://a\"\n[quotas.d]\nwindow = \"soon\"\ncalls = 1",
                "[auth.quotas.d] window",
            ),
            (
                "issuer = \"https://a\"\n[quotas.d]\nwindow = \"1h\"",
                "limits nothing",
            ),
            (
                "issuer = \"https://a\"\n[quotas.d]\nwindow = \"1h\"\ncost = \"five\"",
                "cost",
            ),
            (
                "issuer = \"https://a\"\n[quotas.d]\nwindow = \"1h\"\ncalls = 1\nscope = \"a b\"",
                "scope",
            ),
        ] {
            let error = parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }
}
