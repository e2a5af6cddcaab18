//! The two histograms the conventions name: `mcp.server.operation.duration`
//! and `gen_ai.client.token.usage`. Without a meter provider they are no-ops.

use super::ErrorType;
use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry::KeyValue;
use opentelemetry::global;
use opentelemetry::metrics::Histogram;

struct Instruments {
    operation_duration: Histogram<f64>,
    token_usage: Histogram<u64>,
}

fn instruments() -> &'static Instruments {
    static INSTRUMENTS: OnceLock<Instruments> = OnceLock::new();
    INSTRUMENTS.get_or_init(|| {
        let meter = global::meter("agentwire");
        Instruments {
            operation_duration: meter
                .f64_histogram("mcp.server.operation.duration")
                .with_unit("s")
                .with_description("Duration of MCP requests served")
                .build(),
            token_usage: meter
                .u64_histogram("gen_ai.client.token.usage")
                .with_unit("{token}")
                .with_description("Tokens used by model calls")
                .build(),
        }
    })
}

/// One served MCP request: its method, tool and, on failure, error type.
pub(crate) fn record_operation(
    method: &str,
    tool: &str,
    elapsed: Duration,
    error: Option<ErrorType>,
) {
    let mut attributes = vec![
        KeyValue::new("mcp.method.name", method.to_owned()),
        KeyValue::new("gen_ai.tool.name", tool.to_owned()),
    ];
    if let Some(error) = error {
        attributes.push(KeyValue::new("error.type", error.as_str()));
    }
    instruments()
        .operation_duration
        .record(elapsed.as_secs_f64(), &attributes);
}

/// Tokens charged by a model call, by type.
pub(crate) fn record_token_usage(agent: &str, input: u64, output: u64) {
    for (kind, tokens) in [("input", input), ("output", output)] {
        if tokens > 0 {
            instruments().token_usage.record(
                tokens,
                &[
                    KeyValue::new("gen_ai.token.type", kind),
                    KeyValue::new("gen_ai.agent.name", agent.to_owned()),
                ],
            );
        }
    }
}
