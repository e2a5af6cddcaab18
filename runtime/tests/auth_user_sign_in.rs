//! User-delegated sign-in downstream: a middle server, protected by
//! `[auth]`, calls a protected leaf *as the user*. The first call sends the
//! user to the leaf's issuer with a URL elicitation (a server→client request
//! in a 2025-11-25 session, an `InputRequiredResult` in 2026-07-28) that
//! points at the middle server's start page; the user's "browser" (this
//! test's HTTP client, keeping cookies per host, signed in to the issuer as
//! a user) is bound there, confirmed as the user asked through the middle
//! server's own issuer, then sent to the leaf's issuer and back to the
//! callback, which completes authorization code + PKCE and keeps the token,
//! sealed, for that user. Another browser and another user are refused. The leaf sees the user through the middle server's client
//! (`middle-app`), never the token the user sent to the middle server.
//! Real issuer (oauth2-mock-server), real HTTP everywhere.

#[path = "support/leaf_tools.rs"]
mod leaf_tools;
mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::transport::auth::AuthConfig;
use agentwire::transport::auth::config::BrowserClient;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use leaf_tools::mock_model_config;
use mock_llm::{MockLlm, Reply};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    ElicitResult, ElicitationAction, ElicitationCapability, FormElicitationCapability,
    Implementation, UrlElicitationCapability,
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

/// The user's answer to [`ask_leaf_then_the_user`].
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Verdict {
    right: bool,
}

/// Asks the leaf who it thinks is calling, then asks the user whether that
/// is right: a question after a call that may need a sign-in, in the same
/// request (in the 2026 era, its number must survive the replays).
#[agent(calls = [leaf_whoami])]
async fn ask_leaf_then_the_user(ctx: &AgentContext) -> Result<Value, CallError> {
    let saw = leaf_whoami::call(ctx).await?;
    let verdict = match ctx.elicit::<Verdict>("Is that you?").await {
        Ok(Elicitation::Accepted(verdict)) => json!(verdict.right),
        Ok(_) => json!("no answer"),
        Err(error) => json!(error.to_string()),
    };
    Ok(json!({"leaf": saw, "right": verdict}))
}

/// The user's side: an MCP client and the user's browser, signed in to
/// the issuer as `user` (the issuer's session cookie), which opens every
/// URL it is asked to (or declines), keeps the cookies servers set (per
/// host, as a browser does) and follows redirects.
#[derive(Clone)]
struct Browser {
    decline: bool,
    /// The issuer refuses the sign-in to the leaf: the browser lands on
    /// the callback with `error=access_denied`, as an issuer sends it back.
    denied: bool,
    /// Accept, but leave the URL for the test to open.
    hold: bool,
    /// The URLs it was asked to open.
    visited: Arc<Mutex<Vec<String>>>,
    /// Every URL it loaded, and the `Set-Cookie` headers it got.
    loaded: Arc<Mutex<Vec<String>>>,
    set_cookies: Arc<Mutex<Vec<String>>>,
    /// Where each visit ended: status, path and page.
    landed: Arc<Mutex<Vec<(u16, String, String)>>>,
    jar: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

impl Browser {
    fn new(user: &'static str) -> Self {
        let jar = HashMap::from([("localhost".to_owned(), vec![format!("test_user={user}")])]);
        Browser {
            decline: false,
            denied: false,
            hold: false,
            visited: Arc::default(),
            loaded: Arc::default(),
            set_cookies: Arc::default(),
            landed: Arc::default(),
            jar: Arc::new(Mutex::new(jar)),
        }
    }

    fn visits(&self) -> usize {
        self.visited.lock().unwrap().len()
    }

    fn last_landing(&self) -> (u16, String, String) {
        self.landed
            .lock()
            .unwrap()
            .last()
            .cloned()
            .expect("a visit")
    }

    /// Loads `url` and follows redirects, stopping before a URL that
    /// `stop_at` picks (returned then) or on a page.
    async fn visit_until(&self, url: &str, stop_at: impl Fn(&reqwest::Url) -> bool) -> Visit {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut url = reqwest::Url::parse(url).expect("a URL");
        for _ in 0..10 {
            if stop_at(&url) {
                return Visit::Stopped(url);
            }
            self.loaded.lock().unwrap().push(url.to_string());
            let host = url.host_str().unwrap_or_default().to_owned();
            let cookies = self.jar.lock().unwrap().get(&host).cloned();
            let mut request = http.get(url.clone());
            if let Some(cookies) = cookies {
                request = request.header("cookie", cookies.join("; "));
            }
            let answer = request.send().await.expect("the page answers");
            for set in answer.headers().get_all("set-cookie") {
                let set = set.to_str().unwrap().to_owned();
                let pair = set.split(';').next().unwrap().to_owned();
                let name = pair.split('=').next().unwrap().to_owned();
                let mut jar = self.jar.lock().unwrap();
                let kept = jar.entry(host.clone()).or_default();
                kept.retain(|c| !c.starts_with(&format!("{name}=")));
                kept.push(pair);
                self.set_cookies.lock().unwrap().push(set);
            }
            if answer.status().is_redirection() {
                let location = answer.headers()["location"].to_str().unwrap();
                url = url.join(location).expect("a redirect URL");
                continue;
            }
            let landing = (
                answer.status().as_u16(),
                answer.url().path().to_owned(),
                answer.text().await.unwrap_or_default(),
            );
            self.landed.lock().unwrap().push(landing.clone());
            return Visit::Page(landing);
        }
        panic!("too many redirects from {url}");
    }

    /// Sets the binding cookie this browser sends to `host`.
    fn set_binding(&self, host: &str, value: &str) {
        self.jar
            .lock()
            .unwrap()
            .insert(host.to_owned(), vec![format!("agentwire_sign_in={value}")]);
    }
}

/// Where a visit ended.
enum Visit {
    Page((u16, String, String)),
    Stopped(reqwest::Url),
}

/// The leaf's issuer's authorization page (not this server's own: its
/// browser client is `middle-web`).
fn leaf_authorize(url: &reqwest::Url) -> bool {
    url.path() == "/authorize"
        && url
            .query_pairs()
            .any(|(k, v)| k == "client_id" && v == "middle-app")
}

fn param(url: &reqwest::Url, name: &str) -> String {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("{url} has no {name}"))
}

impl ClientHandler for Browser {
    fn get_info(&self) -> ClientConfig {
        let mut capabilities = ClientCapabilities::default();
        capabilities.elicitation = Some(
            ElicitationCapability::new()
                .with_form(FormElicitationCapability::default())
                .with_url(UrlElicitationCapability::new()),
        );
        ClientConfig::new(capabilities, Implementation::new("browser", "0.1"))
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        let url = match request {
            ElicitRequestParams::UrlElicitationParams { url, .. } => url,
            ElicitRequestParams::FormElicitationParams { .. } => {
                return Ok(ElicitResult::new(ElicitationAction::Accept)
                    .with_content(json!({"right": true})));
            }
            _ => return Err(ErrorData::invalid_params("unknown elicitation", None)),
        };
        if self.decline {
            return Ok(ElicitResult::new(ElicitationAction::Decline));
        }
        self.visited.lock().unwrap().push(url.clone());
        if self.hold {
            return Ok(ElicitResult::new(ElicitationAction::Accept));
        }
        if self.denied {
            let Visit::Stopped(authorize) = self.visit_until(&url, leaf_authorize).await else {
                panic!("the browser was never sent to the leaf's issuer");
            };
            let callback = format!(
                "{}?error=access_denied&state={}",
                param(&authorize, "redirect_uri"),
                param(&authorize, "state")
            );
            self.visit_until(&callback, |_| false).await;
            return Ok(ElicitResult::new(ElicitationAction::Accept));
        }
        self.visit_until(&url, |_| false).await;
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

/// `server` behind `[auth]`; `browser` is its `[auth.browser]` client.
async fn protected(
    server: AgentServer,
    issuer: &Issuer,
    port: u16,
    browser: Option<&str>,
) -> HttpServer {
    let mut auth = AuthConfig::new(&issuer.url);
    auth.browser = browser.map(|client_id| BrowserClient {
        client_id: client_id.to_owned(),
        client_secret_env: None,
    });
    let options = HttpOptions {
        auth: Some(auth),
        ..HttpOptions::default()
    };
    HttpServer::bind(server, ([127, 0, 0, 1], port).into(), options)
        .await
        .expect("bind")
}

/// The middle server's config: its users sign in to the leaf at `leaf`,
/// coming back to `port`; its journal is `store`; `extra` is added.
fn middle_config(
    issuer: &Issuer,
    leaf: &str,
    port: u16,
    store: &std::path::Path,
    extra: &str,
) -> Config {
    Config::parse(&format!(
        r#"
        {extra}
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
        issuer = issuer.url,
    ))
    .expect("a valid config")
}

/// The issuer, a protected leaf, and a protected middle server whose users
/// sign in to the leaf themselves.
async fn chain() -> Chain {
    chain_with("").await
}

/// [`chain`], with `extra` in the middle server's config.
async fn chain_with(extra: &str) -> Chain {
    let issuer = Issuer::start().await;
    let registry = || Registry::collect().unwrap();
    let leaf = protected(
        AgentServer::new(registry(), ServerIdentity::new("leaf", "1")),
        &issuer,
        0,
        None,
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
    let config = middle_config(&issuer, &leaf.local_addr().to_string(), port, &store, extra);
    let middle = protected(
        AgentServer::with_config(registry(), ServerIdentity::new("middle", "1"), &config),
        &issuer,
        port,
        Some("middle-web"),
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
    let start_page = chain.middle_url.replace("/mcp", "/oauth/start?sign_in=");
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
        assert!(
            url.starts_with(&start_page),
            "{url}: the middle's start page"
        );
        let loaded = browser.loaded.lock().unwrap().clone();
        // The start page, this server's issuer (the user confirmed), the
        // callback, the leaf's issuer (PKCE S256), the callback.
        assert_eq!(loaded.len(), 5, "{loaded:#?}");
        assert!(loaded[1].contains("client_id=middle-web"), "{loaded:#?}");
        assert!(loaded[3].contains("client_id=middle-app"), "{loaded:#?}");
        assert!(
            loaded[3].contains("code_challenge_method=S256"),
            "{loaded:#?}"
        );
        let (status, path, _) = browser.last_landing();
        assert_eq!((status, path.as_str()), (200, "/oauth/callback"));
        let cookie = browser.set_cookies.lock().unwrap()[0].clone();
        for attribute in [
            "agentwire_sign_in=",
            "HttpOnly",
            "SameSite=Lax",
            "Path=/oauth",
        ] {
            assert!(cookie.contains(attribute), "{cookie}");
        }
        assert!(!cookie.contains("Secure"), "plain http here: {cookie}");
        // One code for the user's own sign-in here, one for the leaf.
        assert_eq!(
            chain.issuer.token_requests("authorization_code").await,
            codes_before + 2
        );

        // The second call reuses the kept token: no question, no new code.
        let saw = leaf_saw(&ask(&client).await);
        assert_eq!(saw["subject"], user);
        assert_eq!(browser.visits(), 1, "{era:?}: not asked again");
        assert_eq!(
            chain.issuer.token_requests("authorization_code").await,
            codes_before + 2
        );
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn a_question_after_a_call_that_needed_a_sign_in_is_answered_in_both_eras() {
    let chain = chain().await;
    for (era, user) in [(Era::Legacy, "frank"), (Era::Stateless, "grace")] {
        let browser = Browser::new(user);
        let client = chain.client(user, browser.clone(), era).await;
        let result = client
            .call_tool(CallToolRequestParams::new("ask_leaf_then_the_user"))
            .await
            .expect("an answer");
        assert_ne!(result.is_error, Some(true), "{era:?}: {}", text(&result));
        let answer: Value = serde_json::from_str(&text(&result)).unwrap();
        // Before the fix, the 2026 replay numbered "Is that you?" as the
        // sign-in's question and answered it with a replay mismatch.
        assert_eq!(answer["right"], true, "{era:?}: {answer}");
        assert_eq!(answer["leaf"]["subject"], user, "{era:?}: {answer}");
        assert_eq!(browser.visits(), 1, "{era:?}: asked once to sign in");
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn a_models_toolbox_lists_the_leaf_with_the_users_own_token_in_both_eras() {
    let mock = MockLlm::start(
        [0, 1]
            .iter()
            .flat_map(|_| {
                [
                    Reply::tool_call("leaf__whoami", json!({}), 5, 5),
                    Reply::text_with_usage("Done.", 5, 1),
                ]
            })
            .collect(),
    )
    .await;
    let chain = chain_with(&mock_model_config(&mock.openai_url())).await;
    for (turn, (era, user)) in [(Era::Legacy, "heidi"), (Era::Stateless, "ivan")]
        .into_iter()
        .enumerate()
    {
        let browser = Browser::new(user);
        let client = chain.client(user, browser.clone(), era).await;
        let result = client
            .call_tool(CallToolRequestParams::new("leaf_tools"))
            .await
            .expect("an answer");
        // Listed as the middle server itself, the leaf could not be
        // reached: only users sign in to it.
        assert_ne!(result.is_error, Some(true), "{era:?}: {}", text(&result));
        assert_eq!(text(&result), "Done.");
        assert_eq!(browser.visits(), 1, "{era:?}: the listing asked to sign in");
        let requests = mock.requests();
        let offered = requests[2 * turn].body["tools"].to_string();
        assert!(offered.contains("leaf__whoami"), "{era:?}: {offered}");
        let leaf_answer = requests[2 * turn + 1].body.to_string();
        assert!(
            leaf_answer.contains(user) && leaf_answer.contains("middle-app"),
            "{era:?}: the leaf saw the user: {leaf_answer}"
        );
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn a_sign_in_link_opened_by_another_user_is_refused_and_fails_the_call_at_once() {
    let chain = chain().await;
    // Bob's client gets the link; it is opened in a browser signed in as
    // mallory (bob forwarded it to her, or the other way round): her
    // account at the leaf must not end up as bob's.
    for (era, principal) in [(Era::Legacy, "bob"), (Era::Stateless, "dan")] {
        let browser = Browser::new("mallory");
        let client = chain.client(principal, browser.clone(), era).await;
        let codes_before = chain.issuer.token_requests("authorization_code").await;
        let result = ask(&client).await;
        assert_eq!(result.is_error, Some(true), "{era:?}: {result:?}");
        assert!(
            text(&result).contains("another user"),
            "{era:?}: {}",
            text(&result)
        );
        let (status, path, page) = browser.last_landing();
        assert_eq!((status, path.as_str()), (403, "/oauth/callback"), "{page}");
        assert!(page.contains("another user"), "{page}");
        let loaded = browser.loaded.lock().unwrap().clone();
        assert!(
            !loaded
                .iter()
                .any(|url| url.contains("client_id=middle-app")),
            "{era:?}: the browser was sent to the leaf's issuer: {loaded:#?}"
        );
        // Only the confirming sign-in's code was used: none at the leaf's issuer.
        assert_eq!(
            chain.issuer.token_requests("authorization_code").await,
            codes_before + 1
        );
        client.cancel().await.unwrap();
    }
}

#[tokio::test]
async fn only_the_browser_that_opened_a_sign_in_can_finish_it() {
    let chain = chain().await;
    let alice = Browser {
        hold: true,
        ..Browser::new("alice")
    };
    let client = chain.client("alice", alice.clone(), Era::Legacy).await;
    let call = tokio::spawn(async move {
        let result = ask(&client).await;
        client.cancel().await.unwrap();
        result
    });
    let url = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if let Some(url) = alice.visited.lock().unwrap().first() {
                return url.clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("alice is asked to sign in");
    let middle_host = reqwest::Url::parse(&url)
        .unwrap()
        .host_str()
        .unwrap()
        .to_owned();

    // Alice's browser opens the link and is sent to the leaf's issuer.
    let Visit::Stopped(authorize) = alice.visit_until(&url, leaf_authorize).await else {
        panic!("alice's browser was never sent to the leaf's issuer");
    };
    // Another browser opening the same link is refused.
    let other = Browser::new("alice");
    let Visit::Page((status, _, page)) = other.visit_until(&url, |_| false).await else {
        unreachable!()
    };
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("another browser"), "{page}");
    // The issuer's answer (code and state) is refused in a browser without
    // the sign-in's cookie, or with another one (login CSRF)...
    let Visit::Stopped(callback) = alice
        .visit_until(authorize.as_str(), |url| url.path() == "/oauth/callback")
        .await
    else {
        panic!("the issuer never sent alice back");
    };
    let stranger = Browser::new("mallory");
    for binding in [None, Some("A".repeat(43))] {
        if let Some(value) = &binding {
            stranger.set_binding(&middle_host, value);
        }
        let Visit::Page((status, path, page)) =
            stranger.visit_until(callback.as_str(), |_| false).await
        else {
            unreachable!()
        };
        assert_eq!((status, path.as_str()), (403, "/oauth/callback"), "{page}");
        assert!(page.contains("another browser"), "{binding:?}: {page}");
    }
    // ... which leaves it to alice's browser, which finishes it.
    let Visit::Page((status, _, page)) = alice.visit_until(callback.as_str(), |_| false).await
    else {
        unreachable!()
    };
    assert_eq!(status, 200, "{page}");
    let result = call.await.unwrap();
    assert_eq!(leaf_saw(&result)["subject"], "alice");
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
async fn a_server_with_auth_whose_users_sign_in_elsewhere_needs_a_browser_client() {
    let issuer = Issuer::start().await;
    let dir = std::env::temp_dir().join(format!("agentwire-sign-in-{}", uuid::Uuid::new_v4()));
    let config = middle_config(&issuer, "127.0.0.1:9", 9, &dir.join("middle.journal"), "");
    let server = AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("middle", "1"),
        &config,
    );
    let options = HttpOptions {
        auth: Some(AuthConfig::new(&issuer.url)),
        ..HttpOptions::default()
    };
    let refused = HttpServer::bind(server, ([127, 0, 0, 1], 0).into(), options)
        .await
        .err()
        .expect("no [auth.browser]: refused");
    assert!(refused.to_string().contains("[auth.browser]"), "{refused}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_callback_refuses_an_unknown_or_reused_state() {
    let chain = chain().await;
    let middle = chain.middle_url.replace("/mcp", "");
    let http = reqwest::Client::new();
    for forged in [
        "/oauth/callback?code=abc&state=forged",
        "/oauth/start?sign_in=forged",
    ] {
        let answer = http.get(format!("{middle}{forged}")).send().await.unwrap();
        assert_eq!(answer.status(), reqwest::StatusCode::BAD_REQUEST);
        assert!(
            answer
                .text()
                .await
                .unwrap()
                .contains("no sign-in is waiting")
        );
    }

    // A real sign-in's last callback, loaded again by the same browser, is
    // refused: the sign-in is used.
    let alice = Browser::new("alice");
    let client = chain.client("alice", alice.clone(), Era::Legacy).await;
    assert_eq!(leaf_saw(&ask(&client).await)["subject"], "alice");
    let last = alice.loaded.lock().unwrap().last().cloned().unwrap();
    assert!(last.contains("/oauth/callback?"), "{last}");
    let Visit::Page((status, _, page)) = alice.visit_until(&last, |_| false).await else {
        unreachable!()
    };
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("no sign-in is waiting"), "{page}");
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
