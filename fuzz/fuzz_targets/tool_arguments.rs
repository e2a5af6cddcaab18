//! A `tools/call`'s arguments on their way into an agent's typed parameters
//! (`AgentServer::call`, the path every transport takes after decoding the
//! JSON-RPC request): any JSON object is either read into the parameters or
//! refused with an error naming the argument, never a panic, and the
//! outcome is what serde alone says about each parameter.

#![no_main]

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use agentwire::prelude::*;
use agentwire::{AgentServer, Registry, ServerIdentity};
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

#[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Mode {
    Fast,
    Careful { retries: u8 },
    Pair(i16, String),
}

#[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
struct Settings {
    mode: Mode,
    #[serde(default)]
    tags: BTreeMap<String, Option<i32>>,
    limits: Vec<u16>,
    ratio: Option<f32>,
}

/// Texts and optional numbers.
#[agent]
async fn texts(name: String, times: Option<u32>, note: Option<char>) -> Value {
    json!({"name": name, "times": times, "note": note})
}

/// Numbers of every width.
#[agent]
async fn numbers(a: i64, b: u8, c: f64, flags: Vec<bool>, big: u128) -> Value {
    json!({"a": a, "b": b, "c": c, "flags": flags, "big": big.to_string()})
}

/// Nested structures, enums and maps.
#[agent]
async fn nested(settings: Settings, extra: Option<Vec<Option<Mode>>>) -> Value {
    json!({"settings": settings, "extra": extra})
}

/// Refuses arguments it does not take.
#[agent(deny_unknown_arguments)]
async fn strict(id: u64, label: Option<String>) -> Value {
    json!({"id": id, "label": label})
}

fn server() -> &'static AgentServer {
    static SERVER: OnceLock<AgentServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        AgentServer::new(
            Registry::collect().expect("the targets' agents"),
            ServerIdentity::new("fuzz", "0"),
        )
    })
}

/// Whether serde reads `args[name]` (absent: `null`) into `T`.
fn reads<T: DeserializeOwned>(args: &Map<String, Value>, name: &str) -> bool {
    serde_json::from_value::<T>(args.get(name).cloned().unwrap_or(Value::Null)).is_ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, json)) = data.split_first() else {
        return;
    };
    // rmcp hands the server a JSON object or nothing.
    let Ok(args) = serde_json::from_slice::<Map<String, Value>>(json) else {
        return;
    };
    let (tool, expected_ok) = match which % 4 {
        0 => (
            "texts",
            reads::<String>(&args, "name")
                && reads::<Option<u32>>(&args, "times")
                && reads::<Option<char>>(&args, "note"),
        ),
        1 => (
            "numbers",
            reads::<i64>(&args, "a")
                && reads::<u8>(&args, "b")
                && reads::<f64>(&args, "c")
                && reads::<Vec<bool>>(&args, "flags")
                && reads::<u128>(&args, "big"),
        ),
        2 => (
            "nested",
            reads::<Settings>(&args, "settings")
                && reads::<Option<Vec<Option<Mode>>>>(&args, "extra"),
        ),
        _ => (
            "strict",
            reads::<u64>(&args, "id")
                && reads::<Option<String>>(&args, "label")
                && args.keys().all(|k| k == "id" || k == "label"),
        ),
    };
    let cancel = tokio_util::sync::CancellationToken::new();
    let result =
        common::block_on(server().call(tool, args.clone(), None, cancel)).expect("the tool exists");
    let failed = result.is_error == Some(true);
    let text = common::text_of(&result);
    assert_eq!(
        !failed, expected_ok,
        "{tool} with {args:?}: serde says {expected_ok}, the server answered {text}"
    );
    if failed {
        assert!(
            text.contains("argument"),
            "{tool} refused {args:?} without naming an argument: {text}"
        );
    }
});
