//! The sealed `requestState` of a 2026-era retry (runtime/src/mcp/round_trip.rs):
//! a state that was tampered with, cut short, sealed for another call or is
//! plain garbage is refused with the same clear error, never a panic; and
//! whatever a state holds behind a valid seal (as if the key had leaked)
//! is only ever used as answers, without a panic.

#![no_main]

use std::sync::OnceLock;

use agentwire::__fuzz::{open_request_state, seal_request_state};
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use rmcp::model::{InputRequest, InputResponses, JsonObject};
use serde_json::{Value, json};

const KEY: &[u8] = b"agentwire fuzzing key, 32 bytes or more";

fn arguments() -> JsonObject {
    json!({"topic": "fuzz", "n": 3})
        .as_object()
        .unwrap()
        .clone()
}

fn binding(arguments: &JsonObject) -> (&'static str, &'static str, &JsonObject) {
    ("tools/call", "ask", arguments)
}

fn question(text: &str) -> InputRequest {
    serde_json::from_value(json!({
        "method": "elicitation/create",
        "params": {"mode": "form", "message": text,
                   "requestedSchema": {"type": "object", "properties": {"ok": {"type": "boolean"}}}}
    }))
    .unwrap()
}

fn questions() -> Vec<(Option<&'static str>, InputRequest)> {
    vec![
        (None, question("first?")),
        (Some("second"), question("second?")),
        (None, question("third?")),
    ]
}

/// A state this server really issued for the call: its payload is what
/// the runtime seals after one answered and one pending question.
fn genuine() -> &'static str {
    static STATE: OnceLock<String> = OnceLock::new();
    STATE.get_or_init(|| {
        let args = arguments();
        seal_request_state(
            KEY,
            binding(&args),
            &json!({
                "answers": [{"i": 0, "q": "x", "a": {"action": "accept", "content": {"ok": true}}}],
                "pending": [{"key": "second", "i": 1, "q": "y"}],
                "u": {"input_tokens": 5, "output_tokens": 1, "cost_micros": 0, "elapsed_ms": 3, "calls": 1}
            }),
        )
        .expect("a sealed state")
    })
}

#[derive(Arbitrary, Debug)]
enum Input {
    /// Bytes sent as the state.
    Garbage(String),
    /// The genuine state cut at a point.
    Truncated(usize),
    /// The genuine state with one byte changed.
    Flipped { at: usize, to: u8 },
    /// The genuine state with text added.
    Extended(String),
    /// The genuine state, for a call with other arguments.
    OtherCall(String),
    /// Any JSON behind a valid seal, with any responses.
    Sealed { payload: String, responses: String },
}

fn responses(text: &str) -> Option<InputResponses> {
    serde_json::from_str(text).ok()
}

fuzz_target!(|input: Input| {
    let args = arguments();
    let qs = questions();
    let refused = |state: &str, args: &JsonObject| {
        let opened = open_request_state(KEY, binding(args), Some(state), None, &qs);
        let error = opened.expect_err("a state this server did not issue for this call");
        assert!(error.contains("requestState"), "{error}");
    };
    let genuine = genuine();
    match input {
        Input::Garbage(state) => {
            if state != genuine {
                refused(&state, &args);
            }
        }
        Input::Truncated(at) => {
            let at = at % genuine.len().max(1);
            if let Some(cut) = genuine.get(..at) {
                refused(cut, &args);
            }
        }
        Input::Flipped { at, to } => {
            let mut bytes = genuine.as_bytes().to_vec();
            let at = at % bytes.len();
            if bytes[at] != to {
                bytes[at] = to;
                refused(&String::from_utf8_lossy(&bytes), &args);
            }
        }
        Input::Extended(tail) => {
            if !tail.is_empty() {
                refused(&format!("{genuine}{tail}"), &args);
            }
        }
        Input::OtherCall(topic) => {
            let mut other = args.clone();
            other.insert("topic".into(), Value::String(topic));
            if other != args {
                refused(genuine, &other);
            }
        }
        Input::Sealed {
            payload,
            responses: answers,
        } => {
            let Ok(payload) = serde_json::from_str::<Value>(&payload) else {
                return;
            };
            let Some(state) = seal_request_state(KEY, binding(&args), &payload) else {
                return;
            };
            let answers = responses(&answers);
            match open_request_state(KEY, binding(&args), Some(&state), answers.as_ref(), &qs) {
                Ok(got) => assert!(got.len() <= qs.len()),
                Err(error) => assert!(!error.is_empty()),
            }
        }
    }
});
