//! Traces and metrics: `tracing` spans that follow the OpenTelemetry GenAI and
//! MCP semantic conventions, exported over OTLP when the standard `OTEL_*`
//! variables (or `[telemetry]` in agentwire.toml) ask for it.
//!
//! * Every agent invocation is an `invoke_agent {name}` span (INTERNAL), made
//!   at the agent's own callsite by `#[agent]`; a served tool call is a
//!   `tools/call {tool}` SERVER span; a call to a remote agent a
//!   `tools/call {tool}` CLIENT span. Budget granted and used are recorded on
//!   the agent span under `agentwire.budget.*`.
//! * Trace context travels in `params._meta` (`traceparent`, `tracestate`,
//!   `baggage`), injected by the client side and extracted by the server.
//! * With no exporter configured nothing but the log output is installed, and
//!   a span costs one check of a cached callsite interest.

mod error_type;
mod export;
mod metrics;
mod propagation;
pub(crate) mod spans;

pub use error_type::ErrorType;
#[cfg(feature = "testing")]
pub(crate) use export::otel_layer;
pub use export::{Telemetry, TelemetryConfig};
pub(crate) use metrics::{record_operation, record_token_usage};
pub(crate) use propagation::{inject_into, set_parent_from};
