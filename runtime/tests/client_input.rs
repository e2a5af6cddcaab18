//! Elicitation and sampling from an agent, against a real rmcp client over
//! streamable HTTP, in both protocol eras: server→client requests in a
//! 2025-11-25 session, multi-round-trip `InputRequiredResult`s (agent
//! replayed with the recorded answers) for 2026-07-28.

#![allow(deprecated)] // Sampling is deprecated by SEP-2577, still in both eras.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

mod support;

use agentwire::prelude::*;
use agentwire::transport::http::{HttpOptions, HttpServer};
use agentwire::{AgentServer, Registry, ServerIdentity};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientInfo,
    CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult,
    ElicitationAction, ElicitationCapability, FormElicitationCapability, Implementation,
    Role as McpRole, SamplingCapability, SamplingMessage, UrlElicitationCapability, object,
};
use rmcp::service::{RequestContext, RoleClient, RunningService};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::{ClientHandler, ErrorData};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use support::{ERAS, Era, connect_as, text};

/// A pizza order.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Order {
    /// Which pizza.
    pizza: String,
    /// How many.
    count: u32,
}

/// How often `order_twice` started for each shop, in this process (tests
/// run in parallel, so each test uses its own shops).
static ORDER_RUNS: LazyLock<Mutex<HashMap<String, usize>>> = LazyLock::new(Default::default);

fn runs(shop: &str) -> usize {
    ORDER_RUNS.lock().unwrap().get(shop).copied().unwrap_or(0)
}

/// Asks for two orders, then a confirmation from the model.
#[agent]
async fn order_twice(ctx: &AgentContext, shop: String) -> Result<String, ClientRequestError> {
    *ORDER_RUNS.lock().unwrap().entry(shop.clone()).or_default() += 1;
    let first = ctx
        .elicit::<Order>(format!("First order at {shop}?"))
        .await?;
    let second = ctx.elicit::<Order>("Second order?").await?;
    let describe = |o: Elicitation<Order>| match o {
        Elicitation::Accepted(o) => format!("{} {}", o.count, o.pizza),
        Elicitation::Declined => "declined".to_owned(),
        Elicitation::Cancelled => "cancelled".to_owned(),
    };
    let summary = format!("{} + {}", describe(first), describe(second));
    let confirmation = ctx
        .sample(SamplingRequest::new(format!("Confirm: {summary}")).max_tokens(50))
        .await?;
    Ok(format!(
        "{summary}; model {} says {}",
        confirmation.model,
        confirmation.text()
    ))
}

/// Spends 40 tokens, then asks for an order.
#[agent]
async fn spend_then_ask(ctx: &AgentContext) -> Result<String, ClientRequestError> {
    if let Err(exceeded) = ctx.charge(Usage::model(30, 10, 0)) {
        return Ok(format!("refused: {exceeded}"));
    }
    let order = ctx.elicit::<Order>("Order?").await?;
    Ok(format!("{}", matches!(order, Elicitation::Accepted(_))))
}

/// Sends the user to a URL.
#[agent]
async fn visit(ctx: &AgentContext) -> Result<String, ClientRequestError> {
    let answer = ctx
        .elicit_url("Please sign in", "https://example.com/login")
        .await?;
    Ok(format!("{answer:?}"))
}

/// Asks for a form no MCP client can show.
#[agent]
async fn bad_form(ctx: &AgentContext) -> Result<String, ClientRequestError> {
    #[derive(Deserialize, JsonSchema)]
    #[allow(dead_code)]
    struct Nested {
        order: Order,
    }
    ctx.elicit::<Nested>("impossible")
        .await
        .map(|_| "asked".to_owned())
}

/// A prompt that asks for the order before it is written.
#[prompt]
async fn order_prompt(ctx: &AgentContext) -> Result<String, ClientRequestError> {
    let order = ctx.elicit::<Order>("What will it be?").await?;
    Ok(match order {
        Elicitation::Accepted(order) => format!("Describe {} {}.", order.count, order.pizza),
        _ => "Describe nothing.".to_owned(),
    })
}

/// A client that answers forms, URL requests and sampling, and records what
/// it was asked.
#[derive(Clone, Default)]
struct Answering {
    asked: Arc<Mutex<Vec<String>>>,
    decline_second: bool,
}

impl ClientHandler for Answering {
    fn get_info(&self) -> ClientInfo {
        let mut capabilities = ClientCapabilities::default();
        capabilities.elicitation = Some(
            ElicitationCapability::new()
                .with_form(FormElicitationCapability::default())
                .with_url(UrlElicitationCapability::new()),
        );
        capabilities.sampling = Some(SamplingCapability::default());
        ClientInfo::new(capabilities, Implementation::new("answering-client", "0.1"))
    }

    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, ErrorData> {
        match request {
            ElicitRequestParams::FormElicitationParams {
                message,
                requested_schema,
                ..
            } => {
                let schema = serde_json::to_value(&requested_schema).unwrap();
                assert_eq!(schema["properties"]["count"]["type"], "integer");
                assert_eq!(schema["required"], json!(["pizza", "count"]));
                self.asked.lock().unwrap().push(message.clone());
                if self.decline_second && message.starts_with("Second") {
                    return Ok(ElicitResult::new(ElicitationAction::Decline));
                }
                Ok(ElicitResult::new(ElicitationAction::Accept)
                    .with_content(json!({"pizza": "margherita", "count": 2})))
            }
            ElicitRequestParams::UrlElicitationParams { url, .. } => {
                self.asked.lock().unwrap().push(url);
                Ok(ElicitResult::new(ElicitationAction::Accept))
            }
            _ => Err(ErrorData::invalid_params("unknown elicitation", None)),
        }
    }

    async fn create_message(
        &self,
        params: CreateMessageRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<CreateMessageResult, ErrorData> {
        assert_eq!(params.max_tokens, 50);
        let prompt = params.messages[0]
            .content
            .first()
            .and_then(|c| c.as_text())
            .unwrap()
            .text
            .clone();
        self.asked.lock().unwrap().push(prompt);
        Ok(CreateMessageResult::new(
            SamplingMessage::new(McpRole::Assistant, "yes".to_owned()),
            "test-model".to_owned(),
        ))
    }
}

async fn start() -> HttpServer {
    let registry = Registry::collect().expect("agents are registered");
    let server = AgentServer::new(registry, ServerIdentity::new("input-test", "1.0.0"));
    HttpServer::bind(
        server,
        "127.0.0.1:0".parse().unwrap(),
        HttpOptions::default(),
    )
    .await
    .expect("bind a free loopback port")
}

async fn connect<C: ClientHandler>(
    server: &HttpServer,
    era: Era,
    client: C,
) -> RunningService<RoleClient, C> {
    let transport =
        StreamableHttpClientTransport::from_uri(format!("http://{}/mcp", server.local_addr()));
    connect_as(client, transport, era).await
}

async fn call<C: ClientHandler>(
    client: &RunningService<RoleClient, C>,
    tool: &'static str,
    args: Value,
) -> CallToolResult {
    client
        .call_tool(CallToolRequestParams::new(tool).with_arguments(object(args)))
        .await
        .expect("the call completes")
}

#[tokio::test]
async fn forms_and_sampling_reach_the_client_in_both_eras_with_one_agent() {
    let server = start().await;
    for era in ERAS {
        let handler = Answering::default();
        let client = connect(&server, era, handler.clone()).await;
        let before = runs("Luigi's");
        let result = call(&client, "order_twice", json!({"shop": "Luigi's"})).await;
        assert_eq!(result.is_error, Some(false), "{era:?}: {}", text(&result));
        assert_eq!(
            text(&result),
            "2 margherita + 2 margherita; model test-model says yes",
            "{era:?}"
        );
        assert_eq!(
            *handler.asked.lock().unwrap(),
            [
                "First order at Luigi's?",
                "Second order?",
                "Confirm: 2 margherita + 2 margherita"
            ],
            "{era:?}: each question reaches the client once"
        );
        let runs = runs("Luigi's") - before;
        match era {
            // One run that waits for each answer.
            Era::Legacy => assert_eq!(runs, 1),
            // One run per round: three questions, then the run that finishes.
            Era::Stateless => assert_eq!(runs, 4),
        }
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_prompt_can_ask_too_in_both_eras() {
    use rmcp::model::GetPromptRequestParams;
    let server = start().await;
    for era in ERAS {
        let handler = Answering::default();
        let client = connect(&server, era, handler.clone()).await;
        let rendered = client
            .get_prompt(GetPromptRequestParams::new("order_prompt"))
            .await
            .expect("the prompt renders");
        let text = rendered.messages[0].content.as_text().unwrap().text.clone();
        assert_eq!(text, "Describe 2 margherita.", "{era:?}");
        assert_eq!(
            *handler.asked.lock().unwrap(),
            ["What will it be?"],
            "{era:?}"
        );
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_declined_form_and_a_url_visit_come_back_as_values() {
    let server = start().await;
    for era in ERAS {
        let handler = Answering {
            decline_second: true,
            ..Answering::default()
        };
        let client = connect(&server, era, handler.clone()).await;
        let result = call(&client, "order_twice", json!({"shop": "x"})).await;
        assert!(
            text(&result).starts_with("2 margherita + declined;"),
            "{era:?}: {}",
            text(&result)
        );

        let visited = call(&client, "visit", json!({})).await;
        assert_eq!(text(&visited), "Accepted(())", "{era:?}");
        assert!(
            handler
                .asked
                .lock()
                .unwrap()
                .contains(&"https://example.com/login".to_owned())
        );
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_client_without_the_capabilities_is_told_which_it_lacks() {
    let server = start().await;
    for era in ERAS {
        let client = connect(&server, era, ()).await;
        for (tool, args, named, required) in [
            (
                "order_twice",
                json!({"shop": "x"}),
                "form elicitation",
                json!({"elicitation": {"form": {}}}),
            ),
            (
                "visit",
                json!({}),
                "URL-mode elicitation",
                json!({"elicitation": {"url": {}}}),
            ),
        ] {
            let params = CallToolRequestParams::new(tool).with_arguments(object(args));
            match era {
                // A 2025 session: the agent's error, as a tool result.
                Era::Legacy => {
                    let result = client.call_tool(params).await.expect("a tool result");
                    assert_eq!(result.is_error, Some(true), "{tool}");
                    assert!(text(&result).contains(named), "{tool}: {}", text(&result));
                }
                // 2026: MissingRequiredClientCapabilityError naming it (SEP-2575).
                Era::Stateless => {
                    let Err(rmcp::ServiceError::McpError(error)) = client.call_tool(params).await
                    else {
                        panic!("{tool}: a JSON-RPC error is expected");
                    };
                    assert_eq!(
                        error.code,
                        rmcp::model::ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY,
                        "{tool}"
                    );
                    let data = error.data.expect("requiredCapabilities");
                    assert_eq!(data["requiredCapabilities"], required, "{tool}");
                }
            }
        }
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_form_mcp_cannot_express_is_refused_naming_the_field() {
    let server = start().await;
    let client = connect(&server, Era::Legacy, Answering::default()).await;
    let result = call(&client, "bad_form", json!({})).await;
    assert_eq!(result.is_error, Some(true));
    assert!(text(&result).contains("field `order`"), "{}", text(&result));
    client.cancel().await.unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_forged_or_foreign_request_state_is_refused() {
    use rmcp::model::CallToolResponse;
    let server = start().await;
    let client = connect(&server, Era::Stateless, Answering::default()).await;
    let first = client
        .call_tool_once(
            CallToolRequestParams::new("order_twice").with_arguments(object(json!({"shop": "a"}))),
        )
        .await
        .unwrap();
    let CallToolResponse::InputRequired(input) = first else {
        panic!("the first round must ask for input, got {first:?}");
    };
    let state = input.request_state.clone().expect("a request state");
    let keys: Vec<_> = input
        .input_requests
        .as_ref()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let answers: rmcp::model::InputResponses = [(
        keys[0].clone(),
        json!({"action": "accept", "content": {"pizza": "x", "count": 1}}),
    )]
    .into();

    // The same state for other arguments, and a forged state, are refused.
    let mut other =
        CallToolRequestParams::new("order_twice").with_arguments(object(json!({"shop": "b"})));
    other.request_state = Some(state.clone());
    other.input_responses = Some(answers.clone());
    let error = client.call_tool_once(other).await.unwrap_err();
    assert!(error.to_string().contains("requestState"), "{error}");
    let mut forged =
        CallToolRequestParams::new("order_twice").with_arguments(object(json!({"shop": "a"})));
    forged.request_state = Some(format!("{state}x"));
    forged.input_responses = Some(answers.clone());
    assert!(client.call_tool_once(forged).await.is_err());

    // The genuine retry moves on to the second question.
    let mut retry =
        CallToolRequestParams::new("order_twice").with_arguments(object(json!({"shop": "a"})));
    retry.request_state = Some(state);
    retry.input_responses = Some(answers);
    match client.call_tool_once(retry).await.unwrap() {
        CallToolResponse::InputRequired(next) => {
            let request = serde_json::to_value(next.input_requests.unwrap()).unwrap();
            assert!(request.to_string().contains("Second order?"), "{request}");
        }
        other => panic!("expected the second question, got {other:?}"),
    }
    client.cancel().await.unwrap();
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn each_round_of_a_2026_request_is_charged_what_the_earlier_ones_spent() {
    let server = start().await;
    for (era, tokens_used, within_60) in [(Era::Legacy, 40, true), (Era::Stateless, 80, false)] {
        let client = connect(&server, era, Answering::default()).await;
        let result = call(&client, "spend_then_ask", json!({})).await;
        assert_eq!(text(&result), "true", "{era:?}");
        let usage = &result.meta.as_ref().unwrap()["dev.agentwire/usage"];
        // The stateless era runs the agent twice: once up to the question,
        // once with the answer; both spent their tokens.
        assert_eq!(
            usage["inputTokens"].as_u64().unwrap() + usage["outputTokens"].as_u64().unwrap(),
            tokens_used,
            "{era:?}"
        );

        // Under a grant of 60 tokens the second round is not granted them
        // afresh.
        let mut params =
            CallToolRequestParams::new("spend_then_ask").with_arguments(object(json!({})));
        let mut meta = rmcp::model::RequestMetaObject::new();
        meta.insert("dev.agentwire/budget".into(), json!({"tokens": 60}));
        params.meta = Some(meta);
        let result = client.call_tool(params).await.unwrap();
        assert_eq!(
            text(&result).starts_with("refused: budget exceeded on tokens"),
            !within_60,
            "{era:?}: {}",
            text(&result)
        );
        client.cancel().await.unwrap();
    }
    server.shutdown().await.unwrap();
}
