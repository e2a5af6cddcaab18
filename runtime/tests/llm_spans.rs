//! Every model call is a `chat {model}` span with the OpenTelemetry GenAI
//! attributes, and no prompt or answer text. (Its own test binary: a
//! thread-local subscriber sees every callsite only when no other test
//! registers them concurrently.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use agentwire::config::Config;
use agentwire::prelude::*;
use agentwire::{AgentServer, Registry, ServerIdentity};
use mock_llm::{MockLlm, Reply};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// One model call.
#[agent]
async fn chat_once(ctx: &AgentContext, question: String) -> Result<String, LlmError> {
    ctx.model()?.ask(question).await
}

/// A span as the test subscriber saw it: its name and fields.
type SeenSpan = (String, HashMap<String, String>);

/// Spans seen by the test subscriber.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<SeenSpan>>>);

struct Fields<'a>(&'a mut HashMap<String, String>);
impl tracing::field::Visit for Fields<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.insert(
            field.name().to_owned(),
            format!("{value:?}").trim_matches('"').to_owned(),
        );
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S> tracing_subscriber::Layer<S> for Spans
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut fields = HashMap::new();
        attrs.record(&mut Fields(&mut fields));
        fields.insert("#id".into(), id.into_u64().to_string());
        self.0
            .lock()
            .unwrap()
            .push((attrs.metadata().name().to_owned(), fields));
    }
    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let mut spans = self.0.lock().unwrap();
        if let Some((_, fields)) = spans
            .iter_mut()
            .rev()
            .find(|(_, f)| f["#id"] == id.into_u64().to_string())
        {
            values.record(&mut Fields(fields));
        }
    }
}

#[tokio::test]
async fn each_model_call_is_a_chat_span_with_genai_attributes_and_no_content() {
    use tracing_subscriber::layer::SubscriberExt;
    let spans = Spans::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(spans.clone()));
    let mock = MockLlm::start(vec![Reply::text_with_usage("secret answer", 21, 4)]).await;
    let config = Config::parse(&format!(
        "[llm]\nprovider = \"mock\"\nmodel = \"mock-model\"\n\
         [providers.mock]\nkind = \"anthropic\"\nbase_url = \"{}\"",
        mock.anthropic_url()
    ))
    .unwrap();
    let server = AgentServer::with_config(
        Registry::collect().unwrap(),
        ServerIdentity::new("spans", "0"),
        &config,
    );
    let args = json!({"question": "secret question"})
        .as_object()
        .cloned()
        .unwrap();
    let result = server
        .call("chat_once", args, None, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.is_error, Some(false));
    let spans = spans.0.lock().unwrap();
    let chats: Vec<_> = spans.iter().filter(|(name, _)| name == "chat").collect();
    assert_eq!(chats.len(), 1);
    let fields = &chats[0].1;
    for (field, value) in [
        ("otel.name", "chat mock-model"),
        ("otel.kind", "client"),
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.provider.name", "anthropic"),
        ("gen_ai.request.model", "mock-model"),
        ("gen_ai.response.model", "mock-model"),
        ("gen_ai.usage.input_tokens", "21"),
        ("gen_ai.usage.output_tokens", "4"),
        ("gen_ai.response.finish_reasons", r#"["stop"]"#),
    ] {
        assert_eq!(
            fields.get(field).map(String::as_str),
            Some(value),
            "{field} in {fields:?}"
        );
    }
    assert!(
        !fields.values().any(|v| v.contains("secret")),
        "no prompt or answer text: {fields:?}"
    );
}
