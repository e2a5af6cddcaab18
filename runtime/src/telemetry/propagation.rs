//! W3C trace context (`traceparent`, `tracestate`) and `baggage` in MCP's
//! `params._meta`, unprefixed as MCP SEP-414 specifies.

use opentelemetry::global;
use opentelemetry::propagation::{Extractor, Injector};
use serde_json::{Map, Value};
use tracing_opentelemetry::OpenTelemetrySpanExt;

struct MetaExtractor<'a>(&'a Map<String, Value>);

impl Extractor for MetaExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        // Only string values are trace context; anything else is ignored.
        self.0.get(key).and_then(Value::as_str)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

struct MetaInjector<'a>(&'a mut Map<String, Value>);

impl Injector for MetaInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), Value::String(value));
    }
}

/// Parents `span` on the trace context a caller sent in `meta`, if any.
pub(crate) fn set_parent_from(span: &tracing::Span, meta: &Map<String, Value>) {
    // Most calls carry no trace context: skip the propagators' work.
    if !meta.contains_key("traceparent") && !meta.contains_key("baggage") {
        return;
    }
    let parent = global::get_text_map_propagator(|p| p.extract(&MetaExtractor(meta)));
    let _ = span.set_parent(parent);
}

/// Writes the trace context of `span` into `meta`, for the callee.
pub(crate) fn inject_into(span: &tracing::Span, meta: &mut Map<String, Value>) {
    let context = span.context();
    global::get_text_map_propagator(|p| p.inject_context(&context, &mut MetaInjector(meta)));
}
