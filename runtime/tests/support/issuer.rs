//! A real OAuth issuer for the authorization tests: npm `oauth2-mock-server`
//! run by `scripts/lib/oauth-issuer.mjs` on a free loopback port. It is
//! installed (with a recent enough Node) by `scripts/oauth-issuer.sh`, which
//! `scripts/test.sh` runs first; a test run without it fails and says so.

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Keep in step with `OAUTH_MOCK_SERVER_VERSION` in scripts/oauth-issuer.sh.
const OAUTH_MOCK_SERVER: &str = "oauth2-mock-server-9.3.0";

/// A running issuer; stopped when dropped (its stdin closes, and it is killed).
pub struct Issuer {
    /// `http://localhost:PORT`, the `iss` of its tokens.
    pub url: String,
    _child: Child,
    http: reqwest::Client,
}

fn cache() -> PathBuf {
    match std::env::var_os("AGENTWIRE_CACHE") {
        Some(dir) => PathBuf::from(dir),
        None => {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/agentwire")
        }
    }
}

impl Issuer {
    /// Starts an issuer; panics, naming the setup script, when it is not installed.
    pub async fn start() -> Issuer {
        let dir = cache().join(OAUTH_MOCK_SERVER);
        let node = std::fs::read_to_string(dir.join("node-path")).unwrap_or_else(|_| {
            panic!(
                "the test OAuth issuer is not installed in {}: run `bash scripts/oauth-issuer.sh` \
                 (scripts/test.sh does it first)",
                dir.display()
            )
        });
        let launcher =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/lib/oauth-issuer.mjs");
        let mut child = Command::new(node.trim())
            .arg(launcher)
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start the test OAuth issuer (node)");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        tokio::time::timeout(
            std::time::Duration::from_secs(30),
            BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .expect("the issuer announces itself within 30 s")
        .expect("read the issuer's first line");
        let announced: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the issuer printed {line:?}: {e}"));
        Issuer {
            url: announced["issuer"]
                .as_str()
                .expect("an issuer URL")
                .to_owned(),
            _child: child,
            http: reqwest::Client::new(),
        }
    }

    /// The issuer's address for this machine's HTTP clients (127.0.0.1, as
    /// `localhost` may resolve to ::1 first).
    pub fn loopback(&self) -> String {
        self.url.replace("localhost", "127.0.0.1")
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}{path}", self.loopback()))
            .json(&body)
            .send()
            .await
            .expect("the issuer answers");
        let status = response.status();
        let body: Value = response.json().await.expect("a JSON answer");
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// A token signed by the issuer's key with `claims` over the usual
    /// `iss`, `iat`, `nbf`, `exp` (a claim set to `null` is removed).
    pub async fn mint(&self, claims: Value) -> String {
        self.mint_with(json!({ "claims": claims })).await
    }

    /// A token as `/test/mint` makes it (see scripts/lib/oauth-issuer.mjs):
    /// `key` may be `stranger`, `none` or `hs256`, `header` overrides.
    pub async fn mint_with(&self, request: Value) -> String {
        let answer = self.post("/test/mint", request).await;
        answer["token"].as_str().expect("a token").to_owned()
    }

    /// Adds a new signing key `kid` to the issuer's JWKS.
    pub async fn rotate(&self, kid: &str) {
        self.post("/test/rotate", json!({ "kid": kid })).await;
    }

    /// Makes `/introspect` answer `response` for the opaque `token`.
    pub async fn set_introspection(&self, token: &str, response: Value) {
        self.post(
            "/test/introspection",
            json!({ "token": token, "response": response }),
        )
        .await;
    }

    async fn counters(&self) -> Value {
        self.http
            .get(format!("{}/test/requests", self.loopback()))
            .send()
            .await
            .expect("the issuer answers")
            .json()
            .await
            .expect("JSON")
    }

    /// How many times the JWKS was fetched.
    pub async fn jwks_fetches(&self) -> u64 {
        self.counters().await["jwks"].as_u64().expect("a count")
    }

    /// How many token requests of `grant_type` the issuer answered.
    pub async fn token_requests(&self, grant_type: &str) -> u64 {
        self.counters().await["token"][grant_type]
            .as_u64()
            .unwrap_or(0)
    }

    /// Access tokens issued from now on expire after `seconds`.
    pub async fn set_token_lifetime(&self, seconds: u64) {
        self.post("/test/token-lifetime", json!({ "seconds": seconds }))
            .await;
    }

    /// A client-credentials token from `/token` for `client_id`, with
    /// `scope`, for the resource `resource`.
    pub async fn client_credentials(&self, client_id: &str, scope: &str, resource: &str) -> String {
        let answer: Value = self
            .http
            .post(format!("{}/token", self.loopback()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs([
                        ("grant_type", "client_credentials"),
                        ("client_id", client_id),
                        ("scope", scope),
                        ("resource", resource),
                    ])
                    .finish(),
            )
            .send()
            .await
            .expect("the issuer answers")
            .json()
            .await
            .expect("JSON");
        answer["access_token"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }
}
