//! The built `hello` binary, driven by rmcp's client over stdio (a child
//! process) and over streamable HTTP, in both protocol eras, and by its CLI.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult, ProtocolVersion, object};
use rmcp::service::{ClientLifecycleMode, ClientServiceExt, RoleClient, RunningService};
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use serde_json::{Value, json};

const HELLO: &str = env!("CARGO_BIN_EXE_hello");

#[derive(Clone, Copy, Debug)]
enum Era {
    Legacy,
    Stateless,
}

async fn connect<T, E, A>(transport: T, era: Era) -> RunningService<RoleClient, ()>
where
    T: rmcp::transport::IntoTransport<RoleClient, E, A>,
    E: std::error::Error + Send + Sync + 'static,
{
    match era {
        Era::Legacy => ().serve(transport).await.expect("initialize"),
        Era::Stateless => ()
            .serve_with_lifecycle(
                transport,
                ClientLifecycleMode::Discover {
                    preferred_versions: vec![ProtocolVersion::V_2026_07_28],
                },
            )
            .await
            .expect("server/discover"),
    }
}

async fn call(
    client: &RunningService<RoleClient, ()>,
    tool: &'static str,
    args: Value,
) -> CallToolResult {
    client
        .call_tool(CallToolRequestParams::new(tool).with_arguments(object(args)))
        .await
        .expect("tools/call answered")
}

fn text(result: &CallToolResult) -> String {
    result
        .content
        .iter()
        .filter_map(|c| c.as_text().map(|t| t.text.clone()))
        .collect()
}

/// What every transport and era must show of `hello`.
async fn exercise(client: &RunningService<RoleClient, ()>, era: Era) {
    let info = client.peer_info().expect("peer info");
    let server = info.server_info.clone().expect("server info");
    assert_eq!(server.name, "hello", "{era:?}");
    assert_eq!(server.version, env!("CARGO_PKG_VERSION"), "{era:?}");

    let tools = client.list_all_tools().await.expect("tools/list");
    let names: Vec<_> = tools.iter().map(|t| t.name.to_string()).collect();
    assert_eq!(
        names,
        ["countdown", "greet", "summarize", "word_count"],
        "{era:?}"
    );

    let greeting = call(
        client,
        "greet",
        json!({"name": "Ada", "language": "french"}),
    )
    .await;
    assert_eq!(text(&greeting), "Bonjour, Ada!", "{era:?}");

    // `summarize` calls `word_count` through its stub, in-process.
    let summary = call(
        client,
        "summarize",
        json!({"text": "one two three four", "max_words": 2}),
    )
    .await;
    assert_eq!(summary.is_error, Some(false), "{era:?}: {}", text(&summary));
    let structured = summary.structured_content.expect("structured content");
    assert_eq!(structured["summary"], json!("one two …"));
    assert_eq!(structured["original"]["words"], json!(4));

    let empty = call(client, "summarize", json!({"text": "  "})).await;
    assert_eq!(empty.is_error, Some(true), "{era:?}");
    assert!(
        text(&empty).contains("nothing to summarize"),
        "{}",
        text(&empty)
    );
}

fn stdio_child() -> TokioChildProcess {
    let mut command = tokio::process::Command::new(HELLO);
    command.args(["serve", "--stdio"]);
    let (transport, _) = TokioChildProcess::builder(command)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hello");
    transport
}

#[tokio::test]
async fn stdio_serves_both_eras() {
    for era in [Era::Legacy, Era::Stateless] {
        let client = connect(stdio_child(), era).await;
        exercise(&client, era).await;
        client.cancel().await.unwrap();
    }
}

/// `hello serve --http 127.0.0.1:0`, killed when dropped.
struct HttpChild {
    child: Child,
    url: String,
}

impl HttpChild {
    fn start() -> Self {
        let mut child = Command::new(HELLO)
            .args(["serve", "--http", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn hello");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("read the listening line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        HttpChild { child, url }
    }
}

impl Drop for HttpChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn streamable_http_serves_both_eras() {
    let server = HttpChild::start();
    for era in [Era::Legacy, Era::Stateless] {
        let transport = StreamableHttpClientTransport::from_uri(server.url.clone());
        let client = connect(transport, era).await;
        exercise(&client, era).await;
        client.cancel().await.unwrap();
    }
}

/// Sends `lines` to `hello serve --stdio` and returns the JSON answers.
fn raw_stdio(lines: &[&str]) -> Vec<Value> {
    let mut child = Command::new(HELLO)
        .args(["serve", "--stdio"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn hello");
    let mut stdin = child.stdin.take().unwrap();
    for line in lines {
        writeln!(stdin, "{line}").unwrap();
    }
    drop(stdin); // EOF ends the server once it has answered.
    let output = child.wait_with_output().unwrap();
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("every stdout line is JSON-RPC"))
        .collect()
}

#[test]
fn malformed_lines_on_stdio_do_not_stop_the_server() {
    let answers = raw_stdio(&[
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        "this is not JSON at all",
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"greet","arguments":{"name":7}}}"#,
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nope"}}"#,
        r#"{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"greet","arguments":{"name":"Bob"}}}"#,
    ]);
    let by_id = |id: u64| {
        answers
            .iter()
            .find(|a| a["id"] == json!(id))
            .unwrap_or_else(|| panic!("no answer to request {id}: {answers:#?}"))
    };
    assert_eq!(by_id(1)["result"]["serverInfo"]["name"], json!("hello"));
    let wrong = &by_id(2)["result"];
    assert_eq!(wrong["isError"], json!(true));
    assert!(
        wrong["content"][0]["text"]
            .as_str()
            .unwrap()
            .contains("`name`"),
        "{wrong}"
    );
    assert_eq!(by_id(3)["error"]["code"], json!(-32602));
    assert_eq!(
        by_id(4)["result"]["content"][0]["text"],
        json!("Hello, Bob!")
    );
}

fn run(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(HELLO).args(args).output().expect("run hello");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn the_cli_lists_calls_and_explains_itself() {
    let (code, stdout, _) = run(&["list"]);
    assert_eq!(code, 0);
    let tools: Vec<Value> = serde_json::from_str(&stdout).expect("list prints JSON");
    let greet = tools.iter().find(|t| t["name"] == json!("greet")).unwrap();
    assert_eq!(greet["title"], json!("Greeter"));
    assert_eq!(greet["inputSchema"]["required"], json!(["name"]));
    assert_eq!(greet["annotations"]["readOnlyHint"], json!(true));

    let (code, stdout, _) = run(&[
        "call",
        "greet",
        "--args",
        r#"{"name":"Ada","language":"spanish"}"#,
    ]);
    assert_eq!((code, stdout.trim()), (0, "Hola, Ada!"));

    let (code, stdout, _) = run(&["call", "word_count", "--args", r#"{"text":"a b\nc"}"#]);
    assert_eq!(code, 0);
    let stats: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(stats, json!({"words": 3, "characters": 5, "lines": 2}));

    let (code, _, stderr) = run(&["call", "summarize", "--args", r#"{"text":""}"#]);
    assert_eq!(code, 1);
    assert!(stderr.contains("nothing to summarize"), "{stderr}");

    let (code, _, stderr) = run(&["call", "nope"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no tool `nope`") && stderr.contains("greet"),
        "{stderr}"
    );

    let (code, _, stderr) = run(&["call", "greet", "--args", "[1,2]"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("JSON object"), "{stderr}");

    let (code, stdout, _) = run(&["--help"]);
    assert_eq!(code, 0);
    for word in ["serve", "list", "call", "Usage: hello"] {
        assert!(stdout.contains(word), "--help lacks {word:?}:\n{stdout}");
    }
    let (code, stdout, _) = run(&["serve", "--help"]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("--stdio") && stdout.contains("--http"),
        "{stdout}"
    );

    let (code, _, stderr) = run(&["serve", "--stdio", "--http", "127.0.0.1:0"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot be used with"), "{stderr}");
}
