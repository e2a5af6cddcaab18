//! Reaching a server: spawning a stdio server or connecting to a URL, in the
//! chosen protocol lifecycle, and making one checked call.

use std::fmt;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use rmcp::model::{CallToolRequestParams, CallToolResult, JsonObject, ProtocolVersion};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, Peer, RoleClient, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use serde::Serialize;

/// An rmcp client with no handler of its own.
pub type Client = RunningService<RoleClient, ()>;

/// How long a handshake may take before the server is declared unresponsive.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// The MCP lifecycle the client follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// `initialize` / `notifications/initialized`, then a session (2025-11-25
    /// and older); every server speaks it.
    Legacy,
    /// `server/discover`, then self-contained requests (2026-07-28).
    Discover,
}

impl Protocol {
    fn lifecycle(self) -> ClientLifecycleMode {
        match self {
            Protocol::Legacy => ClientLifecycleMode::Initialize,
            Protocol::Discover => ClientLifecycleMode::Discover {
                preferred_versions: vec![ProtocolVersion::V_2026_07_28],
            },
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Legacy => "legacy",
            Protocol::Discover => "discover",
        })
    }
}

/// The call every measurement makes, and how the client talks.
#[derive(Debug, Clone)]
pub struct CallSpec {
    pub tool: String,
    pub arguments: JsonObject,
    pub protocol: Protocol,
}

impl CallSpec {
    /// Checks the tool name and parses `arguments_json`, which must be a JSON object.
    pub fn new(tool: &str, arguments_json: &str, protocol: Protocol) -> anyhow::Result<Self> {
        if tool.trim().is_empty() {
            bail!("--tool must name a tool");
        }
        let value: serde_json::Value = serde_json::from_str(arguments_json)
            .with_context(|| format!("--args is not valid JSON: {arguments_json}"))?;
        let serde_json::Value::Object(arguments) = value else {
            bail!("--args must be a JSON object, like {{\"message\":\"hello\"}}, not {value}");
        };
        Ok(CallSpec {
            tool: tool.to_owned(),
            arguments,
            protocol,
        })
    }

    /// The `tools/call` parameters for one call.
    pub fn params(&self) -> CallToolRequestParams {
        CallToolRequestParams::new(self.tool.clone()).with_arguments(self.arguments.clone())
    }
}

/// The server under measurement.
#[derive(Debug, Clone)]
pub enum Target {
    /// A program loadgen spawns and talks to over its stdin and stdout.
    Stdio { command: Vec<String> },
    /// A streamable HTTP endpoint that is already listening.
    Http { url: String },
}

impl Target {
    /// `stdio` or `http`.
    pub fn transport(&self) -> &'static str {
        match self {
            Target::Stdio { .. } => "stdio",
            Target::Http { .. } => "http",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Stdio { command } => write!(f, "{}", command.join(" ")),
            Target::Http { url } => f.write_str(url),
        }
    }
}

/// A client connected to a server, with the server's process id when
/// loadgen spawned it.
pub struct Connection {
    pub client: Client,
    pub server_pid: Option<u32>,
}

impl Connection {
    /// The protocol version the handshake settled on, and the server's
    /// `name version`.
    pub fn negotiated(&self) -> (Option<String>, Option<String>) {
        match self.client.peer_info() {
            Some(info) => (
                Some(info.protocol_version.to_string()),
                info.server_info
                    .as_ref()
                    .map(|server| format!("{} {}", server.name, server.version)),
            ),
            None => (None, None),
        }
    }

    /// Closes the connection (and so stops a spawned stdio server), waiting
    /// at most `limit`.
    pub async fn close(mut self, limit: Duration) {
        let _ = self.client.close_with_timeout(limit).await;
    }
}

/// The HTTP client shared by every connection of one measurement. Like
/// rmcp's default client, it keeps no idle connection: reusing one after a
/// response whose body was not read to the end stalls each request ~40 ms on
/// Linux's delayed ACK, which would measure TCP instead of the server.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .context("cannot build the HTTP client")
}

/// Checks that `url` is an absolute http(s) URL.
pub fn check_url(url: &str) -> anyhow::Result<reqwest::Url> {
    let parsed = reqwest::Url::parse(url).with_context(|| format!("`{url}` is not a valid URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("`{url}` is not an http:// or https:// URL");
    }
    if parsed.host().is_none() {
        bail!("`{url}` has no host");
    }
    Ok(parsed)
}

/// Connects to `target`, with room for `max_in_flight` concurrent requests.
pub async fn connect(
    target: &Target,
    spec: &CallSpec,
    http: &reqwest::Client,
    max_in_flight: usize,
) -> anyhow::Result<Connection> {
    match target {
        Target::Stdio { command } => connect_stdio(command, spec.protocol).await,
        Target::Http { url } => {
            let client = connect_http(url, spec.protocol, http, max_in_flight).await?;
            Ok(Connection {
                client,
                server_pid: None,
            })
        }
    }
}

/// Spawns `command` and performs the handshake over its stdin and stdout;
/// the server's stderr goes to loadgen's.
pub async fn connect_stdio(command: &[String], protocol: Protocol) -> anyhow::Result<Connection> {
    let (program, arguments) = command
        .split_first()
        .ok_or_else(|| anyhow!("no server command given: put it after `--`"))?;
    let mut process = tokio::process::Command::new(program);
    process.args(arguments);
    let (transport, _) = TokioChildProcess::builder(process)
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start `{program}`"))?;
    let server_pid = transport.id();
    let client = handshake(
        ().serve_with_lifecycle(transport, protocol.lifecycle()),
        &command.join(" "),
    )
    .await?;
    Ok(Connection { client, server_pid })
}

/// Performs the handshake with the HTTP endpoint `url`.
pub async fn connect_http(
    url: &str,
    protocol: Protocol,
    http: &reqwest::Client,
    max_in_flight: usize,
) -> anyhow::Result<Client> {
    check_url(url)?;
    let config = StreamableHttpClientTransportConfig::with_uri(url)
        .max_concurrent_requests(max_in_flight.max(1));
    let transport = StreamableHttpClientTransport::with_client(http.clone(), config);
    handshake(
        ().serve_with_lifecycle(transport, protocol.lifecycle()),
        url,
    )
    .await
}

async fn handshake<E: fmt::Display>(
    serving: impl Future<Output = Result<Client, E>>,
    server: &str,
) -> anyhow::Result<Client> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, serving).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(error)) => Err(anyhow!("the handshake with `{server}` failed: {error}")),
        Err(_) => Err(anyhow!(
            "`{server}` did not complete the handshake within {}s",
            HANDSHAKE_TIMEOUT.as_secs()
        )),
    }
}

/// Checks that the server offers the tool and that one call succeeds, so
/// that a measurement never counts a misconfiguration as load.
pub async fn check_call(client: &Client, spec: &CallSpec) -> anyhow::Result<()> {
    let tools = client
        .list_all_tools()
        .await
        .context("the server did not list its tools")?;
    if !tools.iter().any(|tool| tool.name == spec.tool) {
        let names: Vec<_> = tools.iter().map(|tool| tool.name.as_ref()).collect();
        bail!(
            "the server has no tool `{}`; its tools are: {}",
            spec.tool,
            if names.is_empty() {
                "(none)".to_owned()
            } else {
                names.join(", ")
            }
        );
    }
    call_once(client.peer(), spec.params(), HANDSHAKE_TIMEOUT)
        .await
        .map_err(|problem| anyhow!("the first call to `{}` failed: {problem}", spec.tool))
}

/// What went wrong with one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallProblem {
    /// The server answered with `isError: true`.
    ToolError(String),
    /// A JSON-RPC error, a transport error, or a timeout.
    Failed(String),
    /// The connection is gone: no further call can succeed.
    Closed(String),
}

impl fmt::Display for CallProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallProblem::ToolError(text) => write!(f, "tool error: {text}"),
            CallProblem::Failed(text) => f.write_str(text),
            CallProblem::Closed(text) => write!(f, "connection closed: {text}"),
        }
    }
}

/// Makes one call, abandoning it (which cancels it) after `timeout`.
pub async fn call_once(
    peer: &Peer<RoleClient>,
    params: CallToolRequestParams,
    timeout: Duration,
) -> Result<(), CallProblem> {
    match tokio::time::timeout(timeout, peer.call_tool(params)).await {
        Ok(Ok(result)) if result.is_error == Some(true) => {
            Err(CallProblem::ToolError(result_text(&result)))
        }
        Ok(Ok(_)) => Ok(()),
        Ok(Err(rmcp::ServiceError::TransportClosed)) => {
            Err(CallProblem::Closed("the transport closed".to_owned()))
        }
        Ok(Err(error)) if peer.is_transport_closed() => Err(CallProblem::Closed(error.to_string())),
        Ok(Err(error)) => Err(CallProblem::Failed(error.to_string())),
        Err(_) => Err(CallProblem::Failed(format!(
            "no answer within {:?}",
            timeout
        ))),
    }
}

/// The text of a result, for error messages (cut to 200 characters).
fn result_text(result: &CallToolResult) -> String {
    let text: String = result
        .content
        .iter()
        .filter_map(|block| block.as_text().map(|text| text.text.as_str()))
        .collect::<Vec<_>>()
        .join(" ");
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_spec_refuses_arguments_that_are_not_a_json_object() {
        let error = CallSpec::new("echo", "[1,2]", Protocol::Legacy).unwrap_err();
        assert!(error.to_string().contains("must be a JSON object"));
        let error = CallSpec::new("echo", "{oops", Protocol::Legacy).unwrap_err();
        assert!(error.to_string().contains("not valid JSON"));
        let error = CallSpec::new(" ", "{}", Protocol::Legacy).unwrap_err();
        assert!(error.to_string().contains("must name a tool"));
        let spec = CallSpec::new("echo", r#"{"message":"hi"}"#, Protocol::Legacy).unwrap();
        assert_eq!(spec.params().arguments.unwrap()["message"], "hi");
    }

    #[test]
    fn check_url_wants_an_absolute_http_url() {
        assert!(check_url("http://127.0.0.1:8080/mcp").is_ok());
        assert!(check_url("127.0.0.1:8080").is_err());
        assert!(check_url("ftp://example.test/").is_err());
        assert!(check_url("not a url").is_err());
    }

    #[tokio::test]
    async fn a_missing_program_is_reported_by_name() {
        let command = vec!["/nonexistent/agentwire-loadgen-test".to_owned()];
        let error = connect_stdio(&command, Protocol::Legacy)
            .await
            .err()
            .expect("spawning a missing program fails");
        assert!(
            error
                .to_string()
                .contains("cannot start `/nonexistent/agentwire-loadgen-test`")
        );
    }
}
