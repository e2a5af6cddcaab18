//! Agents returning `Result<T, E>` with `E: Display`: `std::io::Error`, the
//! `io::Result` alias, and an error type that is `Display` and nothing more.

use std::fmt;
use std::io;
use std::process::ExitCode;

use agentwire::prelude::*;

/// Reads a setting.
#[agent]
async fn setting(key: String) -> Result<String, io::Error> {
    match key.as_str() {
        "colour" => Ok("blue".to_owned()),
        _ => Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no setting `{key}`"),
        )),
    }
}

/// Counts the settings.
#[agent]
async fn setting_count() -> io::Result<u32> {
    Ok(1)
}

/// Why a division failed.
#[derive(Debug)]
struct DivisionByZero {
    dividend: i64,
}

impl fmt::Display for DivisionByZero {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot divide {} by zero", self.dividend)
    }
}

/// Divides two integers.
#[agent]
async fn divide(dividend: i64, divisor: i64) -> Result<i64, DivisionByZero> {
    if divisor == 0 {
        return Err(DivisionByZero { dividend });
    }
    Ok(dividend / divisor)
}

/// Runs one agent through the CLI's `call` command, as `cargo run -- call` would.
async fn run_tool(tool: &str, args: &str) -> ExitCode {
    agentwire::App::new(agentwire::ServerIdentity::new("pass", "0.0.0"))
        .run_with_args(["pass", "call", tool, "--args", args])
        .await
}

#[tokio::main]
async fn main() {
    assert_eq!(divide(7, 2).await.unwrap(), 3);
    assert_eq!(
        divide(7, 0).await.unwrap_err().to_string(),
        "cannot divide 7 by zero"
    );

    let registry = agentwire::Registry::collect().expect("the agents are registered");
    let names: Vec<&str> = registry.tools().map(|t| t.name.as_ref()).collect();
    assert_eq!(names, ["divide", "setting", "setting_count"]);
    // Only a JSON object gets an output schema: not `String`, `u32` or `i64`.
    assert!(registry.tools().all(|t| t.output_schema.is_none()));

    assert_eq!(
        run_tool("divide", r#"{"dividend": 7, "divisor": 2}"#).await,
        ExitCode::SUCCESS
    );
    assert_eq!(
        run_tool("divide", r#"{"dividend": 7, "divisor": 0}"#).await,
        ExitCode::FAILURE
    );
    assert_eq!(
        run_tool("setting", r#"{"key": "colour"}"#).await,
        ExitCode::SUCCESS
    );
    assert_eq!(
        run_tool("setting", r#"{"key": "size"}"#).await,
        ExitCode::FAILURE
    );
    assert_eq!(run_tool("setting_count", "{}").await, ExitCode::SUCCESS);
}
