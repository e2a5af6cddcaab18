//! The `chat {model}` span of every model call, with the attributes of the
//! OpenTelemetry GenAI semantic conventions. It never records the prompt or
//! the answer.
//!
//! `tracing` span names are fixed where the span is declared, so the span
//! is named `chat` and carries `otel.name = "chat {model}"`, which
//! `tracing-opentelemetry` uses as the exported span's name.

use tracing::Span;
use tracing::field::Empty;

use super::message::{ChatRequest, ChatResponse};

/// Opens the span of one model call (it is entered by instrumenting the
/// call's future).
pub(crate) fn chat_span(provider: &str, request: &ChatRequest) -> Span {
    let model = request.model.as_str();
    tracing::info_span!(
        "chat",
        otel.name = %format_args!("chat {model}"),
        otel.kind = "client",
        otel.status_code = Empty,
        gen_ai.operation.name = "chat",
        gen_ai.provider.name = provider,
        gen_ai.request.model = model,
        gen_ai.request.max_tokens = request.max_tokens,
        gen_ai.response.model = Empty,
        gen_ai.response.id = Empty,
        gen_ai.response.finish_reasons = Empty,
        gen_ai.usage.input_tokens = Empty,
        gen_ai.usage.output_tokens = Empty,
        agentwire.usage.cost_micros = Empty,
        agentwire.usage.estimated = Empty,
        error.type = Empty,
    )
}

/// Records the answer's model, id, finish reason and usage. The finish
/// reasons are an array in the conventions; here they are its JSON text.
pub(crate) fn record_response(span: &Span, response: &ChatResponse, cost_micros: u64) {
    span.record("gen_ai.response.model", response.model.as_str());
    if let Some(id) = &response.id {
        span.record("gen_ai.response.id", id.as_str());
    }
    let reasons = serde_json::json!([response.finish_reason.as_str()]).to_string();
    span.record("gen_ai.response.finish_reasons", reasons.as_str());
    span.record("gen_ai.usage.input_tokens", response.usage.input_tokens);
    span.record("gen_ai.usage.output_tokens", response.usage.output_tokens);
    span.record("agentwire.usage.cost_micros", cost_micros);
    span.record("agentwire.usage.estimated", response.usage.estimated);
}

pub(crate) use crate::telemetry::spans::record_error;
