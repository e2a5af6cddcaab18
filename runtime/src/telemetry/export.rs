//! Installing the `tracing` subscriber: readable logs on stderr, and the
//! OpenTelemetry layer and meter when an exporter is configured.

use std::io::IsTerminal;
use std::time::Duration;

use opentelemetry::global;
use opentelemetry::propagation::TextMapCompositePropagator;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{MetricExporter, SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::metrics::periodic_reader_with_async_runtime::PeriodicReader;
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::runtime;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use serde::Deserialize;
use tracing::Subscriber;
use tracing_subscriber::filter::{FilterExt, filter_fn};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// `[telemetry]` in agentwire.toml. Each value is a fallback for the standard
/// environment variable named beside it, which wins when set.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryConfig {
    /// `OTEL_SERVICE_NAME`; otherwise the binary's name.
    pub service_name: Option<String>,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`, e.g. "http://127.0.0.1:4317".
    pub endpoint: Option<String>,
    /// `OTEL_EXPORTER_OTLP_PROTOCOL`: "grpc" or "http/protobuf" (the default).
    pub protocol: Option<String>,
    /// `OTEL_TRACES_EXPORTER`: "otlp", "console" or "none".
    pub traces_exporter: Option<String>,
    /// `OTEL_METRICS_EXPORTER`: "otlp" or "none".
    pub metrics_exporter: Option<String>,
    /// `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`: record tool
    /// arguments and results on spans. Off by default: they may be private.
    pub capture_content: Option<bool>,
}

/// The installed telemetry; [`shutdown`](Telemetry::shutdown) flushes what
/// is still buffered.
#[derive(Debug, Default)]
pub struct Telemetry {
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Telemetry {
    /// Installs the global subscriber: logs on stderr at `default_filter`
    /// unless `RUST_LOG` says otherwise, plus OTLP export when configured.
    /// `service` names this process when nothing else does.
    pub fn init(service: &str, config: &TelemetryConfig, default_filter: &str) -> Telemetry {
        global::set_text_map_propagator(TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(BaggagePropagator::new()),
        ]));
        super::spans::set_capture_content(
            env("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT")
                .map(|v| v.eq_ignore_ascii_case("true"))
                .or(config.capture_content)
                .unwrap_or(false),
        );
        let settings = ExportSettings::resolve(service, config);
        let mut problems = Vec::new();
        let tracer_provider = tracer_provider(&settings, &mut problems);
        let meter_provider = meter_provider(&settings, &mut problems);
        if let Some(provider) = &meter_provider {
            global::set_meter_provider(provider.clone());
        }
        let console = !settings.disabled && settings.traces == "console";
        install_subscriber(
            log_layer(log_filter(default_filter), console),
            tracer_provider.as_ref(),
        );
        for problem in problems {
            tracing::warn!("OpenTelemetry export is off: {problem}");
        }
        Telemetry {
            tracer_provider,
            meter_provider,
        }
    }

    /// Whether spans are exported.
    pub fn exports_traces(&self) -> bool {
        self.tracer_provider.is_some()
    }

    /// Flushes what is still buffered and stops the exporters.
    pub async fn shutdown(self) {
        if self.tracer_provider.is_none() && self.meter_provider.is_none() {
            return;
        }
        // The SDK waits for the exports, which run on this runtime: wait on
        // a blocking thread, not on one of the runtime's workers.
        let flush = tokio::task::spawn_blocking(move || {
            if let Some(provider) = self.tracer_provider {
                let _ = provider.force_flush();
                let _ = provider.shutdown_with_timeout(Duration::from_secs(5));
            }
            if let Some(provider) = self.meter_provider {
                let _ = provider.force_flush();
                let _ = provider.shutdown_with_timeout(Duration::from_secs(5));
            }
        });
        let _ = flush.await;
    }
}

/// What to export and where, from the standard variables, or else
/// `[telemetry]`.
struct ExportSettings {
    /// `OTEL_SDK_DISABLED`: nothing is exported, whatever else is set.
    disabled: bool,
    /// The traces exporter: "otlp", "console" or "none".
    traces: String,
    /// The metrics exporter: "otlp" or "none".
    metrics: String,
    resource: Resource,
    grpc: bool,
    /// The config file's endpoint, when no variable names one (the OTLP
    /// exporters read the variables themselves).
    config_endpoint: Option<String>,
}

impl ExportSettings {
    /// The variables win over `config`; OTLP is the default exporter once
    /// an endpoint is known, and nothing is exported otherwise.
    fn resolve(service: &str, config: &TelemetryConfig) -> Self {
        let disabled = env("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let endpoint = env("OTEL_EXPORTER_OTLP_ENDPOINT")
            .or_else(|| env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
            .or(config.endpoint.clone());
        let default_exporter = if endpoint.is_some() { "otlp" } else { "none" };
        let traces = env("OTEL_TRACES_EXPORTER")
            .or(config.traces_exporter.clone())
            .unwrap_or_else(|| default_exporter.to_owned());
        let metrics = env("OTEL_METRICS_EXPORTER")
            .or(config.metrics_exporter.clone())
            .unwrap_or_else(|| default_exporter.to_owned());
        let service_name = env("OTEL_SERVICE_NAME")
            .or(config.service_name.clone())
            .unwrap_or_else(|| service.to_owned());
        let resource = Resource::builder().with_service_name(service_name).build();
        let grpc = env("OTEL_EXPORTER_OTLP_PROTOCOL")
            .or(config.protocol.clone())
            .is_some_and(|p| p == "grpc");
        // The config file's endpoint only applies when no variable is set.
        let config_endpoint = (env("OTEL_EXPORTER_OTLP_ENDPOINT").is_none()
            && env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_none())
        .then(|| config.endpoint.clone())
        .flatten();
        ExportSettings {
            disabled,
            traces,
            metrics,
            resource,
            grpc,
            config_endpoint,
        }
    }
}

/// The OTLP trace pipeline, if traces go to OTLP. An exporter that cannot
/// be built turns traces off: why goes to `problems`, to be logged once the
/// subscriber is installed.
fn tracer_provider(
    settings: &ExportSettings,
    problems: &mut Vec<String>,
) -> Option<SdkTracerProvider> {
    if settings.disabled || settings.traces != "otlp" {
        return None;
    }
    let exporter = span_exporter(settings.grpc, settings.config_endpoint.as_deref())
        .map_err(|e| problems.push(format!("traces: {e}")))
        .ok()?;
    // Exports run on the tokio runtime: the HTTP exporter's client needs it,
    // which the SDK's own exporter thread does not have.
    let processor = BatchSpanProcessor::builder(exporter, runtime::Tokio).build();
    Some(
        SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_resource(settings.resource.clone())
            .build(),
    )
}

/// The OTLP metrics pipeline, if metrics go to OTLP; see
/// [`tracer_provider`] for `problems`.
fn meter_provider(
    settings: &ExportSettings,
    problems: &mut Vec<String>,
) -> Option<SdkMeterProvider> {
    if settings.disabled || settings.metrics != "otlp" {
        return None;
    }
    let exporter = metric_exporter(settings.grpc, settings.config_endpoint.as_deref())
        .map_err(|e| problems.push(format!("metrics: {e}")))
        .ok()?;
    let reader = PeriodicReader::builder(exporter, runtime::Tokio).build();
    Some(
        SdkMeterProvider::builder()
            .with_reader(reader)
            .with_resource(settings.resource.clone())
            .build(),
    )
}

/// The log level: `RUST_LOG` when it is set and valid, else `default_filter`.
fn log_filter(default_filter: &str) -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter))
}

/// Readable logs on stderr, at `filter`; with the `console` exporter, spans
/// are logged too, as they close.
fn log_layer<S>(filter: EnvFilter, console: bool) -> impl Layer<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        // Colour codes are noise in a log file, and cost a little per line.
        .with_ansi(std::io::stderr().is_terminal())
        .with_span_events(if console {
            FmtSpan::CLOSE
        } else {
            FmtSpan::NONE
        })
        // Log lines are events only: formatting every span's fields for a
        // prefix costs more per request than the request's own work. Spans
        // reach the log with the console exporter, and OTLP always.
        .with_filter(filter.and(filter_fn(move |meta| console || meta.is_event())))
}

/// Spans of agentwire and the user's code go to OpenTelemetry whatever the
/// log level, so a trace is never missing a hop; the transports' internal
/// spans would only add noise (and traces of their own).
pub(crate) fn otel_layer<S>(provider: &SdkTracerProvider) -> impl Layer<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("agentwire"))
        .with_filter(EnvFilter::new(
            "info,rmcp=off,h2=off,hyper=off,hyper_util=off,tonic=off,tower=off,reqwest=off,opentelemetry=off",
        ))
}

/// Installs the global subscriber (unless one already is): the `log` layer,
/// and the OpenTelemetry layer when spans are exported.
fn install_subscriber(
    log: impl Layer<Registry> + Send + Sync + 'static,
    tracer_provider: Option<&SdkTracerProvider>,
) {
    let otel = tracer_provider.map(otel_layer);
    // Not `.with(otel)` on an `Option`: a `None` layer declares interest in
    // every callsite, which would create every span for nobody.
    let subscriber = tracing_subscriber::registry().with(log);
    let _ = match otel {
        Some(otel) => subscriber.with(otel).try_init(),
        None => subscriber.try_init(),
    };
}

fn span_exporter(grpc: bool, endpoint: Option<&str>) -> Result<SpanExporter, String> {
    let built = if grpc {
        let builder = SpanExporter::builder().with_tonic();
        match endpoint {
            Some(endpoint) => builder.with_endpoint(endpoint).build(),
            None => builder.build(),
        }
    } else {
        let builder = SpanExporter::builder().with_http();
        match endpoint {
            Some(endpoint) => builder
                .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
                .build(),
            None => builder.build(),
        }
    };
    built.map_err(|e| e.to_string())
}

fn metric_exporter(grpc: bool, endpoint: Option<&str>) -> Result<MetricExporter, String> {
    let built = if grpc {
        let builder = MetricExporter::builder().with_tonic();
        match endpoint {
            Some(endpoint) => builder.with_endpoint(endpoint).build(),
            None => builder.build(),
        }
    } else {
        let builder = MetricExporter::builder().with_http();
        match endpoint {
            Some(endpoint) => builder
                .with_endpoint(format!("{}/v1/metrics", endpoint.trim_end_matches('/')))
                .build(),
            None => builder.build(),
        }
    };
    built.map_err(|e| e.to_string())
}
