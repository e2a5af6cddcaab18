//! OTLP over HTTP (`http/protobuf`), chosen by the standard environment
//! variables, received by a minimal OTLP/HTTP endpoint that decodes the
//! protobuf export requests.

use std::time::Duration;

use agentwire::prelude::*;
use agentwire::telemetry::{Telemetry, TelemetryConfig};
use agentwire::{AgentServer, Registry, ServerIdentity};
use axum::body::Bytes;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Says hi.
#[agent]
async fn hi() -> String {
    "hi".to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_are_exported_over_otlp_http_protobuf() {
    let (names_tx, mut names_rx) = mpsc::unbounded_channel::<(String, String)>();
    let app = axum::Router::new().route(
        "/v1/traces",
        axum::routing::post(move |body: Bytes| {
            let names = names_tx.clone();
            async move {
                let request = ExportTraceServiceRequest::decode(body).expect("protobuf body");
                for resource in request.resource_spans {
                    let service = resource
                        .resource
                        .iter()
                        .flat_map(|r| &r.attributes)
                        .find(|a| a.key == "service.name")
                        .and_then(|a| a.value.clone())
                        .map(|v| format!("{:?}", v.value))
                        .unwrap_or_default();
                    for scope in resource.scope_spans {
                        for span in scope.spans {
                            let _ = names.send((span.name, service.clone()));
                        }
                    }
                }
                ""
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let config = TelemetryConfig {
        endpoint: Some(endpoint),
        protocol: Some("http/protobuf".to_owned()),
        metrics_exporter: Some("none".to_owned()),
        service_name: Some("http-export-test".to_owned()),
        ..TelemetryConfig::default()
    };
    let telemetry = Telemetry::init("unused-default", &config, "warn");
    let server = AgentServer::new(Registry::collect().unwrap(), ServerIdentity::new("t", "0"));
    let result = server
        .call("hi", Default::default(), None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(false));
    telemetry.shutdown().await;

    let (name, service) = tokio::time::timeout(Duration::from_secs(20), names_rx.recv())
        .await
        .expect("a span arrives")
        .unwrap();
    assert_eq!(name, "invoke_agent hi");
    assert!(service.contains("http-export-test"), "{service}");
}
