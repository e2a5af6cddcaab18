//! Budgets and usage on the wire, in `_meta` (see the wire contract in
//! docs/architecture.md): what a caller grants, what a callee used, and why a
//! call failed.

use std::time::Duration;

use rmcp::model::JsonObject;
use serde_json::{Map, Value, json};

use crate::budget::{Budget, BudgetExceeded, Usage};

/// `_meta` key of the budget a caller grants to a call.
pub const BUDGET_KEY: &str = "dev.agentwire/budget";
/// `_meta` key of the usage a result reports.
pub const USAGE_KEY: &str = "dev.agentwire/usage";
/// `_meta` key of a structured error on an error result.
pub const ERROR_KEY: &str = "dev.agentwire/error";

/// A grant that is not a budget: the message says what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid `_meta[\"{BUDGET_KEY}\"]`: {0}")]
pub struct InvalidGrant(String);

/// Reads the budget a caller granted, if any. Grants are untrusted input:
/// anything but an object of non-negative integers in range is refused.
pub fn read_grant(meta: &Map<String, Value>) -> Result<Option<Budget>, InvalidGrant> {
    let Some(value) = meta.get(BUDGET_KEY) else {
        return Ok(None);
    };
    let Value::Object(fields) = value else {
        return Err(InvalidGrant(format!(
            "a budget grant is a JSON object such as {{\"tokens\": 1000}}, not {}",
            kind(value)
        )));
    };
    let u64_field = |name: &str| -> Result<Option<u64>, InvalidGrant> {
        match fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
            Some(other) => Err(InvalidGrant(format!(
                "`{name}` must be a whole number from 0 to {}, not {other}",
                u64::MAX
            ))),
        }
    };
    let u32_field = |name: &str| -> Result<Option<u32>, InvalidGrant> {
        match fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_u64().is_some_and(|v| v <= u64::from(u32::MAX)) => {
                Ok(n.as_u64().map(|v| v as u32))
            }
            Some(other) => Err(InvalidGrant(format!(
                "`{name}` must be a whole number from 0 to {}, not {other}",
                u32::MAX
            ))),
        }
    };
    Ok(Some(Budget {
        time: u64_field("timeoutMs")?.map(Duration::from_millis),
        tokens: u64_field("tokens")?,
        cost_micros: u64_field("costMicros")?,
        depth: u32_field("depth")?,
        calls: u32_field("calls")?,
    }))
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The grant for a callee, as `_meta` JSON; limits that are absent stay absent.
pub fn grant_value(budget: &Budget) -> Value {
    let mut fields = JsonObject::new();
    if let Some(time) = budget.time {
        fields.insert("timeoutMs".into(), json!(time.as_millis() as u64));
    }
    if let Some(tokens) = budget.tokens {
        fields.insert("tokens".into(), json!(tokens));
    }
    if let Some(cost) = budget.cost_micros {
        fields.insert("costMicros".into(), json!(cost));
    }
    if let Some(depth) = budget.depth {
        fields.insert("depth".into(), json!(depth));
    }
    if let Some(calls) = budget.calls {
        fields.insert("calls".into(), json!(calls));
    }
    Value::Object(fields)
}

/// The usage a callee reported in its result's `_meta`, if it did. A callee
/// that reports garbage is treated as having reported nothing.
pub fn read_usage(meta: &Map<String, Value>) -> Option<Usage> {
    serde_json::from_value(meta.get(USAGE_KEY)?.clone()).ok()
}

/// The budget error a callee reported in its result's `_meta`, if it did,
/// with the agent that hit the limit when it says.
pub fn read_budget_error(meta: &Map<String, Value>) -> Option<(BudgetExceeded, Option<String>)> {
    let error = meta.get(ERROR_KEY)?;
    if error.get("kind")? != "budget_exceeded" {
        return None;
    }
    let exceeded = serde_json::from_value(error.clone()).ok()?;
    let agent = error
        .get("agent")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some((exceeded, agent))
}

/// The `_meta` value describing a budget error that `agent` ran into.
pub fn budget_error_value(exceeded: &BudgetExceeded, agent: &str) -> Value {
    json!({
        "kind": "budget_exceeded",
        "dimension": exceeded.dimension,
        "limit": exceeded.limit,
        "used": exceeded.used,
        "agent": agent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(value: Value) -> Result<Option<Budget>, InvalidGrant> {
        let mut meta = Map::new();
        meta.insert(BUDGET_KEY.into(), value);
        read_grant(&meta)
    }

    #[test]
    fn a_grant_reads_every_dimension() {
        let budget = grant(
            json!({"timeoutMs": 1500, "tokens": 10, "costMicros": 7, "depth": 2, "calls": 3}),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            budget,
            Budget {
                time: Some(Duration::from_millis(1500)),
                tokens: Some(10),
                cost_micros: Some(7),
                depth: Some(2),
                calls: Some(3),
            }
        );
        assert_eq!(
            grant_value(&budget),
            json!({"timeoutMs": 1500, "tokens": 10, "costMicros": 7, "depth": 2, "calls": 3})
        );
    }

    #[test]
    fn absurd_grants_are_refused_with_the_field_named() {
        for (value, field) in [
            (json!({"tokens": -5}), "`tokens`"),
            (json!({"tokens": 1e300}), "`tokens`"),
            (json!({"tokens": 1.5}), "`tokens`"),
            (json!({"depth": "3"}), "`depth`"),
            (json!({"calls": 4294967296u64}), "`calls`"),
            (json!({"timeoutMs": [1]}), "`timeoutMs`"),
            (json!("lots"), "JSON object"),
            (json!(12), "JSON object"),
        ] {
            let error = grant(value.clone()).unwrap_err().to_string();
            assert!(error.contains(field), "{value} gave {error}");
        }
        assert_eq!(read_grant(&Map::new()), Ok(None));
    }

    #[test]
    fn usage_and_errors_round_trip_through_meta() {
        let mut meta = Map::new();
        let usage = Usage {
            input_tokens: 1,
            output_tokens: 2,
            cost_micros: 3,
            elapsed_ms: 4,
            calls: 5,
        };
        meta.insert(USAGE_KEY.into(), serde_json::to_value(usage).unwrap());
        assert_eq!(read_usage(&meta), Some(usage));
        let exceeded = BudgetExceeded {
            dimension: crate::budget::Dimension::Tokens,
            limit: 10,
            used: 12,
        };
        meta.insert(ERROR_KEY.into(), budget_error_value(&exceeded, "summarize"));
        assert_eq!(
            read_budget_error(&meta),
            Some((exceeded, Some("summarize".to_owned())))
        );
        assert_eq!(meta[ERROR_KEY]["dimension"], json!("tokens"));
    }
}
