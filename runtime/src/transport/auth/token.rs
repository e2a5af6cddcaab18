//! An access token checked into a [`Principal`]: a JWT against the issuer's
//! keys, or an opaque token through RFC 7662 introspection.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

use super::issuer::{Issuer, KeyError, read_json};
use super::refusal::Refusal;
use crate::agent::Principal;

/// The signature algorithms accepted: asymmetric only, so a public key can
/// never be used as an HMAC secret (algorithm confusion), and never `none`.
const ACCEPTED: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// The longest token read (a JWT with many claims is a few KiB).
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// What a resource server checks a token against.
pub(crate) struct Checks<'a> {
    pub issuer: &'a Issuer,
    pub audience: &'a str,
    pub leeway_secs: u64,
}

/// The claims that make a principal.
#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
    client_id: Option<String>,
    azp: Option<String>,
    scope: Option<String>,
    scp: Option<Value>,
}

impl Claims {
    fn into_principal(self) -> Result<Principal, Refusal> {
        let subject = self
            .sub
            .or_else(|| self.client_id.clone())
            .ok_or_else(|| invalid("the token has no subject (sub)"))?;
        let mut scopes: Vec<String> = self
            .scope
            .as_deref()
            .unwrap_or_default()
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        match self.scp {
            Some(Value::Array(items)) => {
                scopes.extend(items.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            Some(Value::String(text)) => scopes.extend(text.split(' ').map(str::to_owned)),
            _ => {}
        }
        Ok(Principal {
            subject,
            client_id: self.client_id.or(self.azp),
            scopes,
            access_token: None,
        })
    }
}

fn invalid(why: impl Into<String>) -> Refusal {
    Refusal::InvalidToken(why.into())
}

/// Whether `token` has the shape of a JWS (three base64url parts).
pub(crate) fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3
}

/// Checks a JWT: its algorithm, its key in the issuer's JWKS, its
/// signature, `iss`, `aud`, `exp` and `nbf` (with leeway).
pub(crate) async fn check_jwt(token: &str, checks: &Checks<'_>) -> Result<Principal, Refusal> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(invalid("the token is too long"));
    }
    // An algorithm this crate does not know (`none` among them) fails here.
    let header = jsonwebtoken::decode_header(token).map_err(|_| {
        invalid("the token's header is not a JWS header with an accepted algorithm")
    })?;
    if !ACCEPTED.contains(&header.alg) {
        return Err(invalid(format!(
            "the token is signed with {:?}, which this server does not accept",
            header.alg
        )));
    }
    let key = match checks.issuer.key(header.kid.as_deref()).await {
        Ok(key) => key,
        Err(KeyError::Unknown) => {
            return Err(invalid(
                "the token is signed with a key the issuer does not publish",
            ));
        }
        Err(KeyError::Unavailable(why)) => return Err(Refusal::IssuerUnavailable(why)),
    };
    check_key_fits(&key, header.alg)?;
    let decoding =
        DecodingKey::from_jwk(&key).map_err(|_| invalid("the issuer's key is unusable"))?;
    let mut validation = Validation::new(header.alg);
    validation.algorithms = vec![header.alg];
    validation.leeway = checks.leeway_secs;
    validation.validate_nbf = true;
    validation.set_issuer(&[checks.issuer.id()]);
    validation.set_audience(&[checks.audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud"]);
    let data = jsonwebtoken::decode::<Claims>(token, &decoding, &validation).map_err(|error| {
        invalid(match error.kind() {
            ErrorKind::ExpiredSignature => "the token expired".to_owned(),
            ErrorKind::ImmatureSignature => "the token is not valid yet (nbf)".to_owned(),
            ErrorKind::InvalidAudience => format!("the token is not for {} (aud)", checks.audience),
            ErrorKind::InvalidIssuer => {
                format!("the token is not from {} (iss)", checks.issuer.id())
            }
            ErrorKind::InvalidSignature => "the token's signature is wrong".to_owned(),
            ErrorKind::MissingRequiredClaim(claim) => format!("the token has no {claim}"),
            ErrorKind::InvalidAlgorithm => "the token's algorithm does not fit its key".to_owned(),
            _ => "the token is malformed".to_owned(),
        })
    })?;
    data.claims.into_principal()
}

/// The key's type and declared algorithm must fit the token's algorithm.
fn check_key_fits(key: &Jwk, alg: Algorithm) -> Result<(), Refusal> {
    let fits = match &key.algorithm {
        AlgorithmParameters::RSA(_) => matches!(
            alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
        ),
        AlgorithmParameters::EllipticCurve(_) => matches!(alg, Algorithm::ES256 | Algorithm::ES384),
        AlgorithmParameters::OctetKeyPair(_) => alg == Algorithm::EdDSA,
        // Symmetric keys are never a resource server's business.
        _ => false,
    };
    let declared = key
        .common
        .key_algorithm
        .map(|declared| declared.to_string());
    if !fits || declared.is_some_and(|declared| declared != format!("{alg:?}")) {
        return Err(invalid(
            "the token's algorithm does not fit the issuer's key",
        ));
    }
    Ok(())
}

/// How this server asks the issuer about opaque tokens (RFC 7662).
pub(crate) struct Introspection {
    pub endpoint: Option<String>,
    pub client_id: String,
    pub client_secret: Option<String>,
}

/// RFC 7662's answer, the fields this server reads.
#[derive(Deserialize)]
struct Introspected {
    active: bool,
    #[serde(default)]
    exp: Option<u64>,
    #[serde(default)]
    nbf: Option<u64>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    aud: Option<Value>,
    #[serde(flatten)]
    claims: Value,
}

/// Asks the issuer whether an opaque token is active, and for whom.
pub(crate) async fn introspect(
    token: &str,
    introspection: &Introspection,
    checks: &Checks<'_>,
    http: &reqwest::Client,
) -> Result<Principal, Refusal> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(invalid("the token is too long"));
    }
    let endpoint = match &introspection.endpoint {
        Some(endpoint) => endpoint.clone(),
        None => checks
            .issuer
            .metadata()
            .await
            .map_err(Refusal::IssuerUnavailable)?
            .introspection_endpoint
            .ok_or_else(|| {
                Refusal::IssuerUnavailable("the issuer publishes no introspection_endpoint".into())
            })?,
    };
    let response = http
        .post(&endpoint)
        .basic_auth(
            &introspection.client_id,
            introspection.client_secret.as_deref(),
        )
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("token", token),
            ("token_type_hint", "access_token"),
        ]))
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| Refusal::IssuerUnavailable(format!("{endpoint}: {e}")))?;
    let answer: Introspected = read_json(&endpoint, response)
        .await
        .map_err(Refusal::IssuerUnavailable)?;
    if !answer.active {
        return Err(invalid("the token is not active"));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if answer.exp.is_some_and(|exp| exp + checks.leeway_secs < now) {
        return Err(invalid("the token expired"));
    }
    if answer.nbf.is_some_and(|nbf| nbf > now + checks.leeway_secs) {
        return Err(invalid("the token is not valid yet (nbf)"));
    }
    if answer
        .iss
        .as_deref()
        .is_some_and(|iss| iss != checks.issuer.id())
    {
        return Err(invalid(format!(
            "the token is not from {} (iss)",
            checks.issuer.id()
        )));
    }
    let for_us = match &answer.aud {
        None => true,
        Some(Value::String(aud)) => aud == checks.audience,
        Some(Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(checks.audience)),
        Some(_) => false,
    };
    if !for_us {
        return Err(invalid(format!(
            "the token is not for {} (aud)",
            checks.audience
        )));
    }
    let claims: Claims = serde_json::from_value(answer.claims)
        .map_err(|_| invalid("the introspection answer is malformed"))?;
    claims.into_principal()
}

/// An `application/x-www-form-urlencoded` body.
pub(crate) fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}
