//! User-delegated sign-in downstream: a middle server, protected by
//! `[auth]`, calls a protected leaf *as the user*. The first call sends the
//! user to the leaf's issuer with a URL elicitation (a server→client request
//! in a 2025-11-25 session, an `InputRequiredResult` in 2026-07-28); the
//! user's "browser" (this test's HTTP client, carrying the issuer's session
//! cookie) follows the issuer's redirect to the middle server's callback,
//! which completes authorization code + PKCE and keeps the token, sealed,
//! for that user. The leaf sees the user through the middle server's client
//! (`middle-app`), never the token the user sent to the middle server.
//! Real issuer (oauth2-mock-server), real HTTP everywhere.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::transport::auth::AuthConfig;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction, ElicitationCapability, Implementation,
    UrlElicitationCapability,
};
use rmcp::service::{RequestContext, RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientHandler, ErrorData};
use serde_json::{Value, json};
use support::issuer::Issuer;
use support::{Era, connect_as, text};

/// Says who called.
#[agent]
async fn whoami(ctx: &AgentContext) -> Value {
    match ctx.principal() {
        Some(p) => json!({"subject": p.subject, "client": p.client_id, "scopes": p.scopes}),
        None => Value::Null,
    }
}

/// `whoami` on the leaf server.
#[agent(remote = "leaf", name = "whoami")]
async fn leaf_whoami() -> Value;

/// Asks the leaf who it thinks is calling.
#[agent(calls = [leaf_whoami])]
async fn ask_leaf(ctx: &AgentContext) -> Result<Value, CallError> {
    leaf_whoami::call(ctx).await
}

/// The user's side: an MCP client whose "browser" is signed in to the
/// issuer as `user` and visits every URL it is asked to (or declines).
#[derive(Clone)]
struct Browser {
    user: &'static str,
    decline: bool,
    /// The issuer refuses the sign-in: the browser lands on the callback
    /// with `error=access_denied`, as an issuer sends it back.
    denied: bool,
    visited: Arc<Mutex<Vec<String>>>,
}

impl Browser {
    fn new(user: &'static str) -> Self {
        Browser {
            user,
            decline: false,
            denied: false,
            visited: Arc::default(),
        }
    }

    fn visits(&self) -> usize {
        self.visited.lock().unwrap().len()
    }
}

impl ClientHandler for Browser {
    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        capabilities.elicitation =
            Some(ElicitationCapability::new().with_url(UrlElicitationCapability::new()));
        ClientConfig::new(capabilities, Implementation::new("browser", "0.1"))
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let ElicitRequestParams::UrlElicitationParams { url, .. } = request else {
            return Err(ErrorData::invalid_params("only URLs here", None));
        };
        if self.decline {
            return Ok(ElicitResult::new(ElicitationAction::Decline));
        }
        self.visited.lock().unwrap().push(url.clone());
        if self.denied {
            let authorize = reqwest::Url::parse(&url).expect("a URL");
            let param = |name: &str| {
                authorize
                    .query_pairs()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.into_owned())
                    .expect(name)
            };
            let callback = format!(
                "{}?error=access_denied&state={}",
                param("redirect_uri"),
                param("state")
            );
            let answer = reqwest::get(&callback).await.expect("the callback answers");
            assert_eq!(answer.status(), reqwest::StatusCode::BAD_REQUEST);
            return Ok(ElicitResult::new(ElicitationAction::Accept));
        }
        // As a browser would: the issuer's session cookie, redirects
        // followed to the middle server's callback.
        let page = reqwest::Client::new()
            .get(&url)
            .header("cookie", format!("test_user={}", self.user))
            .send()
            .await
            .expect("the sign-in pages answer");
        let status = page.status();
        let landed = page.url().path().to_owned();
        let body = page.text().await.unwrap_or_default();
        assert_eq!(landed, "/oauth/callback", "{url} → {landed}");
        assert!(status.is_success(), "{status}: {body}");
        Ok(ElicitResult::new(ElicitationAction::Accept))
    }
}

struct Chain {
    issuer: Issuer,
    _leaf: HttpServer,
    middle: HttpServer,
    middle_url: String,
    store: std::path::PathBuf,
}

async fn protected(server: AgentServer, issuer: &Issuer, port: u16) -> HttpServer {
    let options = HttpOptions {
        auth: Some(AuthConfig::new(&issuer.url)),
        ..HttpOptions::default()
    };
    HttpServer::bind(server, ([127, 0, 0, 1], port).into(), options)
        .await
        .expect("bind")
}

/// The issuer, a protected leaf, and a protected middle server whose users
/// sign in to the leaf themselves.
async fn chain() -> Chain {
    let issuer = Issuer::start().await;
    let registry = || Registry::collect().unwrap();
    let leaf = protected(
        AgentServer::new(registry(), ServerIdentity::new("leaf", "1")),
        &issuer,
        0,
    )
    .await;
    // The callback's address goes in the config before the server is
    // bound: a free port, taken again at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("agentwire-sign-in-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = dir.join("middle.journal");
    let config = Config::parse(&format!(
        r#"
        [workflows]
        journal = "{store}"
        [servers.leaf]
        url = "http://{leaf}/mcp"
        [servers.leaf.auth.user]
        issuer = "{issuer}"
        client_id = "middle-app"
        redirect_uri = "http://127.0.0.1:{port}/oauth/callback"
        scope = "mcp"
        "#,
        store = store.display(),
        leaf = leaf.local_addr(),
        issuer = issuer.url,
    ))
    .expect("a valid config");
    let middle = protected(
        AgentServer::with_config(registry(), ServerIdentity::new("middle", "1"), &config),
        &issuer,
        port,
    )
    .await;
    let middle_url = format!("http://{}/mcp", middle.local_addr());
    Chain {
        issuer,
        _leaf: leaf,
        middle,
        middle_url,
        store,
    }
}

impl Chain {
    /// `user`'s MCP client of the middle server, with their token for it.
    async fn client(
        &self,
        user: &str,
        browser: Browser,
        era: Era,
    ) -> RunningService<RoleClient, Browser> {
        let token = self
            .issuer
            .mint(json!({"aud": self.middle_url, "sub": user, "client_id": "user-app", "scope": "mcp"}))
            .await;
        let transport = StreamableHttpClientTransport::from_config(
            StreamableHttpClientTransportConfig::with_uri(self.middle_url.clone())
                .auth_header(token),
        );
        connect_as(browser, transport, era).await
    }
}

async fn ask(client: &RunningService<RoleClient, Browser>) -> CallToolResult {
    client
        .call_tool(CallToolRequestParams::new("ask_leaf"))
        .await
        .expect("an answer")
}

fn leaf_saw(result: &CallToolResult) -> Value {
    assert_ne!(result.is_error, Some(true), "{}", text(result));
    serde_json::from_str(&text(result)).unwrap()
}

#[tokio::test]
async fn users_sign_in_to_the_leaf_through_the_middle_server_in_both_eras() {
    let chain = chain().await;
    for (era, user) in [(Era::Legacy, "alice"), (Era::Stateless, "carol")] {
        let browser = Browser::new(user);
        let client = chain.client(user, browser.clone(), era).await;
        let codes_before = chain.issuer.token_requests("authorization_code").await;

        let saw = leaf_saw(&ask(&client).await);
        assert_eq!(
            saw,
            json!({"subject": user, "client": "middle-app", "scopes": ["mcp"]}),
            "{era:?}: the leaf sees the user through the middle server's own sign-in"
        );
        assert_eq!(browser.visits(), 1, "{era:?}: asked once to sign in");
        let url = browser.visited.lock().unwrap()[0].clone();
        assert!(url.contains("code_challenge_method=S256"), "{url}");
        assert!(url.contains("client_id=middle-app"), "{url}");
        assert_eq!(
            chain.issuer.token_requests("authorization_code").await,
            codes_before + 1
        );

        // The second call reuses the kept token: no question, no new code.
        let saw = leaf_saw(&ask(&client).await);
        assert_eq!(saw["subject"], user);
        assert_eq!(browser.visits(), 1, "{era:?}: not asked again");
        assert_eq!(
            chain.issuer.token_requests("authorization_code").await,
            codes_before + 1
        );
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn a_kept_token_is_refreshed_sealed_and_only_its_users() {
    let chain = chain().await;
    // Alice's token lives 2 s (so it is renewed after 1 s).
    chain.issuer.set_token_lifetime(2).await;
    let alice = Browser::new("alice");
    let client = chain.client("alice", alice.clone(), Era::Legacy).await;
    assert_eq!(leaf_saw(&ask(&client).await)["subject"], "alice");
    let refreshes = chain.issuer.token_requests("refresh_token").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(leaf_saw(&ask(&client).await)["subject"], "alice");
    assert_eq!(
        chain.issuer.token_requests("refresh_token").await,
        refreshes + 1,
        "the expired token was refreshed with its refresh token"
    );
    assert_eq!(alice.visits(), 1, "refreshing needs no new sign-in");
    client.cancel().await.unwrap();

    // Bob's call does not get alice's token: he is sent to sign in himself,
    // and when he declines the call fails without reaching the leaf.
    let bob = Browser {
        decline: true,
        ..Browser::new("bob")
    };
    let client = chain.client("bob", bob, Era::Stateless).await;
    let result = ask(&client).await;
    assert_eq!(result.is_error, Some(true), "{result:?}");
    assert!(
        text(&result).contains("did not sign in"),
        "{}",
        text(&result)
    );
    client.cancel().await.unwrap();

    // The store keeps alice's token, and no JWT (access token) in the clear.
    let mut bytes = Vec::new();
    for suffix in ["", "-wal"] {
        let mut name = chain.store.clone().into_os_string();
        name.push(suffix);
        bytes.extend(std::fs::read(name).unwrap_or_default());
    }
    let rows: i64 = rusqlite::Connection::open(&chain.store)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM user_tokens WHERE subject = 'alice' AND server = 'leaf'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(rows, 1);
    assert!(
        !String::from_utf8_lossy(&bytes).contains("eyJ"),
        "a JWT is stored in the clear"
    );
    drop(chain.middle);
    std::fs::remove_dir_all(chain.store.parent().unwrap()).unwrap();
}

#[tokio::test]
async fn the_callback_refuses_an_unknown_or_reused_state() {
    let chain = chain().await;
    let callback = chain.middle_url.replace("/mcp", "/oauth/callback");
    let http = reqwest::Client::new();
    let answer = http
        .get(format!("{callback}?code=abc&state=forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::BAD_REQUEST);
    assert!(
        answer
            .text()
            .await
            .unwrap()
            .contains("no sign-in is waiting")
    );

    // A real sign-in's callback, replayed, is refused the second time.
    let alice = Browser::new("alice");
    let client = chain.client("alice", alice.clone(), Era::Legacy).await;
    assert_eq!(leaf_saw(&ask(&client).await)["subject"], "alice");
    let url = alice.visited.lock().unwrap()[0].clone();
    let redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // The issuer hands out a new code for the same state; the state is used.
    let again = redirect
        .get(&url)
        .header("cookie", "test_user=mallory")
        .send()
        .await
        .unwrap();
    let location = again.headers()["location"].to_str().unwrap().to_owned();
    let answer = http.get(&location).send().await.unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(leaf_saw(&ask(&client).await)["subject"], "alice");
    client.cancel().await.unwrap();
}

#[tokio::test]
async fn a_sign_in_the_issuer_refuses_fails_the_call_with_the_issuers_reason() {
    let chain = chain().await;
    for (era, user) in [(Era::Legacy, "dave"), (Era::Stateless, "erin")] {
        let browser = Browser {
            denied: true,
            ..Browser::new(user)
        };
        let client = chain.client(user, browser.clone(), era).await;
        // Without the failure reaching the waiting call, it would wait for
        // its patience (minutes) and then say the user did not finish.
        let result = ask(&client).await;
        assert_eq!(result.is_error, Some(true), "{era:?}: {result:?}");
        assert!(
            text(&result).contains("access_denied"),
            "{era:?}: {}",
            text(&result)
        );
        assert_eq!(browser.visits(), 1, "{era:?}");
        client.cancel().await.unwrap();
    }
}
