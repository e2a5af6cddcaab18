//! `[servers.NAME.auth]`: how this server signs in to another MCP server
//! over HTTP, with a token of its own: never the token its caller sent.
//!
//! ```toml
//! [servers.reports.auth]
//! bearer_env = "REPORTS_TOKEN"              # a token from the environment
//!
//! [servers.leaf.auth.client_credentials]    # or OAuth client credentials (RFC 6749 §4.4)
//! issuer = "https://auth.example.com"       # its token endpoint is discovered (RFC 8414, OpenID)
//! client_id = "reporting-service"
//! client_secret_env = "LEAF_CLIENT_SECRET"
//! scope = "reports:read"
//! # resource = "https://leaf.example.com/mcp"  # RFC 8707; default: the server's url
//!
//! [servers.crm.auth.user]                   # or the user signs in (authorization code + PKCE)
//! issuer = "https://auth.example.com"       # authorization and token endpoints are discovered
//! client_id = "reporting-service"
//! redirect_uri = "https://reports.example.com/oauth/callback"  # this server's callback
//! scope = "crm:read"
//! ```
//!
//! User sign-in is [`super::sign_in`]'s.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::mcp::oauth::{FETCH_TIMEOUT, metadata_urls, read_bounded};

/// `[servers.NAME.auth]`: exactly one way to obtain a token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteAuth {
    /// The environment variable holding a bearer token for this server.
    #[serde(default)]
    pub bearer_env: Option<String>,
    /// OAuth client credentials: this server is the client.
    #[serde(default)]
    pub client_credentials: Option<ClientCredentials>,
    /// User-delegated sign-in: each user signs in to the server's issuer
    /// and this server calls it with that user's token.
    #[serde(default)]
    pub user: Option<UserSignIn>,
    /// RFC 8693 token exchange: the caller's token is exchanged at the
    /// issuer for one meant for this server.
    #[serde(default)]
    pub token_exchange: Option<TokenExchange>,
}

/// This server as the OAuth client of an authorization server: the keys
/// the `client_credentials`, `user` and `token_exchange` sections share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClient {
    /// The authorization server; its endpoints are discovered.
    pub issuer: Option<String>,
    /// The token endpoint, when it is not discovered from `issuer`.
    pub token_endpoint: Option<String>,
    /// This server's client id at that authorization server.
    pub client_id: String,
    /// The environment variable holding the client secret (a public client
    /// when not set).
    pub client_secret_env: Option<String>,
    /// The scopes asked for, space-separated (default: the issuer's choice).
    pub scope: Option<String>,
    /// The `resource` asked for (RFC 8707); default: the server's `url`.
    pub resource: Option<String>,
}

/// `[servers.NAME.auth.token_exchange]`: the caller's validated access
/// token (the subject token) is exchanged at the issuer (RFC 8693) for a
/// token whose audience is the remote server; the caller's own token is
/// never sent to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenExchange {
    /// The authorization server and this server's client there.
    pub client: OAuthClient,
    /// An `audience` to ask for as well (a logical name of the server).
    pub audience: Option<String>,
}

/// RFC 8693's names for a grant and a token type.
const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
const JWT_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

impl TokenExchange {
    /// A token for the server at `url` in exchange for `subject_token`
    /// (RFC 8693 §2.1), checked to be an access token usable as a bearer
    /// token (§2.2.1).
    pub(super) async fn exchange(&self, url: &str, subject_token: &str) -> Result<Token, String> {
        let mut pairs = vec![
            ("grant_type", TOKEN_EXCHANGE_GRANT),
            ("subject_token", subject_token),
            ("subject_token_type", ACCESS_TOKEN_TYPE),
            ("requested_token_type", ACCESS_TOKEN_TYPE),
            ("resource", self.client.resource.as_deref().unwrap_or(url)),
        ];
        if let Some(audience) = &self.audience {
            pairs.push(("audience", audience));
        }
        if let Some(scope) = &self.client.scope {
            pairs.push(("scope", scope));
        }
        let (endpoint, answer) = self.client.request(&pairs).await?;
        let issued = answer["issued_token_type"].as_str().unwrap_or_default();
        if issued != ACCESS_TOKEN_TYPE && issued != JWT_TOKEN_TYPE {
            return Err(format!(
                "{endpoint} issued a token of type {issued:?}, not an access token"
            ));
        }
        if !answer["token_type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("bearer"))
        {
            return Err(format!(
                "{endpoint} issued a token that is not a bearer token"
            ));
        }
        token_of(&endpoint, &answer)
    }
}

/// `[servers.NAME.auth.user]`: the user is sent to the issuer
/// (authorization code with PKCE, RFC 6749 §4.1, RFC 7636) and comes back
/// to this server's callback, which keeps the token for that user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSignIn {
    /// The authorization server and this server's client there.
    pub client: OAuthClient,
    /// The authorization endpoint, when it is not discovered from `issuer`.
    pub authorization_endpoint: Option<String>,
    /// Where the issuer sends the user back: this server's
    /// callback path (`/oauth/callback`) on the address users reach it at.
    pub redirect_uri: String,
}

/// `[servers.NAME.auth.client_credentials]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    /// The authorization server and this server's client there.
    pub client: OAuthClient,
}

// The three client sections are read by hand, key by key: serde's
// `deny_unknown_fields` does not combine with `flatten`, and a misspelt key
// must still be refused, named with its section.

impl<'de> Deserialize<'de> for ClientCredentials {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        read_section(deserializer, "client_credentials", &[], |keys| {
            Ok(ClientCredentials {
                client: keys.client()?,
            })
        })
    }
}

impl<'de> Deserialize<'de> for TokenExchange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        read_section(deserializer, "token_exchange", &["audience"], |keys| {
            Ok(TokenExchange {
                client: keys.client()?,
                audience: keys.optional("audience"),
            })
        })
    }
}

impl<'de> Deserialize<'de> for UserSignIn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let own = &["authorization_endpoint", "redirect_uri"];
        read_section(deserializer, "user", own, |keys| {
            Ok(UserSignIn {
                client: keys.client()?,
                authorization_endpoint: keys.optional("authorization_endpoint"),
                redirect_uri: keys.required("redirect_uri")?,
            })
        })
    }
}

/// The keys of an [`OAuthClient`], as written in each client section.
const CLIENT_KEYS: &[&str] = &[
    "issuer",
    "token_endpoint",
    "client_id",
    "client_secret_env",
    "scope",
    "resource",
];

/// A client section as written (every value is a string), taken apart by
/// the section it is.
struct SectionKeys {
    section: &'static str,
    values: BTreeMap<&'static str, String>,
}

impl SectionKeys {
    fn optional(&mut self, key: &'static str) -> Option<String> {
        self.values.remove(key)
    }

    fn required(&mut self, key: &'static str) -> Result<String, String> {
        self.optional(key).ok_or_else(|| {
            format!(
                "missing field `{key}` in [servers.NAME.auth.{}]",
                self.section
            )
        })
    }

    fn client(&mut self) -> Result<OAuthClient, String> {
        Ok(OAuthClient {
            issuer: self.optional("issuer"),
            token_endpoint: self.optional("token_endpoint"),
            client_id: self.required("client_id")?,
            client_secret_env: self.optional("client_secret_env"),
            scope: self.optional("scope"),
            resource: self.optional("resource"),
        })
    }
}

/// Reads the client section `section`, whose keys are [`CLIENT_KEYS`] and
/// `own`, and makes it with `build`.
fn read_section<'de, D: Deserializer<'de>, T>(
    deserializer: D,
    section: &'static str,
    own: &'static [&'static str],
    build: fn(&mut SectionKeys) -> Result<T, String>,
) -> Result<T, D::Error> {
    deserializer.deserialize_map(SectionVisitor {
        key: SectionKey { section, own },
        build,
    })
}

struct SectionVisitor<T> {
    key: SectionKey,
    build: fn(&mut SectionKeys) -> Result<T, String>,
}

impl<'de, T> Visitor<'de> for SectionVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the table [servers.NAME.auth.{}]", self.key.section)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut keys = SectionKeys {
            section: self.key.section,
            values: BTreeMap::new(),
        };
        while let Some(key) = map.next_key_seed(self.key)? {
            let value = map.next_value()?;
            if keys.values.insert(key, value).is_some() {
                return Err(de::Error::duplicate_field(key));
            }
        }
        (self.build)(&mut keys).map_err(de::Error::custom)
    }
}

/// A key of a client section: one of [`CLIENT_KEYS`] or the section's
/// `own`, else an error naming the key and the section.
#[derive(Clone, Copy)]
struct SectionKey {
    section: &'static str,
    own: &'static [&'static str],
}

impl<'de> DeserializeSeed<'de> for SectionKey {
    type Value = &'static str;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_identifier(self)
    }
}

impl<'de> Visitor<'de> for SectionKey {
    type Value = &'static str;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a key of [servers.NAME.auth.{}]", self.section)
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        let known = || CLIENT_KEYS.iter().chain(self.own).copied();
        known().find(|known| *known == key).ok_or_else(|| {
            let expected: Vec<String> = known().map(|k| format!("`{k}`")).collect();
            E::custom(format_args!(
                "unknown field `{key}` in [servers.NAME.auth.{}], expected one of {}",
                self.section,
                expected.join(", ")
            ))
        })
    }
}

/// A token for a remote server, and when to get a new one.
pub(crate) struct Token {
    pub value: String,
    /// When it stops being good (a little before its `expires_in`).
    pub renew_at: Option<Instant>,
}

impl RemoteAuth {
    /// Checks the section of the server called `name`.
    pub(crate) fn check(&self, name: &str) -> Result<(), String> {
        let key = format!("[servers.{name}.auth]");
        let ways = [
            self.bearer_env.is_some(),
            self.client_credentials.is_some(),
            self.user.is_some(),
            self.token_exchange.is_some(),
        ];
        if ways.iter().filter(|&&way| way).count() != 1 {
            return Err(format!(
                "{key} needs exactly one of `bearer_env`, `client_credentials`, `user` or \
                 `token_exchange`"
            ));
        }
        if let Some(exchange) = &self.token_exchange {
            return exchange.client.check(&key, "token_exchange");
        }
        if let Some(credentials) = &self.client_credentials {
            return credentials.client.check(&key, "client_credentials");
        }
        match &self.user {
            Some(user) => user.check(&key),
            None => Ok(()),
        }
    }

    /// A token for the server at `url`.
    pub(crate) async fn token(&self, url: &str) -> Result<Token, String> {
        if let Some(var) = &self.bearer_env {
            let value = std::env::var(var)
                .map_err(|_| format!("set {var} to the bearer token for {url}"))?;
            return Ok(Token {
                value,
                renew_at: None,
            });
        }
        match &self.client_credentials {
            Some(credentials) => credentials.token(url).await,
            None if self.user.is_some() => {
                Err("it is signed in to by each user, not by this server".to_owned())
            }
            None if self.token_exchange.is_some() => Err(
                "it is called with a token exchanged for the caller's, and there is no caller here"
                    .to_owned(),
            ),
            None => Err("no way to obtain a token is configured".to_owned()),
        }
    }
}

impl UserSignIn {
    fn check(&self, key: &str) -> Result<(), String> {
        let client = &self.client;
        if client.issuer.is_none()
            && (self.authorization_endpoint.is_none() || client.token_endpoint.is_none())
        {
            return Err(format!(
                "{key} user needs `issuer` (to discover its endpoints) or both \
                 `authorization_endpoint` and `token_endpoint`"
            ));
        }
        for url in [
            &client.issuer,
            &self.authorization_endpoint,
            &client.token_endpoint,
            &client.resource,
            &Some(self.redirect_uri.clone()),
        ]
        .into_iter()
        .flatten()
        {
            check_url(key, url)?;
        }
        let path = self
            .redirect_uri
            .parse::<http::Uri>()
            .map(|uri| uri.path().to_owned())
            .unwrap_or_default();
        if path != super::CALLBACK_PATH {
            return Err(format!(
                "{key} user.redirect_uri {:?} must end in {}, where this server's HTTP \
                 transport receives the issuer's answer",
                self.redirect_uri,
                super::CALLBACK_PATH
            ));
        }
        Ok(())
    }
}

/// An HTTP client for the authorization server: bounded in time, and
/// never following redirects (a token request is not to be re-sent
/// elsewhere).
pub(super) fn issuer_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())
}

/// A token request (RFC 6749 §3.2): `pairs` as a form, the client
/// authenticated with `client_secret_basic` when it has a secret (else its
/// `client_id` in the form); the answer's JSON, or the issuer's error.
pub(super) async fn token_request(
    http: &reqwest::Client,
    endpoint: &str,
    client_id: &str,
    secret: Option<&str>,
    pairs: &[(&str, &str)],
) -> Result<Value, String> {
    let body = {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.extend_pairs(pairs.iter().copied());
        if secret.is_none() {
            form.append_pair("client_id", client_id);
        }
        form.finish()
    };
    let mut request = http
        .post(endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json");
    if let Some(secret) = secret {
        request = request.basic_auth(client_id, Some(secret));
    }
    let response = request
        .body(body)
        .send()
        .await
        .map_err(|e| format!("{endpoint}: {e}"))?;
    read_json(endpoint, response).await
}

/// The secret in `var`, when a variable is named.
pub(super) fn secret_from(var: Option<&String>, client_id: &str) -> Result<Option<String>, String> {
    match var {
        Some(var) => std::env::var(var)
            .map(Some)
            .map_err(|_| format!("set {var} to the client secret of `{client_id}`")),
        None => Ok(None),
    }
}

impl ClientCredentials {
    async fn token(&self, url: &str) -> Result<Token, String> {
        let resource = self.client.resource.as_deref().unwrap_or(url);
        let mut pairs = vec![("grant_type", "client_credentials"), ("resource", resource)];
        if let Some(scope) = &self.client.scope {
            pairs.push(("scope", scope));
        }
        let (endpoint, answer) = self.client.request(&pairs).await?;
        token_of(&endpoint, &answer)
    }
}

impl OAuthClient {
    /// The token endpoint can be found, and every URL is safe (for the
    /// `way` of `key`: `client_credentials` or `token_exchange`).
    fn check(&self, key: &str, way: &str) -> Result<(), String> {
        if self.issuer.is_none() && self.token_endpoint.is_none() {
            return Err(format!(
                "{key} {way} needs `issuer` (to discover its token endpoint) or `token_endpoint`"
            ));
        }
        for url in [&self.issuer, &self.token_endpoint, &self.resource]
            .into_iter()
            .flatten()
        {
            check_url(key, url)?;
        }
        Ok(())
    }

    /// Asks the token endpoint (discovered from the issuer when not set)
    /// for `pairs`: the endpoint, and its answer.
    async fn request(&self, pairs: &[(&str, &str)]) -> Result<(String, Value), String> {
        let http = issuer_client()?;
        let endpoint = match (&self.token_endpoint, &self.issuer) {
            (Some(endpoint), _) => endpoint.clone(),
            (None, Some(issuer)) => endpoints_of(&http, issuer).await?.token,
            (None, None) => return Err("no token endpoint".to_owned()),
        };
        let secret = secret_from(self.client_secret_env.as_ref(), &self.client_id)?;
        let answer =
            token_request(&http, &endpoint, &self.client_id, secret.as_deref(), pairs).await?;
        Ok((endpoint, answer))
    }
}

/// The access token in `endpoint`'s `answer`, to be renewed before it expires.
fn token_of(endpoint: &str, answer: &Value) -> Result<Token, String> {
    let value = answer["access_token"]
        .as_str()
        .ok_or_else(|| format!("{endpoint} answered without an access_token"))?
        .to_owned();
    let renew_at = answer["expires_in"]
        .as_u64()
        .map(|secs| Instant::now() + renew_after(secs));
    Ok(Token { value, renew_at })
}

/// How long after it is issued a token that lives `secs` is renewed: a
/// minute early, or at half its life when it is short.
pub(super) fn renew_after(secs: u64) -> Duration {
    let early = (secs / 2).min(60);
    Duration::from_secs(secs - early)
}

/// An authorization server's endpoints.
pub(super) struct Endpoints {
    pub authorization: Option<String>,
    pub token: String,
}

/// The endpoints from the issuer's metadata (RFC 8414, then OpenID).
pub(super) async fn endpoints_of(
    http: &reqwest::Client,
    issuer: &str,
) -> Result<Endpoints, String> {
    let issuer = issuer.trim_end_matches('/');
    let mut failures = Vec::new();
    for url in metadata_urls(issuer) {
        let answer = match http.get(&url).timeout(FETCH_TIMEOUT).send().await {
            Ok(response) => read_json(&url, response).await,
            Err(e) => Err(format!("{url}: {e}")),
        };
        match answer {
            Ok(metadata)
                if metadata["issuer"].as_str().map(|i| i.trim_end_matches('/')) == Some(issuer) =>
            {
                if let Some(endpoint) = metadata["token_endpoint"].as_str() {
                    return Ok(Endpoints {
                        authorization: metadata["authorization_endpoint"]
                            .as_str()
                            .map(str::to_owned),
                        token: endpoint.to_owned(),
                    });
                }
                failures.push(format!("{url} names no token_endpoint"));
            }
            Ok(_) => failures.push(format!("{url} is the metadata of another issuer")),
            Err(error) => failures.push(error),
        }
    }
    Err(format!(
        "no token endpoint for {issuer}: {}",
        failures.join("; ")
    ))
}

/// A JSON answer within the size bound of [`read_bounded`]; an error
/// status is an error that carries the issuer's `error`, when it says one.
async fn read_json(url: &str, response: reqwest::Response) -> Result<Value, String> {
    let status = response.status();
    let body = read_bounded(url, response).await?;
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if !status.is_success() {
        let error = value["error"].as_str().unwrap_or("no error code");
        return Err(format!("{url}: HTTP {status} ({error})"));
    }
    if value.is_null() {
        return Err(format!("{url}: the answer is not JSON"));
    }
    Ok(value)
}

/// An `https://` URL, or `http://` to a loopback host.
fn check_url(key: &str, url: &str) -> Result<(), String> {
    let parsed: http::Uri = url
        .parse()
        .map_err(|e| format!("{key} {url:?} is not a URL ({e})"))?;
    let host = parsed.host().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    match parsed.scheme_str() {
        Some("https") => Ok(()),
        Some("http") if loopback => Ok(()),
        _ => Err(format!(
            "{key} {url:?}: tokens travel over https only (plain http to loopback hosts)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RemoteAuth, String> {
        let auth: RemoteAuth = toml::from_str(text).map_err(|e| e.to_string())?;
        auth.check("leaf")?;
        Ok(auth)
    }

    #[test]
    fn exactly_one_way_and_safe_urls() {
        assert!(parse("bearer_env = \"LEAF_TOKEN\"").is_ok());
        assert!(
            parse("[client_credentials]\nissuer = \"https://a.example\"\nclient_id = \"c\"")
                .is_ok()
        );
        assert!(
            parse("[token_exchange]\nissuer = \"https://a.example\"\nclient_id = \"c\"").is_ok()
        );
        assert!(
            parse(
                "[user]\nissuer = \"https://a.example\"\nclient_id = \"c\"\n\
                 redirect_uri = \"https://m.example/oauth/callback\""
            )
            .is_ok()
        );
        for (text, expected) in [
            ("", "exactly one"),
            (
                "bearer_env = \"X\"\n[client_credentials]\nissuer = \"https://a\"\nclient_id = \"c\"",
                "exactly one",
            ),
            ("[client_credentials]\nclient_id = \"c\"", "token_endpoint"),
            (
                "[client_credentials]\nissuer = \"http://a.example\"\nclient_id = \"c\"",
                "https only",
            ),
            ("token = \"secret\"", "token"),
            (
                "[user]\nclient_id = \"c\"\nredirect_uri = \"https://m.example/oauth/callback\"",
                "issuer",
            ),
            ("[token_exchange]\nclient_id = \"c\"", "token_endpoint"),
            (
                "bearer_env = \"X\"\n[token_exchange]\nissuer = \"https://a\"\nclient_id = \"c\"",
                "exactly one",
            ),
            (
                "[user]\nissuer = \"https://a.example\"\nclient_id = \"c\"\n\
                 redirect_uri = \"https://m.example/elsewhere\"",
                "/oauth/callback",
            ),
            (
                "[user]\nissuer = \"https://a.example\"\nclient_id = \"c\"\n\
                 redirect_uri = \"http://m.example/oauth/callback\"",
                "https only",
            ),
        ] {
            let error = parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn each_client_section_reads_every_key_and_refuses_others_by_name() {
        let client = |secret: &str| OAuthClient {
            issuer: Some("https://a.example".into()),
            token_endpoint: Some("https://a.example/token".into()),
            client_id: "reports".into(),
            client_secret_env: Some(secret.into()),
            scope: Some("crm:read crm:write".into()),
            resource: Some("https://crm.example/mcp".into()),
        };
        let shared = |secret: &str| {
            format!(
                "issuer = \"https://a.example\"\ntoken_endpoint = \"https://a.example/token\"\n\
                 client_id = \"reports\"\nclient_secret_env = \"{secret}\"\n\
                 scope = \"crm:read crm:write\"\nresource = \"https://crm.example/mcp\"\n"
            )
        };

        let full = parse(&format!("[client_credentials]\n{}", shared("CC"))).unwrap();
        assert_eq!(
            full.client_credentials,
            Some(ClientCredentials {
                client: client("CC")
            })
        );
        let full = parse(&format!(
            "[token_exchange]\n{}audience = \"crm\"\n",
            shared("TX")
        ))
        .unwrap();
        assert_eq!(
            full.token_exchange,
            Some(TokenExchange {
                client: client("TX"),
                audience: Some("crm".into()),
            })
        );
        let full = parse(&format!(
            "[user]\n{}authorization_endpoint = \"https://a.example/authorize\"\n\
             redirect_uri = \"https://m.example/oauth/callback\"\n",
            shared("US")
        ))
        .unwrap();
        assert_eq!(
            full.user,
            Some(UserSignIn {
                client: client("US"),
                authorization_endpoint: Some("https://a.example/authorize".into()),
                redirect_uri: "https://m.example/oauth/callback".into(),
            })
        );

        // A key of one section is unknown in another; a misspelt one everywhere.
        let minimal = "issuer = \"https://a.example\"\nclient_id = \"c\"\n";
        let callback = "redirect_uri = \"https://m.example/oauth/callback\"\n";
        for (section, extra) in [
            ("client_credentials", "audience = \"crm\""),
            (
                "client_credentials",
                "redirect_uri = \"https://m.example/oauth/callback\"",
            ),
            (
                "token_exchange",
                "authorization_endpoint = \"https://a.example/a\"",
            ),
            ("token_exchange", "client_secret = \"hunter2\""),
            ("user", "audience = \"crm\""),
            ("user", "scopes = \"crm:read\""),
        ] {
            let own = if section == "user" { callback } else { "" };
            let text = format!("[{section}]\n{minimal}{own}{extra}\n");
            let error = parse(&text).unwrap_err();
            let field = extra.split(' ').next().unwrap();
            assert!(
                error.contains(&format!(
                    "unknown field `{field}` in [servers.NAME.auth.{section}], \
                     expected one of `issuer`"
                )),
                "{text}: {error}"
            );
        }

        // Required keys, and values that are not strings, are still refused.
        for (text, expected) in [
            (
                "[token_exchange]\nissuer = \"https://a.example\"",
                "missing field `client_id` in [servers.NAME.auth.token_exchange]",
            ),
            (
                "[user]\nissuer = \"https://a.example\"\nclient_id = \"c\"",
                "missing field `redirect_uri` in [servers.NAME.auth.user]",
            ),
            (
                "[client_credentials]\nissuer = \"https://a.example\"\nclient_id = 7",
                "invalid type: integer `7`, expected a string",
            ),
            (
                "[client_credentials]\nclient_id = \"c\"\nissuer = \"https://a.example\"\n\
                 issuer = \"https://b.example\"",
                "issuer",
            ),
        ] {
            let error = parse(text).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[tokio::test]
    async fn a_bearer_token_comes_from_the_environment_or_the_error_names_the_variable() {
        let auth = parse("bearer_env = \"AGENTWIRE_TEST_SURELY_UNSET_TOKEN\"").unwrap();
        let error = auth.token("http://127.0.0.1:1/mcp").await.err().unwrap();
        assert!(
            error.contains("AGENTWIRE_TEST_SURELY_UNSET_TOKEN"),
            "{error}"
        );
        // PATH is set in every test environment: its value stands in for a token.
        let auth = parse("bearer_env = \"PATH\"").unwrap();
        let token = auth.token("http://127.0.0.1:1/mcp").await.unwrap();
        assert_eq!(token.value, std::env::var("PATH").unwrap());
        assert!(token.renew_at.is_none());
    }
}
