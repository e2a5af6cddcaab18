//! `agentwire::testing` on real use: in-process servers and a real rmcp
//! client in both protocol eras, budgets and their errors, a chain of two
//! servers, scripted models charged and traced like providers, captured
//! spans and metrics, and workflows with time skipping and signals.

use std::time::Duration;

use agentwire::llm::{ChatRequest, Price, Toolbox};
use agentwire::prelude::*;
use agentwire::testing::{
    Capture, Era, FunctionModel, Reply, ScriptedModel, TestServer, ToolError,
};
use agentwire::workflow::RunStatus;
use agentwire::{Dimension, ServerIdentity};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A text's statistics.
#[derive(Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Stats {
    pub words: usize,
    pub chars: usize,
}

/// Counts the words and characters of a text.
#[agent(read_only)]
async fn stats(text: String) -> Stats {
    Stats {
        words: text.split_whitespace().count(),
        chars: text.chars().count(),
    }
}

/// Calls `stats` `times` times, to spend the call budget.
#[agent(calls = [stats])]
async fn repeat_stats(ctx: &AgentContext, times: u32) -> Result<usize, CallError> {
    let mut words = 0;
    for _ in 0..times {
        words += stats::call(ctx, "one two".into()).await?.words;
    }
    Ok(words)
}

#[tokio::test]
async fn a_tool_answers_with_its_typed_result_and_usage_in_both_eras() {
    for era in [Era::Sessions, Era::Stateless] {
        let server = TestServer::builder()
            .agents([stats::DEFINITION])
            .era(era)
            .start()
            .await
            .unwrap();
        let outcome = server
            .call("stats", json!({"text": "to be or not"}))
            .await
            .unwrap();
        let stats: Stats = outcome.output().unwrap();
        assert_eq!(
            stats,
            Stats {
                words: 4,
                chars: 12
            },
            "{era:?}"
        );
        assert_eq!(outcome.usage().calls, 1, "{era:?}");
        assert_eq!(server.era(), era);
        server.close().await;
    }
}

#[tokio::test]
async fn a_budget_grant_stops_a_call_and_the_error_names_the_dimension() {
    let server = TestServer::serving([stats::DEFINITION, repeat_stats::DEFINITION])
        .await
        .unwrap();
    let enough = server
        .call_with_budget(
            "repeat_stats",
            json!({"times": 2}),
            Budget::UNLIMITED.with_calls(3),
        )
        .await
        .unwrap();
    assert_eq!(enough.output::<usize>().unwrap(), 4);
    assert_eq!(enough.usage().calls, 3);

    let short = server
        .call_with_budget(
            "repeat_stats",
            json!({"times": 5}),
            Budget::UNLIMITED.with_calls(3),
        )
        .await
        .unwrap();
    let error: ToolError = short.output::<usize>().unwrap_err();
    assert_eq!(error.dimension(), Some(Dimension::Calls), "{error}");
    assert!(error.message.contains("calls"), "{error}");
    let exceeded = short.budget_exceeded().unwrap();
    assert_eq!(exceeded.limit, 3);

    // Arguments of the wrong type are an error result naming the field.
    let wrong = server.call("stats", json!({"text": 3})).await.unwrap();
    assert!(
        wrong.error().unwrap().message.contains("text"),
        "{}",
        wrong.text()
    );
    assert_eq!(wrong.budget_exceeded(), None);
    // An unknown tool is a protocol error.
    assert!(server.call("nothing", json!({})).await.is_err());
    server.close().await;
}

/// Greets someone formally.
#[prompt]
fn formal_greeting(
    /// Who to greet.
    name: String,
) -> String {
    format!("Write a formal greeting to {name}.")
}

/// A note by its name.
#[resource(uri = "notes://{name}", mime_type = "text/plain")]
async fn note(name: String) -> String {
    format!("the note called {name}")
}

#[tokio::test]
async fn prompts_and_resources_are_served_to_the_client() {
    let server = TestServer::builder()
        .agents([stats::DEFINITION])
        .prompts([formal_greeting::DEFINITION])
        .resources([note::DEFINITION])
        .start()
        .await
        .unwrap();
    let prompt = server
        .prompt("formal_greeting", json!({"name": "Ada"}))
        .await
        .unwrap();
    let text = serde_json::to_string(&prompt.messages).unwrap();
    assert!(text.contains("formal greeting to Ada"), "{text}");
    let read = server.read("notes://groceries").await.unwrap();
    let text = serde_json::to_string(&read.contents).unwrap();
    assert!(text.contains("the note called groceries"), "{text}");
    assert!(server.read("elsewhere://x").await.is_err());
    server.close().await;
}

mod front {
    use super::*;

    /// `stats` of the back server.
    #[agent(remote = "back", name = "stats")]
    pub async fn remote_stats(text: String) -> Stats;

    /// Counts words on the back server.
    #[agent(calls = [remote_stats])]
    pub async fn words_far_away(ctx: &AgentContext, text: String) -> Result<usize, CallError> {
        Ok(remote_stats::call(ctx, text).await?.words)
    }
}

#[tokio::test]
async fn a_chain_of_two_servers_runs_in_one_test_with_one_trace() {
    let capture = Capture::start();
    let back = TestServer::builder()
        .agents([stats::DEFINITION])
        .identity(ServerIdentity::new("back", "1.0.0"))
        .start()
        .await
        .unwrap();
    let front = TestServer::builder()
        .agents([front::words_far_away::DEFINITION])
        .remote("back", &back)
        .start()
        .await
        .unwrap();
    let outcome = front
        .call("words_far_away", json!({"text": "a b c"}))
        .await
        .unwrap();
    assert_eq!(outcome.output::<usize>().unwrap(), 3);
    // The callee's reported call is charged to the caller.
    assert_eq!(outcome.usage().calls, 2);

    let served = capture.spans_named("tools/call words_far_away");
    let front_server = served.iter().find(|s| s.kind == "server").unwrap();
    let caller = capture.span("invoke_agent words_far_away").unwrap();
    let client = capture
        .spans_named("tools/call stats")
        .into_iter()
        .find(|s| s.kind == "client")
        .unwrap();
    let back_server = capture
        .spans_named("tools/call stats")
        .into_iter()
        .find(|s| s.kind == "server")
        .unwrap();
    let callee = capture.span("invoke_agent stats").unwrap();
    assert!(caller.is_child_of(front_server));
    assert!(client.is_child_of(&caller));
    assert!(
        back_server.is_child_of(&client),
        "the trace crosses the pipe in _meta"
    );
    assert!(callee.is_child_of(&back_server));

    // A grant too small for the remote hop fails with the dimension.
    let short = front
        .call_with_budget(
            "words_far_away",
            json!({"text": "a"}),
            Budget::UNLIMITED.with_calls(1),
        )
        .await
        .unwrap();
    assert_eq!(short.error().unwrap().dimension(), Some(Dimension::Calls));
    front.close().await;
    back.close().await;
}

/// Answers a question with the model.
#[agent]
async fn answer(ctx: &AgentContext, question: String) -> Result<String, LlmError> {
    ctx.model()?.ask(question).await
}

/// Answers with the model, which may count words with `stats`.
#[agent(calls = [stats])]
async fn assistant(ctx: &AgentContext, request: String) -> Result<String, LlmError> {
    let outcome = ctx
        .model()?
        .agent_loop()
        .tools(Toolbox::new().agent::<stats>(ctx))
        .max_turns(3)
        .run(request)
        .await?;
    Ok(outcome.answer)
}

#[tokio::test]
async fn a_scripted_model_is_charged_and_traced_like_a_provider() {
    let capture = Capture::start();
    let model = ScriptedModel::new([
        Reply::tool_call("stats", json!({"text": "one two three"})).with_usage(100, 10),
        Reply::text("Three words.").with_usage(150, 5),
    ]);
    let server = TestServer::builder()
        .agents([assistant::DEFINITION, stats::DEFINITION])
        .model(model.clone())
        .start()
        .await
        .unwrap();
    let outcome = server
        .call(
            "assistant",
            json!({"request": "How many words in 'one two three'?"}),
        )
        .await
        .unwrap();
    assert_eq!(outcome.output::<String>().unwrap(), "Three words.");
    let usage = outcome.usage();
    assert_eq!((usage.input_tokens, usage.output_tokens), (250, 15));
    assert_eq!(model.remaining(), 0);

    // The second request carries the tool's answer back to the model.
    let requests = model.requests();
    assert_eq!(requests.len(), 2);
    let sent = serde_json::to_string(&requests[1].messages).unwrap();
    assert!(sent.contains("\\\"words\\\":3"), "{sent}");

    let chats = capture.spans_named("chat scripted-model");
    assert_eq!(chats.len(), 2);
    assert_eq!(chats[0].attribute("gen_ai.provider.name"), Some("scripted"));
    assert_eq!(chats[0].attribute("gen_ai.usage.input_tokens"), Some("100"));
    let agent = capture.span("invoke_agent assistant").unwrap();
    assert!(chats.iter().all(|chat| chat.is_child_of(&agent)));

    let tokens = capture.metric("gen_ai.client.token.usage").unwrap();
    let mine = tokens.points_where("gen_ai.agent.name", "assistant");
    let input = mine
        .iter()
        .find(|p| p.attribute("gen_ai.token.type") == Some("input"))
        .unwrap();
    assert_eq!(input.sum, 250.0);
    let operations = capture.metric("mcp.server.operation.duration").unwrap();
    assert!(
        !operations
            .points_where("gen_ai.tool.name", "assistant")
            .is_empty()
    );

    // A token grant below what the script declares stops the call.
    let short = ScriptedModel::new([Reply::text("A long answer.").with_usage(40, 900)]);
    let server = TestServer::builder()
        .agents([answer::DEFINITION])
        .model(short)
        .start()
        .await
        .unwrap();
    let outcome = server
        .call_with_budget(
            "answer",
            json!({"question": "Why?"}),
            Budget::UNLIMITED.with_tokens(500),
        )
        .await
        .unwrap();
    assert_eq!(
        outcome.budget_exceeded().unwrap().dimension,
        Dimension::Tokens
    );
    server.close().await;
}

#[tokio::test]
async fn a_function_model_sees_the_whole_request_and_its_cost_is_charged() {
    let model = FunctionModel::new(|request: &ChatRequest| {
        let question = request
            .messages
            .last()
            .map(|m| m.text())
            .unwrap_or_default();
        Reply::text(format!("You asked: {question}")).with_usage(1000, 1000)
    })
    .named("priced-model")
    .with_price(Price::per_million(2_000_000, 8_000_000));
    let server = TestServer::builder()
        .agents([answer::DEFINITION])
        .model(model.clone())
        .start()
        .await
        .unwrap();
    let outcome = server
        .call("answer", json!({"question": "Why is the sky blue?"}))
        .await
        .unwrap();
    assert_eq!(outcome.text(), "You asked: Why is the sky blue?");
    // $2 and $8 per million tokens: 2000 + 8000 micro-USD.
    assert_eq!(outcome.usage().cost_micros, 10_000);
    assert_eq!(model.requests()[0].model, "priced-model");

    let broke = server
        .call_with_budget(
            "answer",
            json!({"question": "Again?"}),
            Budget::UNLIMITED.with_cost_micros(5_000),
        )
        .await
        .unwrap();
    assert_eq!(broke.budget_exceeded().unwrap().dimension, Dimension::Cost);
    server.close().await;
}

#[tokio::test]
async fn a_used_up_script_fails_with_a_clear_error() {
    let server = TestServer::builder()
        .agents([answer::DEFINITION])
        .model(ScriptedModel::new(["only one"]))
        .start()
        .await
        .unwrap();
    let first = server
        .call("answer", json!({"question": "1"}))
        .await
        .unwrap();
    assert_eq!(first.text(), "only one");
    let second = server
        .call("answer", json!({"question": "2"}))
        .await
        .unwrap();
    let error = second.error().unwrap();
    assert!(error.message.contains("no reply left"), "{error}");
    server.close().await;
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
struct Approval {
    approved: bool,
}

/// Waits a day, then for an approval (an hour at most).
#[workflow]
async fn patient(ctx: &WorkflowContext, item: String) -> Result<String, WorkflowError> {
    ctx.sleep(Duration::from_secs(24 * 3600)).await?;
    let approval: Approval = ctx.wait_for("approval", Duration::from_secs(3600)).await?;
    Ok(format!("{item}: approved = {}", approval.approved))
}

#[tokio::test(start_paused = true)]
async fn a_workflow_sleeps_a_day_in_no_time_and_resumes_on_a_signal() {
    let server = TestServer::serving([patient::DEFINITION]).await.unwrap();
    let run = server
        .start_workflow("patient", json!({"item": "invoice 7"}))
        .await
        .unwrap();
    let waiting = server.settle(&run.run_id).await.unwrap();
    assert_eq!(waiting.record.status, RunStatus::InputRequired);
    assert_eq!(waiting.waits[0].name, "approval");
    let slept = waiting.record.updated_ms - waiting.record.created_ms;
    assert!(
        slept >= 24 * 3600 * 1000,
        "the run's clock skipped a day: {slept} ms"
    );

    server
        .signal(&run.run_id, "approval", json!({"approved": true}))
        .await
        .unwrap();
    let done = server.settle(&run.run_id).await.unwrap();
    assert_eq!(done.record.status, RunStatus::Completed);
    assert_eq!(
        done.record.output,
        Some(json!("invoice 7: approved = true"))
    );
    server.close().await;
}

#[tokio::test(start_paused = true)]
async fn a_wait_times_out_without_waiting_for_real() {
    let server = TestServer::serving([patient::DEFINITION]).await.unwrap();
    let run = server
        .start_workflow("patient", json!({"item": "invoice 8"}))
        .await
        .unwrap();
    let waiting = server.settle(&run.run_id).await.unwrap();
    assert_eq!(waiting.record.status, RunStatus::InputRequired);
    // Nothing is sent: the hour passes as soon as every task waits.
    tokio::time::sleep(Duration::from_secs(3601)).await;
    let over = server.run_status(&run.run_id).await.unwrap();
    assert_eq!(over.record.status, RunStatus::Failed, "{:?}", over.record);
    let error = over.record.error.unwrap();
    assert!(format!("{error:?}").contains("approval"), "{error:?}");
    // A signal to a finished run is refused.
    assert!(
        server
            .signal(&run.run_id, "approval", json!({"approved": true}))
            .await
            .is_err()
    );
    server.close().await;
}
