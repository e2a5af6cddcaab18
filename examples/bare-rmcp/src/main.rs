//! `bare-rmcp`: the floor of the benchmarks (see `docs/benchmarks.md`).
//!
//! The same `echo` tool as the agentwire `echo` example, written directly
//! against rmcp's [`ServerHandler`] with nothing in between: the tool and its
//! schema are built once, `call_tool` reads `message` and answers with it. Its
//! HTTP endpoint is configured like agentwire's (one path serving both
//! protocol eras, in-memory sessions for legacy clients), so that the two
//! differ only by what agentwire adds per call.
//!
//! ```text
//! bare-rmcp --stdio
//! bare-rmcp --http 127.0.0.1:8080     # prints "listening on http://127.0.0.1:8080/mcp"
//! ```

use std::borrow::Cow;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    JsonObject, ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    ToolAnnotations,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, ServerHandler, ServiceExt};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// The tool's name, as agentwire's `echo` agent calls it.
const TOOL_NAME: &str = "echo";

/// Serve the benchmark's echo tool with rmcp alone.
#[derive(Parser, Debug)]
#[command(version, about)]
#[command(group = clap::ArgGroup::new("transport").required(true).multiple(false))]
struct Cli {
    /// Serve on stdin/stdout.
    #[arg(long, group = "transport")]
    stdio: bool,
    /// Serve streamable HTTP on this address (endpoint `/mcp`); port 0 picks a free port.
    #[arg(long, value_name = "ADDR", group = "transport")]
    http: Option<SocketAddr>,
}

/// The whole server: the one tool, built at start-up and shared by every
/// session.
#[derive(Clone)]
struct EchoServer {
    tool: Arc<Tool>,
}

impl EchoServer {
    fn new() -> Self {
        let schema = json!({
            "type": "object",
            "properties": {
                "message": {"type": "string", "description": "The text to send back."}
            },
            "required": ["message"]
        });
        let Value::Object(schema) = schema else {
            unreachable!("the schema literal is an object")
        };
        let tool = Tool::new_with_raw(
            TOOL_NAME,
            Some(Cow::Borrowed("Returns the message unchanged.")),
            Arc::new(schema),
        )
        .with_annotations(ToolAnnotations::new().read_only(true).idempotent(true));
        EchoServer {
            tool: Arc::new(tool),
        }
    }
}

/// The `message` argument, or the reason it is missing.
fn message_argument(arguments: Option<&JsonObject>) -> Result<String, String> {
    match arguments.and_then(|arguments| arguments.get("message")) {
        Some(Value::String(message)) => Ok(message.clone()),
        Some(other) => Err(format!("`message` must be a string, not {other}")),
        None => Err("the argument `message` is missing".to_owned()),
    }
}

impl ServerHandler for EchoServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build()).with_server_info(
            Implementation::new(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION")),
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(vec![(*self.tool).clone()]))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        (name == TOOL_NAME).then(|| (*self.tool).clone())
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        if request.name != TOOL_NAME {
            return Err(ErrorData::invalid_params(
                format!("unknown tool `{}`", request.name),
                None,
            ));
        }
        let result = match message_argument(request.arguments.as_ref()) {
            Ok(message) => CallToolResult::success(vec![ContentBlock::text(message)]),
            Err(problem) => CallToolResult::error(vec![ContentBlock::text(problem)]),
        };
        Ok(result.into())
    }
}

async fn serve_stdio(server: EchoServer) -> Result<(), String> {
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|error| format!("the stdio handshake failed: {error}"))?;
    running
        .waiting()
        .await
        .map_err(|error| format!("the stdio server stopped: {error}"))?;
    Ok(())
}

async fn serve_http(server: EchoServer, addr: SocketAddr) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
    let local_addr = listener
        .local_addr()
        .map_err(|error| format!("cannot read the listening address: {error}"))?;
    let shutdown = CancellationToken::new();
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default().with_cancellation_token(shutdown.child_token()),
    );
    let app = axum::Router::new().nest_service("/mcp", service);
    println!("listening on http://{local_addr}/mcp");
    let _ = std::io::stdout().flush();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        stop.cancel();
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
        .map_err(|error| format!("the HTTP server stopped: {error}"))
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let mut terminate =
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(terminate) => terminate,
            Err(_) => return std::future::pending().await,
        };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate.recv() => {},
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let server = EchoServer::new();
    let outcome = match cli.http {
        Some(addr) => serve_http(server, addr).await,
        None => serve_stdio(server).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_argument_reads_a_string_and_explains_anything_else() {
        let arguments = |value: Value| match value {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        assert_eq!(
            message_argument(Some(&arguments(json!({"message": "hi"})))),
            Ok("hi".to_owned())
        );
        assert!(
            message_argument(Some(&arguments(json!({"message": 3}))))
                .unwrap_err()
                .contains("must be a string")
        );
        assert!(message_argument(None).unwrap_err().contains("missing"));
    }
}
