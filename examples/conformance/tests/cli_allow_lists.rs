//! `serve --http` with `--allow-host` and `--allow-origin`: the flags reach
//! the server, and only what they name gets in.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;

/// The server process, killed when dropped so a failing test leaves nothing behind.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(["serve", "--http", "127.0.0.1:0"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the conformance server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("read the first line");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .and_then(|rest| rest.strip_suffix("/mcp"))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    Server { child, addr }
}

async fn status(server: &Server, host: &str, origin: Option<&str>) -> StatusCode {
    let mut request = reqwest::Client::new()
        .post(format!("http://{}/mcp", server.addr))
        .header("host", host)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"cli-test","version":"1"}}}"#,
        );
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.send().await.expect("the server answers").status()
}

#[tokio::test]
async fn allow_host_and_allow_origin_flags_open_only_what_they_name() {
    let server = serve(&[
        "--allow-host",
        "mcp.example.com",
        "--allow-origin",
        "https://app.example.com:*",
    ]);
    assert_eq!(
        status(&server, "mcp.example.com", Some("https://app.example.com")).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&server, "mcp.example.com", Some("http://localhost:3000")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(&server, "evil.example.com", None).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(&server, &server.addr, None).await,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn without_flags_loopback_is_served_and_rebinding_is_refused() {
    let server = serve(&[]);
    assert_eq!(
        status(&server, &server.addr, Some("http://localhost:6274")).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&server, "evil.example.com", Some("http://evil.example.com")).await,
        StatusCode::FORBIDDEN
    );
}
