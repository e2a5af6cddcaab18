//! The scopes a JSON-RPC message needs beyond the server's own: those of
//! the tool it calls, the prompt it gets or the resource it reads, as the
//! macros recorded them (`scopes = [...]`).

use serde_json::Value;

use crate::registry::Registry;

/// The scopes `message` (one JSON-RPC message, or a batch) needs, in order,
/// without repeats.
pub(crate) fn scopes_needed(registry: &Registry, message: &Value) -> Vec<&'static str> {
    let mut needed = Vec::new();
    match message {
        Value::Array(batch) => {
            for message in batch {
                add(&mut needed, one(registry, message));
            }
        }
        message => add(&mut needed, one(registry, message)),
    }
    needed
}

fn add(into: &mut Vec<&'static str>, scopes: &'static [&'static str]) {
    for scope in scopes {
        if !into.contains(scope) {
            into.push(scope);
        }
    }
}

fn one(registry: &Registry, message: &Value) -> &'static [&'static str] {
    let params = &message["params"];
    let text = |key: &str| params[key].as_str().unwrap_or_default();
    match message["method"].as_str() {
        Some("tools/call") => registry.get(text("name")).map_or(&[], |agent| agent.scopes),
        Some("prompts/get") => registry
            .prompt(text("name"))
            .map_or(&[], |prompt| prompt.scopes),
        Some("resources/read" | "resources/subscribe") => registry
            .resource_for(text("uri"))
            .map_or(&[], |(resource, _)| resource.scopes),
        _ => &[],
    }
}
