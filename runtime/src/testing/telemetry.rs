//! Spans and metrics captured in memory, to assert on names, attributes
//! and parent links without an OTLP receiver.
//!
//! Spans are captured per test: [`Capture::start`] installs a `tracing`
//! subscriber for the current thread (the thread of a `#[tokio::test]`,
//! whose default runtime runs every spawned task on it too) with the same
//! OpenTelemetry layer a server exports through. Metrics go through the
//! process-wide meter provider, which the kit installs once: they add up
//! across the tests of one binary, so assert on the attributes your test
//! owns (its agent or tool name).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Once, OnceLock};
use std::time::Duration;

use opentelemetry::global;
use opentelemetry::propagation::TextMapCompositePropagator;
use opentelemetry::trace::{SpanId, SpanKind, Status};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider, Temporality};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use tracing::subscriber::DefaultGuard;
use tracing_subscriber::layer::SubscriberExt;

/// One finished span.
#[derive(Debug, Clone, PartialEq)]
pub struct CapturedSpan {
    /// The span's name, e.g. `invoke_agent greet` or `tools/call greet`.
    pub name: String,
    /// `internal`, `server`, `client`, `producer` or `consumer`.
    pub kind: &'static str,
    /// The trace it belongs to (32 hex digits).
    pub trace_id: String,
    /// The span's id (16 hex digits).
    pub span_id: String,
    /// The parent's id, `None` for a root span.
    pub parent_span_id: Option<String>,
    /// The attributes, their values as text.
    pub attributes: BTreeMap<String, String>,
    /// Whether the span's status is an error.
    pub is_error: bool,
}

impl CapturedSpan {
    /// The attribute `key`, as text.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }

    /// Whether `parent` is this span's parent (in the same trace).
    pub fn is_child_of(&self, parent: &CapturedSpan) -> bool {
        self.trace_id == parent.trace_id
            && self.parent_span_id.as_deref() == Some(parent.span_id.as_str())
    }

    fn from_data(span: &SpanData) -> Self {
        let kind = match span.span_kind {
            SpanKind::Client => "client",
            SpanKind::Server => "server",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
            SpanKind::Internal => "internal",
        };
        CapturedSpan {
            name: span.name.to_string(),
            kind,
            trace_id: span.span_context.trace_id().to_string(),
            span_id: span.span_context.span_id().to_string(),
            parent_span_id: (span.parent_span_id != SpanId::INVALID)
                .then(|| span.parent_span_id.to_string()),
            attributes: span
                .attributes
                .iter()
                .map(|kv| (kv.key.to_string(), kv.value.as_str().into_owned()))
                .collect(),
            is_error: matches!(span.status, Status::Error { .. }),
        }
    }
}

/// A span exporter that keeps what it is given.
#[derive(Debug, Clone, Default)]
struct Keep(Arc<Mutex<Vec<SpanData>>>);

impl SpanExporter for Keep {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(batch);
        Ok(())
    }
}

/// The spans of the current thread, from [`start`](Capture::start) until
/// the capture is dropped.
///
/// ```
/// use agentwire::prelude::*;
/// use agentwire::testing::{Capture, TestServer};
/// use serde_json::json;
///
/// /// Says hello.
/// #[agent]
/// async fn greet(name: String) -> String {
///     format!("Hello, {name}!")
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let capture = Capture::start();
/// let server = TestServer::serving([greet::DEFINITION]).await.unwrap();
/// server.call("greet", json!({"name": "Ada"})).await.unwrap();
/// let served = capture.span("tools/call greet").unwrap();
/// let agent = capture.span("invoke_agent greet").unwrap();
/// assert_eq!(served.kind, "server");
/// assert!(agent.is_child_of(&served));
/// assert_eq!(agent.attribute("gen_ai.agent.name"), Some("greet"));
/// # }
/// ```
pub struct Capture {
    spans: Keep,
    provider: SdkTracerProvider,
    _guard: DefaultGuard,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture").finish_non_exhaustive()
    }
}

impl Capture {
    /// Starts capturing the spans of the current thread, and the metrics
    /// of the process.
    pub fn start() -> Capture {
        install_propagator();
        install_meter_provider();
        keep_interest_per_thread();
        let spans = Keep::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(spans.clone())
            .build();
        let subscriber =
            tracing_subscriber::registry().with(crate::telemetry::otel_layer(&provider));
        let guard = tracing::subscriber::set_default(subscriber);
        Capture {
            spans,
            provider,
            _guard: guard,
        }
    }

    /// Every span finished so far, in the order they ended (a child before
    /// its parent).
    pub fn spans(&self) -> Vec<CapturedSpan> {
        let _ = self.provider.force_flush();
        self.spans
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(CapturedSpan::from_data)
            .collect()
    }

    /// The finished spans named `name`.
    pub fn spans_named(&self, name: &str) -> Vec<CapturedSpan> {
        self.spans()
            .into_iter()
            .filter(|s| s.name == name)
            .collect()
    }

    /// The first finished span named `name`.
    pub fn span(&self, name: &str) -> Option<CapturedSpan> {
        self.spans().into_iter().find(|s| s.name == name)
    }

    /// The metrics recorded in this process so far (every test's: assert on
    /// the attributes yours owns).
    pub fn metrics(&self) -> Vec<CapturedMetric> {
        collected_metrics()
    }

    /// The metric `name`, if anything was recorded on it.
    pub fn metric(&self, name: &str) -> Option<CapturedMetric> {
        self.metrics().into_iter().find(|m| m.name == name)
    }
}

/// One metric: its points, one per set of attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct CapturedMetric {
    /// The metric's name, e.g. `gen_ai.client.token.usage`.
    pub name: String,
    /// Its unit, e.g. `s` or `{token}`.
    pub unit: String,
    /// Its points, cumulative since the process started.
    pub points: Vec<MetricPoint>,
}

impl CapturedMetric {
    /// The points whose attribute `key` is `value`.
    pub fn points_where(&self, key: &str, value: &str) -> Vec<&MetricPoint> {
        self.points
            .iter()
            .filter(|p| p.attribute(key) == Some(value))
            .collect()
    }
}

/// The measurements of one metric with one set of attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricPoint {
    /// The attributes, their values as text.
    pub attributes: BTreeMap<String, String>,
    /// How many measurements (a histogram's count; 1 for a sum or gauge).
    pub count: u64,
    /// Their sum (a sum's or gauge's value).
    pub sum: f64,
}

impl MetricPoint {
    /// The attribute `key`, as text.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

/// The last export of the process-wide meter provider.
#[derive(Debug, Clone, Default)]
struct LatestMetrics(Arc<Mutex<Vec<CapturedMetric>>>);

impl PushMetricExporter for LatestMetrics {
    async fn export(&self, metrics: &ResourceMetrics) -> OTelSdkResult {
        let mut captured = Vec::new();
        for scope in metrics.scope_metrics() {
            for metric in scope.metrics() {
                captured.push(CapturedMetric {
                    name: metric.name().to_owned(),
                    unit: metric.unit().to_owned(),
                    points: points(metric.data()),
                });
            }
        }
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = captured;
        Ok(())
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }

    fn temporality(&self) -> Temporality {
        Temporality::Cumulative
    }
}

fn attributes<'a>(
    pairs: impl Iterator<Item = &'a opentelemetry::KeyValue>,
) -> BTreeMap<String, String> {
    pairs
        .map(|kv| (kv.key.to_string(), kv.value.as_str().into_owned()))
        .collect()
}

fn points(data: &AggregatedMetrics) -> Vec<MetricPoint> {
    match data {
        AggregatedMetrics::F64(data) => points_of(data, |v| v),
        AggregatedMetrics::U64(data) => points_of(data, |v| v as f64),
        AggregatedMetrics::I64(data) => points_of(data, |v| v as f64),
    }
}

fn points_of<T: Copy>(data: &MetricData<T>, as_f64: impl Fn(T) -> f64) -> Vec<MetricPoint> {
    match data {
        MetricData::Histogram(histogram) => histogram
            .data_points()
            .map(|p| MetricPoint {
                attributes: attributes(p.attributes()),
                count: p.count(),
                sum: as_f64(p.sum()),
            })
            .collect(),
        MetricData::Sum(sum) => sum
            .data_points()
            .map(|p| MetricPoint {
                attributes: attributes(p.attributes()),
                count: 1,
                sum: as_f64(p.value()),
            })
            .collect(),
        MetricData::Gauge(gauge) => gauge
            .data_points()
            .map(|p| MetricPoint {
                attributes: attributes(p.attributes()),
                count: 1,
                sum: as_f64(p.value()),
            })
            .collect(),
        MetricData::ExponentialHistogram(_) => Vec::new(),
    }
}

struct MeterState {
    provider: SdkMeterProvider,
    latest: LatestMetrics,
}

fn meter_state() -> &'static MeterState {
    static STATE: OnceLock<MeterState> = OnceLock::new();
    STATE.get_or_init(|| {
        let latest = LatestMetrics::default();
        // Exported on demand (`force_flush`), not on a timer.
        let reader = PeriodicReader::builder(latest.clone())
            .with_interval(Duration::from_secs(24 * 3600))
            .build();
        let provider = SdkMeterProvider::builder().with_reader(reader).build();
        global::set_meter_provider(provider.clone());
        MeterState { provider, latest }
    })
}

/// Installs the process-wide meter provider the kit reads metrics from.
/// agentwire makes its instruments on first use: this must come before
/// (every [`TestServer`](super::TestServer) and [`Capture`] calls it).
pub(crate) fn install_meter_provider() {
    meter_state();
}

fn collected_metrics() -> Vec<CapturedMetric> {
    let state = meter_state();
    let _ = state.provider.force_flush();
    state
        .latest
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// Keeps a second dispatcher registered for the life of the process.
///
/// With a single scoped dispatcher alive, `tracing` works out a callsite's
/// interest from the dispatcher of whichever thread reaches it first: a
/// test without a capture would switch a span off for every test. With
/// two, interest is gathered from all of them, and each thread's own
/// dispatcher decides.
fn keep_interest_per_thread() {
    static SILENT: OnceLock<tracing::Dispatch> = OnceLock::new();
    SILENT.get_or_init(|| tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default()));
}

/// The W3C propagators, as a served process installs them: trace context
/// then crosses in-process server boundaries in `_meta`.
pub(crate) fn install_propagator() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        global::set_text_map_propagator(TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(BaggagePropagator::new()),
        ]));
    });
}
