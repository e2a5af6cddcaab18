//! The authorization server as this resource server sees it: its metadata
//! (RFC 8414, or OpenID discovery) and its signing keys (JWKS), fetched on
//! first use, cached, and refetched when a token names a key the cache does
//! not hold, at most once per `jwks_refetch`.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use crate::mcp::oauth::{FETCH_TIMEOUT, metadata_urls, read_bounded};

/// What this server needs from the issuer's metadata.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct IssuerMetadata {
    pub issuer: String,
    pub jwks_uri: Option<String>,
    pub introspection_endpoint: Option<String>,
}

/// The issuer's metadata and keys, cached.
pub(crate) struct Issuer {
    issuer: String,
    http: reqwest::Client,
    refetch_every: Duration,
    cache: Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    metadata: Option<IssuerMetadata>,
    keys: Option<JwkSet>,
    /// When the keys were last fetched (or a fetch last failed).
    fetched_at: Option<Instant>,
}

/// Why no key could be found for a token.
#[derive(Debug)]
pub(crate) enum KeyError {
    /// The issuer's JWKS has no such key, even after a refetch (or a
    /// refetch was refused by the rate limit).
    Unknown,
    /// The issuer could not be reached or answered nonsense.
    Unavailable(String),
}

impl Issuer {
    pub(crate) fn new(issuer: String, http: reqwest::Client, refetch_every: Duration) -> Self {
        Issuer {
            issuer,
            http,
            refetch_every,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// The issuer identifier tokens must carry in `iss`.
    pub(crate) fn id(&self) -> &str {
        &self.issuer
    }

    /// The issuer's metadata, fetched once.
    pub(crate) async fn metadata(&self) -> Result<IssuerMetadata, String> {
        let mut cache = self.cache.lock().await;
        self.metadata_in(&mut cache).await
    }

    async fn metadata_in(&self, cache: &mut Cache) -> Result<IssuerMetadata, String> {
        if let Some(metadata) = &cache.metadata {
            return Ok(metadata.clone());
        }
        let metadata = self.discover().await?;
        cache.metadata = Some(metadata.clone());
        Ok(metadata)
    }

    /// RFC 8414 first (with the issuer's path after the well-known part),
    /// then OpenID discovery; the document must name this very issuer.
    async fn discover(&self) -> Result<IssuerMetadata, String> {
        let issuer = self.issuer.trim_end_matches('/');
        let mut failures = Vec::new();
        for url in metadata_urls(issuer) {
            match get_json::<IssuerMetadata>(&self.http, &url).await {
                Ok(metadata) if metadata.issuer.trim_end_matches('/') == issuer => {
                    return Ok(metadata);
                }
                Ok(metadata) => failures.push(format!(
                    "{url} names issuer {:?}, not {:?}",
                    metadata.issuer, self.issuer
                )),
                Err(error) => failures.push(error),
            }
        }
        Err(format!(
            "no metadata for issuer {}: {}",
            self.issuer,
            failures.join("; ")
        ))
    }

    /// The key `kid` (or the only key, when the token names none).
    pub(crate) async fn key(&self, kid: Option<&str>) -> Result<Jwk, KeyError> {
        let mut cache = self.cache.lock().await;
        if let Some(key) = cache.keys.as_ref().and_then(|keys| find(keys, kid)) {
            return Ok(key);
        }
        let may_fetch = cache
            .fetched_at
            .is_none_or(|at| at.elapsed() >= self.refetch_every);
        if !may_fetch {
            return Err(KeyError::Unknown);
        }
        cache.fetched_at = Some(Instant::now());
        let metadata = self
            .metadata_in(&mut cache)
            .await
            .map_err(KeyError::Unavailable)?;
        let Some(jwks_uri) = metadata.jwks_uri else {
            return Err(KeyError::Unavailable(format!(
                "the metadata of {} has no jwks_uri",
                self.issuer
            )));
        };
        let keys: JwkSet = get_json(&self.http, &jwks_uri)
            .await
            .map_err(KeyError::Unavailable)?;
        let found = find(&keys, kid);
        cache.keys = Some(keys);
        found.ok_or(KeyError::Unknown)
    }
}

fn find(keys: &JwkSet, kid: Option<&str>) -> Option<Jwk> {
    match kid {
        Some(kid) => keys.find(kid).cloned(),
        None if keys.keys.len() == 1 => keys.keys.first().cloned(),
        None => None,
    }
}

/// GETs a JSON document, within [`FETCH_TIMEOUT`] and the size bound of
/// [`read_bounded`].
pub(crate) async fn get_json<T: DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<T, String> {
    let response = http
        .get(url)
        .header("accept", "application/json")
        .timeout(FETCH_TIMEOUT)
        .send()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    read_json(url, response).await
}

/// Reads a JSON answer within the size bound of [`read_bounded`]; a status
/// other than success is an error.
pub(crate) async fn read_json<T: DeserializeOwned>(
    url: &str,
    response: reqwest::Response,
) -> Result<T, String> {
    let status = response.status();
    if !status.is_success() {
        return Err(format!("{url}: HTTP {status}"));
    }
    let body = read_bounded(url, response).await?;
    serde_json::from_slice(&body).map_err(|e| format!("{url}: {e}"))
}
