//! Agents backed by a model. With `OPENAI_BASE_URL` (and `OPENAI_API_KEY`
//! if the server wants one) pointing at any OpenAI-compatible server, or
//! `ANTHROPIC_API_KEY`, it needs no configuration file:
//!
//! ```sh
//! OPENAI_BASE_URL=http://127.0.0.1:8089/v1 cargo run -p llm -- \
//!     call ask --args '{"question": "Why is the sky blue?"}'
//! ```
//!
//! Every model call is charged to the call's budget; the result's
//! `_meta["dev.agentwire/usage"]` says what it used, and a grant such as
//! `--budget '{"tokens": 100}'` stops it with `budget_exceeded`.

use agentwire::llm::patterns::{Evaluation, fan_in, fan_out, orchestrate, refine, route};
use agentwire::llm::{ChatRequest, Toolbox};
use agentwire::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Answers a question with the configured model.
#[agent(read_only, open_world)]
async fn ask(
    ctx: &AgentContext,
    /// The question to answer.
    question: String,
) -> Result<String, LlmError> {
    let request = ChatRequest::new()
        .with_system("You answer questions accurately and briefly.")
        .user(question);
    Ok(ctx.model()?.complete(request).await?.text())
}

/// Counts the words of a text.
#[agent(read_only, idempotent)]
async fn word_count(
    /// The text to count.
    text: String,
) -> usize {
    text.split_whitespace().count()
}

/// An assistant that may count words with the `word_count` agent before it
/// answers (an agent loop with a tool).
#[agent(read_only, calls = [word_count])]
async fn assistant(
    ctx: &AgentContext,
    /// What to do.
    request: String,
) -> Result<String, LlmError> {
    let outcome = ctx
        .model()?
        .agent_loop()
        .system("Use the tools when they help, then answer briefly.")
        .tools(Toolbox::new().agent::<word_count>(ctx))
        .max_turns(4)
        .run(request)
        .await?;
    Ok(outcome.answer)
}

/// Where a customer message goes.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
enum Desk {
    Billing,
    Technical,
    Other,
}

/// A routed message.
#[derive(Debug, Serialize, JsonSchema)]
struct Triage {
    desk: String,
    reply: String,
}

/// Routes a customer message to a desk, then drafts that desk's reply
/// (the router pattern).
#[agent(read_only)]
async fn triage(
    ctx: &AgentContext,
    /// The customer's message.
    message: String,
) -> Result<Triage, LlmError> {
    let model = ctx.model()?;
    let desk: Desk = route(&model, "Pick the desk that should answer.", &message).await?;
    let voice = match desk {
        Desk::Billing => "You work at the billing desk.",
        Desk::Technical => "You are a support engineer.",
        Desk::Other => "You are a friendly receptionist.",
    };
    let reply = model
        .complete(ChatRequest::new().with_system(voice).user(message))
        .await?
        .text();
    Ok(Triage {
        desk: format!("{desk:?}"),
        reply,
    })
}

/// Describes each topic in parallel, then compares them in one answer
/// (fan-out and fan-in).
#[agent(read_only)]
async fn compare(
    ctx: &AgentContext,
    /// The topics to compare (at most 8).
    topics: Vec<String>,
) -> Result<String, LlmError> {
    let model = ctx.model()?;
    let notes = fan_out(topics.into_iter().take(8), 4, |topic| {
        let model = model.clone();
        async move {
            model
                .ask(format!("Describe {topic} in two sentences."))
                .await
        }
    })
    .await;
    let notes: Vec<String> = notes.into_iter().collect::<Result<_, _>>()?;
    fan_in(
        &model,
        "Compare these descriptions in one paragraph.",
        &notes,
    )
    .await
}

/// Plans a report, has workers write its sections in parallel, and
/// assembles it (orchestrator-workers).
#[agent(read_only)]
async fn report(
    ctx: &AgentContext,
    /// The report's subject.
    subject: String,
) -> Result<String, LlmError> {
    let model = ctx.model()?;
    let done = orchestrate(
        &model,
        &format!("Write a short report on {subject}"),
        3,
        |subtask| {
            let model = model.clone();
            async move { model.ask(subtask.instructions).await }
        },
    )
    .await?;
    Ok(done.synthesis)
}

/// A slogan and how it was judged.
#[derive(Debug, Serialize, JsonSchema)]
struct Slogan {
    slogan: String,
    accepted: bool,
    rounds: usize,
    feedback: Vec<String>,
}

/// Writes a slogan and revises it until an evaluator accepts it
/// (evaluator-optimizer).
#[agent(read_only)]
async fn slogan(
    ctx: &AgentContext,
    /// What the slogan is for.
    product: String,
) -> Result<Slogan, LlmError> {
    let model = ctx.model()?;
    let refined = refine(
        &model,
        &model,
        &format!("Write a slogan for {product}."),
        "At most eight words. No exclamation marks.",
        3,
    )
    .await?;
    Ok(Slogan {
        slogan: refined.answer,
        accepted: refined.accepted,
        rounds: refined.evaluations.len(),
        feedback: refined
            .evaluations
            .into_iter()
            .map(|Evaluation { feedback, .. }| feedback)
            .collect(),
    })
}

agentwire::main!();

/// The agents tested with scripted models (`agentwire::testing`): no
/// network and no key, with budgets and tool calls as in production.
#[cfg(test)]
mod tests {
    use super::*;
    use agentwire::testing::{Capture, FunctionModel, Reply, ScriptedModel, TestServer};
    use serde_json::json;

    #[tokio::test]
    async fn the_assistant_counts_words_with_its_tool_then_answers() {
        let capture = Capture::start();
        let model = ScriptedModel::new([
            Reply::tool_call("word_count", json!({"text": "to be or not to be"})),
            Reply::text("Six words."),
        ]);
        let server = TestServer::builder()
            .agents([assistant::DEFINITION, word_count::DEFINITION])
            .model(model.clone())
            .start()
            .await
            .unwrap();
        let outcome = server
            .call("assistant", json!({"request": "Count: to be or not to be"}))
            .await
            .unwrap();
        assert_eq!(outcome.output::<String>().unwrap(), "Six words.");
        let requests = model.requests();
        assert_eq!(requests[0].tools[0].name, "word_count");
        let tool_result = serde_json::to_string(&requests[1].messages).unwrap();
        assert!(tool_result.contains("6"), "{tool_result}");
        let agent = capture.span("invoke_agent assistant").unwrap();
        let tool = capture.span("invoke_agent word_count").unwrap();
        assert_eq!(
            tool.trace_id, agent.trace_id,
            "one trace for the loop and its tool"
        );
        assert_eq!(capture.spans_named("chat scripted-model").len(), 2);
        server.close().await;
    }

    #[tokio::test]
    async fn triage_routes_with_structured_output_then_drafts_the_reply() {
        // The closure sees the whole request: the router asks with an
        // output schema, the desk's reply without one.
        let model = FunctionModel::new(|request: &ChatRequest| match &request.output_schema {
            Some(_) => Reply::json(json!({"value": "Billing"})),
            None => Reply::text(format!(
                "[{}] We will refund you.",
                request.system.as_deref().unwrap_or_default()
            )),
        });
        let server = TestServer::builder()
            .agents([triage::DEFINITION])
            .model(model.clone())
            .start()
            .await
            .unwrap();
        let outcome = server
            .call("triage", json!({"message": "I was charged twice."}))
            .await
            .unwrap();
        let triage = outcome.structured().unwrap();
        assert_eq!(triage["desk"], "Billing");
        assert_eq!(
            triage["reply"],
            "[You work at the billing desk.] We will refund you."
        );
        assert_eq!(model.requests().len(), 2);
        assert!(outcome.usage().input_tokens > 0);
        server.close().await;
    }

    #[tokio::test]
    async fn a_token_grant_too_small_for_the_prompt_refuses_the_call() {
        let model = ScriptedModel::new(["never sent"]);
        let server = TestServer::builder()
            .agents([ask::DEFINITION])
            .model(model.clone())
            .start()
            .await
            .unwrap();
        let outcome = server
            .call_with_budget(
                "ask",
                json!({"question": "Why is the sky blue?"}),
                Budget::UNLIMITED.with_tokens(5),
            )
            .await
            .unwrap();
        assert_eq!(
            outcome.budget_exceeded().unwrap().dimension,
            agentwire::Dimension::Tokens
        );
        assert!(model.requests().is_empty());
        server.close().await;
    }
}
