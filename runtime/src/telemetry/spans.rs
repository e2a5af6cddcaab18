//! The spans agentwire makes, with the attribute names of the GenAI and MCP
//! semantic conventions, and the budget attributes under `agentwire.budget.*`.

use std::sync::atomic::{AtomicBool, Ordering};

use tracing::Span;
use tracing::field::Empty;

use super::ErrorType;
use crate::budget::{Budget, Usage};

static CAPTURE_CONTENT: AtomicBool = AtomicBool::new(false);

pub(crate) fn set_capture_content(capture: bool) {
    CAPTURE_CONTENT.store(capture, Ordering::Relaxed);
}

/// Whether tool arguments and results may be recorded on spans (opt-in).
pub(crate) fn capture_content() -> bool {
    CAPTURE_CONTENT.load(Ordering::Relaxed)
}

/// The `invoke_agent {name}` span, made at the agent's own callsite by the
/// code `#[agent]` generates, so it can be filtered per agent and costs one
/// cached interest check when nobody listens.
#[doc(hidden)]
#[macro_export]
macro_rules! __agent_span {
    ($name:literal) => {
        $crate::__private::tracing::info_span!(
            target: "agentwire::agent",
            "invoke_agent",
            otel.name = ::core::concat!("invoke_agent ", $name),
            otel.kind = "internal",
            gen_ai.operation.name = "invoke_agent",
            gen_ai.agent.name = $name,
            agentwire.depth = $crate::__private::tracing::field::Empty,
            agentwire.budget.granted.time_ms = $crate::__private::tracing::field::Empty,
            agentwire.budget.granted.tokens = $crate::__private::tracing::field::Empty,
            agentwire.budget.granted.cost_micros = $crate::__private::tracing::field::Empty,
            agentwire.budget.granted.depth = $crate::__private::tracing::field::Empty,
            agentwire.budget.granted.calls = $crate::__private::tracing::field::Empty,
            agentwire.budget.used.input_tokens = $crate::__private::tracing::field::Empty,
            agentwire.budget.used.output_tokens = $crate::__private::tracing::field::Empty,
            agentwire.budget.used.cost_micros = $crate::__private::tracing::field::Empty,
            agentwire.budget.used.calls = $crate::__private::tracing::field::Empty,
            agentwire.budget.used.elapsed_ms = $crate::__private::tracing::field::Empty,
            agentwire.budget.exceeded = $crate::__private::tracing::field::Empty,
            error.type = $crate::__private::tracing::field::Empty,
            otel.status_code = $crate::__private::tracing::field::Empty,
        )
    };
}

/// Records what an agent was granted, once its budget is known.
pub(crate) fn record_granted(span: &Span, depth: u32, granted: &Budget) {
    if span.is_disabled() {
        return;
    }
    span.record("agentwire.depth", depth);
    if let Some(time) = granted.time {
        span.record("agentwire.budget.granted.time_ms", time.as_millis() as u64);
    }
    if let Some(tokens) = granted.tokens {
        span.record("agentwire.budget.granted.tokens", tokens);
    }
    if let Some(cost) = granted.cost_micros {
        span.record("agentwire.budget.granted.cost_micros", cost);
    }
    if let Some(depth) = granted.depth {
        span.record("agentwire.budget.granted.depth", depth);
    }
    if let Some(calls) = granted.calls {
        span.record("agentwire.budget.granted.calls", calls);
    }
}

/// Records what an agent used, and why it failed if it did.
pub(crate) fn record_used(
    span: &Span,
    used: &Usage,
    error_type: Option<ErrorType>,
    exceeded: Option<&str>,
) {
    if span.is_disabled() {
        return;
    }
    span.record("agentwire.budget.used.input_tokens", used.input_tokens);
    span.record("agentwire.budget.used.output_tokens", used.output_tokens);
    span.record("agentwire.budget.used.cost_micros", used.cost_micros);
    span.record("agentwire.budget.used.calls", used.calls);
    span.record("agentwire.budget.used.elapsed_ms", used.elapsed_ms);
    if let Some(error) = error_type {
        span.record("error.type", error.as_str());
        span.record("otel.status_code", "ERROR");
    }
    if let Some(dimension) = exceeded {
        span.record("agentwire.budget.exceeded", dimension);
    }
}

/// The SERVER span of a served `tools/call`.
pub(crate) fn server_span(
    tool: &str,
    request_id: &str,
    protocol_version: Option<&str>,
    session_id: Option<&str>,
) -> Span {
    let span = tracing::info_span!(
        target: "agentwire::mcp",
        "tools/call",
        otel.name = format!("tools/call {tool}"),
        otel.kind = "server",
        otel.status_code = Empty,
        mcp.method.name = "tools/call",
        jsonrpc.request.id = request_id,
        mcp.protocol.version = protocol_version,
        mcp.session.id = session_id,
        gen_ai.operation.name = "execute_tool",
        gen_ai.tool.name = tool,
        gen_ai.tool.call.arguments = Empty,
        gen_ai.tool.call.result = Empty,
        enduser.id = Empty,
        oauth.client.id = Empty,
        error.type = Empty,
    );
    span
}

/// The CLIENT span of a call to a tool of another MCP server.
pub(crate) fn client_span(tool: &str, server: &str) -> Span {
    tracing::info_span!(
        target: "agentwire::mcp",
        "tools/call",
        otel.name = format!("tools/call {tool}"),
        otel.kind = "client",
        otel.status_code = Empty,
        mcp.method.name = "tools/call",
        mcp.protocol.version = Empty,
        gen_ai.operation.name = "execute_tool",
        gen_ai.tool.name = tool,
        agentwire.server = server,
        error.type = Empty,
    )
}

/// Marks a span as failed with `error_type`.
pub(crate) fn record_error(span: &Span, error_type: ErrorType) {
    span.record("error.type", error_type.as_str());
    span.record("otel.status_code", "ERROR");
}
